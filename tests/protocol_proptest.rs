//! Property tests: no input makes `split_frame` / `decode_client_message` (or the conversion and
//! encoding that follow them) panic, at any version, and every failure carries the message's Id
//! when it can be read (else 0).

use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Map, Value, json};
use teleplug::wire::json::{decode_client_message, encode_server_frame, split_frame};
use teleplug::wire::legacy::{LegacyAction, LegacyDeviceTracker, convert_legacy, legacy_reply};
use teleplug::wire::{AnyClientMessage, AnyServerMessage};
use teleplug::wire::{DeviceList, InputData, InputReading, InputType, ServerMessage, SpecVersion};

const EXAMPLES: &str = include_str!("data/protocol_examples/examples.txt");

/// Valid client frames of the golden examples, with the version they decode at.
fn corpus() -> Vec<String> {
    EXAMPLES
        .lines()
        .filter_map(|l| l.strip_prefix("client "))
        .filter_map(|l| l.split_once(' ').map(|(_, json)| json.trim()))
        .map(|json| {
            if json.starts_with('[') {
                json.to_owned()
            } else {
                format!("[{json}]")
            }
        })
        .collect()
}

/// The devices of the golden examples, as one list.
fn devices() -> DeviceList {
    let mut list = DeviceList::default();
    for line in EXAMPLES.lines().filter_map(|l| l.strip_prefix("device ")) {
        let (_, json) = line.split_once(' ').expect("device line");
        let entry: teleplug::wire::DeviceEntry = serde_json::from_str(json).expect("device");
        list.devices.insert(entry.device_index, entry);
    }
    list
}

/// The Id a message carries in a readable form: `{"Name":{"Id":n,...}}` with n a u32.
fn readable_id(value: &Value) -> u32 {
    value
        .as_object()
        .filter(|o| o.len() == 1)
        .and_then(|o| o.values().next())
        .and_then(|body| body.get("Id"))
        .and_then(Value::as_u64)
        .and_then(|id| u32::try_from(id).ok())
        .unwrap_or(0)
}

const VERSIONS: [Option<SpecVersion>; 6] = [
    None,
    Some(SpecVersion::V0),
    Some(SpecVersion::V1),
    Some(SpecVersion::V2),
    Some(SpecVersion::V3),
    Some(SpecVersion::V4),
];

/// Decode every message of a frame at every version and push each result through the rest of
/// the pipeline; check the Id invariant.
fn exercise(text: &str, devices: &DeviceList) -> Result<(), TestCaseError> {
    let Ok(messages) = split_frame(text) else {
        return Ok(());
    };
    for value in messages {
        let id = readable_id(&value);
        for version in VERSIONS {
            match decode_client_message(version, value.clone()) {
                Ok(incoming) => {
                    prop_assert_eq!(incoming.id(), id);
                    prop_assert_ne!(incoming.id(), 0);
                    if let (Some(v), AnyClientMessage::Legacy(msg)) = (version, &incoming) {
                        let reply = match convert_legacy(v, msg, devices) {
                            Ok(LegacyAction::Forward(fwd)) => {
                                prop_assert!(fwd.iter().all(|m| m.id() == id));
                                let replies = fwd
                                    .iter()
                                    .map(|m| match m {
                                        teleplug::wire::ClientMessage::InputCmd(c) => {
                                            ServerMessage::InputReading(InputReading {
                                                device_index: c.device_index,
                                                feature_index: c.feature_index,
                                                id: c.id,
                                                reading: InputData {
                                                    input_type: InputType::Battery,
                                                    value: 42,
                                                },
                                            })
                                        }
                                        other => ServerMessage::ok(other.id()),
                                    })
                                    .collect();
                                legacy_reply(v, msg, replies)
                            }
                            Ok(LegacyAction::Reply(r)) => r,
                            Err(e) => AnyServerMessage::V4(ServerMessage::error(id, &e)),
                        };
                        prop_assert_eq!(reply.id(), id);
                        prop_assert!(encode_server_frame(v, &reply).is_some());
                    }
                }
                Err(failure) => {
                    prop_assert_eq!(failure.id, id, "{:?} at {:?}", value, version);
                    let reply = AnyServerMessage::V4(failure.to_reply());
                    for v in SpecVersion::ALL {
                        prop_assert!(encode_server_frame(v, &reply).is_some());
                    }
                }
            }
        }
    }
    Ok(())
}

