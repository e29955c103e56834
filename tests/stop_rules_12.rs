//! The stop rules of buttplug_server 12 (data/device-config/V5-CHANGES.md §8.1) that are not a
//! protocol's: which output type a feature's stop zeroes, and which stop zeros are skipped as
//! repeats. Teleplug's decision for each is in docs/WIRE-CHANGES-12.md ("Stops").

use std::time::Duration;

use teleplug::client::{Client, EmbeddedConnector};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio::sync::mpsc::UnboundedReceiver;

const DATABASE: &str = include_str!("../data/device-config/buttplug-device-config-v5.json");
const ADDITIONS: &str = include_str!("../data/device-config/teleplug-additions.json");

/// Teleplug's stop order (docs/PROTOCOL.md): the first of these a feature has is zeroed.
const PRIORITY: [&str; 7] = [
    "vibrate",
    "rotate",
    "oscillate",
    "constrict",
    "temperature",
    "led",
    "spray",
];

/// 12 zeroes the first stoppable type in the definition's own key order, Teleplug the first in
/// a fixed priority. The two agree on every feature the shipped files define (none has two
/// stoppable types); a database where they differ fails here, so the choice is made again.
#[test]
fn both_stop_type_rules_pick_the_same_output_on_every_shipped_feature() {
    let mut features = 0;
    for text in [DATABASE, ADDITIONS] {
        let doc: serde_json::Value = serde_json::from_str(text).expect("JSON");
        for protocol in doc["protocols"].as_object().expect("protocols").values() {
            let configurations = protocol["configurations"].as_array().cloned();
            let definitions = std::iter::once(protocol["defaults"].clone())
                .chain(configurations.into_iter().flatten());
            for definition in definitions {
                for feature in definition["features"].as_array().into_iter().flatten() {
                    let Some(outputs) = feature["output"].as_object() else {
                        continue;
                    };
                    let stoppable: Vec<&String> = outputs
                        .keys()
                        .filter(|k| PRIORITY.contains(&k.as_str()))
                        .collect();
                    let by_priority = PRIORITY.iter().find(|p| outputs.contains_key(**p));
                    // Whatever the key order, one stoppable type means one choice.
                    assert!(
                        stoppable.len() <= 1,
                        "{:?} feature {}: {stoppable:?}",
                        definition["name"],
                        feature["index"]
                    );
                    assert_eq!(stoppable.first().map(|s| s.as_str()), by_priority.copied());
                    features += 1;
                }
            }
        }
    }
    assert!(features > 1000, "the walk saw the features ({features})");
}

const ZERO: [u8; 6] = [0x01, 0x00, 0x00, 0x03, 0xE8, 0xFF];
const HALF: [u8; 6] = [0x01, 0x32, 0x32, 0x03, 0xE8, 0xFF];

/// Everything written since the last call (the device task has written it by the time the
/// request that caused it is answered).
fn written(ops: &mut UnboundedReceiver<SimOp>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Ok(op) = ops.try_recv() {
        if let SimOp::Write { data, .. } = op {
            out.push(data);
        }
    }
    out
}

/// Two Kiiroo Spot 2 (index 0 and 1: 12's repeat filter depends on the index). For each: a stop
/// of a never-commanded toy writes its zero (both servers); a second stop writes nothing (both);
/// a stop right after the client's own zero writes nothing on either index (12 writes it again
/// on any index but 0, since its stop entries carry device index 0 and never equal the client's).
#[tokio::test(start_paused = true)]
async fn stop_zeros_are_skipped_only_when_the_toy_already_has_that_zero() {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let mut ops = Vec::new();
    for address in ["spot-a", "spot-b"] {
        let device = SimulatedDevice::new(SimulatedDeviceSpec::new("SPOT W2", address));
        ops.push(device.op_receiver());
        server.advertise(device);
    }
    let client = Client::connect_with("stops", EmbeddedConnector::connect_to(&server).unwrap())
        .await
        .unwrap();
    client.start_scanning().await.unwrap();
    while client.devices().len() < 2 {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut devices = client.devices();
    devices.sort_by_key(|d| d.index());
    assert_eq!(
        devices.iter().map(|d| d.index()).collect::<Vec<_>>(),
        [0, 1]
    );
    for (device, ops) in devices.iter().zip(&mut ops) {
        written(ops);
        device.stop().await.unwrap();
        assert_eq!(
            written(ops),
            [ZERO],
            "device {}: first stop",
            device.index()
        );
        device.stop().await.unwrap();
        assert!(
            written(ops).is_empty(),
            "device {}: second stop",
            device.index()
        );
        device.vibrate(0.5).await.unwrap();
        device.vibrate(0.0).await.unwrap();
        // The message gap may hold the zero back: let it pass.
        tokio::time::sleep(Duration::from_secs(1)).await;
        assert_eq!(written(ops), [HALF, ZERO], "device {}", device.index());
        device.stop().await.unwrap();
        assert!(
            written(ops).is_empty(),
            "device {}: the toy already has the zero",
            device.index()
        );
    }
    client.disconnect().await.unwrap();
    server.shutdown(Duration::from_secs(1)).await;
}
