//! Legacy (v0–v3) command conversion, reply building and device-event tracking
//! (docs/PROTOCOL.md §4.3–§4.5 with the [REC] fixes), through the public API.

use serde_json::json;
use teleplug::wire::json::{decode_client_message, encode_server_frame};
use teleplug::wire::legacy::{
    LegacyAction, LegacyAttributes, LegacyClientMessage, LegacyDeviceTracker, LegacyServerMessage,
    ceil_step, convert_legacy, describe_device, floor_step, legacy_reply,
};
use teleplug::wire::{AnyClientMessage, AnyServerMessage};
use teleplug::wire::{
    ButtplugError, ClientMessage, DeviceEntry, DeviceError, DeviceList, ErrorCode, ErrorMsg,
    InputCmd, InputCommandType, InputData, InputReading, InputType, MessageError, OutputCmd,
    OutputCommand, OutputType, ServerMessage, SpecVersion, StopCmd,
};

use SpecVersion::{V0, V1, V2, V3, V4};

/// A device with one of everything: feature 0 Vibrate [0,20] + unidirectional Rotate [0,10];
/// 1 Oscillate [0,100]; 2 Constrict [0,3]; 3 bidirectional Rotate [-255,255];
/// 4 HwPositionWithDuration [0,1000] + Position [0,1000]; 5 Battery (Read); 6 Vibrate [0,127];
/// 7 Pressure (Subscribe).
fn multi() -> DeviceEntry {
    serde_json::from_value(json!({
        "DeviceFeatures": {
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
            "7": {"FeatureIndex": 7,
                  "Input": {"Pressure": {"Command": ["Subscribe"], "Value": [[0, 2000]]}}}
        },
        "DeviceIndex": 4,
        "DeviceMessageTimingGap": 75,
        "DeviceName": "Multi"
    }))
    .expect("device")
}

/// Two vibrators [0,127] at index 1.
fn aneros() -> DeviceEntry {
    serde_json::from_value(json!({
        "DeviceFeatures": {
            "0": {"FeatureIndex": 0, "Output": {"Vibrate": {"Value": [0, 127]}}},
            "1": {"FeatureIndex": 1, "Output": {"Vibrate": {"Value": [0, 127]}}}
        },
        "DeviceIndex": 1, "DeviceName": "Aneros Vivi"
    }))
    .expect("device")
}

/// Nothing but a battery that can only be subscribed, and a Position servo, at index 2.
fn plain() -> DeviceEntry {
    serde_json::from_value(json!({
        "DeviceFeatures": {
            "0": {"FeatureIndex": 0, "Output": {"Position": {"Value": [0, 100]}}},
            "1": {"FeatureIndex": 1,
                  "Input": {"Battery": {"Command": ["Subscribe"], "Value": [[0, 100]]}}}
        },
        "DeviceIndex": 2, "DeviceName": "Plain"
    }))
    .expect("device")
}

fn devices() -> DeviceList {
    DeviceList {
        devices: [multi(), aneros(), plain()]
            .into_iter()
            .map(|d| (d.device_index, d))
            .collect(),
        id: 0,
    }
}

/// Decode `body` as legacy message `name` at `version` (the wire path).
fn legacy(version: SpecVersion, name: &str, body: serde_json::Value) -> LegacyClientMessage {
    match decode_client_message(Some(version), json!({ name: body })) {
        Ok(AnyClientMessage::Legacy(m)) => m,
        other => panic!("{name} at {version}: {other:?}"),
    }
}

fn convert(
    version: SpecVersion,
    name: &str,
    body: serde_json::Value,
) -> Result<LegacyAction, ButtplugError> {
    convert_legacy(version, &legacy(version, name, body), &devices())
}

fn outputs(version: SpecVersion, name: &str, body: serde_json::Value) -> Vec<(u32, OutputCommand)> {
    match convert(version, name, body) {
        Ok(LegacyAction::Forward(msgs)) => msgs
            .into_iter()
            .map(|m| match m {
                ClientMessage::OutputCmd(c) => {
                    assert_eq!(c.id, 7, "the legacy Id is carried");
                    (c.feature_index, c.command)
                }
                other => panic!("expected OutputCmd, got {other:?}"),
            })
            .collect(),
        other => panic!("{name}: expected Forward, got {other:?}"),
    }
}

fn err(version: SpecVersion, name: &str, body: serde_json::Value) -> ButtplugError {
    match convert(version, name, body) {
        Err(e) => e,
        Ok(a) => panic!("{name}: expected an error, got {a:?}"),
    }
}

