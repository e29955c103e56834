//! Connection rules for spec v0–v3 clients (docs/PROTOCOL.md §2.4, §4): handshake layouts, device
//! descriptions and DeviceAdded/DeviceRemoved events per version, legacy commands reaching the
//! device, version-specific errors, and the safety rules.

mod support;

use std::time::Duration;

use serde_json::json;
use support::ops::{next_data, until_connected};
use support::wire::{WireClient, body, error_code, msg_type};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::SpecVersion;
use tokio::sync::mpsc::UnboundedReceiver;

const LEGACY: [SpecVersion; 4] = [
    SpecVersion::V0,
    SpecVersion::V1,
    SpecVersion::V2,
    SpecVersion::V3,
];

fn server(max_ping: Duration) -> Server {
    Server::new(ServerOptions {
        name: "Legacy Test".into(),
        max_ping_time: max_ping,
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

/// A client at `version`, scanning, with an Aneros (two vibrators) connected.
async fn with_aneros(
    version: SpecVersion,
) -> (
    Server,
    WireClient,
    SimulatedDevice,
    UnboundedReceiver<SimOp>,
) {
    let s = server(Duration::ZERO);
    let dev = SimulatedDevice::new(SimulatedDeviceSpec::new("Massage Demo", "legacy-aneros"));
    let mut ops = dev.op_receiver();
    s.advertise(dev.clone());
    let mut c = WireClient::connect(&s, version);
    assert_eq!(msg_type(&c.handshake("legacy").await), "ServerInfo");
    let m = c.msg("StartScanning", json!({}));
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    until_connected(&mut ops).await;
    (s, c, dev, ops)
}

#[tokio::test]
async fn server_info_has_each_versions_layout() {
    let expected = [
        json!({"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":0,"MinorVersion":0,"ServerName":"Legacy Test"}}),
        json!({"ServerInfo":{"BuildVersion":0,"Id":1,"MajorVersion":0,"MaxPingTime":0,"MessageVersion":1,"MinorVersion":0,"ServerName":"Legacy Test"}}),
        json!({"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":2,"ServerName":"Legacy Test"}}),
        json!({"ServerInfo":{"Id":1,"MaxPingTime":0,"MessageVersion":3,"ServerName":"Legacy Test"}}),
    ];
    for (v, want) in LEGACY.iter().zip(expected) {
        let s = server(Duration::ZERO);
        let mut c = WireClient::connect(&s, *v);
        assert_eq!(c.handshake("x").await, want, "{v}");
    }
}

#[tokio::test]
async fn device_added_and_removed_carry_each_versions_description() {
    let messages = [
        json!(["SingleMotorVibrateCmd", "StopDeviceCmd"]),
        json!({"SingleMotorVibrateCmd":{},"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2}}),
        json!({"StopDeviceCmd":{},"VibrateCmd":{"FeatureCount":2,"StepCount":[127,127]}}),
        json!({"ScalarCmd":[
            {"ActuatorType":"Vibrate","FeatureDescriptor":"Perineum Vibrator","StepCount":127},
            {"ActuatorType":"Vibrate","FeatureDescriptor":"Internal Vibrator","StepCount":127}],
            "StopDeviceCmd":{}}),
    ];
    for (v, dm) in LEGACY.iter().zip(messages) {
        let (_s, mut c, dev, _ops) = with_aneros(*v).await;
        let added = c.recv().await.expect("DeviceAdded");
        assert_eq!(msg_type(&added), "DeviceAdded", "{v}: {added}");
        let b = body(&added);
        assert_eq!(b["Id"], json!(0));
        assert_eq!(b["DeviceIndex"], json!(0));
        assert_eq!(b["DeviceName"], json!("Aneros Vivi"));
        assert_eq!(b["DeviceMessages"], dm, "{v}");
        if *v == SpecVersion::V3 {
            assert_eq!(b["DeviceMessageTimingGap"], json!(0));
        }
        // The list reply has the same description, in an array.
        let m = c.msg("RequestDeviceList", json!({}));
        let list = c.request(vec![m]).await.remove(0);
        assert_eq!(body(&list)["Devices"][0]["DeviceMessages"], dm, "{v}");
        dev.disconnect();
        let removed = c.recv().await.expect("DeviceRemoved");
        assert_eq!(
            removed,
            json!({"DeviceRemoved":{"DeviceIndex":0,"Id":0}}),
            "{v}"
        );
    }
}

#[tokio::test]
async fn legacy_vibrate_commands_reach_the_device() {
    for v in LEGACY {
        let (_s, mut c, _dev, mut ops) = with_aneros(v).await;
        let m = match v {
            SpecVersion::V0 => c.msg(
                "SingleMotorVibrateCmd",
                json!({"DeviceIndex":0,"Speed":0.5}),
            ),
            SpecVersion::V3 => c.msg(
                "ScalarCmd",
                json!({"DeviceIndex":0,"Scalars":[
                    {"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},
                    {"Index":1,"Scalar":0.5,"ActuatorType":"Vibrate"}]}),
            ),
            _ => c.msg(
                "VibrateCmd",
                json!({"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5},{"Index":1,"Speed":0.5}]}),
            ),
        };
        let r = c.request(vec![m]).await.remove(0);
        assert_eq!(msg_type(&r), "Ok", "{v}: {r}");
        // ceil(127 * 0.5) = 64 on both motors, in feature order.
        assert_eq!(next_data(&mut ops).await, vec![0xF1, 64], "{v}");
        assert_eq!(next_data(&mut ops).await, vec![0xF2, 64], "{v}");
        let m = c.msg("StopDeviceCmd", json!({"DeviceIndex":0}));
        assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
        assert_eq!(next_data(&mut ops).await, vec![0xF1, 0]);
        assert_eq!(next_data(&mut ops).await, vec![0xF2, 0]);
        if v == SpecVersion::V0 {
            // VibrateCmd does not exist in v0 (only a JSON client can even send it).
            c.send_text(
                r#"[{"VibrateCmd":{"Id":99,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1.0}]}}]"#,
            )
            .await;
            assert_eq!(error_code(&c.reply(99).await), Some(3));
        } else {
            let m = c.msg(
                "VibrateCmd",
                json!({"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":1.0}]}),
            );
            let r = c.request(vec![m]).await.remove(0);
            assert_eq!(msg_type(&r), "Ok");
            assert_eq!(next_data(&mut ops).await, vec![0xF1, 127]);
            let m = c.msg("StopAllDevices", json!({}));
            assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
            assert_eq!(next_data(&mut ops).await, vec![0xF1, 0]);
        }
    }
}

#[tokio::test]
async fn legacy_errors_have_the_right_codes() {
    let (_s, mut c, _dev, _ops) = with_aneros(SpecVersion::V1).await;
    let m = c.msg(
        "FleshlightLaunchFW12Cmd",
        json!({"DeviceIndex":0,"Position":95,"Speed":90}),
    );
    let r = c.request(vec![m]).await.remove(0);
    assert_eq!(error_code(&r), Some(3), "{r}");
    let m = c.msg(
        "VibrateCmd",
        json!({"DeviceIndex":3,"Speeds":[{"Index":0,"Speed":0.5}]}),
    );
    let r = c.request(vec![m]).await.remove(0);
    assert_eq!(error_code(&r), Some(4));
    assert_eq!(
        body(&r)["ErrorMessage"],
        json!(r#"{"ButtplugDeviceError":{"DeviceNotAvailable":3}}"#)
    );
    let m = c.msg(
        "VibrateCmd",
        json!({"DeviceIndex":0,"Speeds":[{"Index":2,"Speed":0.5}]}),
    );
    assert_eq!(error_code(&c.request(vec![m]).await[0]), Some(4));
    // A v4 message is unknown to a v1 connection.
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}),
    );
    assert_eq!(error_code(&c.request(vec![m]).await[0]), Some(3));

    let (_s, mut c, _dev, _ops) = with_aneros(SpecVersion::V3).await;
    let m = c.msg(
        "SensorSubscribeCmd",
        json!({"DeviceIndex":0,"SensorIndex":0,"SensorType":"Pressure"}),
    );
    assert_eq!(error_code(&c.request(vec![m]).await[0]), Some(4));
    let m = c.msg(
        "ScalarCmd",
        json!({"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":1.5,"ActuatorType":"Vibrate"}]}),
    );
    let r = c.request(vec![m]).await.remove(0);
    assert!(error_code(&r).is_some(), "out-of-range scalar refused: {r}");
}

