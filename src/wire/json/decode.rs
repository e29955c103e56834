//! Decoding: client messages for a connection at a given spec version (docs/PROTOCOL.md §1.3, §4.1),
//! and whole server frames for our own v4 client.

use std::ops::RangeInclusive;

use serde::de::{DeserializeOwned, IntoDeserializer};
use serde_json::{Map, Value};

use crate::wire::SpecVersion;
use crate::wire::errors::{ButtplugError, HandshakeError};
use crate::wire::legacy::{LegacyClientMessage, legacy_client_message_versions};
use crate::wire::v4::{ClientMessage, InputType, OutputType, ServerMessage};

use super::{DecodeFailure, json_kind, split_frame};
use crate::wire::legacy::AnyClientMessage;

/// Messages every version shares; they decode to their v4 form.
const COMMON: [&str; 5] = [
    "RequestServerInfo",
    "Ping",
    "StartScanning",
    "StopScanning",
    "RequestDeviceList",
];
/// Messages that exist only in v4.
const V4_ONLY: [&str; 4] = ["OutputCmd", "InputCmd", "StopCmd", "Disconnect"];

/// Decode one message for a connection at `version` (`None` before the handshake).
///
/// Before the handshake only RequestServerInfo (in any version's form) decodes; any other
/// message fails with `RequestServerInfoExpected` (code 1) and its Id. A RequestServerInfo that
/// is malformed fails with code 3 like every other malformed message: a message of another
/// version's set, an unknown name, wrong field types, unknown fields, an array where an object
/// belongs, a non-object or an object with ≠ 1 key, or Id 0. The failure carries the message's
/// Id when it can be read, else 0.
pub fn decode_client_message(
    version: Option<SpecVersion>,
    value: Value,
) -> Result<AnyClientMessage, DecodeFailure> {
    let (name, body) = match split_message(value) {
        Ok(parts) => parts,
        Err((id, text)) => {
            let error = match version {
                None => HandshakeError::RequestServerInfoExpected.into(),
                Some(_) => ButtplugError::parse(text),
            };
            return Err(DecodeFailure { id, error });
        }
    };
    let id = read_id(&body);
    let fail = |text: String| DecodeFailure {
        id,
        error: ButtplugError::parse(text),
    };

    let Some(version) = version else {
        if name != "RequestServerInfo" {
            return Err(DecodeFailure {
                id,
                error: HandshakeError::RequestServerInfoExpected.into(),
            });
        }
        check_shape(&body, &name).map_err(fail)?;
        let msg = body_as(&name, body).map_err(fail)?;
        return checked(AnyClientMessage::V4(ClientMessage::RequestServerInfo(msg)));
    };

    match family(&name) {
        None => return Err(fail(format!("unknown message type {name:?}"))),
        Some(Family::V4Only) if version != SpecVersion::V4 => {
            return Err(fail(format!(
                "{name} is not a spec {version} message (it exists only in spec v4)"
            )));
        }
        Some(Family::Legacy(range)) if !range.contains(&version.major()) => {
            return Err(fail(format!(
                "{name} is not a spec {version} message (it exists in spec v{}–v{})",
                range.start(),
                range.end()
            )));
        }
        Some(_) => {}
    }
    check_shape(&body, &name).map_err(fail)?;

    let n = name.as_str();
    let incoming = match n {
        "RequestServerInfo" => AnyClientMessage::V4(ClientMessage::RequestServerInfo(
            body_as(n, body).map_err(fail)?,
        )),
        "Ping" => AnyClientMessage::V4(ClientMessage::Ping(body_as(n, body).map_err(fail)?)),
        "StartScanning" => AnyClientMessage::V4(ClientMessage::StartScanning(
            body_as(n, body).map_err(fail)?,
        )),
        "StopScanning" => {
            AnyClientMessage::V4(ClientMessage::StopScanning(body_as(n, body).map_err(fail)?))
        }
        "RequestDeviceList" => AnyClientMessage::V4(ClientMessage::RequestDeviceList(
            body_as(n, body).map_err(fail)?,
        )),
        "OutputCmd" => {
            AnyClientMessage::V4(ClientMessage::OutputCmd(body_as(n, body).map_err(fail)?))
        }
        "InputCmd" => {
            AnyClientMessage::V4(ClientMessage::InputCmd(body_as(n, body).map_err(fail)?))
        }
        "StopCmd" => AnyClientMessage::V4(ClientMessage::StopCmd(body_as(n, body).map_err(fail)?)),
        "Disconnect" => {
            AnyClientMessage::V4(ClientMessage::Disconnect(body_as(n, body).map_err(fail)?))
        }
        _ => {
            // Legacy messages: serde's externally tagged form picks the variant by name.
            let mut single = Map::with_capacity(1);
            single.insert(name, body);
            let msg: LegacyClientMessage =
                serde_json::from_value(Value::Object(single)).map_err(|e| fail(e.to_string()))?;
            AnyClientMessage::Legacy(msg)
        }
    };
    checked(incoming)
}