fn v(t: OutputType, value: i32) -> OutputCommand {
    OutputCommand::new(t, value, 0)
}

fn not_supported(text: &str) -> ButtplugError {
    DeviceError::MessageNotSupported(text.into()).into()
}

// ---------------------------------------------------------------------------------------------
// Float → step

#[test]
fn ceil_step_follows_the_reference_rule() {
    assert_eq!(ceil_step(0.5, 255), 128);
    assert_eq!(ceil_step(0.5, 20), 10);
    assert_eq!(ceil_step(1.0, 20), 20);
    assert_eq!(ceil_step(0.0, 20), 0);
    assert_eq!(ceil_step(0.01, 20), 1, "any positive amount moves");
    // f·n at or below 1e-6 counts as zero.
    assert_eq!(ceil_step(1e-9, 255), 0);
    assert_eq!(ceil_step(0.000_001, 1), 0);
    assert_eq!(ceil_step(0.000_002, 1), 1);
    // The reference computes in f64 without correction: 0.07·100 = 7.000000000000001.
    assert_eq!(ceil_step(0.07, 100), 8);
    assert_eq!(ceil_step(0.3, 100), 30);
}

#[test]
fn floor_step_truncates() {
    assert_eq!(floor_step(0.3, 100), 30);
    assert_eq!(floor_step(0.4999, 1000), 499);
    assert_eq!(floor_step(1.0, 100), 100);
    assert_eq!(floor_step(0.0, 100), 0);
    assert_eq!(floor_step(0.009, 100), 0);
    // Same f64 rule as the reference: 0.29·100 = 28.999999999999996.
    assert_eq!(floor_step(0.29, 100), 28);
}

// ---------------------------------------------------------------------------------------------
// Attribute tables

#[test]
fn attribute_tables_of_a_mixed_device() {
    let entry = multi();
    let attrs = LegacyAttributes::of(&entry);
    let scalar: Vec<(u32, OutputType, u32)> = attrs
        .scalar
        .iter()
        .map(|a| (a.feature_index, a.output_type, a.step_count))
        .collect();
    assert_eq!(
        scalar,
        vec![
            (0, OutputType::Vibrate, 20),
            (0, OutputType::Rotate, 10),
            (1, OutputType::Oscillate, 100),
            (2, OutputType::Constrict, 3),
            (3, OutputType::Rotate, 255),
            (4, OutputType::Position, 1000),
            (6, OutputType::Vibrate, 127),
        ]
    );
    let rotate: Vec<u32> = attrs.rotate.iter().map(|a| a.feature_index).collect();
    assert_eq!(rotate, vec![3], "only bidirectional rotators");
    let linear: Vec<u32> = attrs.linear.iter().map(|a| a.feature_index).collect();
    assert_eq!(linear, vec![4]);
    let battery: Vec<u32> = attrs.battery.iter().map(|s| s.feature_index).collect();
    assert_eq!(battery, vec![5]);
    let vibrators: Vec<u32> = attrs.vibrators().map(|a| a.feature_index).collect();
    assert_eq!(vibrators, vec![0, 6]);

    let plain = plain();
    let attrs = LegacyAttributes::of(&plain);
    assert!(
        attrs.battery.is_empty(),
        "a Subscribe-only battery is not readable"
    );
    assert_eq!(attrs.scalar.len(), 1);
}

