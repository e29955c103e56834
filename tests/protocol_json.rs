//! JSON framing: splitting frames, per-version decoding with its failures, per-version encoding,
//! and the client-side frame functions.

use serde_json::{Value, json};
use teleplug::wire::json::{
    decode_client_message, decode_server_frame, encode_client_frame, encode_server_frame,
    split_frame,
};
use teleplug::wire::legacy::{
    ActuatorType, BatteryLevelReading, DeviceRemoved, LegacyClientMessage, LegacyServerMessage,
    SensorReading, SensorType, TestMsg,
};
use teleplug::wire::{AnyClientMessage, AnyServerMessage};
use teleplug::wire::{
    ButtplugError, ClientMessage, DeviceList, ErrorCode, HandshakeError, IdOnly, InputCommandType,
    InputData, InputReading, InputType, OutputType, ServerInfo, ServerMessage, SpecVersion,
};

use SpecVersion::{V0, V1, V2, V3, V4};

fn fails(version: Option<SpecVersion>, value: Value) -> (u32, ErrorCode, String) {
    match decode_client_message(version, value.clone()) {
        Err(f) => (f.id, f.error.code(), f.error.wire_message()),
        Ok(m) => panic!("{value} decoded at {version:?}: {m:?}"),
    }
}

fn decodes(version: Option<SpecVersion>, value: Value) -> AnyClientMessage {
    decode_client_message(version, value.clone())
        .unwrap_or_else(|f| panic!("{value} at {version:?}: {f:?}"))
}

// ---------------------------------------------------------------------------------------------
// split_frame

#[test]
fn split_frame_accepts_concatenated_arrays() {
    let msgs = split_frame(
        r#"[{"Ping":{"Id":1}}][{"Ping":{"Id":2}},{"Ping":{"Id":3}}] [{"Ping":{"Id":4}}]"#,
    )
    .expect("stream");
    let ids: Vec<u64> = msgs
        .iter()
        .map(|m| m["Ping"]["Id"].as_u64().expect("id"))
        .collect();
    assert_eq!(ids, vec![1, 2, 3, 4]);
}

#[test]
fn split_frame_rejects_unusable_frames() {
    for bad in [
        "",
        "   ",
        "not json",
        "{\"Ping\":{\"Id\":1}}",
        "5",
        "[]",
        "[][]",
        "[{\"Ping\":{\"Id\":1}}] x",
        "[{",
        "\"[]\"",
    ] {
        let err = split_frame(bad).expect_err(bad);
        assert_eq!(err.code(), ErrorCode::Message, "{bad}");
    }
}

