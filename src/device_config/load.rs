//! The serde model of the device-config JSON files (docs/PROTOCOL.md §6.2–6.4) and its conversion
//! into the typed public model: base databases are deserialized straight into these structs
//! (no `serde_json::Value` detour), then turned into [`Protocol`]s with [`Template`]s.
//! User configs reuse the specifier and definition parts (see `user`).

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, Visitor};
use uuid::Uuid;

use super::Endpoint;
use super::{
    BtleSpecifier, CommunicationSpecifier, ConfigError, DeviceDefinition, FeatureDefinition,
    InputDefinition, ManufacturerData, OutputDefinition, Parity, SerialSpecifier,
};
use crate::wire::{InputCommandType, InputType, OutputType};

/// The only base database major version this implementation reads.
pub(super) const SUPPORTED_MAJOR: u32 = 4;

#[derive(Clone, Copy, Debug, Deserialize)]
pub(super) struct RawVersion {
    pub major: u32,
    #[serde(default)]
    pub minor: u32,
}

/// A base database file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseFile {
    version: RawVersion,
    protocols: BTreeMap<String, RawProtocol>,
}

/// Only the version of a file (used to report a version error when the body does not parse).
#[derive(Deserialize)]
pub(super) struct RawVersionOnly {
    pub version: RawVersion,
}

/// One protocol of a base database. Unknown keys (e.g. the `configuration` typo of
/// `sexverse-v5`) are ignored, as the reference loader does.
#[derive(Deserialize)]
struct RawProtocol {
    #[serde(default)]
    communication: Vec<RawSpecifier>,
    defaults: RawDefinition,
    #[serde(default)]
    configurations: Vec<RawDefinition>,
}