#[test]
fn descriptions_per_version_use_the_same_tables() {
    let entry = multi();
    let v3 = serde_json::to_value(describe_device(V3, &entry).expect("v3")).expect("json");
    assert_eq!(
        v3["DeviceMessages"]["ScalarCmd"],
        json!([
            {"ActuatorType": "Vibrate", "FeatureDescriptor": "Main", "StepCount": 20},
            {"ActuatorType": "Rotate", "FeatureDescriptor": "Main", "StepCount": 10},
            {"ActuatorType": "Oscillate", "FeatureDescriptor": "", "StepCount": 100},
            {"ActuatorType": "Constrict", "FeatureDescriptor": "", "StepCount": 3},
            {"ActuatorType": "Rotate", "FeatureDescriptor": "", "StepCount": 255},
            {"ActuatorType": "Position", "FeatureDescriptor": "", "StepCount": 1000},
            {"ActuatorType": "Vibrate", "FeatureDescriptor": "", "StepCount": 127}
        ])
    );
    assert_eq!(
        v3["DeviceMessages"]["LinearCmd"],
        json!([{"ActuatorType": "Position", "FeatureDescriptor": "", "StepCount": 1000}])
    );
    assert_eq!(
        v3["DeviceMessageTimingGap"],
        json!(75),
        "the real gap is advertised"
    );
    assert_eq!(
        v3["DeviceMessages"]["SensorReadCmd"],
        json!([{"FeatureDescriptor": "Battery Level", "SensorRange": [[0, 100]], "SensorType": "Battery"}])
    );
    let v2 = serde_json::to_value(describe_device(V2, &entry).expect("v2")).expect("json");
    assert_eq!(
        v2["DeviceMessages"],
        json!({
            "BatteryLevelCmd": {},
            "LinearCmd": {"FeatureCount": 1, "StepCount": [1000]},
            "RotateCmd": {"FeatureCount": 1, "StepCount": [255]},
            "StopDeviceCmd": {},
            "VibrateCmd": {"FeatureCount": 2, "StepCount": [20, 127]}
        })
    );
    assert!(v2.get("DeviceMessageTimingGap").is_none());
    let v1 = serde_json::to_value(describe_device(V1, &entry).expect("v1")).expect("json");
    assert_eq!(
        v1["DeviceMessages"],
        json!({
            "LinearCmd": {"FeatureCount": 1},
            "RotateCmd": {"FeatureCount": 1},
            "SingleMotorVibrateCmd": {},
            "StopDeviceCmd": {},
            "VibrateCmd": {"FeatureCount": 2}
        })
    );
    let p = plain();
    let v0 = serde_json::to_value(describe_device(V0, &p).expect("v0")).expect("json");
    assert_eq!(v0["DeviceMessages"], json!(["StopDeviceCmd"]));
    let v2 = serde_json::to_value(describe_device(V2, &p).expect("v2")).expect("json");
    assert_eq!(v2["DeviceMessages"], json!({"StopDeviceCmd": {}}));
    assert!(describe_device(V4, &p).is_none());
}