#[test]
fn non_object_elements_are_per_message_failures() {
    let msgs = split_frame(r#"[5, "Ping", null, {"Ping":{"Id":3}}, {}]"#).expect("frame is usable");
    assert_eq!(msgs.len(), 5);
    let results: Vec<_> = msgs
        .into_iter()
        .map(|m| decode_client_message(Some(V4), m))
        .collect();
    for r in &results[..3] {
        let f = r.as_ref().expect_err("not a message");
        assert_eq!((f.id, f.error.code()), (0, ErrorCode::Message));
    }
    assert!(results[3].is_ok());
    assert_eq!(results[4].as_ref().expect_err("empty").id, 0);
}

#[test]
fn deeply_nested_frames_are_rejected_not_overflowing() {
    let deep = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    assert!(split_frame(&deep).is_err());
}

// ---------------------------------------------------------------------------------------------
// Before the handshake

#[test]
fn before_the_handshake_only_request_server_info_decodes() {
    for body in [
        json!({"Id": 1, "ClientName": "c", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 7}),
        json!({"Id": 1, "ClientName": "c", "MessageVersion": 2}),
        json!({"Id": 1, "ClientName": "c"}),
    ] {
        match decodes(None, json!({"RequestServerInfo": body})) {
            AnyClientMessage::V4(ClientMessage::RequestServerInfo(rsi)) => assert_eq!(rsi.id, 1),
            other => panic!("{other:?}"),
        }
    }
    let expected = HandshakeError::RequestServerInfoExpected.into();
    let expected: ButtplugError = expected;
    for (value, id) in [
        (json!({"Ping": {"Id": 5}}), 5),
        (
            json!({"VibrateCmd": {"Id": 6, "DeviceIndex": 0, "Speeds": []}}),
            6,
        ),
        (json!({"Bogus": {"Id": 9}}), 9),
        (json!(42), 0),
        (json!({"Ping": {"Id": 1}, "Ok": {"Id": 2}}), 0),
    ] {
        assert_eq!(
            fails(None, value),
            (id, ErrorCode::Init, expected.wire_message())
        );
    }
    // A malformed handshake is a message error, with its Id.
    let (id, code, _) = fails(
        None,
        json!({"RequestServerInfo": {"Id": 3, "ClientName": 5}}),
    );
    assert_eq!((id, code), (3, ErrorCode::Message));
    let (id, code, _) = fails(
        None,
        json!({"RequestServerInfo": {"Id": 3, "ClientName": "c", "Extra": 1}}),
    );
    assert_eq!((id, code), (3, ErrorCode::Message));
    let (id, code, _) = fails(None, json!({"RequestServerInfo": [1, "c"]}));
    assert_eq!((id, code), (0, ErrorCode::Message));
    let (id, code, _) = fails(
        None,
        json!({"RequestServerInfo": {"Id": 0, "ClientName": "c"}}),
    );
    assert_eq!((id, code), (0, ErrorCode::Message));
}

// ---------------------------------------------------------------------------------------------
// Version gating

#[test]
fn common_messages_decode_to_v4_at_every_version() {
    for version in SpecVersion::ALL {
        for name in ["Ping", "StartScanning", "StopScanning", "RequestDeviceList"] {
            match decodes(Some(version), json!({ name: {"Id": 4} })) {
                AnyClientMessage::V4(m) => assert_eq!((m.name(), m.id()), (name, 4)),
                other => panic!("{other:?}"),
            }
        }
        match decodes(
            Some(version),
            json!({"RequestServerInfo": {"Id": 2, "ClientName": "x"}}),
        ) {
            AnyClientMessage::V4(ClientMessage::RequestServerInfo(_)) => {}
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn each_message_decodes_exactly_in_its_versions() {
    let samples: Vec<(&str, Value, &[SpecVersion])> = vec![
        (
            "OutputCmd",
            json!({"Id": 1, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1}}}),
            &[V4],
        ),
        (
            "InputCmd",
            json!({"Id": 1, "DeviceIndex": 0, "FeatureIndex": 0, "Type": "Battery", "Command": "Read"}),
            &[V4],
        ),
        ("StopCmd", json!({"Id": 1}), &[V4]),
        ("Disconnect", json!({"Id": 1}), &[V4]),
        (
            "StopDeviceCmd",
            json!({"Id": 1, "DeviceIndex": 0}),
            &[V0, V1, V2, V3],
        ),
        ("StopAllDevices", json!({"Id": 1}), &[V0, V1, V2, V3]),
        (
            "SingleMotorVibrateCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Speed": 1}),
            &[V0, V1],
        ),
        (
            "FleshlightLaunchFW12Cmd",
            json!({"Id": 1, "DeviceIndex": 0, "Position": 1, "Speed": 1}),
            &[V0, V1],
        ),
        (
            "VorzeA10CycloneCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Speed": 1, "Clockwise": false}),
            &[V0, V1],
        ),
        (
            "KiirooCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Command": "1"}),
            &[V0, V1],
        ),
        (
            "LovenseCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Command": "Vibrate:1;"}),
            &[V0, V1],
        ),
        ("Test", json!({"Id": 1, "TestString": "x"}), &[V0, V1]),
        (
            "RequestLog",
            json!({"Id": 1, "LogLevel": "Off"}),
            &[V0, V1, V2],
        ),
        (
            "VibrateCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.1}]}),
            &[V1, V2, V3],
        ),
        (
            "RotateCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Rotations": [{"Index": 0, "Speed": 0.1, "Clockwise": true}]}),
            &[V1, V2, V3],
        ),
        (
            "LinearCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Vectors": [{"Index": 0, "Duration": 1, "Position": 0.1}]}),
            &[V1, V2, V3],
        ),
        ("BatteryLevelCmd", json!({"Id": 1, "DeviceIndex": 0}), &[V2]),
        ("RSSILevelCmd", json!({"Id": 1, "DeviceIndex": 0}), &[V2]),
        (
            "RawWriteCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Endpoint": "tx", "Data": [1], "WriteWithResponse": true}),
            &[V2, V3],
        ),
        (
            "RawReadCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Endpoint": "tx", "ExpectedLength": 1, "WaitForData": true}),
            &[V2, V3],
        ),
        (
            "RawSubscribeCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Endpoint": "tx"}),
            &[V2, V3],
        ),
        (
            "RawUnsubscribeCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Endpoint": "tx"}),
            &[V2, V3],
        ),
        (
            "ScalarCmd",
            json!({"Id": 1, "DeviceIndex": 0, "Scalars": [{"Index": 0, "Scalar": 0.1, "ActuatorType": "Oscillate"}]}),
            &[V3],
        ),
        (
            "SensorReadCmd",
            json!({"Id": 1, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Battery"}),
            &[V3],
        ),
        (
            "SensorSubscribeCmd",
            json!({"Id": 1, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Pressure"}),
            &[V3],
        ),
        (
            "SensorUnsubscribeCmd",
            json!({"Id": 1, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "RSSI"}),
            &[V3],
        ),
    ];
    for (name, body, versions) in samples {
        for version in SpecVersion::ALL {
            let result = decode_client_message(Some(version), json!({ name: body.clone() }));
            if versions.contains(&version) {
                let m = result.unwrap_or_else(|f| panic!("{name} at {version}: {f:?}"));
                assert_eq!(m.name(), name);
                assert_eq!(
                    matches!(m, AnyClientMessage::V4(_)),
                    version == V4,
                    "{name}"
                );
            } else {
                let f = result.expect_err(name);
                assert_eq!(
                    (f.id, f.error.code()),
                    (1, ErrorCode::Message),
                    "{name} at {version}"
                );
                let text = f.error.wire_message();
                assert!(text.contains(name) && text.contains("not a spec"), "{text}");
            }
        }
    }
}

#[test]
fn malformed_messages_fail_with_code_3_and_their_id() {
    let cases = [
        (
            V4,
            json!({"Ping": {"Id": 4, "Extra": true}}),
            4,
            "unknown field",
        ),
        (V4, json!({"Ping": {}}), 0, "missing field"),
        (V4, json!({"Ping": {"Id": -1}}), 0, "invalid value"),
        (
            V4,
            json!({"Ping": {"Id": 4294967296u64}}),
            0,
            "invalid value",
        ),
        (V4, json!({"Ping": {"Id": 1.0}}), 0, "invalid type"),
        (V4, json!({"Ping": 3}), 0, "invalid type"),
        (
            V4,
            json!({"OutputCmd": {"Id": 5, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1.5}}}}),
            5,
            "floating point",
        ),
        (
            V4,
            json!({"OutputCmd": {"Id": 5, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1}, "Rotate": {"Value": 1}}}}),
            5,
            "",
        ),
        (
            V4,
            json!({"OutputCmd": {"Id": 5, "DeviceIndex": -1, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": 1}}}}),
            5,
            "",
        ),
        (
            V4,
            json!({"InputCmd": {"Id": 6, "DeviceIndex": 0, "FeatureIndex": 0, "Type": "Smell", "Command": "Read"}}),
            6,
            "unknown variant",
        ),
        (V4, json!({"StopCmd": {"Id": 0}}), 0, "Id 0"),
        (
            V3,
            json!({"ScalarCmd": {"Id": 7, "DeviceIndex": 0, "Scalars": [{"Index": 0, "Scalar": 0.5, "ActuatorType": "Wiggle"}]}}),
            7,
            "unknown variant",
        ),
        (
            V3,
            json!({"SensorReadCmd": {"Id": 8, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Smell"}}),
            8,
            "unknown variant",
        ),
        (
            V3,
            json!({"VibrateCmd": {"Id": 9, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": "fast"}]}}),
            9,
            "invalid type",
        ),
        (
            V2,
            json!({"RequestLog": {"Id": 10, "LogLevel": "Loud"}}),
            10,
            "unknown variant",
        ),
        (
            V1,
            json!({"VibrateCmd": {"Id": 0, "DeviceIndex": 0, "Speeds": [{"Index": 0, "Speed": 0.5}]}}),
            0,
            "Id 0",
        ),
        (V1, json!({"Bogus": {"Id": 11}}), 11, "unknown message type"),
        (V1, json!({}), 0, "exactly one key"),
        // Structs written as arrays of their field values are not objects.
        (V4, json!({"Ping": [5]}), 0, "found an array"),
        (
            V4,
            json!({"OutputCmd": {"Id": 5, "DeviceIndex": 0, "FeatureIndex": 0, "Command": {"Vibrate": [10]}}}),
            5,
            "found an array",
        ),
        (
            V4,
            json!({"OutputCmd": [{"Vibrate": {"Value": 1}}, 0, 0, 5]}),
            0,
            "found an array",
        ),
        (
            V2,
            json!({"VibrateCmd": {"Id": 6, "DeviceIndex": 0, "Speeds": [[0, 0.5]]}}),
            6,
            "must not be arrays",
        ),
        (
            V0,
            json!({"RequestServerInfo": ["c", 1]}),
            0,
            "found an array",
        ),
    ];
    for (version, value, id, needle) in cases {
        let (got_id, code, text) = fails(Some(version), value.clone());
        assert_eq!((got_id, code), (id, ErrorCode::Message), "{value}");
        assert!(text.contains(needle), "{value}: {text}");
        assert!(text.starts_with(r#"{"ButtplugMessageError":"#), "{text}");
    }
}

/// A float field holds the double nearest to its text, as Rust's own parser reads it. Without
/// serde_json's `float_roundtrip` some speeds came out one ULP off. Test builds get the feature
/// from a dev-dependency (jsonschema) anyway; the library's own build did not, which the fuzz
/// suite found (fuzz/corpus/ffi_request/regression-fraction-one-ulp.pb guards it there).
#[test]
fn floats_decode_to_the_nearest_double() {
    for text in ["2.0924533037294956e-110", "0.30000000000000004", "0.5"] {
        let frame =
            format!(r#"[{{"SingleMotorVibrateCmd":{{"Id":1,"DeviceIndex":0,"Speed":{text}}}}}]"#);
        let values = split_frame(&frame).expect("a frame");
        let [value] = <[Value; 1]>::try_from(values).expect("one message");
        match decodes(Some(V1), value) {
            AnyClientMessage::Legacy(LegacyClientMessage::SingleMotorVibrateCmd(m)) => {
                let nearest: f64 = text.parse().expect("a float");
                assert_eq!(m.speed.to_bits(), nearest.to_bits(), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }
}

#[test]
fn accepted_spellings() {
    // "RSSI" and lowercase aliases (§3.5, §8.5).
    match decodes(
        Some(V4),
        json!({"InputCmd": {"Id": 1, "DeviceIndex": 0, "FeatureIndex": 0, "Type": "RSSI", "Command": "subscribe"}}),
    ) {
        AnyClientMessage::V4(ClientMessage::InputCmd(c)) => {
            assert_eq!(
                (c.input_type, c.command),
                (InputType::Rssi, InputCommandType::Subscribe)
            )
        }
        other => panic!("{other:?}"),
    }
    // Integer speeds are floats too; Inflate is a v3 actuator type (refused later).
    match decodes(
        Some(V3),
        json!({"ScalarCmd": {"Id": 1, "DeviceIndex": 0, "Scalars": [{"Index": 0, "Scalar": 1, "ActuatorType": "Inflate"}]}}),
    ) {
        AnyClientMessage::Legacy(LegacyClientMessage::ScalarCmd(c)) => {
            assert_eq!(c.scalars[0].actuator_type, ActuatorType::Inflate);
            assert_eq!(c.scalars[0].scalar, 1.0);
        }
        other => panic!("{other:?}"),
    }
    match decodes(
        Some(V3),
        json!({"SensorReadCmd": {"Id": 1, "DeviceIndex": 0, "SensorIndex": 0, "SensorType": "Rssi"}}),
    ) {
        AnyClientMessage::Legacy(LegacyClientMessage::SensorReadCmd(c)) => {
            assert_eq!(c.sensor_type, SensorType::Rssi)
        }
        other => panic!("{other:?}"),
    }
    match decodes(
        Some(V2),
        json!({"RawReadCmd": {"Id": 1, "DeviceIndex": 0, "Endpoint": "rx", "Length": 4, "WaitForData": false}}),
    ) {
        AnyClientMessage::Legacy(LegacyClientMessage::RawReadCmd(c)) => {
            assert_eq!(c.expected_length, 4)
        }
        other => panic!("{other:?}"),
    }
    // An RSI with ProtocolVersionMajor after the handshake is still an RSI (the server answers
    // HandshakeAlreadyHappened).
    assert!(
        decode_client_message(
            Some(V2),
            json!({"RequestServerInfo": {"Id": 1, "ClientName": "c", "ProtocolVersionMajor": 2}})
        )
        .is_ok()
    );
}

// ---------------------------------------------------------------------------------------------
// Encoding

fn server_info() -> AnyServerMessage {
    AnyServerMessage::V4(ServerMessage::ServerInfo(ServerInfo {
        id: 3,
        max_ping_time: 500,
        protocol_version_major: 4,
        protocol_version_minor: 0,
        server_name: "Teleplug".into(),
    }))
}

#[test]
fn server_info_per_version() {
    let expected = [
        (
            V0,
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":3,"MajorVersion":0,"MaxPingTime":500,"MessageVersion":0,"MinorVersion":0,"ServerName":"Teleplug"}}]"#,
        ),
        (
            V1,
            r#"[{"ServerInfo":{"BuildVersion":0,"Id":3,"MajorVersion":0,"MaxPingTime":500,"MessageVersion":1,"MinorVersion":0,"ServerName":"Teleplug"}}]"#,
        ),
        (
            V2,
            r#"[{"ServerInfo":{"Id":3,"MaxPingTime":500,"MessageVersion":2,"ServerName":"Teleplug"}}]"#,
        ),
        (
            V3,
            r#"[{"ServerInfo":{"Id":3,"MaxPingTime":500,"MessageVersion":3,"ServerName":"Teleplug"}}]"#,
        ),
        (
            V4,
            r#"[{"ServerInfo":{"Id":3,"MaxPingTime":500,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"ServerName":"Teleplug"}}]"#,
        ),
    ];
    for (version, text) in expected {
        assert_eq!(
            encode_server_frame(version, &server_info()).as_deref(),
            Some(text)
        );
    }
}

#[test]
fn messages_without_a_form_in_the_version_are_not_encoded() {
    let reading = AnyServerMessage::V4(ServerMessage::InputReading(InputReading {
        device_index: 0,
        feature_index: 0,
        id: 0,
        reading: InputData {
            input_type: InputType::Pressure,
            value: 3,
        },
    }));
    let event = AnyServerMessage::V4(ServerMessage::DeviceList(DeviceList::default()));
    let reply = AnyServerMessage::V4(ServerMessage::DeviceList(DeviceList {
        id: 2,
        ..DeviceList::default()
    }));
    let sensor = AnyServerMessage::Legacy(LegacyServerMessage::SensorReading(SensorReading {
        data: vec![1],
        device_index: 0,
        id: 1,
        sensor_index: 0,
        sensor_type: SensorType::Battery,
    }));
    let battery = AnyServerMessage::Legacy(LegacyServerMessage::BatteryLevelReading(
        BatteryLevelReading {
            battery_level: 0.5,
            device_index: 0,
            id: 1,
        },
    ));
    let test = AnyServerMessage::Legacy(LegacyServerMessage::Test(TestMsg {
        id: 1,
        test_string: "x".into(),
    }));
    let removed = AnyServerMessage::Legacy(LegacyServerMessage::DeviceRemoved(DeviceRemoved {
        device_index: 1,
        id: 0,
    }));
    for version in [V0, V1, V2, V3] {
        assert_eq!(encode_server_frame(version, &reading), None);
        assert_eq!(
            encode_server_frame(version, &event),
            None,
            "legacy clients get DeviceAdded/Removed"
        );
        assert_eq!(
            encode_server_frame(version, &reply).as_deref(),
            Some(r#"[{"DeviceList":{"Devices":[],"Id":2}}]"#)
        );
        assert_eq!(
            encode_server_frame(version, &sensor).is_some(),
            version == V3
        );
        assert_eq!(
            encode_server_frame(version, &battery).is_some(),
            version == V2
        );
        assert_eq!(encode_server_frame(version, &test).is_some(), version <= V1);
        assert!(encode_server_frame(version, &removed).is_some());
    }
    assert!(encode_server_frame(V4, &reading).is_some());
    assert_eq!(
        encode_server_frame(V4, &event).as_deref(),
        Some(r#"[{"DeviceList":{"Devices":{},"Id":0}}]"#)
    );
    for legacy in [&sensor, &battery, &test, &removed] {
        assert_eq!(encode_server_frame(V4, legacy), None);
    }
    // A v2 ServerInfo layout is not sent to a v0 client.
    let Some(v2_info) = encode_server_frame(V2, &server_info()) else {
        panic!()
    };
    assert!(v2_info.contains("MessageVersion\":2"));
    let legacy_info = AnyServerMessage::Legacy(LegacyServerMessage::ServerInfo(
        teleplug::wire::legacy::LegacyServerInfo::new(V2, 1, "x", 0),
    ));
    assert!(encode_server_frame(V3, &legacy_info).is_some());
    assert_eq!(encode_server_frame(V1, &legacy_info), None);
}

// ---------------------------------------------------------------------------------------------
// Our own client

#[test]
fn client_frames_round_trip() {
    let msgs = vec![
        ClientMessage::RequestServerInfo(teleplug::wire::RequestServerInfo::v4(1, "Teleplug")),
        ClientMessage::Ping(IdOnly::new(2)),
    ];
    let text = encode_client_frame(&msgs);
    assert_eq!(
        text,
        r#"[{"RequestServerInfo":{"ClientName":"Teleplug","Id":1,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0}},{"Ping":{"Id":2}}]"#
    );
    let back: Vec<ClientMessage> = split_frame(&text)
        .expect("frame")
        .into_iter()
        .map(|v| match decode_client_message(Some(V4), v) {
            Ok(AnyClientMessage::V4(m)) => m,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(back, msgs);
}

#[test]
fn server_frames_decode_for_the_client() {
    let msgs =
        decode_server_frame(r#"[{"Ok":{"Id":1}}][{"ScanningFinished":{"Id":0}}]"#).expect("frame");
    assert_eq!(
        msgs,
        vec![
            ServerMessage::ok(1),
            ServerMessage::ScanningFinished(IdOnly::new(0))
        ]
    );
    // Output and input types from a newer minor version are ignored, known ones kept.
    let msgs = decode_server_frame(
        r#"[{"DeviceList":{"Devices":{"0":{"DeviceFeatures":{"0":{"FeatureDescription":"","FeatureIndex":0,"Output":{"Vibrate":{"Value":[0,20]},"Tickle":{"Value":[0,5]}},"Input":{"Smell":{"Command":["Read"],"Value":[[0,1]]}}}},"DeviceIndex":0,"DeviceMessageTimingGap":0,"DeviceName":"Future"}},"Id":0}}]"#,
    )
    .expect("frame");
    let ServerMessage::DeviceList(list) = &msgs[0] else {
        panic!("{msgs:?}")
    };
    let feature = &list.devices[&0].device_features[&0];
    let outputs: Vec<OutputType> = feature
        .output
        .as_ref()
        .expect("outputs")
        .keys()
        .copied()
        .collect();
    assert_eq!(outputs, vec![OutputType::Vibrate]);
    assert!(feature.input.as_ref().expect("inputs").is_empty());
    for bad in [
        "[{\"Nope\":{\"Id\":1}}]",
        "[{\"Ok\":{}}]",
        "[1]",
        "{}",
        "garbage",
    ] {
        let err = decode_server_frame(bad).expect_err(bad);
        assert_eq!(err.code(), ErrorCode::Message);
    }
}
