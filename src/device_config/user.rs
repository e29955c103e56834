//! The user device config (docs/PROTOCOL.md §6.6): parsing and validating it against the base
//! database into a [`UserLayer`] (extra specifiers, extra configurations, per-device entries
//! with overrides and allow/deny/index, and database v5's simulated devices). Writing it back
//! lives in `write_back`.
//!
//! Policy: a user config fails to load only when it is not JSON, is not an object, lacks a
//! `version`, has a major version Teleplug does not read (4 and 5 are read: the same structure,
//! v5 adds `simulated_devices`), or its outline is of the wrong type (`user_configs` not an
//! object, or its `protocols` not an object, its `devices` or `simulated_devices` not arrays);
//! the error names the line and column. Everything below that — unknown keys, unknown protocols, bad
//! specifiers or configurations, device entries that do not fit their base definition, simulated
//! devices of an unknown archetype or a repeated address — is skipped with a `tracing::warn`.
//! One exception errs on the side of the user: a device entry that is otherwise invalid but says
//! `"deny": true` for an address still denies that address.
//!
//! Base ids are resolved within the entry's protocol (ids repeat across and even within
//! protocols in the shipped databases, data/device-config/V5-CHANGES.md §4), and a feature id
//! that a definition lists twice (sexverse-v2's Duopeak Saphette) names its features in order.

use std::collections::{BTreeMap, HashMap, HashSet};

use indexmap::IndexMap;
use serde::Deserialize;
use serde::de::IgnoredAny;
use serde_json::{Map, Value};
use uuid::Uuid;

use super::load::{self, Object, Protocol, RawDefinition, Template, output_type_from_key};
use super::matching::SpecTable;
use super::raw_json::RawJson;
use super::specifier::{self, RawSpecifier};
use super::version::{self, RawVersion};
use super::{
    CommunicationSpecifier, ConfigError, DeviceDefinition, DeviceIdentity, OutputDefinition,
    SimulatedDeviceEntry,
};
use crate::wire::OutputType;

/// The first major whose user files may list `simulated_devices`.
const SIMULATED_DEVICES_MAJOR: u32 = 5;

/// The outline of a user file, read first so that a file of the wrong shape is refused with the
/// line and column of what is wrong: a `version`; `user_configs`, when present, an object whose
/// `protocols` is an object and whose `devices` and `simulated_devices` are arrays. (Skipping a
/// section of the wrong type instead would lose it when the file is written back.)
#[derive(Deserialize)]
struct RawUserHeader {
    version: RawVersion,
    #[serde(default)]
    #[allow(dead_code)] // read for its shape only
    user_configs: Option<Object<RawUserSections>>,
}