/// Every ScalarCmd entry a v3 client reads from the description addresses that entry's feature
/// and output at full scale.
#[test]
fn every_advertised_scalar_index_drives_its_own_feature() {
    let entry = multi();
    let v3 = serde_json::to_value(describe_device(V3, &entry).expect("v3")).expect("json");
    let list = v3["DeviceMessages"]["ScalarCmd"]
        .as_array()
        .expect("list")
        .clone();
    let attrs = LegacyAttributes::of(&entry);
    for (index, item) in list.iter().enumerate() {
        let got = outputs(
            V3,
            "ScalarCmd",
            json!({"Id": 7, "DeviceIndex": 4,
                   "Scalars": [{"Index": index, "Scalar": 1.0, "ActuatorType": item["ActuatorType"]}]}),
        );
        let a = &attrs.scalar[index];
        let steps = i32::try_from(item["StepCount"].as_u64().expect("steps")).expect("i32");
        assert_eq!(
            got,
            vec![(a.feature_index, v(a.output_type, steps))],
            "index {index}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Output commands

#[test]
fn single_motor_vibrate_sets_every_vibrator() {
    let got = outputs(
        V0,
        "SingleMotorVibrateCmd",
        json!({"Id": 7, "DeviceIndex": 4, "Speed": 0.5}),
    );
    assert_eq!(
        got,
        vec![
            (0, v(OutputType::Vibrate, 10)),
            (6, v(OutputType::Vibrate, 64))
        ]
    );
    let got = outputs(
        V1,
        "SingleMotorVibrateCmd",
        json!({"Id": 7, "DeviceIndex": 1, "Speed": 0}),
    );
    assert_eq!(
        got,
        vec![
            (0, v(OutputType::Vibrate, 0)),
            (1, v(OutputType::Vibrate, 0))
        ]
    );
    assert_eq!(
        err(
            V0,
            "SingleMotorVibrateCmd",
            json!({"Id": 7, "DeviceIndex": 2, "Speed": 0.5})
        ),
        DeviceError::DeviceFeatureMismatch("Device has no Vibrate features".into()).into()
    );
    assert_eq!(
        err(
            V0,
            "SingleMotorVibrateCmd",
            json!({"Id": 7, "DeviceIndex": 99, "Speed": 0.5})
        ),
        DeviceError::DeviceNotAvailable(99).into()
    );
    let e = err(
        V0,
        "SingleMotorVibrateCmd",
        json!({"Id": 7, "DeviceIndex": 1, "Speed": 1.5}),
    );
    assert_eq!(e.code(), ErrorCode::Message);
}

#[test]
fn vibrate_cmd_indexes_the_vibrator_list_in_feature_order() {
    let got = outputs(
        V2,
        "VibrateCmd",
        json!({"Id": 7, "DeviceIndex": 4, "Speeds": [{"Index": 1, "Speed": 0.25}, {"Index": 0, "Speed": 1}]}),
    );
    // Index 1 is the second vibrator (feature 6), sorted after feature 0.
    assert_eq!(
        got,
        vec![
            (0, v(OutputType::Vibrate, 20)),
            (6, v(OutputType::Vibrate, 32))
        ]
    );
    // Still accepted at v3.
    let got = outputs(
        V3,
        "VibrateCmd",
        json!({"Id": 7, "DeviceIndex": 1, "Speeds": [{"Index": 1, "Speed": 0.5}]}),
    );
    assert_eq!(got, vec![(1, v(OutputType::Vibrate, 64))]);
}

#[test]
fn vibrate_cmd_errors() {
    // [REC] index == count is an error (v10 panics), worded as buttplug_server 12 does: the
    // vibrator index is out of range (device 1 has two vibrators).
    assert_eq!(
        err(
            V1,
            "VibrateCmd",
            json!({"Id": 7, "DeviceIndex": 1, "Speeds": [{"Index": 2, "Speed": 0.5}]})
        ),
        DeviceError::DeviceFeatureIndexError(2, 2).into()
    );
    assert_eq!(
        err(
            V1,
            "VibrateCmd",
            json!({"Id": 7, "DeviceIndex": 1,
            "Speeds": [{"Index": 0, "Speed": 0.5}, {"Index": 3, "Speed": 0.5}]})
        ),
        DeviceError::DeviceFeatureIndexError(2, 3).into()
    );
    assert_eq!(
        err(
            V2,
            "VibrateCmd",
            json!({"Id": 7, "DeviceIndex": 2,
            "Speeds": [{"Index": 0, "Speed": 0.5}, {"Index": 1, "Speed": 0.5}]})
        ),
        DeviceError::DeviceFeatureCountMismatch(0, 2).into()
    );
    assert_eq!(
        err(
            V2,
            "VibrateCmd",
            json!({"Id": 7, "DeviceIndex": 8, "Speeds": [{"Index": 0, "Speed": 0.5}]})
        ),
        DeviceError::DeviceNotAvailable(8).into()
    );
    for bad in [json!(-0.1), json!(1.01)] {
        let e = err(
            V2,
            "VibrateCmd",
            json!({"Id": 7, "DeviceIndex": 1, "Speeds": [{"Index": 0, "Speed": bad}]}),
        );
        assert_eq!(e.code(), ErrorCode::Message, "{e:?}");
    }
    let e = err(
        V2,
        "VibrateCmd",
        json!({"Id": 7, "DeviceIndex": 1, "Speeds": []}),
    );
    assert_eq!(e.code(), ErrorCode::Message);
}

#[test]
fn scalar_cmd_applies_the_messages_actuator_type_to_the_entrys_feature() {
    let got = outputs(
        V3,
        "ScalarCmd",
        json!({"Id": 7, "DeviceIndex": 4, "Scalars": [
            {"Index": 6, "Scalar": 0.5, "ActuatorType": "Vibrate"},
            {"Index": 2, "Scalar": 0.5, "ActuatorType": "Oscillate"},
            {"Index": 4, "Scalar": 1.0, "ActuatorType": "Rotate"},
            {"Index": 5, "Scalar": 0.5, "ActuatorType": "Position"},
            {"Index": 3, "Scalar": 0.4, "ActuatorType": "Constrict"}
        ]}),
    );
    assert_eq!(
        got,
        vec![
            (1, v(OutputType::Oscillate, 50)),
            (2, v(OutputType::Constrict, 2)),
            (3, v(OutputType::Rotate, 255)),
            (4, v(OutputType::Position, 500)),
            (6, v(OutputType::Vibrate, 64)),
        ]
    );
    // Entry 0 is feature 0's Vibrate; asking for Rotate there uses feature 0's Rotate range.
    let got = outputs(
        V3,
        "ScalarCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Scalars": [{"Index": 0, "Scalar": 0.5, "ActuatorType": "Rotate"}]}),
    );
    assert_eq!(got, vec![(0, v(OutputType::Rotate, 5))]);
}

#[test]
fn scalar_cmd_errors() {
    let scalar = |index: u32, scalar: f64, t: &str| {
        err(
            V3,
            "ScalarCmd",
            json!({"Id": 7, "DeviceIndex": 4,
            "Scalars": [{"Index": index, "Scalar": scalar, "ActuatorType": t}]}),
        )
    };
    assert_eq!(
        scalar(7, 0.5, "Vibrate"),
        DeviceError::DeviceFeatureIndexError(7, 7).into()
    );
    assert_eq!(scalar(2, 0.5, "Vibrate"), not_supported("ScalarCmdV3"));
    assert_eq!(scalar(0, 1.5, "Vibrate"), not_supported("ScalarCmdV3"));
    assert_eq!(scalar(0, -0.5, "Vibrate"), not_supported("ScalarCmdV3"));
    assert_eq!(scalar(3, 0.5, "Inflate"), not_supported("ScalarCmdV3"));
    assert_eq!(
        err(
            V3,
            "ScalarCmd",
            json!({"Id": 7, "DeviceIndex": 5,
            "Scalars": [{"Index": 0, "Scalar": 0.5, "ActuatorType": "Vibrate"}]})
        ),
        DeviceError::DeviceNotAvailable(5).into()
    );
    let e = err(
        V3,
        "ScalarCmd",
        json!({"Id": 7, "DeviceIndex": 4, "Scalars": []}),
    );
    assert_eq!(e.code(), ErrorCode::Message);
}

#[test]
fn rotate_cmd_uses_bidirectional_rotators_with_sign() {
    let got = outputs(
        V1,
        "RotateCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Rotations": [{"Index": 0, "Speed": 0.5, "Clockwise": false}]}),
    );
    assert_eq!(got, vec![(3, v(OutputType::Rotate, -128))]);
    let got = outputs(
        V3,
        "RotateCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Rotations": [{"Index": 0, "Speed": 0.1, "Clockwise": true}]}),
    );
    assert_eq!(got, vec![(3, v(OutputType::Rotate, 26))]);
    assert_eq!(
        err(
            V2,
            "RotateCmd",
            json!({"Id": 7, "DeviceIndex": 4,
            "Rotations": [{"Index": 1, "Speed": 0.5, "Clockwise": true}]})
        ),
        DeviceError::DeviceFeatureIndexError(1, 1).into()
    );
    assert_eq!(
        err(
            V2,
            "RotateCmd",
            json!({"Id": 7, "DeviceIndex": 1,
            "Rotations": [{"Index": 0, "Speed": 0.5, "Clockwise": true}]})
        ),
        not_supported("RotateCmd")
    );
    let e = err(
        V2,
        "RotateCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Rotations": [{"Index": 0, "Speed": 2, "Clockwise": true}]}),
    );
    assert_eq!(e.code(), ErrorCode::Message);
}

