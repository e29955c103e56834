//! Golden tests: every JSON example of docs/PROTOCOL.md (copied into
//! tests/data/protocol_examples/examples.txt) decodes, converts and encodes to exactly the
//! documented JSON, at the spec version the example belongs to.

use std::collections::BTreeMap;

use serde_json::Value;
use teleplug::wire::json::{
    decode_client_message, decode_server_frame, encode_server_frame, split_frame,
};
use teleplug::wire::legacy::{
    LegacyAction, LegacyDeviceTracker, LegacyServerMessage, Log, LogLevel, convert_legacy,
    describe_device, legacy_reply,
};
use teleplug::wire::{AnyClientMessage, AnyServerMessage};
use teleplug::wire::{
    ButtplugError, ClientMessage, DeviceEntry, DeviceList, InputCmd, InputCommandType, InputData,
    InputReading, InputType, ServerInfo, ServerMessage, SpecVersion,
};

const EXAMPLES: &str = include_str!("data/protocol_examples/examples.txt");

/// One example line: kind, header arguments, and the JSON text.
struct Example<'a> {
    line: usize,
    kind: &'a str,
    args: Vec<&'a str>,
    json: &'a str,
}

fn header_len(kind: &str) -> usize {
    match kind {
        "device" | "error" | "client" | "server" => 1,
        "server-from" | "devmsgs" => 2,
        "client-invalid" => 3,
        other => panic!("unknown example kind {other:?}"),
    }
}

fn examples() -> Vec<Example<'static>> {
    let mut out = Vec::new();
    for (i, raw) in EXAMPLES.lines().enumerate() {
        let text = raw.trim();
        if text.is_empty() || text.starts_with('#') {
            continue;
        }
        let (kind, mut rest) = text.split_once(' ').expect("kind and arguments");
        let mut args = Vec::new();
        for _ in 0..header_len(kind) {
            let (arg, tail) = rest.split_once(' ').expect("argument");
            args.push(arg);
            rest = tail;
        }
        out.push(Example {
            line: i + 1,
            kind,
            args,
            json: rest.trim(),
        });
    }
    out
}

fn of_kind(kind: &str) -> Vec<Example<'static>> {
    examples().into_iter().filter(|e| e.kind == kind).collect()
}

/// `pre` → before the handshake; `vN` → that version.
fn version(arg: &str) -> Option<SpecVersion> {
    if arg == "pre" {
        return None;
    }
    let major: u32 = arg.trim_start_matches('v').parse().expect("version");
    Some(SpecVersion::from_major(major).expect("known version"))
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("bad JSON {text}: {e}"))
}

/// The messages of an example frame; a bare object (as in §4.2's table) is one message.
fn frame_messages(text: &str) -> Vec<Value> {
    match parse(text) {
        Value::Array(items) => items,
        single => vec![single],
    }
}

/// The JSON with keys sorted at every level (serde_json's map is a BTreeMap).
fn canonical(text: &str) -> String {
    serde_json::to_string(&parse(text)).expect("serialise")
}

fn devices() -> BTreeMap<&'static str, DeviceEntry> {
    of_kind("device")
        .into_iter()
        .map(|e| {
            let entry: DeviceEntry = serde_json::from_str(e.json)
                .unwrap_or_else(|err| panic!("line {}: device: {err}", e.line));
            (e.args[0], entry)
        })
        .collect()
}

fn list_of(id: u32, names: &[&str]) -> DeviceList {
    let all = devices();
    DeviceList {
        devices: names
            .iter()
            .map(|n| {
                let entry = all
                    .get(n)
                    .unwrap_or_else(|| panic!("no device {n}"))
                    .clone();
                (entry.device_index, entry)
            })
            .collect(),
        id,
    }
}

/// Run a legacy sensor request through the whole pipeline: decode at `version`, convert
/// against `devices` (must forward one battery read of `feature`), reply with `percent`.
fn legacy_sensor_exchange(
    version: SpecVersion,
    request: &str,
    devices: &DeviceList,
    feature: u32,
    percent: i32,
) -> AnyServerMessage {
    let msg = match decode_client_message(Some(version), parse(request)) {
        Ok(AnyClientMessage::Legacy(m)) => m,
        other => panic!("{request} did not decode as legacy: {other:?}"),
    };
    let forwarded = match convert_legacy(version, &msg, devices) {
        Ok(LegacyAction::Forward(f)) => f,
        other => panic!("{request}: expected Forward, got {other:?}"),
    };
    let device_index = msg.device_index().expect("device message");
    assert_eq!(
        forwarded,
        vec![ClientMessage::InputCmd(InputCmd {
            command: InputCommandType::Read,
            device_index,
            feature_index: feature,
            id: msg.id(),
            input_type: InputType::Battery,
        })]
    );
    let reading = ServerMessage::InputReading(InputReading {
        device_index,
        feature_index: feature,
        id: msg.id(),
        reading: InputData {
            input_type: InputType::Battery,
            value: percent,
        },
    });
    legacy_reply(version, &msg, vec![reading])
}