#[tokio::test]
async fn legacy_battery_reads() {
    for v in [SpecVersion::V2, SpecVersion::V3] {
        let s = server(Duration::ZERO);
        let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(
            "legacy-lovense",
            "Z:11:0082059AD3BD;",
            87,
        ));
        let mut ops = toy.op_receiver();
        s.advertise(toy);
        let mut c = WireClient::connect(&s, v);
        c.handshake("legacy").await;
        let m = c.msg("StartScanning", json!({}));
        c.request(vec![m]).await;
        until_connected(&mut ops).await;
        let (m, want) = if v == SpecVersion::V2 {
            let m = c.msg("BatteryLevelCmd", json!({"DeviceIndex":0}));
            let id = body(&m)["Id"].clone();
            (
                m,
                json!({"BatteryLevelReading":{"BatteryLevel":0.87,"DeviceIndex":0,"Id":id}}),
            )
        } else {
            let m = c.msg(
                "SensorReadCmd",
                json!({"DeviceIndex":0,"SensorIndex":4,"SensorType":"Battery"}),
            );
            let id = body(&m)["Id"].clone();
            (
                m,
                json!({"SensorReading":{"Data":[87],"DeviceIndex":0,"Id":id,"SensorIndex":4,"SensorType":"Battery"}}),
            )
        };
        assert_eq!(c.request(vec![m]).await.remove(0), want, "{v}");
    }
}

