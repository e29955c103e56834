//! Robust parsing at the connection level: random and mutated frames sent to a live connection
//! at every spec version never crash it, every frame is answered, and the connection keeps
//! working (a Ping after each frame gets its Ok).

mod support;

use proptest::prelude::*;
use serde_json::{Value, json};
use support::mutate::mutate;
use support::wire::{WireClient, body, msg_type};
use teleplug::hardware::simulated::{SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::SpecVersion;

/// Valid frames of every version to mutate (no handshake and no Disconnect: those end or
/// change the conversation on purpose).
const CORPUS: &[&str] = &[
    r#"[{"Ping":{"Id":1}}]"#,
    r#"[{"RequestDeviceList":{"Id":2}}]"#,
    r#"[{"StartScanning":{"Id":3}},{"StopScanning":{"Id":4}}]"#,
    r#"[{"OutputCmd":{"Id":5,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
    r#"[{"OutputCmd":{"Id":6,"DeviceIndex":0,"FeatureIndex":1,"Command":{"HwPositionWithDuration":{"Value":10,"Duration":100}}}}]"#,
    r#"[{"InputCmd":{"Id":7,"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}}]"#,
    r#"[{"StopCmd":{"Id":8,"DeviceIndex":0,"FeatureIndex":1,"Inputs":true,"Outputs":false}}]"#,
    r#"[{"VibrateCmd":{"Id":9,"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}}]"#,
    r#"[{"ScalarCmd":{"Id":10,"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}}]"#,
    r#"[{"RotateCmd":{"Id":11,"DeviceIndex":0,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":true}]}}]"#,
    r#"[{"LinearCmd":{"Id":12,"DeviceIndex":0,"Vectors":[{"Index":0,"Duration":500,"Position":0.3}]}}]"#,
    r#"[{"SingleMotorVibrateCmd":{"Id":13,"DeviceIndex":0,"Speed":0.5}}]"#,
    r#"[{"StopDeviceCmd":{"Id":14,"DeviceIndex":0}},{"StopAllDevices":{"Id":15}}]"#,
    r#"[{"BatteryLevelCmd":{"Id":16,"DeviceIndex":0}}]"#,
    r#"[{"SensorReadCmd":{"Id":17,"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}}]"#,
    r#"[{"FleshlightLaunchFW12Cmd":{"Id":18,"DeviceIndex":0,"Position":95,"Speed":90}}]"#,
];

fn frame_strategy() -> impl Strategy<Value = String> {
    prop_oneof![
        // Random text.
        ".{0,64}",
        // Random bytes as (lossy) text.
        prop::collection::vec(any::<u8>(), 0..64)
            .prop_map(|b| String::from_utf8_lossy(&b).into_owned()),
        // Byte-level mutations of valid frames.
        (
            0..CORPUS.len(),
            prop::collection::vec((any::<usize>(), any::<u8>()), 1..6)
        )
            .prop_map(|(i, edits)| mutate(CORPUS[i], &edits)),
        // Valid frames, untouched.
        (0..CORPUS.len()).prop_map(|i| CORPUS[i].to_string()),
    ]
}

async fn check(version: SpecVersion, frames: Vec<String>) -> Result<(), String> {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    server.advertise(SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        "prop-lovense",
        "Z:11:0082059AD3BD;",
        50,
    )));
    let mut c = WireClient::connect(&server, version);
    if msg_type(&c.handshake("proptest").await) != "ServerInfo" {
        return Err("handshake failed".into());
    }
    for (n, frame) in frames.iter().enumerate() {
        c.send_text(frame).await;
        let ping_id = 1_000_000 + n as u32;
        c.send_text(&json!([{"Ping": {"Id": ping_id}}]).to_string())
            .await;
        let mut answered = 0;
        loop {
            let m: Value = tokio::time::timeout(std::time::Duration::from_secs(15), c.recv())
                .await
                .map_err(|_| format!("no answer after frame {frame:?}"))?
                .ok_or_else(|| format!("connection closed after frame {frame:?}"))?;
            let id = body(&m)["Id"].as_u64().unwrap_or(0) as u32;
            if id == ping_id {
                if msg_type(&m) != "Ok" {
                    return Err(format!("ping after {frame:?} got {m}"));
                }
                break;
            }
            if id != 0 || msg_type(&m) == "Error" {
                answered += 1;
            }
        }
        if answered == 0 {
            return Err(format!("frame {frame:?} got no answer"));
        }
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn random_frames_are_answered_at_every_version(
        frames in prop::collection::vec(frame_strategy(), 1..8),
        v in 0u32..5,
    ) {
        let version = SpecVersion::from_major(v).expect("version");
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
        let r = rt.block_on(check(version, frames));
        prop_assert!(r.is_ok(), "{}", r.err().unwrap_or_default());
    }
}
