//! Encoding: server messages as one-message frames in the layout of the connection's spec
//! version (docs/PROTOCOL.md §2.4, §4.3), and client frames for our own v4 client. Every type
//! declares its fields in sorted order, so the output has sorted keys at every level without a
//! detour through `serde_json::Value`.

use serde::Serialize;

use crate::wire::SpecVersion;
use crate::wire::legacy::{LegacyServerInfo, LegacyServerMessage, describe_device_list};
use crate::wire::v4::{ClientMessage, ServerMessage};

use crate::wire::legacy::AnyServerMessage;

/// Encode one server message as a frame for a connection at `version`; `None` when the message
/// has no form in that version.
///
/// For v0–v3, a v4 ServerInfo becomes the version's layout (`MessageVersion` = the connection's
/// version) and a v4 DeviceList reply the version's device list. A DeviceList *event* (Id 0)
/// and InputReading have no legacy form (legacy connections get DeviceAdded/DeviceRemoved from
/// [`crate::wire::legacy::LegacyDeviceTracker`], sensor replies from
/// [`crate::wire::legacy::legacy_reply`]). Legacy messages are encoded only at a version
/// whose layout they carry.
pub fn encode_server_frame(version: SpecVersion, msg: &AnyServerMessage) -> Option<String> {
    match msg {
        AnyServerMessage::V4(m) if version == SpecVersion::V4 => frame(m),
        AnyServerMessage::V4(m) => match m {
            ServerMessage::ServerInfo(info) => {
                frame(&LegacyServerMessage::ServerInfo(LegacyServerInfo::new(
                    version,
                    info.id,
                    info.server_name.as_str(),
                    info.max_ping_time,
                )))
            }
            ServerMessage::DeviceList(list) if list.id != 0 => frame(
                &LegacyServerMessage::DeviceList(describe_device_list(version, list)?),
            ),
            ServerMessage::DeviceList(_) | ServerMessage::InputReading(_) => None,
            ServerMessage::Ok(_) | ServerMessage::Error(_) | ServerMessage::ScanningFinished(_) => {
                frame(m)
            }
        },
        AnyServerMessage::Legacy(m) if m.fits(version) => frame(m),
        AnyServerMessage::Legacy(_) => None,
    }
}

/// Encode client messages as one frame (v4).
pub fn encode_client_frame(msgs: &[ClientMessage]) -> String {
    serde_json::to_string(msgs).unwrap_or_else(|_| "[]".to_owned())
}

fn frame<T: Serialize>(msg: &T) -> Option<String> {
    serde_json::to_string(&[msg]).ok()
}