#[test]
fn linear_cmd_uses_the_listed_feature_and_floor() {
    let got = outputs(
        V1,
        "LinearCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Vectors": [{"Index": 0, "Duration": 500, "Position": 0.4999}]}),
    );
    assert_eq!(
        got,
        vec![(
            4,
            OutputCommand::new(OutputType::HwPositionWithDuration, 499, 500)
        )]
    );
    assert_eq!(
        err(
            V3,
            "LinearCmd",
            json!({"Id": 7, "DeviceIndex": 4,
            "Vectors": [{"Index": 1, "Duration": 500, "Position": 0.5}]})
        ),
        DeviceError::DeviceFeatureIndexError(1, 1).into()
    );
    assert_eq!(
        err(
            V3,
            "LinearCmd",
            json!({"Id": 7, "DeviceIndex": 1,
            "Vectors": [{"Index": 0, "Duration": 500, "Position": 0.5}]})
        ),
        DeviceError::DeviceFeatureMismatch("Device has no PositionWithDuration features".into())
            .into()
    );
    let e = err(
        V3,
        "LinearCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Vectors": [{"Index": 0, "Duration": 500, "Position": 1.2}]}),
    );
    assert_eq!(e.code(), ErrorCode::Message);
}

#[test]
fn stop_commands() {
    assert_eq!(
        convert(V0, "StopDeviceCmd", json!({"Id": 7, "DeviceIndex": 1})),
        Ok(LegacyAction::Forward(vec![ClientMessage::StopCmd(
            StopCmd {
                device_index: Some(1),
                id: 7,
                ..StopCmd::default()
            }
        )]))
    );
    assert_eq!(
        convert(V3, "StopDeviceCmd", json!({"Id": 7, "DeviceIndex": 9})),
        Err(DeviceError::DeviceNotAvailable(9).into())
    );
    assert_eq!(
        convert(V2, "StopAllDevices", json!({"Id": 7})),
        Ok(LegacyAction::Forward(vec![ClientMessage::StopCmd(
            StopCmd {
                id: 7,
                ..StopCmd::default()
            }
        )]))
    );
}

