//! The serde model of base database files (docs/PROTOCOL.md §6.2–6.4) and its conversion into
//! the typed model. Base databases are deserialized straight into these structs (no
//! `serde_json::Value` detour) and every part is converted and checked while it is read, so an
//! error names the line and column where the offending value ends. User configs reuse the
//! definition parts (see `user`); specifiers live in `specifier`.
//!
//! Leniency (data/device-config/V5-CHANGES.md §3): unknown keys inside an output object are
//! ignored (5.57's `ossm` describes its oscillate output there), an output range whose minimum
//! is above 0 is read as `[0, max]` like the reference does (5.57's `umove` temperature
//! `[37, 42]`), features may start above index 0 and have gaps, and only `configurations` is
//! read (the v4 `sexverse-v5` typo `configuration` is ignored).

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::marker::PhantomData;

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use uuid::Uuid;

use super::specifier::BaseSpecifier;
use super::version::{self, RawVersion};
use super::{
    CommunicationSpecifier, ConfigError, DeviceDefinition, FeatureDefinition, InputDefinition,
    OutputDefinition, SerialSpecifier,
};
use crate::wire::{InputCommandType, InputType, OutputType};

/// The top of a file: `T` read from a JSON object only (serde would also take a struct from
/// an array, and report a bare array as "invalid length 0, expected struct ...").
pub(super) struct Object<T>(pub T);

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Object<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
            type Value = T;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
                T::deserialize(de::value::MapAccessDeserializer::new(map))
            }
        }
        d.deserialize_map(V(PhantomData)).map(Object)
    }
}

/// A base database file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBaseFile {
    version: RawVersion,
    protocols: BTreeMap<String, RawProtocol>,
}

/// One protocol of a base database. Unknown keys (e.g. the `configuration` typo of v4's
/// `sexverse-v5`) are ignored, as the reference loader does.
#[derive(Deserialize)]
struct RawProtocol {
    #[serde(default)]
    communication: Vec<BaseSpecifier>,
    defaults: Defaults,
    #[serde(default)]
    configurations: Vec<Configuration>,
}

/// A protocol's `defaults`, converted as it is read.
#[derive(Deserialize)]
#[serde(try_from = "RawDefinition")]
struct Defaults(Template);

impl TryFrom<RawDefinition> for Defaults {
    type Error = String;
    fn try_from(d: RawDefinition) -> Result<Defaults, String> {
        convert_template(d, false).map(Defaults)
    }
}

/// A `configurations` item, converted as it is read.
#[derive(Deserialize)]
#[serde(try_from = "RawDefinition")]
struct Configuration(Template);