/// The server output an example names.
fn source(name: &str, version: SpecVersion) -> AnyServerMessage {
    if let Some(rest) = name.strip_prefix("device-list:") {
        let (id, names) = rest.split_once(':').expect("device-list:<id>:<names>");
        let names: Vec<&str> = names.split(',').collect();
        return AnyServerMessage::V4(ServerMessage::DeviceList(list_of(
            id.parse().expect("id"),
            &names,
        )));
    }
    if let Some(device) = name.strip_prefix("device-added:") {
        let mut tracker = LegacyDeviceTracker::new(&DeviceList::default());
        let mut out = tracker.update(version, &list_of(0, &[device]));
        assert_eq!(out.len(), 1, "{name}: one event");
        return out.remove(0);
    }
    if let Some(device) = name.strip_prefix("device-removed:") {
        let mut tracker = LegacyDeviceTracker::new(&list_of(0, &[device]));
        let mut out = tracker.update(version, &DeviceList::default());
        assert_eq!(out.len(), 1, "{name}: one event");
        return out.remove(0);
    }
    match name {
        "serverinfo" => AnyServerMessage::V4(ServerMessage::ServerInfo(ServerInfo {
            id: 1,
            max_ping_time: 0,
            protocol_version_major: 4,
            protocol_version_minor: 0,
            server_name: "Buttplug Server".into(),
        })),
        "log" => AnyServerMessage::Legacy(LegacyServerMessage::Log(Log {
            id: 0,
            log_level: LogLevel::Trace,
            log_message: "…".into(),
        })),
        "battery-reading-1" => legacy_sensor_exchange(
            version,
            r#"{"BatteryLevelCmd":{"Id":1,"DeviceIndex":0}}"#,
            &list_of(0, &["kgoal"]),
            2,
            50,
        ),
        "battery-reading-13" => legacy_sensor_exchange(
            version,
            r#"{"BatteryLevelCmd":{"Id":13,"DeviceIndex":1}}"#,
            &list_of(0, &["hush"]),
            1,
            87,
        ),
        "sensor-reading-22" => legacy_sensor_exchange(
            version,
            r#"{"SensorReadCmd":{"Id":22,"DeviceIndex":0,"SensorIndex":5,"SensorType":"Battery"}}"#,
            &list_of(0, &["kgoal", "serveu"]),
            2,
            87,
        ),
        other => panic!("unknown source {other}"),
    }
}

#[test]
fn example_file_is_well_formed_and_covers_every_kind() {
    let all = examples();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &all {
        parse(e.json);
        *counts.entry(e.kind).or_default() += 1;
    }
    // Guards against an edit that silently drops a whole group of examples.
    assert!(counts["client"] >= 40, "{counts:?}");
    assert!(counts["server"] >= 15, "{counts:?}");
    assert!(counts["server-from"] >= 20, "{counts:?}");
    assert!(counts["client-invalid"] >= 10, "{counts:?}");
    assert_eq!(counts["error"], 17, "{counts:?}");
    assert_eq!(counts["devmsgs"], 7, "{counts:?}");
    assert_eq!(counts["device"], 6, "{counts:?}");
}

#[test]
fn error_catalogue_strings_parse_and_reserialise() {
    for e in of_kind("error") {
        let code: u8 = e.args[0].parse().expect("code");
        let err = ButtplugError::from_wire_message(e.json)
            .unwrap_or_else(|| panic!("line {}: not a catalogue error", e.line));
        assert_eq!(err.code() as u8, code, "line {}", e.line);
        assert_eq!(err.wire_message(), e.json, "line {}", e.line);
    }
}

#[test]
fn client_examples_decode_and_reencode_to_the_same_json() {
    for e in of_kind("client") {
        let v = version(e.args[0]);
        let text = if e.json.starts_with('[') {
            e.json.to_owned()
        } else {
            format!("[{}]", e.json)
        };
        let messages = split_frame(&text).unwrap_or_else(|err| panic!("line {}: {err}", e.line));
        assert_eq!(messages, frame_messages(e.json), "line {}", e.line);
        for value in messages {
            let decoded = decode_client_message(v, value.clone())
                .unwrap_or_else(|f| panic!("line {}: {f:?}", e.line));
            let reencoded = match &decoded {
                AnyClientMessage::V4(m) => serde_json::to_value(m),
                AnyClientMessage::Legacy(m) => serde_json::to_value(m),
            }
            .expect("serialise");
            assert_eq!(reencoded, value, "line {}", e.line);
            // The Id survives decoding.
            let id = value
                .as_object()
                .and_then(|o| o.values().next())
                .and_then(|b| b.get("Id"))
                .and_then(Value::as_u64);
            assert_eq!(Some(u64::from(decoded.id())), id, "line {}", e.line);
        }
    }
}