// ---------------------------------------------------------------------------------------------
// Sensors

fn battery_read(device_index: u32, feature_index: u32) -> LegacyAction {
    LegacyAction::Forward(vec![ClientMessage::InputCmd(InputCmd {
        command: InputCommandType::Read,
        device_index,
        feature_index,
        id: 7,
        input_type: InputType::Battery,
    })])
}

#[test]
fn battery_and_sensor_reads_target_the_first_battery() {
    assert_eq!(
        convert(V2, "BatteryLevelCmd", json!({"Id": 7, "DeviceIndex": 4})),
        Ok(battery_read(4, 5))
    );
    assert_eq!(
        convert(
            V3,
            "SensorReadCmd",
            json!({"Id": 7, "DeviceIndex": 4, "SensorIndex": 3, "SensorType": "Battery"})
        ),
        Ok(battery_read(4, 5))
    );
    let no_battery: ButtplugError = DeviceError::DeviceConfigurationError(
        "Device configuration does not have Battery sensor available.".into(),
    )
    .into();
    assert_eq!(
        convert(V2, "BatteryLevelCmd", json!({"Id": 7, "DeviceIndex": 2})),
        Err(no_battery.clone())
    );
    assert_eq!(
        convert(
            V3,
            "SensorReadCmd",
            json!({"Id": 7, "DeviceIndex": 1, "SensorIndex": 0, "SensorType": "Battery"})
        ),
        Err(no_battery)
    );
    assert_eq!(
        convert(
            V3,
            "SensorReadCmd",
            json!({"Id": 7, "DeviceIndex": 4, "SensorIndex": 0, "SensorType": "Pressure"})
        ),
        Err(not_supported("SensorReadCmdV3"))
    );
    assert_eq!(
        convert(
            V3,
            "SensorSubscribeCmd",
            json!({"Id": 7, "DeviceIndex": 4, "SensorIndex": 0, "SensorType": "Battery"})
        ),
        Err(not_supported("SensorSubscribeCmdV3"))
    );
    assert_eq!(
        convert(
            V3,
            "SensorUnsubscribeCmd",
            json!({"Id": 7, "DeviceIndex": 4, "SensorIndex": 0, "SensorType": "Battery"})
        ),
        Err(not_supported("SensorUnsubscribeCmdV3"))
    );
    assert_eq!(
        convert(V2, "BatteryLevelCmd", json!({"Id": 7, "DeviceIndex": 3})),
        Err(DeviceError::DeviceNotAvailable(3).into())
    );
}

// ---------------------------------------------------------------------------------------------
// Refused and immediate commands