impl TryFrom<RawDefinition> for Configuration {
    type Error = String;
    fn try_from(d: RawDefinition) -> Result<Configuration, String> {
        convert_template(d, true).map(Configuration)
    }
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

/// An output object as written; keys other than `value` and `duration` are ignored.
#[derive(Deserialize)]
struct RawOutputFields {
    value: [i32; 2],
    #[serde(default)]
    duration: Option<[i32; 2]>,
}

/// An output object with its ranges checked.
#[derive(Deserialize)]
#[serde(try_from = "RawOutputFields")]
struct RawOutput {
    value: (i32, i32),
    duration: Option<(i32, i32)>,
}

impl TryFrom<RawOutputFields> for RawOutput {
    type Error = String;
    fn try_from(o: RawOutputFields) -> Result<RawOutput, String> {
        Ok(RawOutput {
            value: check_range("value", o.value)?,
            duration: o.duration.map(|d| check_range("duration", d)).transpose()?,
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInputFields {
    value: Vec<[i32; 2]>,
    command: Vec<InputCommandType>,
}

/// An input object with its ranges checked.
#[derive(Deserialize)]
#[serde(try_from = "RawInputFields")]
struct RawInput {
    value: Vec<(i32, i32)>,
    command: Vec<InputCommandType>,
}

impl TryFrom<RawInputFields> for RawInput {
    type Error = String;
    fn try_from(i: RawInputFields) -> Result<RawInput, String> {
        Ok(RawInput {
            value: i
                .value
                .into_iter()
                .map(|r| check_range("value", r))
                .collect::<Result<_, _>>()?,
            command: i.command,
        })
    }
}

#[derive(Deserialize)]
struct RawFeatureSettings {
    #[serde(default)]
    alt_protocol_index: Option<u32>,
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

    /// The configuration whose identifier list contains `identifier`.
    pub fn configuration(&self, identifier: &str) -> Option<&Template> {
        self.by_identifier
            .get(identifier)
            .and_then(|i| self.configurations.get(*i))
    }

    /// The definition with this id (defaults or a configuration). Ids are not unique even
    /// within a protocol (honeyplaybox Anello and Puff share one): among several, the one whose
    /// identifier list contains `identifier`, else the first.
    pub fn template_by_id(&self, id: Uuid, identifier: Option<&str>) -> Option<&Template> {
        pick_by_id(
            std::iter::once(&self.defaults).chain(&self.configurations),
            id,
            identifier,
        )
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

/// Among `templates`, those with this id; of several, the one listing `identifier`, else the
/// first.
pub(super) fn pick_by_id<'a>(
    templates: impl Iterator<Item = &'a Template>,
    id: Uuid,
    identifier: Option<&str>,
) -> Option<&'a Template> {
    let mut first = None;
    for t in templates.filter(|t| t.id == id) {
        if identifier.is_some_and(|i| t.identifiers.iter().any(|x| x == i)) {
            return Some(t);
        }
        first = first.or(Some(t));
    }
    first
}

/// A parsed base database.
pub(super) struct BaseFile {
    pub version: (u32, u32),
    /// Sorted by name.
    pub protocols: Vec<Protocol>,
}

/// Parses a base database (docs/PROTOCOL.md §6.2) read from `origin` (a path, or "device
/// config"): typed deserialization with conversion, then the version check. A file of another
/// major that does not parse is reported by its version.
pub(super) fn parse_base(text: &str, origin: &str) -> Result<BaseFile, ConfigError> {
    let Object::<RawBaseFile>(raw) =
        serde_json::from_str(text).map_err(|e| version::parse_failure(origin, text, &e))?;
    version::check_major(origin, raw.version)?;
    let protocols = raw
        .protocols
        .into_iter()
        .map(|(name, p)| {
            let communication = p.communication.into_iter().filter_map(|s| s.0).collect();
            let configurations = p.configurations.into_iter().map(|c| c.0).collect();
            Protocol::new(name, communication, p.defaults.0, configurations)
        })
        .collect();
    Ok(BaseFile {
        version: (raw.version.major, raw.version.minor),
        protocols,
    })
}

/// Converts a definition. `configuration` = true requires a non-empty identifier list.
pub(super) fn convert_template(d: RawDefinition, configuration: bool) -> Result<Template, String> {
    let what = if configuration {
        "configuration"
    } else {
        "defaults"
    };
    let fail = |e: &str| format!("{what} {:?}: {e}", d.name);
    let identifiers = d.identifier.clone().unwrap_or_default();
    if configuration && identifiers.is_empty() {
        return Err(fail("a configuration needs at least one identifier"));
    }
    if !configuration && !identifiers.is_empty() {
        return Err(fail("defaults cannot have identifiers"));
    }
    let features = match d.features {
        None => None,
        Some(raw) => {
            let mut features: Vec<FeatureDefinition> =
                raw.into_iter().map(convert_feature).collect();
            features.sort_by_key(|f| f.index);
            if let Some(w) = features.windows(2).find(|w| w[0].index == w[1].index) {
                return Err(format!(
                    "{what} {:?}: two features have index {}",
                    d.name, w[0].index
                ));
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
        return Err(format!(
            "{what} range [{}, {}] has its minimum above its maximum",
            r[0], r[1]
        ));
    }
    Ok((r[0], r[1]))
}

fn convert_feature(f: RawFeature) -> FeatureDefinition {
    let mut outputs = Vec::with_capacity(f.output.len());
    for (key, o) in f.output {
        let Some(output_type) = output_type_from_key(&key) else {
            tracing::warn!("feature {}: unknown output type {key:?} ignored", f.id);
            continue;
        };
        // A minimum above 0 (a warm-up temperature) is not a step clients can address: like the
        // reference, the range is [0, max] and a client step is the device step.
        let (lo, hi) = o.value;
        outputs.push(OutputDefinition {
            output_type,
            base_range: (lo.min(0), hi),
            user_range: None,
            duration_range: o.duration,
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
        inputs.push(InputDefinition {
            input_type,
            ranges: i.value,
            commands: i.command,
        });
    }
    inputs.sort_by_key(|i| i.input_type);
    FeatureDefinition {
        index: f.index,
        id: f.id,
        description: f.description.unwrap_or_default(),
        outputs,
        inputs,
        alt_protocol_index: f.feature_settings.and_then(|s| s.alt_protocol_index),
    }
}