const NAMES: &[&str] = &[
    "RequestServerInfo",
    "Ping",
    "StartScanning",
    "StopScanning",
    "RequestDeviceList",
    "OutputCmd",
    "InputCmd",
    "StopCmd",
    "Disconnect",
    "StopDeviceCmd",
    "StopAllDevices",
    "SingleMotorVibrateCmd",
    "FleshlightLaunchFW12Cmd",
    "VorzeA10CycloneCmd",
    "KiirooCmd",
    "LovenseCmd",
    "Test",
    "RequestLog",
    "VibrateCmd",
    "RotateCmd",
    "LinearCmd",
    "BatteryLevelCmd",
    "RSSILevelCmd",
    "RawWriteCmd",
    "RawReadCmd",
    "RawSubscribeCmd",
    "RawUnsubscribeCmd",
    "ScalarCmd",
    "SensorReadCmd",
    "SensorSubscribeCmd",
    "SensorUnsubscribeCmd",
    "Id",
    "DeviceIndex",
    "FeatureIndex",
    "Command",
    "Value",
    "Duration",
    "Speeds",
    "Speed",
    "Index",
    "Scalars",
    "Scalar",
    "ActuatorType",
    "Vibrate",
    "Rotate",
    "Battery",
    "Read",
    "Clockwise",
    "Position",
    "Vectors",
    "Rotations",
    "SensorType",
    "SensorIndex",
    "TestString",
    "Error",
    "LogLevel",
    "ClientName",
    "MessageVersion",
    "ProtocolVersionMajor",
    "Inputs",
    "Outputs",
    "Type",
    "HwPositionWithDuration",
    "Inflate",
];

fn arb_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(NAMES).prop_map(str::to_owned),
        1 => "[A-Za-z]{0,6}",
    ]
}

fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (0u32..6).prop_map(|n| json!(n)),
        any::<u32>().prop_map(|n| json!(n)),
        any::<i64>().prop_map(|n| json!(n)),
        any::<u64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just(0.0),
            Just(0.5),
            Just(1.0),
            Just(-0.5),
            Just(1.5),
            Just(1e-7),
            Just(1e300)
        ]
        .prop_map(|f| json!(f)),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(|f| json!(f)),
        arb_key().prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((arb_key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

/// A structural change to one node of a JSON value.
#[derive(Clone, Debug)]
enum Mutation {
    Replace(Value),
    RemoveEntry(Index),
    Insert(String, Value),
    RenameKey(Index, String),
}

fn arb_mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        arb_json().prop_map(Mutation::Replace),
        any::<Index>().prop_map(Mutation::RemoveEntry),
        (arb_key(), arb_json()).prop_map(|(k, v)| Mutation::Insert(k, v)),
        (any::<Index>(), arb_key()).prop_map(|(i, k)| Mutation::RenameKey(i, k)),
    ]
}

fn count_nodes(v: &Value) -> usize {
    1 + match v {
        Value::Array(a) => a.iter().map(count_nodes).sum(),
        Value::Object(o) => o.values().map(count_nodes).sum(),
        _ => 0,
    }
}

/// Apply `m` to the `target`-th node in depth-first order; returns the remaining count.
fn apply(v: &mut Value, target: &mut usize, m: &Mutation) -> bool {
    if *target == 0 {
        match (m, &mut *v) {
            (Mutation::Replace(new), node) => *node = new.clone(),
            (Mutation::RemoveEntry(i), Value::Object(o)) if !o.is_empty() => {
                let key = o.keys().nth(i.index(o.len())).cloned().unwrap_or_default();
                o.remove(&key);
            }
            (Mutation::RemoveEntry(i), Value::Array(a)) if !a.is_empty() => {
                a.remove(i.index(a.len()));
            }
            (Mutation::Insert(k, new), Value::Object(o)) => {
                o.insert(k.clone(), new.clone());
            }
            (Mutation::Insert(_, new), Value::Array(a)) => a.push(new.clone()),
            (Mutation::RenameKey(i, k), Value::Object(o)) if !o.is_empty() => {
                let key = o.keys().nth(i.index(o.len())).cloned().unwrap_or_default();
                if let Some(x) = o.remove(&key) {
                    o.insert(k.clone(), x);
                }
            }
            (_, node) => *node = Value::Null,
        }
        return true;
    }
    *target -= 1;
    match v {
        Value::Array(a) => a.iter_mut().any(|x| apply(x, target, m)),
        Value::Object(o) => o.values_mut().any(|x| apply(x, target, m)),
        _ => false,
    }
}

/// Byte-level edits of a frame's text.
#[derive(Clone, Debug)]
enum Edit {
    Delete(Index, usize),
    Insert(Index, Vec<u8>),
    Replace(Index, u8),
    Truncate(Index),
}