/// Which message set a client message name belongs to.
enum Family {
    /// In every version; decodes to the v4 form.
    Common,
    /// Only in v4.
    V4Only,
    /// Only in these legacy versions.
    Legacy(RangeInclusive<u32>),
}

fn family(name: &str) -> Option<Family> {
    if COMMON.contains(&name) {
        Some(Family::Common)
    } else if V4_ONLY.contains(&name) {
        Some(Family::V4Only)
    } else {
        legacy_client_message_versions(name).map(Family::Legacy)
    }
}

/// Whether `name` is a client message of `version` (common, v4-only or legacy).
pub fn is_client_message(version: SpecVersion, name: &str) -> bool {
    match family(name) {
        Some(Family::Common) => true,
        Some(Family::V4Only) => version == SpecVersion::V4,
        Some(Family::Legacy(range)) => range.contains(&version.major()),
        None => false,
    }
}

/// Decode a frame from a v4 server. Output and input types this version does not know are
/// dropped from device lists (a client must ignore them, docs/PROTOCOL.md §2.4); any other message
/// that does not decode fails the frame.
pub fn decode_server_frame(text: &str) -> Result<Vec<ServerMessage>, ButtplugError> {
    split_frame(text)?
        .into_iter()
        .map(|mut value| {
            drop_unknown_feature_types(&mut value);
            serde_json::from_value(value)
                .map_err(|e| ButtplugError::parse(format!("server message: {e}")))
        })
        .collect()
}

/// Split `{"Name": body}` into its parts; on failure the readable Id (or 0) and a text.
fn split_message(value: Value) -> Result<(String, Value), (u32, String)> {
    let map = match value {
        Value::Object(map) => map,
        other => {
            return Err((
                0,
                format!(
                    "a message must be a JSON object with exactly one key (the message type), \
                     found {}",
                    json_kind(&other)
                ),
            ));
        }
    };
    if map.len() != 1 {
        return Err((
            0,
            format!(
                "a message object must have exactly one key (the message type), found {}",
                map.len()
            ),
        ));
    }
    match map.into_iter().next() {
        Some(parts) => Ok(parts),
        None => Err((0, "empty message object".to_owned())),
    }
}

/// Fields whose value is an array in some client message; everywhere else the schema wants
/// objects or scalars.
const ARRAY_FIELDS: [&str; 5] = ["Speeds", "Rotations", "Vectors", "Scalars", "Data"];

/// Reject arrays where the schema has an object. serde would otherwise accept a struct written
/// as an array of its field values (`{"Ping":[5]}`), which no client sends and the reference's
/// schema refuses.
fn check_shape(value: &Value, key: &str) -> Result<(), String> {
    match value {
        Value::Object(map) => map.iter().try_for_each(|(k, v)| check_shape(v, k)),
        Value::Array(items) if ARRAY_FIELDS.contains(&key) => {
            items.iter().try_for_each(|item| match item {
                Value::Array(_) => Err(format!("{key}: entries must not be arrays")),
                other => check_shape(other, key),
            })
        }
        Value::Array(_) => Err(format!(
            "{key}: expected an object or a value, found an array"
        )),
        _ => Ok(()),
    }
}

/// The `Id` of a message body, when it is a valid u32 (0 otherwise).
fn read_id(body: &Value) -> u32 {
    body.get("Id")
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .unwrap_or(0)
}

fn body_as<T: DeserializeOwned>(name: &str, body: Value) -> Result<T, String> {
    serde_json::from_value(body).map_err(|e| format!("{name}: {e}"))
}

/// Client messages must not use Id 0 (reserved for server events).
fn checked(msg: AnyClientMessage) -> Result<AnyClientMessage, DecodeFailure> {
    if msg.id() == 0 {
        return Err(DecodeFailure {
            id: 0,
            error: ButtplugError::parse(format!(
                "{}: Id 0 is reserved for server events; client messages use Ids 1–4294967295",
                msg.name()
            )),
        });
    }
    Ok(msg)
}

/// Remove Output/Input keys this implementation does not know from a DeviceList message.
fn drop_unknown_feature_types(message: &mut Value) {
    let Some(devices) = message
        .get_mut("DeviceList")
        .and_then(|list| list.get_mut("Devices"))
        .and_then(Value::as_object_mut)
    else {
        return;
    };
    for device in devices.values_mut() {
        let Some(features) = device
            .get_mut("DeviceFeatures")
            .and_then(Value::as_object_mut)
        else {
            continue;
        };
        for feature in features.values_mut() {
            if let Some(outputs) = feature.get_mut("Output").and_then(Value::as_object_mut) {
                outputs.retain(|key, _| is_known::<OutputType>(key));
            }
            if let Some(inputs) = feature.get_mut("Input").and_then(Value::as_object_mut) {
                inputs.retain(|key, _| is_known::<InputType>(key));
            }
        }
    }
}

fn is_known<T: DeserializeOwned>(key: &str) -> bool {
    T::deserialize(IntoDeserializer::<serde::de::value::Error>::into_deserializer(key)).is_ok()
}
