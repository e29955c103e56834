//! The user device config (docs/PROTOCOL.md §6.6): parsing and validating it against the base
//! database into a [`UserLayer`] (extra specifiers, extra configurations, per-device entries
//! with overrides and allow/deny/index), and writing it back with newly seen devices so device
//! indexes persist.
//!
//! Policy: a user config fails to load only when it is not JSON, is not an object, lacks a
//! `version` or has a major version other than 4. Everything below that — unknown keys,
//! unknown protocols, bad specifiers or configurations, device entries that do not fit their
//! base definition — is skipped with a `tracing::warn`. One exception errs on the side of the
//! user: a device entry that is otherwise invalid but says `"deny": true` for an address still
//! denies that address.

use std::collections::{BTreeMap, HashMap, HashSet};

use serde::Deserialize;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::load::{
    self, Protocol, RawDefinition, RawSpecifier, RawVersion, Template, output_type_from_key,
};
use super::matching::SpecTable;
use super::{
    CommunicationSpecifier, ConfigError, DeviceDefinition, DeviceIdentity, OutputDefinition,
};
use crate::wire::OutputType;

/// Version written into user configs (the reference engine writes 4.0 too).
const WRITE_VERSION: (u32, u32) = (4, 0);

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
}

/// A valid user device entry, resolved against its base definition.
#[derive(Clone, Debug)]
pub(super) struct UserDevice {
    pub definition: DeviceDefinition,
    pub index: u32,
}

/// What a user config adds to a base database.
#[derive(Clone, Debug, Default)]
pub(super) struct UserLayer {
    pub specs: SpecTable,
    /// Protocol index → configurations added by the user, in file order.
    pub configurations: HashMap<usize, Vec<Template>>,
    pub devices: HashMap<DeviceIdentity, UserDevice>,
    denied: HashSet<String>,
    allowed: HashSet<String>,
    /// `user_configs.protocols` as written, kept verbatim for write-back.
    raw_protocols: Option<Value>,
    /// `user_configs.devices` items as written (valid or not), kept verbatim for write-back.
    raw_devices: Vec<Value>,
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
    fn protocol(&self, index: usize) -> Option<&Protocol>;
}

fn warn(msg: impl std::fmt::Display) {
    tracing::warn!("user device config: {msg}; ignored");
}

/// Parses a user config (docs/PROTOCOL.md §6.6) against a base database.
pub(super) fn parse_user(text: &str, base: &dyn BaseLookup) -> Result<UserLayer, ConfigError> {
    let root: Value = serde_json::from_str(text).map_err(load::json_error)?;
    let Value::Object(mut root) = root else {
        return Err(ConfigError::Invalid(
            "a user config must be a JSON object".into(),
        ));
    };
    let version = root
        .remove("version")
        .ok_or_else(|| ConfigError::Invalid("user config has no version".into()))?;
    let version: RawVersion = serde_json::from_value(version)
        .map_err(|e| ConfigError::Invalid(format!("user config version: {e}")))?;
    load::check_major(version)?;

    let mut layer = UserLayer::default();
    let mut user_configs = match root.remove("user_configs") {
        None => Map::new(),
        Some(Value::Object(m)) => m,
        Some(_) => {
            return Err(ConfigError::Invalid(
                "user_configs must be an object".into(),
            ));
        }
    };
    for key in root.keys() {
        warn(format_args!("unknown top-level key {key:?}"));
    }

    // Protocols first: device entries may derive from configurations added there.
    let mut specs = Vec::new();
    match user_configs.remove("protocols") {
        Some(value @ Value::Object(_)) => {
            for (name, pv) in value.as_object().into_iter().flatten() {
                parse_protocol(name, pv, base, &mut specs, &mut layer);
            }
            layer.raw_protocols = Some(value);
        }
        Some(_) => warn("user_configs.protocols is not an object"),
        None => {}
    }
    match user_configs.remove("devices") {
        Some(Value::Array(devices)) => {
            for (i, entry) in devices.into_iter().enumerate() {
                parse_device(i, &entry, base, &mut layer);
                layer.raw_devices.push(entry);
            }
        }
        Some(_) => warn("user_configs.devices is not an array"),
        None => {}
    }
    for key in user_configs.keys() {
        warn(format_args!("unknown key user_configs.{key}"));
    }
    layer.specs = SpecTable::new(specs);
    Ok(layer)
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
                        .and_then(|raw| load::convert_specifier(raw, protocol.serial_template()));
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
    let template = layer
        .configurations
        .get(&pindex)
        .and_then(|v| v.iter().find(|t| t.id == base_id))
        .or_else(|| protocol.template_by_id(base_id))
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
    let mut seen = HashSet::new();
    for uf in features {
        let feature = def
            .features
            .iter_mut()
            .find(|f| f.id == uf.base_id)
            .ok_or_else(|| {
                format!(
                    "feature base_id {} is not in the base definition",
                    uf.base_id
                )
            })?;
        if !seen.insert(uf.base_id) {
            return Err(format!("feature base_id {} is given twice", uf.base_id));
        }
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

/// The user config as JSON (version 4.0) with an entry appended for each new device: its
/// identity, the given name, fresh ids, the definition it resolves to as `base_id`, one
/// feature entry per feature, and `user_config` `{allow: false, deny: false, index}`.
/// Existing protocol and device entries are written back verbatim (invalid ones too, so nothing
/// the user wrote is lost). Devices that already have a valid entry, repeats within
/// `new_devices`, and devices whose definition cannot be resolved are skipped.
pub(super) fn write_user_config(
    layer: Option<&UserLayer>,
    new_devices: &[(DeviceIdentity, u32, String)],
    resolve: impl Fn(&DeviceIdentity) -> Option<DeviceDefinition>,
) -> String {
    let protocols = layer
        .and_then(|l| l.raw_protocols.clone())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut devices: Vec<Value> = layer.map(|l| l.raw_devices.clone()).unwrap_or_default();
    let mut added = HashSet::new();
    for (identity, index, name) in new_devices {
        if layer.is_some_and(|l| l.devices.contains_key(identity)) || !added.insert(identity) {
            continue;
        }
        let Some(def) = resolve(identity) else {
            tracing::warn!("user device config: cannot record {identity:?}: unknown protocol");
            continue;
        };
        let mut id = Map::new();
        id.insert("address".into(), json!(identity.address));
        id.insert("protocol".into(), json!(identity.protocol));
        if let Some(ident) = &identity.identifier {
            id.insert("identifier".into(), json!(ident));
        }
        let features: Vec<Value> = def
            .features
            .iter()
            .map(|f| json!({"id": fresh_id().to_string(), "base_id": f.id.to_string()}))
            .collect();
        devices.push(json!({
            "identifier": id,
            "config": {
                "name": name,
                "id": fresh_id().to_string(),
                "base_id": def.id.to_string(),
                "features": features,
                "user_config": {"allow": false, "deny": false, "index": index},
            }
        }));
    }
    let doc = json!({
        "version": {"major": WRITE_VERSION.0, "minor": WRITE_VERSION.1},
        "user_configs": {"protocols": protocols, "devices": devices},
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
}

/// A random (version 4) UUID without pulling in a RNG crate: std's randomly keyed SipHash over
/// a process-wide counter and the clock.
fn fresh_id() -> Uuid {
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
