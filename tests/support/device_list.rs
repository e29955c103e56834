//! A v4 client's view of devices through the wire (tests/support/wire.rs): requests, the
//! devices a DeviceList names, waiting for a device to be listed or gone, vibrating one. Shared
//! by the transport tests (Bluetooth, reconnection, the Lovense dongle).

use std::time::Duration;

use serde_json::{Value, json};

use super::scan::{next_event, scanning_finished};
use super::wire::{WireClient, body, msg_type};

/// How long a device event may take to come.
pub const EVENT_TIMEOUT: Duration = Duration::from_secs(10);

/// Send one request, return its reply.
pub async fn request(c: &mut WireClient, name: &str, fields: Value) -> Value {
    let m = c.msg(name, fields);
    c.request(vec![m]).await.remove(0)
}

/// (index, name) of each device in a DeviceList.
pub fn devices(list: &Value) -> Vec<(u64, String)> {
    body(list)["Devices"]
        .as_object()
        .map(|m| {
            m.values()
                .map(|d| {
                    (
                        d["DeviceIndex"].as_u64().unwrap_or(99),
                        d["DeviceName"].as_str().unwrap_or("").to_string(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The index of `name` from the first DeviceList that lists it.
pub async fn device_listed(c: &mut WireClient, name: &str) -> u64 {
    devices_listed(c, &[name]).await[0]
}

/// The indexes of `names` from the first DeviceList listing all of them (devices connecting
/// together may arrive in one DeviceList).
pub async fn devices_listed(c: &mut WireClient, names: &[&str]) -> Vec<u64> {
    let list = next_event(
        c,
        EVENT_TIMEOUT,
        &format!("DeviceList with {names:?}"),
        |m| {
            let listed = devices(m);
            msg_type(m) == "DeviceList" && names.iter().all(|n| listed.iter().any(|(_, l)| l == n))
        },
    )
    .await;
    let listed = devices(&list);
    names
        .iter()
        .map(|n| {
            listed
                .iter()
                .find(|(_, l)| l == n)
                .map(|(i, _)| *i)
                .expect("listed")
        })
        .collect()
}

/// Wait for a DeviceList without `name`.
pub async fn device_gone(c: &mut WireClient, name: &str) {
    next_event(
        c,
        EVENT_TIMEOUT,
        &format!("DeviceList without {name}"),
        |m| msg_type(m) == "DeviceList" && !devices(m).iter().any(|(_, n)| n == name),
    )
    .await;
}

/// Vibrate feature 0 of device `index`; the reply.
pub async fn vibrate(c: &mut WireClient, index: u64, value: i32) -> Value {
    request(
        c,
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}}),
    )
    .await
}

/// StopScanning, then wait for ScanningFinished.
pub async fn stop_scanning(c: &mut WireClient) {
    let r = request(c, "StopScanning", json!({})).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    scanning_finished(c, EVENT_TIMEOUT).await;
}