fn arb_edit() -> impl Strategy<Value = Edit> {
    let token_bytes = prop_oneof![
        prop::collection::vec(any::<u8>(), 1..4),
        prop::sample::select(
            &[
                "[",
                "]",
                "{",
                "}",
                ",",
                ":",
                "\"",
                "0",
                "-1",
                "1.5",
                "4294967296",
                "null",
                "true",
                "\"Id\":0",
                "][",
                "\\u0000",
                "\u{1F600}",
            ][..]
        )
        .prop_map(|s| s.as_bytes().to_vec()),
    ];
    prop_oneof![
        (any::<Index>(), 1usize..8).prop_map(|(i, n)| Edit::Delete(i, n)),
        (any::<Index>(), token_bytes).prop_map(|(i, b)| Edit::Insert(i, b)),
        (any::<Index>(), any::<u8>()).prop_map(|(i, b)| Edit::Replace(i, b)),
        any::<Index>().prop_map(Edit::Truncate),
    ]
}

fn edit(text: &str, edits: &[Edit]) -> String {
    let mut bytes = text.as_bytes().to_vec();
    for e in edits {
        let len = bytes.len().max(1);
        match e {
            Edit::Delete(i, n) => {
                let at = i.index(len).min(bytes.len());
                let end = (at + n).min(bytes.len());
                bytes.drain(at..end);
            }
            Edit::Insert(i, b) => {
                let at = i.index(len + 1).min(bytes.len());
                bytes.splice(at..at, b.iter().copied());
            }
            Edit::Replace(i, b) => {
                if !bytes.is_empty() {
                    let at = i.index(bytes.len());
                    bytes[at] = *b;
                }
            }
            Edit::Truncate(i) => bytes.truncate(i.index(len)),
        }
    }
    String::from_utf8_lossy(&bytes).into_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..256)) {
        exercise(&String::from_utf8_lossy(&bytes), &devices())?;
    }

    #[test]
    fn random_json_messages_never_panic(
        values in prop::collection::vec(
            prop_oneof![
                3 => (prop::sample::select(NAMES), arb_json())
                    .prop_map(|(name, body)| json!({ name: body })),
                1 => arb_json(),
            ],
            1..4,
        )
    ) {
        let text = serde_json::to_string(&Value::Array(values)).expect("serialise");
        exercise(&text, &devices())?;
    }

    #[test]
    fn structurally_mutated_valid_frames_never_panic(
        pick in any::<Index>(),
        targets in prop::collection::vec((any::<Index>(), arb_mutation()), 1..4),
    ) {
        let frames = corpus();
        let text = &frames[pick.index(frames.len())];
        let mut value: Value = serde_json::from_str(text).expect("corpus frame");
        for (target, mutation) in &targets {
            let mut n = target.index(count_nodes(&value));
            apply(&mut value, &mut n, mutation);
        }
        let text = serde_json::to_string(&value).expect("serialise");
        exercise(&text, &devices())?;
    }

    #[test]
    fn byte_edited_valid_frames_never_panic(
        pick in any::<Index>(),
        edits in prop::collection::vec(arb_edit(), 1..5),
    ) {
        let frames = corpus();
        let text = edit(&frames[pick.index(frames.len())], &edits);
        exercise(&text, &devices())?;
    }

    #[test]
    fn tracker_never_panics(
        before in prop::collection::btree_set(0u32..8, 0..6),
        after in prop::collection::btree_set(0u32..8, 0..6),
        version in prop::sample::select(&SpecVersion::ALL[..]),
    ) {
        let all = devices();
        let template = all.devices.values().next().expect("a device").clone();
        let make = |set: &std::collections::BTreeSet<u32>| DeviceList {
            devices: set.iter().map(|&i| {
                let mut d = template.clone();
                d.device_index = i;
                (i, d)
            }).collect(),
            id: 0,
        };
        let mut tracker = LegacyDeviceTracker::new(&make(&before));
        let out = tracker.update(version, &make(&after));
        let changes = before.symmetric_difference(&after).count();
        if version == SpecVersion::V4 {
            prop_assert_eq!(out.len(), usize::from(changes > 0));
        } else {
            prop_assert_eq!(out.len(), changes);
        }
        for o in &out {
            prop_assert_eq!(o.id(), 0);
            prop_assert!(encode_server_frame(version, o).is_some());
        }
    }
}

#[test]
fn the_corpus_is_valid() {
    let frames = corpus();
    assert!(frames.len() > 40);
    for f in &frames {
        assert!(split_frame(f).is_ok(), "{f}");
    }
}