/// A `defaults` entry or a `configurations` item.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawDefinition {
    #[serde(default)]
    pub identifier: Option<Vec<String>>,
    pub name: String,
    pub id: Uuid,
    #[serde(default)]
    pub features: Option<Vec<RawFeature>>,
    #[serde(default)]
    pub protocol_variant: Option<String>,
    #[serde(default)]
    pub message_gap_ms: Option<u32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawFeature {
    index: u32,
    id: Uuid,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    output: BTreeMap<String, RawOutput>,
    #[serde(default)]
    input: BTreeMap<String, RawInput>,
    #[serde(default)]
    feature_settings: Option<RawFeatureSettings>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutput {
    value: [i32; 2],
    #[serde(default)]
    duration: Option<[i32; 2]>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInput {
    value: Vec<[i32; 2]>,
    command: Vec<InputCommandType>,
}

#[derive(Deserialize)]
struct RawFeatureSettings {
    #[serde(default)]
    alt_protocol_index: Option<u32>,
}

/// One `communication` item: a single-key object. Unknown kinds are kept as `Unknown` so that
/// a newer database with a new transport still loads (the item is skipped with a warning).
pub(super) enum RawSpecifier {
    Btle(RawBtle),
    Serial(RawSerial),
    Hid(RawPairs),
    Usb(RawPairs),
    XInput(RawExists),
    LovenseConnectService(RawExists),
    Websocket(RawWebsocket),
    Unknown(String),
}

impl<'de> Deserialize<'de> for RawSpecifier {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RawSpecifier;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a single-key communication specifier object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawSpecifier, A::Error> {
                let key: String = map
                    .next_key()?
                    .ok_or_else(|| de::Error::custom("empty communication specifier"))?;
                let spec = match key.as_str() {
                    "btle" => RawSpecifier::Btle(map.next_value()?),
                    "serial" => RawSpecifier::Serial(map.next_value()?),
                    "hid" => RawSpecifier::Hid(map.next_value()?),
                    "usb" => RawSpecifier::Usb(map.next_value()?),
                    "xinput" => RawSpecifier::XInput(map.next_value()?),
                    "lovense_connect_service" => {
                        RawSpecifier::LovenseConnectService(map.next_value()?)
                    }
                    "websocket" => RawSpecifier::Websocket(map.next_value()?),
                    _ => {
                        map.next_value::<IgnoredAny>()?;
                        RawSpecifier::Unknown(key)
                    }
                };
                if map.next_key::<IgnoredAny>()?.is_some() {
                    return Err(de::Error::custom(
                        "a communication specifier must have exactly one key",
                    ));
                }
                Ok(spec)
            }
        }
        d.deserialize_map(V)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawBtle {
    names: Vec<String>,
    #[serde(default)]
    manufacturer_data: Vec<RawManufacturerData>,
    #[serde(default)]
    advertised_services: Vec<Uuid>,
    services: BTreeMap<Uuid, BTreeMap<Endpoint, Uuid>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManufacturerData {
    company: u16,
    #[serde(default)]
    data: Option<Vec<u8>>,
    #[serde(default)]
    expected_length: Option<usize>,
}

/// Serial settings; all but `port` may be omitted in a user config (they are then taken from
/// the protocol's base serial specifier).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawSerial {
    port: String,
    #[serde(default)]
    baud_rate: Option<u32>,
    #[serde(default)]
    data_bits: Option<u8>,
    #[serde(default)]
    parity: Option<String>,
    #[serde(default)]
    stop_bits: Option<u8>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawPairs {
    pairs: Vec<RawPair>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPair {
    vendor_id: u16,
    product_id: u16,
}

#[derive(Deserialize)]
pub(super) struct RawExists {
    #[serde(default = "yes")]
    exists: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawWebsocket {
    name: String,
}

/// A device definition as written in the file: `defaults` (no identifiers) or a configuration.
/// `None` fields are inherited from the protocol defaults when resolved.
#[derive(Clone, Debug)]
pub(super) struct Template {
    pub name: String,
    pub id: Uuid,
    pub identifiers: Vec<String>,
    pub features: Option<Vec<FeatureDefinition>>,
    pub protocol_variant: Option<String>,
    pub message_gap_ms: Option<u32>,
}

/// A protocol of the base database.
#[derive(Clone, Debug)]
pub(super) struct Protocol {
    pub name: String,
    pub communication: Vec<CommunicationSpecifier>,
    pub defaults: Template,
    pub configurations: Vec<Template>,
    /// Identifier → index in `configurations` (the last configuration listing it wins, as in the
    /// reference: sexverse-v4 `BC1847` is the Dark Knight, libo-vibes `Yuyi` the Feather).
    by_identifier: HashMap<String, usize>,
}

impl Protocol {
    /// The configuration whose identifier list contains `identifier`.
    pub fn configuration(&self, identifier: &str) -> Option<&Template> {
        self.by_identifier
            .get(identifier)
            .and_then(|i| self.configurations.get(*i))
    }

    /// The definition with this id (defaults or a configuration).
    pub fn template_by_id(&self, id: Uuid) -> Option<&Template> {
        std::iter::once(&self.defaults)
            .chain(&self.configurations)
            .find(|t| t.id == id)
    }

    /// A template as a full definition, inheriting what it omits from the defaults.
    pub fn resolve_template(&self, t: &Template, identifier: Option<&str>) -> DeviceDefinition {
        DeviceDefinition {
            protocol: self.name.clone(),
            identifier: identifier.map(str::to_string),
            name: t.name.clone(),
            display_name: None,
            id: t.id,
            features: t
                .features
                .as_ref()
                .or(self.defaults.features.as_ref())
                .cloned()
                .unwrap_or_default(),
            protocol_variant: t
                .protocol_variant
                .clone()
                .or_else(|| self.defaults.protocol_variant.clone()),
            message_gap_ms: t.message_gap_ms.or(self.defaults.message_gap_ms),
            user_index: None,
        }
    }

    /// The first base serial specifier (its settings complete user serial specifiers).
    pub fn serial_template(&self) -> Option<&SerialSpecifier> {
        self.communication.iter().find_map(|c| match c {
            CommunicationSpecifier::Serial(s) => Some(s),
            _ => None,
        })
    }
}

/// A parsed base database.
pub(super) struct BaseFile {
    pub version: (u32, u32),
    /// Sorted by name.
    pub protocols: Vec<Protocol>,
}

/// Maps a serde_json error to a [`ConfigError`]: syntax errors are `Json`, shape errors
/// `Invalid`.
pub(super) fn json_error(e: serde_json::Error) -> ConfigError {
    match e.classify() {
        serde_json::error::Category::Data => ConfigError::Invalid(e.to_string()),
        _ => ConfigError::Json(e.to_string()),
    }
}

/// Parses a base database (docs/PROTOCOL.md §6.2): typed deserialization, then version check and
/// conversion.
pub(super) fn parse_base(text: &str) -> Result<BaseFile, ConfigError> {
    let raw: RawBaseFile = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(e) => {
            // A file of another major version may not even have our shape: report the version.
            if let Ok(v) = serde_json::from_str::<RawVersionOnly>(text) {
                check_major(v.version)?;
            }
            return Err(json_error(e));
        }
    };
    check_major(raw.version)?;
    let mut protocols = Vec::with_capacity(raw.protocols.len());
    for (name, p) in raw.protocols {
        protocols.push(convert_protocol(name, p)?);
    }
    Ok(BaseFile {
        version: (raw.version.major, raw.version.minor),
        protocols,
    })
}

pub(super) fn check_major(v: RawVersion) -> Result<(), ConfigError> {
    if v.major == SUPPORTED_MAJOR {
        Ok(())
    } else {
        Err(ConfigError::Version {
            found: v.major,
            expected: SUPPORTED_MAJOR,
        })
    }
}

fn convert_protocol(name: String, p: RawProtocol) -> Result<Protocol, ConfigError> {
    let ctx = |what: &str, e: String| ConfigError::Invalid(format!("protocol {name}: {what}: {e}"));
    let mut communication = Vec::with_capacity(p.communication.len());
    for raw in p.communication {
        match convert_specifier(raw, None) {
            Ok(Some(s)) => communication.push(s),
            Ok(None) => {}
            Err(e) => return Err(ctx("communication", e)),
        }
    }
    let defaults = convert_template(p.defaults, false).map_err(|e| ctx("defaults", e))?;
    let mut configurations = Vec::with_capacity(p.configurations.len());
    for c in p.configurations {
        let label = c.name.clone();
        configurations.push(
            convert_template(c, true).map_err(|e| ctx(&format!("configuration {label:?}"), e))?,
        );
    }
    Ok(Protocol::new(name, communication, defaults, configurations))
}

impl Protocol {
    pub fn new(
        name: String,
        communication: Vec<CommunicationSpecifier>,
        defaults: Template,
        configurations: Vec<Template>,
    ) -> Protocol {
        let mut by_identifier = HashMap::new();
        for (i, c) in configurations.iter().enumerate() {
            for ident in &c.identifiers {
                by_identifier.insert(ident.clone(), i);
            }
        }
        Protocol {
            name,
            communication,
            defaults,
            configurations,
            by_identifier,
        }
    }
}

/// Converts a definition. `configuration` = true requires a non-empty identifier list.
pub(super) fn convert_template(d: RawDefinition, configuration: bool) -> Result<Template, String> {
    let identifiers = d.identifier.unwrap_or_default();
    if configuration && identifiers.is_empty() {
        return Err("a configuration needs at least one identifier".into());
    }
    if !configuration && !identifiers.is_empty() {
        return Err("defaults cannot have identifiers".into());
    }
    let features = match d.features {
        None => None,
        Some(raw) => {
            let mut features = raw
                .into_iter()
                .map(convert_feature)
                .collect::<Result<Vec<_>, _>>()?;
            features.sort_by_key(|f| f.index);
            if features.windows(2).any(|w| w[0].index == w[1].index) {
                return Err("two features share an index".into());
            }
            Some(features)
        }
    };
    Ok(Template {
        name: d.name,
        id: d.id,
        identifiers,
        features,
        protocol_variant: d.protocol_variant,
        message_gap_ms: d.message_gap_ms,
    })
}

/// The output type of a file key (`vibrate`, `hw_position_with_duration`, ...).
pub(super) fn output_type_from_key(key: &str) -> Option<OutputType> {
    Some(match key {
        "vibrate" => OutputType::Vibrate,
        "rotate" => OutputType::Rotate,
        "oscillate" => OutputType::Oscillate,
        "constrict" => OutputType::Constrict,
        "temperature" => OutputType::Temperature,
        "led" => OutputType::Led,
        "spray" => OutputType::Spray,
        "position" => OutputType::Position,
        "hw_position_with_duration" => OutputType::HwPositionWithDuration,
        _ => return None,
    })
}

fn input_type_from_key(key: &str) -> Option<InputType> {
    Some(match key {
        "battery" => InputType::Battery,
        "rssi" => InputType::Rssi,
        "pressure" => InputType::Pressure,
        "button" => InputType::Button,
        "depth" => InputType::Depth,
        "position" => InputType::Position,
        _ => return None,
    })
}

fn check_range(what: &str, r: [i32; 2]) -> Result<(i32, i32), String> {
    if r[0] > r[1] {
        return Err(format!("{what} range [{}, {}] is reversed", r[0], r[1]));
    }
    Ok((r[0], r[1]))
}

fn convert_feature(f: RawFeature) -> Result<FeatureDefinition, String> {
    let mut outputs = Vec::with_capacity(f.output.len());
    for (key, o) in f.output {
        let Some(output_type) = output_type_from_key(&key) else {
            tracing::warn!("feature {}: unknown output type {key:?} ignored", f.id);
            continue;
        };
        let duration_range = o.duration.map(|d| check_range("duration", d)).transpose()?;
        outputs.push(OutputDefinition {
            output_type,
            base_range: check_range(&key, o.value)?,
            user_range: None,
            duration_range,
            disabled: false,
            reverse: false,
        });
    }
    outputs.sort_by_key(|o| o.output_type);
    let mut inputs = Vec::with_capacity(f.input.len());
    for (key, i) in f.input {
        let Some(input_type) = input_type_from_key(&key) else {
            tracing::warn!("feature {}: unknown input type {key:?} ignored", f.id);
            continue;
        };
        let ranges = i
            .value
            .into_iter()
            .map(|r| check_range(&key, r))
            .collect::<Result<Vec<_>, _>>()?;
        inputs.push(InputDefinition {
            input_type,
            ranges,
            commands: i.command,
        });
    }
    inputs.sort_by_key(|i| i.input_type);
    Ok(FeatureDefinition {
        index: f.index,
        id: f.id,
        description: f.description.unwrap_or_default(),
        outputs,
        inputs,
        alt_protocol_index: f.feature_settings.and_then(|s| s.alt_protocol_index),
    })
}

/// Converts a specifier. `serial_template` completes serial settings a user config omitted.
/// `Ok(None)` = skipped (unknown kind, or an `exists: false` marker).
pub(super) fn convert_specifier(
    raw: RawSpecifier,
    serial_template: Option<&SerialSpecifier>,
) -> Result<Option<CommunicationSpecifier>, String> {
    Ok(Some(match raw {
        RawSpecifier::Btle(b) => CommunicationSpecifier::Btle(BtleSpecifier {
            names: b.names,
            manufacturer_data: b
                .manufacturer_data
                .into_iter()
                .map(|m| ManufacturerData {
                    company: m.company,
                    data: m.data,
                    expected_length: m.expected_length,
                })
                .collect(),
            advertised_services: b.advertised_services,
            services: b.services,
        }),
        RawSpecifier::Serial(s) => {
            CommunicationSpecifier::Serial(convert_serial(s, serial_template)?)
        }
        RawSpecifier::Hid(p) => CommunicationSpecifier::Hid(pairs(p)),
        RawSpecifier::Usb(p) => CommunicationSpecifier::Usb(pairs(p)),
        RawSpecifier::XInput(e) if e.exists => CommunicationSpecifier::XInput,
        RawSpecifier::LovenseConnectService(e) if e.exists => {
            CommunicationSpecifier::LovenseConnectService
        }
        RawSpecifier::XInput(_) | RawSpecifier::LovenseConnectService(_) => return Ok(None),
        RawSpecifier::Websocket(w) => CommunicationSpecifier::Websocket { name: w.name },
        RawSpecifier::Unknown(kind) => {
            tracing::warn!("unknown communication specifier kind {kind:?} ignored");
            return Ok(None);
        }
    }))
}

fn pairs(p: RawPairs) -> Vec<(u16, u16)> {
    p.pairs
        .into_iter()
        .map(|p| (p.vendor_id, p.product_id))
        .collect()
}

fn convert_serial(
    s: RawSerial,
    template: Option<&SerialSpecifier>,
) -> Result<SerialSpecifier, String> {
    let missing = |field: &str| format!("serial port {:?}: missing {field}", s.port);
    let parity = match s.parity.as_deref() {
        Some(p) => {
            parse_parity(p).ok_or_else(|| format!("serial parity {p:?} is not N, O or E"))?
        }
        None => template
            .map(|t| t.parity)
            .ok_or_else(|| missing("parity"))?,
    };
    Ok(SerialSpecifier {
        baud_rate: s
            .baud_rate
            .or(template.map(|t| t.baud_rate))
            .ok_or_else(|| missing("baud_rate"))?,
        data_bits: s
            .data_bits
            .or(template.map(|t| t.data_bits))
            .ok_or_else(|| missing("data_bits"))?,
        stop_bits: s
            .stop_bits
            .or(template.map(|t| t.stop_bits))
            .ok_or_else(|| missing("stop_bits"))?,
        parity,
        port: s.port,
    })
}

fn parse_parity(p: &str) -> Option<Parity> {
    match p {
        "N" | "n" => Some(Parity::None),
        "O" | "o" => Some(Parity::Odd),
        "E" | "e" => Some(Parity::Even),
        _ => None,
    }
}