#[test]
fn refused_legacy_commands() {
    let e = err(
        V0,
        "FleshlightLaunchFW12Cmd",
        json!({"Id": 7, "DeviceIndex": 4, "Position": 95, "Speed": 90}),
    );
    assert_eq!(
        e,
        MessageError::MessageConversionError(
            "FleshlightLaunchFW12Cmd is not implemented. Please update the client software to use a newer command".into()
        )
        .into()
    );
    let e = err(
        V1,
        "VorzeA10CycloneCmd",
        json!({"Id": 7, "DeviceIndex": 4, "Speed": 50, "Clockwise": true}),
    );
    match &e {
        ButtplugError::ButtplugMessageError(MessageError::MessageConversionError(text)) => {
            assert!(
                text.starts_with(
                    "VorzeA10CycloneCmd is considered unused, and no longer supported."
                ),
                "{text}"
            )
        }
        other => panic!("{other:?}"),
    }
    let device_errors = [
        (
            V0,
            "KiirooCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Command": "4"}),
        ),
        (
            V0,
            "LovenseCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Command": "Vibrate:20;"}),
        ),
        (V2, "RSSILevelCmd", json!({"Id": 7, "DeviceIndex": 4})),
        (
            V2,
            "RawWriteCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Endpoint": "tx", "Data": [1, 2], "WriteWithResponse": false}),
        ),
        (
            V3,
            "RawReadCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Endpoint": "rx", "ExpectedLength": 0, "WaitForData": false}),
        ),
        (
            V3,
            "RawReadCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Endpoint": "rx", "Length": 0, "WaitForData": false}),
        ),
        (
            V2,
            "RawSubscribeCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Endpoint": "rx"}),
        ),
        (
            V3,
            "RawUnsubscribeCmd",
            json!({"Id": 7, "DeviceIndex": 4, "Endpoint": "rx"}),
        ),
    ];
    for (version, name, body) in device_errors {
        match err(version, name, body) {
            ButtplugError::ButtplugDeviceError(DeviceError::MessageNotSupported(text)) => {
                assert!(text.starts_with(name), "{name}: {text}")
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn test_and_request_log_reply_at_once() {
    let action = convert(V0, "Test", json!({"Id": 7, "TestString": "Moo"})).expect("echo");
    let LegacyAction::Reply(reply) = action else {
        panic!("{action:?}")
    };
    assert_eq!(
        encode_server_frame(V0, &reply).as_deref(),
        Some(r#"[{"Test":{"Id":7,"TestString":"Moo"}}]"#)
    );
    assert_eq!(
        err(V1, "Test", json!({"Id": 7, "TestString": "Error"})).code(),
        ErrorCode::Message
    );
    assert_eq!(
        convert(V2, "RequestLog", json!({"Id": 7, "LogLevel": "Debug"})),
        Ok(LegacyAction::Reply(AnyServerMessage::V4(
            ServerMessage::ok(7)
        )))
    );
}

#[test]
fn messages_outside_the_connections_version_are_refused() {
    let msg = legacy(
        V0,
        "SingleMotorVibrateCmd",
        json!({"Id": 7, "DeviceIndex": 1, "Speed": 0.5}),
    );
    assert_eq!(
        convert_legacy(V3, &msg, &devices()),
        Err(MessageError::UnexpectedMessageType("SingleMotorVibrateCmd".into()).into())
    );
    assert!(msg.exists_in(V1) && !msg.exists_in(V2) && !msg.exists_in(V4));
}

// ---------------------------------------------------------------------------------------------
// Replies

fn reading(id: u32, value: i32) -> ServerMessage {
    ServerMessage::InputReading(InputReading {
        device_index: 4,
        feature_index: 5,
        id,
        reading: InputData {
            input_type: InputType::Battery,
            value,
        },
    })
}

#[test]
fn replies_of_forwarded_commands() {
    let vibrate = legacy(
        V2,
        "VibrateCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Speeds": [{"Index": 0, "Speed": 0.5}, {"Index": 1, "Speed": 0.5}]}),
    );
    assert_eq!(
        legacy_reply(
            V2,
            &vibrate,
            vec![ServerMessage::ok(7), ServerMessage::ok(7)]
        ),
        AnyServerMessage::V4(ServerMessage::ok(7))
    );
    let first: ButtplugError = DeviceError::DeviceStepRangeError(0, 500).into();
    let second: ButtplugError = DeviceError::DeviceCommandSignError.into();
    assert_eq!(
        legacy_reply(
            V2,
            &vibrate,
            vec![
                ServerMessage::ok(7),
                ServerMessage::error(7, &first),
                ServerMessage::error(7, &second),
            ]
        ),
        AnyServerMessage::V4(ServerMessage::Error(ErrorMsg::from_error(7, &first)))
    );
    // An unexpected reply type becomes a code 3 error rather than a wrong reply.
    match legacy_reply(V2, &vibrate, vec![reading(7, 50)]) {
        AnyServerMessage::V4(ServerMessage::Error(e)) => {
            assert_eq!(e.id, 7);
            assert_eq!(e.error_code, ErrorCode::Message);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn sensor_replies() {
    let read = legacy(
        V3,
        "SensorReadCmd",
        json!({"Id": 7, "DeviceIndex": 4, "SensorIndex": 3, "SensorType": "Battery"}),
    );
    let out = legacy_reply(V3, &read, vec![reading(7, 64)]);
    assert_eq!(
        encode_server_frame(V3, &out).as_deref(),
        Some(
            r#"[{"SensorReading":{"Data":[64],"DeviceIndex":4,"Id":7,"SensorIndex":3,"SensorType":"Battery"}}]"#
        )
    );
    let battery = legacy(V2, "BatteryLevelCmd", json!({"Id": 7, "DeviceIndex": 4}));
    let out = legacy_reply(V2, &battery, vec![reading(7, 87)]);
    assert_eq!(
        encode_server_frame(V2, &out).as_deref(),
        Some(r#"[{"BatteryLevelReading":{"BatteryLevel":0.87,"DeviceIndex":4,"Id":7}}]"#)
    );
    // Sensor replies have no form in other versions.
    assert_eq!(encode_server_frame(V3, &out), None);
    let err: ButtplugError = DeviceError::DeviceCommunicationError("gone".into()).into();
    assert_eq!(
        legacy_reply(V2, &battery, vec![ServerMessage::error(7, &err)]),
        AnyServerMessage::V4(ServerMessage::error(7, &err))
    );
    match legacy_reply(V2, &battery, vec![ServerMessage::ok(7)]) {
        AnyServerMessage::V4(ServerMessage::Error(e)) => {
            assert_eq!(e.error_code, ErrorCode::Message)
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Device events

fn list(entries: &[DeviceEntry]) -> DeviceList {
    DeviceList {
        devices: entries
            .iter()
            .map(|d| (d.device_index, d.clone()))
            .collect(),
        id: 0,
    }
}

#[test]
fn tracker_reports_every_addition_and_removal() {
    let mut tracker = LegacyDeviceTracker::new(&list(&[aneros(), plain()]));
    assert!(
        tracker.update(V3, &list(&[aneros(), plain()])).is_empty(),
        "no change, no event"
    );
    let out = tracker.update(V3, &list(&[multi()]));
    let kinds: Vec<(&str, u32, u32)> = out
        .iter()
        .map(|o| match o {
            AnyServerMessage::Legacy(LegacyServerMessage::DeviceRemoved(r)) => {
                ("removed", r.device_index, r.id)
            }
            AnyServerMessage::Legacy(LegacyServerMessage::DeviceAdded(a)) => {
                ("added", a.device.device_index, a.id)
            }
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(
        kinds,
        vec![("removed", 1, 0), ("removed", 2, 0), ("added", 4, 0)]
    );
    for o in &out {
        assert!(encode_server_frame(V3, o).is_some());
        assert!(
            encode_server_frame(V2, o).is_none()
                || matches!(
                    o,
                    AnyServerMessage::Legacy(LegacyServerMessage::DeviceRemoved(_))
                )
        );
    }
    let out = tracker.update(V1, &list(&[multi(), aneros(), plain()]));
    assert_eq!(out.len(), 2);
    let frame = encode_server_frame(V1, &out[0]).expect("v1 DeviceAdded");
    assert_eq!(
        frame,
        r#"[{"DeviceAdded":{"DeviceIndex":1,"DeviceMessages":{"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2}},"DeviceName":"Aneros Vivi","Id":0}}]"#
    );
}

#[test]
fn tracker_for_v4_sends_the_list_only_when_indexes_change() {
    let mut tracker = LegacyDeviceTracker::new(&list(&[aneros()]));
    let mut changed = list(&[aneros()]);
    changed.devices.get_mut(&1).expect("aneros").device_name = "Renamed".into();
    assert!(tracker.update(V4, &changed).is_empty());
    let mut with_id = list(&[aneros(), plain()]);
    with_id.id = 12;
    let out = tracker.update(V4, &with_id);
    match out.as_slice() {
        [AnyServerMessage::V4(ServerMessage::DeviceList(l))] => {
            assert_eq!(l.id, 0, "events carry Id 0");
            assert_eq!(l.devices.len(), 2);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(
        tracker.known().iter().copied().collect::<Vec<_>>(),
        vec![1, 2]
    );
}

#[test]
fn forwarded_commands_are_plain_v4_messages() {
    // The v4 messages a legacy command becomes encode as a valid v4 client frame.
    let LegacyAction::Forward(msgs) = convert(
        V3,
        "ScalarCmd",
        json!({"Id": 7, "DeviceIndex": 4,
        "Scalars": [{"Index": 0, "Scalar": 0.5, "ActuatorType": "Vibrate"}]}),
    )
    .expect("ok") else {
        panic!("forward")
    };
    assert_eq!(
        teleplug::wire::json::encode_client_frame(&msgs),
        r#"[{"OutputCmd":{"Command":{"Vibrate":{"Value":10}},"DeviceIndex":4,"FeatureIndex":0,"Id":7}}]"#
    );
    let _ = OutputCmd {
        command: OutputCommand::new(OutputType::Vibrate, 10, 0),
        device_index: 4,
        feature_index: 0,
        id: 7,
    };
}