#[tokio::test(start_paused = true)]
async fn legacy_clients_ping_out_and_devices_stop() {
    for v in LEGACY {
        let s = server(Duration::from_millis(200));
        let dev = SimulatedDevice::new(SimulatedDeviceSpec::new("Massage Demo", "legacy-ping"));
        let mut ops = dev.op_receiver();
        s.advertise(dev);
        let mut c = WireClient::connect(&s, v);
        let info = c.handshake("legacy").await;
        assert_eq!(body(&info)["MaxPingTime"], json!(200));
        let m = c.msg("StartScanning", json!({}));
        c.request(vec![m]).await;
        until_connected(&mut ops).await;
        let m = c.msg("StopDeviceCmd", json!({"DeviceIndex":0}));
        c.request(vec![m]).await;
        assert_eq!(next_data(&mut ops).await, vec![0xF1, 0]);
        assert_eq!(next_data(&mut ops).await, vec![0xF2, 0]);
        let m = c.msg(
            "SingleMotorVibrateCmd",
            json!({"DeviceIndex":0,"Speed":1.0}),
        );
        let r = c.request(vec![m]).await.remove(0);
        if v <= SpecVersion::V1 {
            assert_eq!(msg_type(&r), "Ok");
            assert_eq!(next_data(&mut ops).await, vec![0xF1, 127]);
            assert_eq!(next_data(&mut ops).await, vec![0xF2, 127]);
            // Ping-out stops the running motors.
            let mut stops = Vec::new();
            loop {
                let m = c.recv().await;
                match m {
                    Some(m) if msg_type(&m) == "Error" => {
                        assert_eq!(body(&m)["ErrorCode"], json!(2));
                        break;
                    }
                    Some(_) => continue,
                    None => panic!("closed before the ping error"),
                }
            }
            stops.push(next_data(&mut ops).await);
            stops.push(next_data(&mut ops).await);
            stops.sort();
            assert_eq!(stops, vec![vec![0xF1, 0], vec![0xF2, 0]], "{v}");
        } else {
            // SingleMotorVibrateCmd left the spec with v2.
            assert_eq!(error_code(&r), Some(3), "{v}: {r}");
        }
    }
}

#[tokio::test]
async fn legacy_client_drop_stops_devices() {
    let (_s, mut c, _dev, mut ops) = with_aneros(SpecVersion::V2).await;
    let m = c.msg(
        "VibrateCmd",
        json!({"DeviceIndex":0,"Speeds":[{"Index":1,"Speed":0.25}]}),
    );
    c.request(vec![m]).await;
    assert_eq!(next_data(&mut ops).await, vec![0xF2, 32]);
    drop(c);
    let mut stops = vec![next_data(&mut ops).await, next_data(&mut ops).await];
    stops.sort();
    assert_eq!(stops, vec![vec![0xF1, 0], vec![0xF2, 0]]);
}