#[test]
fn invalid_client_examples_fail_with_the_documented_code_and_id() {
    for e in of_kind("client-invalid") {
        let v = version(e.args[0]);
        let code: u8 = e.args[1].parse().expect("code");
        let id: u32 = e.args[2].parse().expect("id");
        for value in frame_messages(e.json) {
            let failure = decode_client_message(v, value)
                .expect_err(&format!("line {} decoded but must fail", e.line));
            assert_eq!(
                failure.error.code() as u8,
                code,
                "line {}: {failure:?}",
                e.line
            );
            assert_eq!(failure.id, id, "line {}", e.line);
            // The failure becomes an Error frame in every version.
            let reply = AnyServerMessage::V4(failure.to_reply());
            for version in SpecVersion::ALL {
                let frame = encode_server_frame(version, &reply).expect("Error exists everywhere");
                assert!(frame.starts_with(r#"[{"Error":{"ErrorCode":"#), "{frame}");
            }
        }
    }
}

#[test]
fn server_examples_encode_byte_for_byte() {
    for e in of_kind("server") {
        let v = version(e.args[0]).expect("server examples have a version");
        let mut messages =
            decode_server_frame(e.json).unwrap_or_else(|err| panic!("line {}: {err}", e.line));
        assert_eq!(messages.len(), 1, "line {}", e.line);
        let out = encode_server_frame(v, &AnyServerMessage::V4(messages.remove(0)))
            .unwrap_or_else(|| panic!("line {}: no form at {v}", e.line));
        assert_eq!(out, e.json, "line {}", e.line);
    }
}

#[test]
fn server_outputs_match_the_documented_layouts() {
    for e in of_kind("server-from") {
        let v = version(e.args[0]).expect("version");
        let out = encode_server_frame(v, &source(e.args[1], v))
            .unwrap_or_else(|| panic!("line {}: no form at {v}", e.line));
        let expected = if e.json.starts_with('[') {
            e.json.to_owned()
        } else {
            format!("[{}]", e.json)
        };
        assert_eq!(parse(&out), parse(&expected), "line {}: {out}", e.line);
        // Our output is always sorted; where the document's is too, they are byte-identical.
        assert_eq!(canonical(&out), out, "line {}: keys not sorted", e.line);
        if canonical(&expected) == expected {
            assert_eq!(out, expected, "line {}", e.line);
        }
    }
}

#[test]
fn device_message_fragments_match_each_version() {
    let all = devices();
    for e in of_kind("devmsgs") {
        let v = version(e.args[0]).expect("version");
        let entry = &all[e.args[1]];
        let described = describe_device(v, entry).expect("legacy version");
        let value = serde_json::to_value(&described).expect("serialise");
        assert_eq!(
            value.get("DeviceMessages"),
            parse(e.json).get("DeviceMessages"),
            "line {}",
            e.line
        );
        // The same description is what a DeviceList reply at that version carries.
        let list = DeviceList {
            devices: [(entry.device_index, entry.clone())].into(),
            id: 7,
        };
        let frame = encode_server_frame(v, &AnyServerMessage::V4(ServerMessage::DeviceList(list)))
            .expect("DeviceList reply exists in every version");
        let frame = parse(&frame);
        assert_eq!(
            frame[0]["DeviceList"]["Devices"][0]["DeviceMessages"], value["DeviceMessages"],
            "line {}",
            e.line
        );
    }
}

#[test]
fn byte_exact_sorted_frames() {
    use teleplug::wire::{ErrorMsg, HandshakeError};
    let err = ServerMessage::Error(ErrorMsg::from_error(
        8,
        &HandshakeError::HandshakeAlreadyHappened.into(),
    ));
    assert_eq!(
        encode_server_frame(SpecVersion::V4, &AnyServerMessage::V4(err)).as_deref(),
        Some(
            r#"[{"Error":{"ErrorCode":1,"ErrorMessage":"{\"ButtplugHandshakeError\":\"HandshakeAlreadyHappened\"}","Id":8}}]"#
        )
    );
    // Index maps sort as strings: "0","1","10","2".
    let mut list = list_of(9, &["motorbunny"]);
    let template = list.devices[&2].clone();
    for index in [0u32, 1, 10] {
        let mut d = template.clone();
        d.device_index = index;
        list.devices.insert(index, d);
    }
    let out = encode_server_frame(
        SpecVersion::V4,
        &AnyServerMessage::V4(ServerMessage::DeviceList(list)),
    )
    .expect("frame");
    let positions: Vec<usize> = [
        "\"0\":{\"DeviceFeatures\"",
        "\"1\":{\"DeviceFeatures\"",
        "\"10\":",
        "\"2\":{\"DeviceFeatures\"",
    ]
    .iter()
    .map(|k| {
        out.find(k)
            .unwrap_or_else(|| panic!("{k} missing in {out}"))
    })
    .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{out}");
    assert_eq!(canonical(&out), out);
}
