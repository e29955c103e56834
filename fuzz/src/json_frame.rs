//! `json_frame`: a client's WebSocket text frame decoded the way a server connection does it, in
//! every connection state (before the handshake, then at spec v0–v4): `split_frame`, then
//! `decode_client_message` per message, and at v4 the fast path `decode_v4_frame` first.
//!
//! Checked besides "no panic":
//! - where the fast path accepts a frame, the general decoder decodes every message of it to the
//!   same v4 messages (differential check; the connection trusts the fast path's result);
//! - a decoded message never has Id 0, and before the handshake only RequestServerInfo decodes;
//! - decoded v4 messages survive encode → decode (the client core's encoder against the server's
//!   decoder), and the fast path takes our own encoding or leaves it to the general path;
//! - every reply has a wire form at the connection's version: the Error replies of decode
//!   failures, and the legacy replies built by `legacy_reply` for converted legacy commands;
//! - legacy commands convert (`convert_legacy`) against a device list with one of every feature
//!   kind, and forwarded v4 messages name the legacy message's Id;
//! - the client side too: the same text as a frame from a remote v4 server
//!   (`decode_server_frame`, used by `net::ws_client`), whose messages survive the server
//!   encoder → client decoder.

use std::sync::LazyLock;

use teleplug::wire::json::fast::decode_v4_frame;
use teleplug::wire::json::{
    decode_client_message, decode_server_frame, encode_client_frame, encode_server_frame,
    split_frame,
};
use teleplug::wire::legacy::{LegacyAction, LegacyClientMessage, convert_legacy, legacy_reply};
use teleplug::wire::{AnyClientMessage, AnyServerMessage};
use teleplug::wire::{
    ButtplugError, ClientMessage, DeviceList, InputCommandType, InputData, InputReading,
    ServerMessage, SpecVersion,
};

/// The devices legacy commands are converted against (as tests/protocol_legacy.rs): index 4 has
/// one of every output and input kind, index 1 two vibrators, index 2 a position servo and a
/// subscribe-only battery. Other indexes are unknown devices.
const DEVICES_JSON: &str = r#"{"Id": 0, "Devices": {
  "4": {"DeviceIndex": 4, "DeviceName": "Multi", "DeviceMessageTimingGap": 75, "DeviceFeatures": {
    "0": {"FeatureDescription": "Main", "FeatureIndex": 0,
          "Output": {"Vibrate": {"Value": [0, 20]}, "Rotate": {"Value": [0, 10]}}},
    "1": {"FeatureIndex": 1, "Output": {"Oscillate": {"Value": [0, 100]}}},
    "2": {"FeatureIndex": 2, "Output": {"Constrict": {"Value": [0, 3]}}},
    "3": {"FeatureIndex": 3, "Output": {"Rotate": {"Value": [-255, 255]}}},
    "4": {"FeatureIndex": 4, "Output": {
          "HwPositionWithDuration": {"Duration": [0, 100000], "Value": [0, 1000]},
          "Position": {"Value": [0, 1000]}}},
    "5": {"FeatureDescription": "Battery Level", "FeatureIndex": 5,
          "Input": {"Battery": {"Command": ["Read"], "Value": [[0, 100]]}}},
    "6": {"FeatureIndex": 6, "Output": {"Vibrate": {"Value": [0, 127]}}},
    "7": {"FeatureIndex": 7, "Input": {"Pressure": {"Command": ["Subscribe"], "Value": [[0, 2000]]}}},
    "8": {"FeatureIndex": 8, "Output": {"Temperature": {"Value": [-10, 10]}, "Led": {"Value": [0, 1]},
          "Spray": {"Value": [0, 5]}}},
    "9": {"FeatureIndex": 9, "Input": {"Rssi": {"Command": ["Read"], "Value": [[-128, 0]]},
          "Button": {"Command": ["Subscribe"], "Value": [[0, 1]]}}}
  }},
  "1": {"DeviceIndex": 1, "DeviceName": "Aneros Vivi", "DeviceFeatures": {
    "0": {"FeatureIndex": 0, "Output": {"Vibrate": {"Value": [0, 127]}}},
    "1": {"FeatureIndex": 1, "Output": {"Vibrate": {"Value": [0, 127]}}}
  }},
  "2": {"DeviceIndex": 2, "DeviceName": "Plain", "DeviceFeatures": {
    "0": {"FeatureIndex": 0, "Output": {"Position": {"Value": [0, 100]}}},
    "1": {"FeatureIndex": 1, "Input": {"Battery": {"Command": ["Subscribe"], "Value": [[0, 100]]}}}
  }}
}}"#;

static DEVICES: LazyLock<DeviceList> =
    LazyLock::new(|| serde_json::from_str(DEVICES_JSON).expect("the harness's device list"));

/// Decode `data` as a text frame in every connection state.
pub fn run(data: &[u8]) {
    // Text frames are UTF-8: the WebSocket layer closes the connection on anything else.
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    frame(None, text);
    for version in SpecVersion::ALL {
        frame(Some(version), text);
    }
    from_server(text);
}