#[derive(Deserialize)]
#[allow(dead_code)] // read for its shape only
struct RawUserSections {
    #[serde(default)]
    protocols: Option<BTreeMap<String, IgnoredAny>>,
    #[serde(default)]
    devices: Option<Vec<IgnoredAny>>,
    #[serde(default)]
    simulated_devices: Option<Vec<IgnoredAny>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSimulatedDevice {
    identifier: String,
    #[serde(default)]
    address: Option<String>,
    #[serde(default)]
    display_name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUserDevice {
    identifier: RawIdentity,
    config: RawUserDeviceConfig,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIdentity {
    address: String,
    protocol: String,
    #[serde(default)]
    identifier: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUserDeviceConfig {
    #[serde(default)]
    name: Option<String>,
    id: Uuid,
    base_id: Uuid,
    features: Vec<RawUserFeature>,
    user_config: RawCustomization,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUserFeature {
    #[serde(default)]
    description: Option<String>,
    id: Uuid,
    base_id: Uuid,
    #[serde(default)]
    output: BTreeMap<String, RawOutputOverride>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutputOverride {
    #[serde(default)]
    value: Option<[i32; 2]>,
    #[serde(default)]
    duration: Option<[i32; 2]>,
    #[serde(default)]
    disabled: Option<bool>,
    #[serde(default)]
    reverse: Option<bool>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCustomization {
    #[serde(default)]
    allow: bool,
    #[serde(default)]
    deny: bool,
    index: u32,
    #[serde(default)]
    display_name: Option<String>,
    #[serde(default)]
    message_gap_ms: Option<u32>,
    /// Teleplug's own key: the Lovense model name the Lovense local API shows this device as
    /// (`teleplug serve --lovense-api`). Buttplug's servers ignore keys they do not know.
    #[serde(default)]
    lovense_api_name: Option<String>,
}

/// A valid user device entry, resolved against its base definition.
#[derive(Clone, Debug)]
pub(super) struct UserDevice {
    pub definition: DeviceDefinition,
    pub index: u32,
    /// `user_config.lovense_api_name`.
    pub lovense_api_name: Option<String>,
}

/// What a user config adds to a base database.
#[derive(Clone, Debug, Default)]
pub(super) struct UserLayer {
    /// `(major, minor)` as read: the config is written back in the same major.
    pub version: (u32, u32),
    pub specs: SpecTable,
    /// Protocol index → configurations added by the user, in file order.
    pub configurations: HashMap<usize, Vec<Template>>,
    pub devices: HashMap<DeviceIdentity, UserDevice>,
    denied: HashSet<String>,
    allowed: HashSet<String>,
    /// Valid `user_configs.simulated_devices` entries, in file order.
    pub simulated: Vec<SimulatedDeviceEntry>,
    /// The whole file as read, for write-back: every key (known or not, valid or not) in file
    /// order, with only a generated simulated-device address filled in.
    pub raw: IndexMap<String, RawJson>,
}

impl UserLayer {
    /// The user-added configuration of a protocol whose identifier list contains `identifier`.
    pub fn configuration(&self, protocol: usize, identifier: &str) -> Option<&Template> {
        self.configurations
            .get(&protocol)?
            .iter()
            .find(|t| t.identifiers.iter().any(|i| i == identifier))
    }

    pub fn is_allowed(&self, address: &str) -> bool {
        !self.denied.contains(address)
            && (self.allowed.is_empty() || self.allowed.contains(address))
    }

    /// Indexes pinned by valid device entries, sorted and deduplicated.
    pub fn reserved_indexes(&self) -> Vec<u32> {
        let mut v: Vec<u32> = self.devices.values().map(|d| d.index).collect();
        v.sort_unstable();
        v.dedup();
        v
    }
}

/// Read access to the base database the user layer is validated against.
pub(super) trait BaseLookup {
    fn protocol_index(&self, name: &str) -> Option<usize>;
    /// Every protocol, sorted by name (indexes as `protocol_index` gives them).
    fn protocols(&self) -> &[Protocol];
    fn protocol(&self, index: usize) -> Option<&Protocol> {
        self.protocols().get(index)
    }
}

fn warn(msg: impl std::fmt::Display) {
    tracing::warn!("user device config: {msg}; ignored");
}

/// Parses a user config (docs/PROTOCOL.md §6.6) read from `origin` (a path, or "user device
/// config") against a base database.
pub(super) fn parse_user(
    text: &str,
    origin: &str,
    base: &dyn BaseLookup,
) -> Result<UserLayer, ConfigError> {
    let Object::<RawUserHeader>(header) =
        serde_json::from_str(text).map_err(|e| version::parse_failure(origin, text, &e))?;
    version::check_major(origin, header.version)?;
    let mut root: Map<String, Value> =
        serde_json::from_str(text).map_err(|e| ConfigError::from_json(origin, &e))?;
    let mut layer = UserLayer {
        version: (header.version.major, header.version.minor),
        ..UserLayer::default()
    };
    for key in root
        .keys()
        .filter(|k| !matches!(k.as_str(), "version" | "user_configs"))
    {
        warn(format_args!("unknown top-level key {key:?}"));
    }
    // The outline checked the sections' types: anything else here is null, as good as absent.
    let mut specs = Vec::new();
    if let Some(Value::Object(user_configs)) = root.get_mut("user_configs") {
        for key in user_configs
            .keys()
            .filter(|k| !matches!(k.as_str(), "protocols" | "devices" | "simulated_devices"))
        {
            warn(format_args!("unknown key user_configs.{key}"));
        }
        // Protocols first: device entries may derive from configurations added there.
        if let Some(Value::Object(protocols)) = user_configs.get("protocols") {
            for (name, pv) in protocols {
                parse_protocol(name, pv, base, &mut specs, &mut layer);
            }
        }
        if let Some(Value::Array(devices)) = user_configs.get("devices") {
            for (i, entry) in devices.iter().enumerate() {
                parse_device(i, entry, base, &mut layer);
            }
        }
        if let Some(Value::Array(items)) = user_configs.get_mut("simulated_devices") {
            if layer.version.0 < SIMULATED_DEVICES_MAJOR {
                warn(format_args!(
                    "user_configs.simulated_devices needs a major {SIMULATED_DEVICES_MAJOR} user config"
                ));
            } else {
                for (i, item) in items.iter_mut().enumerate() {
                    parse_simulated(i, item, base, &mut layer);
                }
            }
        }
    }
    layer.raw = match serde_json::from_str(text) {
        Ok(RawJson::Object(raw)) => raw,
        _ => IndexMap::new(),
    };
    fill_generated_addresses(&root, &mut layer.raw);
    layer.specs = SpecTable::new(specs);
    Ok(layer)
}

/// The addresses `parse_simulated` generated (in `parsed`), written into the raw file too.
fn fill_generated_addresses(parsed: &Map<String, Value>, raw: &mut IndexMap<String, RawJson>) {
    let Some(Value::Array(parsed)) = parsed
        .get("user_configs")
        .and_then(|u| u.get("simulated_devices"))
    else {
        return;
    };
    let Some(items) = raw
        .get_mut("user_configs")
        .and_then(RawJson::as_object_mut)
        .and_then(|u| u.get_mut("simulated_devices"))
        .and_then(RawJson::as_array_mut)
    else {
        return;
    };
    for (item, parsed) in items.iter_mut().zip(parsed) {
        if let (Some(fields), Some(Value::String(address))) =
            (item.as_object_mut(), parsed.get("address"))
        {
            fields
                .entry("address".to_string())
                .or_insert_with(|| RawJson::String(address.clone()));
        }
    }
}

/// One `simulated_devices` item: an archetype named by a base `simulated` specifier, at an
/// address no earlier item has. A missing address is generated (`simulated:<uuid>`, as the
/// reference does) and written into `item`, so it stays the same once written back.
fn parse_simulated(
    position: usize,
    item: &mut Value,
    base: &dyn BaseLookup,
    layer: &mut UserLayer,
) {
    let raw = match RawSimulatedDevice::deserialize(&*item) {
        Ok(raw) => raw,
        Err(e) => return warn(format_args!("simulated_devices[{position}]: {e}")),
    };
    let protocol = base.protocols().iter().find(|p| {
        p.communication.iter().any(|c| {
            matches!(c, CommunicationSpecifier::Simulated { names } if names.contains(&raw.identifier))
        })
    });
    let Some(protocol) = protocol else {
        return warn(format_args!(
            "simulated_devices[{position}]: {:?} is not a simulated archetype of the database",
            raw.identifier
        ));
    };
    let address = match raw.address {
        Some(a) => a,
        None => {
            let a = format!("simulated:{}", fresh_id());
            if let Value::Object(fields) = item {
                fields.insert("address".into(), Value::String(a.clone()));
            }
            a
        }
    };
    if layer.simulated.iter().any(|s| s.address == address) {
        return warn(format_args!(
            "simulated_devices[{position}]: a second device at address {address:?}"
        ));
    }
    layer.simulated.push(SimulatedDeviceEntry {
        protocol: protocol.name.clone(),
        identifier: raw.identifier,
        address,
        display_name: raw.display_name,
    });
}

fn parse_protocol(
    name: &str,
    value: &Value,
    base: &dyn BaseLookup,
    specs: &mut Vec<(usize, CommunicationSpecifier)>,
    layer: &mut UserLayer,
) {
    let Some((index, protocol)) = base
        .protocol_index(name)
        .and_then(|i| Some((i, base.protocol(i)?)))
    else {
        warn(format_args!(
            "protocol {name:?} does not exist (a user config cannot add protocols)"
        ));
        return;
    };
    let Value::Object(fields) = value else {
        warn(format_args!("protocols.{name} is not an object"));
        return;
    };
    for (key, v) in fields {
        match key.as_str() {
            "communication" => {
                for item in v.as_array().into_iter().flatten() {
                    let spec = RawSpecifier::deserialize(item)
                        .map_err(|e| e.to_string())
                        .and_then(|raw| {
                            specifier::convert_specifier(raw, protocol.serial_template())
                        });
                    match spec {
                        Ok(Some(s)) => specs.push((index, s)),
                        Ok(None) => {}
                        Err(e) => warn(format_args!("protocols.{name}.communication item: {e}")),
                    }
                }
            }
            "configurations" => add_configurations(name, index, v, layer),
            // The schema's spelling: `devices.configurations`.
            "devices" => match v.get("configurations") {
                Some(c) => add_configurations(name, index, c, layer),
                None => warn(format_args!(
                    "protocols.{name}.devices has no configurations"
                )),
            },
            other => warn(format_args!("unknown key protocols.{name}.{other}")),
        }
    }
}

fn add_configurations(name: &str, index: usize, value: &Value, layer: &mut UserLayer) {
    let Some(items) = value.as_array() else {
        warn(format_args!(
            "protocols.{name}.configurations is not an array"
        ));
        return;
    };
    for item in items {
        let template = RawDefinition::deserialize(item)
            .map_err(|e| e.to_string())
            .and_then(|raw| load::convert_template(raw, true));
        match template {
            Ok(t) => layer.configurations.entry(index).or_default().push(t),
            Err(e) => warn(format_args!("protocols.{name}.configurations item: {e}")),
        }
    }
}

fn parse_device(position: usize, entry: &Value, base: &dyn BaseLookup, layer: &mut UserLayer) {
    let result = RawUserDevice::deserialize(entry)
        .map_err(|e| e.to_string())
        .and_then(|raw| build_device(raw, base, layer));
    match result {
        Ok(BuiltDevice {
            identity,
            device,
            allow,
            deny,
        }) => {
            if layer.devices.contains_key(&identity) {
                warn(format_args!(
                    "devices[{position}]: a second entry for {identity:?}"
                ));
                return;
            }
            if deny {
                layer.denied.insert(identity.address.clone());
            }
            if allow {
                layer.allowed.insert(identity.address.clone());
            }
            layer.devices.insert(identity, device);
        }
        Err(e) => {
            let address = entry.pointer("/identifier/address").and_then(Value::as_str);
            warn(format_args!(
                "devices[{position}] (address {:?}): {e}",
                address.unwrap_or("?")
            ));
            let denied = entry.pointer("/config/user_config/deny") == Some(&Value::Bool(true));
            if let (true, Some(address)) = (denied, address) {
                tracing::warn!("user device config: address {address:?} stays denied");
                layer.denied.insert(normalize_address(address));
            }
        }
    }
}

/// A user entry's address as the transports report it. Bluetooth LE devices are known by their
/// Bluetooth address in upper case (`AA:BB:CC:DD:EE:FF`); entries written by other Buttplug
/// servers on Linux name them by BlueZ object (`PeripheralId(…/org/bluez/hci0/dev_AA_BB_CC_DD_EE_FF…)`
/// or `hci0/dev_…`), and people write MACs in lower case or with dashes: all of those become the
/// Bluetooth address. Any other address (serial ports, simulated and WebSocket devices, the
/// UUIDs of other platforms) is kept as written.
pub(crate) fn normalize_address(address: &str) -> String {
    fn mac(hex: &str, sep: char) -> Option<String> {
        let parts: Vec<&str> = hex.split(sep).collect();
        let ok = parts.len() == 6
            && parts
                .iter()
                .all(|p| p.len() == 2 && p.chars().all(|c| c.is_ascii_hexdigit()));
        ok.then(|| parts.join(":").to_ascii_uppercase())
    }
    if let Some(found) = address
        .match_indices("dev_")
        .find_map(|(at, _)| address.get(at + 4..at + 21).and_then(|h| mac(h, '_')))
    {
        return found;
    }
    mac(address, ':')
        .or_else(|| mac(address, '-'))
        .unwrap_or_else(|| address.to_string())
}

/// A valid user device entry with what it says about the device's access.
struct BuiltDevice {
    identity: DeviceIdentity,
    device: UserDevice,
    allow: bool,
    deny: bool,
}

/// Validates a device entry against its base definition and applies its overrides.
fn build_device(
    raw: RawUserDevice,
    base: &dyn BaseLookup,
    layer: &UserLayer,
) -> Result<BuiltDevice, String> {
    let identity = DeviceIdentity {
        address: normalize_address(&raw.identifier.address),
        protocol: raw.identifier.protocol,
        identifier: raw.identifier.identifier,
    };
    let cfg = raw.config;
    let mut def = base_definition(&identity, cfg.base_id, base, layer)?;
    apply_feature_overrides(&mut def, cfg.features)?;
    let uc = cfg.user_config;
    def.id = cfg.id;
    if let Some(name) = cfg.name {
        def.name = name;
    }
    def.display_name = uc.display_name;
    if uc.message_gap_ms.is_some() {
        def.message_gap_ms = uc.message_gap_ms;
    }
    def.user_index = Some(uc.index);
    Ok(BuiltDevice {
        identity,
        device: UserDevice {
            definition: def,
            index: uc.index,
            lovense_api_name: uc.lovense_api_name.filter(|n| !n.trim().is_empty()),
        },
        allow: uc.allow,
        deny: uc.deny,
    })
}

/// The definition a device entry starts from: the template `base_id` of its protocol (the
/// user's own configurations first), resolved for its identifier.
fn base_definition(
    identity: &DeviceIdentity,
    base_id: Uuid,
    base: &dyn BaseLookup,
    layer: &UserLayer,
) -> Result<DeviceDefinition, String> {
    let (pindex, protocol) = base
        .protocol_index(&identity.protocol)
        .and_then(|i| Some((i, base.protocol(i)?)))
        .ok_or_else(|| format!("unknown protocol {:?}", identity.protocol))?;
    let identifier = identity.identifier.as_deref();
    let template = layer
        .configurations
        .get(&pindex)
        .and_then(|v| load::pick_by_id(v.iter(), base_id, identifier))
        .or_else(|| protocol.template_by_id(base_id, identifier))
        .ok_or_else(|| {
            format!(
                "base_id {base_id} is not a definition of protocol {:?}",
                identity.protocol
            )
        })?;
    Ok(protocol.resolve_template(template, identity.identifier.as_deref()))
}

/// Apply the entry's features (one per feature of the definition, each naming its base
/// feature once): descriptions, ids and output overrides.
fn apply_feature_overrides(
    def: &mut DeviceDefinition,
    features: Vec<RawUserFeature>,
) -> Result<(), String> {
    if features.len() != def.features.len() {
        return Err(format!(
            "{} features given, the base definition has {}",
            features.len(),
            def.features.len()
        ));
    }
    // Each base feature is claimed once; a base id listed twice claims its features in order.
    let mut claimed = vec![false; def.features.len()];
    for uf in features {
        let Some(at) =
            (0..def.features.len()).find(|i| !claimed[*i] && def.features[*i].id == uf.base_id)
        else {
            return Err(if def.features.iter().any(|f| f.id == uf.base_id) {
                format!("feature base_id {} is given too often", uf.base_id)
            } else {
                format!(
                    "feature base_id {} is not in the base definition",
                    uf.base_id
                )
            });
        };
        claimed[at] = true;
        let feature = &mut def.features[at];
        for (key, o) in uf.output {
            let t =
                output_type_from_key(&key).ok_or_else(|| format!("unknown output type {key:?}"))?;
            let out = feature
                .outputs
                .iter_mut()
                .find(|d| d.output_type == t)
                .ok_or_else(|| format!("feature {} has no {key} output", uf.base_id))?;
            apply_output_override(out, &key, o)?;
        }
        if let Some(d) = uf.description {
            feature.description = d;
        }
        feature.id = uf.id;
    }
    Ok(())
}

/// Apply one output's override: a value range within the database's, a duration range (only
/// for HwPositionWithDuration), reversal (only for positions), disabling.
fn apply_output_override(
    out: &mut OutputDefinition,
    key: &str,
    o: RawOutputOverride,
) -> Result<(), String> {
    let t = out.output_type;
    let positional = matches!(t, OutputType::Position | OutputType::HwPositionWithDuration);
    if let Some([lo, hi]) = o.value {
        let max = out.base_range.1;
        if lo < 0 || lo > hi || hi > max {
            return Err(format!(
                "{key} range [{lo}, {hi}] is not a non-empty sub-range of [0, {max}]"
            ));
        }
        out.user_range = Some((lo, hi));
    }
    if let Some([lo, hi]) = o.duration {
        if t != OutputType::HwPositionWithDuration {
            return Err(format!("{key} has no duration"));
        }
        let (blo, bhi) = out.duration_range.unwrap_or((0, i32::MAX));
        if lo < blo || lo > hi || hi > bhi {
            return Err(format!(
                "{key} duration [{lo}, {hi}] is not a sub-range of [{blo}, {bhi}]"
            ));
        }
        out.duration_range = Some((lo, hi));
    }
    if let Some(reverse) = o.reverse {
        if !positional {
            return Err(format!("{key} cannot be reversed"));
        }
        out.reverse = reverse;
    }
    out.disabled = o.disabled.unwrap_or(false);
    Ok(())
}

/// A random (version 4) UUID without pulling in a RNG crate: std's randomly keyed SipHash over
/// a process-wide counter and the clock.
pub(super) fn fresh_id() -> Uuid {
    use std::hash::{BuildHasher, Hasher};
    use std::sync::atomic::{AtomicU64, Ordering};
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    let mut bytes = [0u8; 16];
    for (half, chunk) in bytes.chunks_mut(8).enumerate() {
        let mut h = std::collections::hash_map::RandomState::new().build_hasher();
        h.write_u64(n);
        h.write_u128(nanos);
        h.write_usize(half);
        chunk.copy_from_slice(&h.finish().to_le_bytes());
    }
    uuid::Builder::from_random_bytes(bytes).into_uuid()
}