/// `text` as a frame a remote server sent our client.
fn from_server(text: &str) {
    let Ok(messages) = decode_server_frame(text) else {
        return;
    };
    for m in messages {
        let encoded = encode_server_frame(SpecVersion::V4, &AnyServerMessage::V4(m.clone()))
            .expect("every v4 server message has a v4 form");
        let again = decode_server_frame(&encoded).expect("our client decodes our encoding");
        assert_eq!(again, vec![m], "{encoded}");
    }
}

/// One frame for a connection at `version` (`None`: before the handshake).
fn frame(version: Option<SpecVersion>, text: &str) {
    // Before the handshake replies go out in the v4 layout, as the connection does.
    let wire = version.unwrap_or(SpecVersion::V4);
    let fast = match version {
        Some(SpecVersion::V4) => decode_v4_frame(text),
        _ => None,
    };
    let values = match split_frame(text) {
        Ok(values) => values,
        Err(e) => {
            assert!(
                fast.is_none(),
                "fast path accepted an unusable frame: {fast:?}"
            );
            error_reply(wire, 0, &e);
            return;
        }
    };
    // The frame's messages if every one decodes to a v4 message.
    let mut all_v4 = Some(Vec::with_capacity(values.len()));
    for value in values {
        match decode_client_message(version, value) {
            Ok(AnyClientMessage::V4(m)) => {
                assert_ne!(m.id(), 0, "a decoded message with Id 0: {m:?}");
                if version.is_none() {
                    assert!(
                        matches!(m, ClientMessage::RequestServerInfo(_)),
                        "decoded before the handshake: {m:?}"
                    );
                }
                round_trip(&m);
                if let Some(v) = all_v4.as_mut() {
                    v.push(m);
                }
            }
            Ok(AnyClientMessage::Legacy(m)) => {
                all_v4 = None;
                assert_ne!(m.id(), 0, "a decoded legacy message with Id 0: {m:?}");
                let Some(version) = version else {
                    panic!("legacy message decoded before the handshake: {m:?}");
                };
                legacy(version, &m);
            }
            Err(failure) => {
                all_v4 = None;
                error_reply(wire, failure.id, &failure.error);
            }
        }
    }
    if let Some(fast) = fast {
        assert_eq!(
            Some(&fast),
            all_v4.as_ref(),
            "the fast path and the general decoder disagree on {text:?}"
        );
    }
}

/// The client core's encoding of a v4 message decodes to the same message, on both paths.
fn round_trip(m: &ClientMessage) {
    let encoded = encode_client_frame(std::slice::from_ref(m));
    let again: Vec<ClientMessage> = split_frame(&encoded)
        .expect("our own frame splits")
        .into_iter()
        .map(|v| match decode_client_message(Some(SpecVersion::V4), v) {
            Ok(AnyClientMessage::V4(m)) => m,
            other => panic!("our own frame {encoded} decodes to {other:?}"),
        })
        .collect();
    assert_eq!(again.as_slice(), std::slice::from_ref(m), "{encoded}");
    if let Some(fast) = decode_v4_frame(&encoded) {
        assert_eq!(fast, again, "{encoded}");
    }
}

/// The Error reply for a failure must have a wire form at every version; at v4 our own client
/// decodes it back.
fn error_reply(version: SpecVersion, id: u32, error: &ButtplugError) {
    let reply = ServerMessage::error(id, error);
    server_frame(version, &AnyServerMessage::V4(reply));
}

/// Encode a reply as the connection does; it must have a form at `version`.
fn server_frame(version: SpecVersion, reply: &AnyServerMessage) {
    let Some(text) = encode_server_frame(version, reply) else {
        panic!("reply {reply:?} has no form at {version}");
    };
    if version == SpecVersion::V4
        && let AnyServerMessage::V4(m) = reply
    {
        let decoded = decode_server_frame(&text).expect("our client decodes our reply");
        assert_eq!(decoded.as_slice(), std::slice::from_ref(m), "{text}");
    }
}

/// Convert a legacy command as the connection does, and build its reply from made-up v4
/// replies: all successful, then with the first one failing.
fn legacy(version: SpecVersion, m: &LegacyClientMessage) {
    let id = m.id();
    match convert_legacy(version, m, &DEVICES) {
        Err(e) => error_reply(version, id, &e),
        Ok(LegacyAction::Reply(out)) => server_frame(version, &out),
        Ok(LegacyAction::Forward(msgs)) => {
            assert!(!msgs.is_empty(), "{m:?} forwards nothing");
            let mut replies: Vec<ServerMessage> = msgs.iter().map(success).collect();
            for fwd in &msgs {
                assert_eq!(fwd.id(), id, "forwarded {fwd:?} for {m:?}");
            }
            server_frame(version, &legacy_reply(version, m, replies.clone()));
            replies[0] = ServerMessage::error(id, &ButtplugError::parse("device failed"));
            server_frame(version, &legacy_reply(version, m, replies));
        }
    }
}

/// What a device would answer to a forwarded v4 message when all goes well.
fn success(m: &ClientMessage) -> ServerMessage {
    match m {
        ClientMessage::InputCmd(c) if c.command == InputCommandType::Read => {
            ServerMessage::InputReading(InputReading {
                device_index: c.device_index,
                feature_index: c.feature_index,
                id: c.id,
                reading: InputData {
                    input_type: c.input_type,
                    value: 42,
                },
            })
        }
        other => ServerMessage::ok(other.id()),
    }
}
