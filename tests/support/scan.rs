//! A JSON v4 client that scans, and waiting for what the scan finds: events, the device list
//! and the server's first device.

use std::time::Duration;

use serde_json::{Value, json};
use teleplug::server::{Server, ServerEvent};
use teleplug::wire::{DeviceEntry, SpecVersion};

use super::wire::{WireClient, body, msg_type};

/// Start scanning on `server` and wait (at most `timeout`, else panic) until the scan finishes:
/// the first Error event on the way, if any.
pub async fn scan_error(server: &Server, timeout: Duration) -> Option<String> {
    let mut events = server.events();
    server.start_scanning().await;
    tokio::time::timeout(timeout, async {
        loop {
            match events.recv().await.expect("events") {
                ServerEvent::ScanningFinished => return None,
                ServerEvent::Error(e) => return Some(e),
                _ => {}
            }
        }
    })
    .await
    .expect("scan ends")
}

/// Connect a JSON v4 client named `name` and check the handshake gave ServerInfo.
pub async fn handshaken_client(server: &Server, name: &str) -> WireClient {
    let mut c = WireClient::connect(server, SpecVersion::V4);
    let info = c.handshake(name).await;
    assert_eq!(msg_type(&info), "ServerInfo", "{info}");
    c
}

/// Send StartScanning and check the reply is Ok.
pub async fn start_scanning(c: &mut WireClient) {
    let m = c.msg("StartScanning", json!({}));
    let r = c.request(vec![m]).await.remove(0);
    assert_eq!(msg_type(&r), "Ok", "{r}");
}

/// [`handshaken_client`], then [`start_scanning`].
pub async fn scanning_client(server: &Server, name: &str) -> WireClient {
    let mut c = handshaken_client(server, name).await;
    start_scanning(&mut c).await;
    c
}

/// The first event (Id 0) satisfying `pred`, already kept in `c.events` or received within
/// `timeout` (other events are kept); panics naming `what` when none comes.
pub async fn next_event(
    c: &mut WireClient,
    timeout: Duration,
    what: &str,
    pred: impl Fn(&Value) -> bool,
) -> Value {
    tokio::time::timeout(timeout, async {
        loop {
            if let Some(i) = c.events.iter().position(&pred) {
                return c.events.remove(i);
            }
            let m = c.recv().await.expect("connection open");
            if body(&m)["Id"] == json!(0) {
                c.events.push(m);
            }
        }
    })
    .await
    .unwrap_or_else(|_| panic!("no {what} event"))
}

/// Wait (see [`next_event`]) for ScanningFinished.
pub async fn scanning_finished(c: &mut WireClient, timeout: Duration) -> Value {
    next_event(c, timeout, "ScanningFinished", |m| {
        msg_type(m) == "ScanningFinished"
    })
    .await
}

/// Wait (see [`next_event`]) for a DeviceList with exactly `n` devices.
pub async fn device_list_of(c: &mut WireClient, timeout: Duration, n: usize) -> Value {
    next_event(c, timeout, &format!("DeviceList of {n}"), |m| {
        msg_type(m) == "DeviceList" && listed(m) == n
    })
    .await
}

/// How many devices a DeviceList message lists.
pub fn listed(m: &Value) -> usize {
    body(m)["Devices"].as_object().map_or(0, |d| d.len())
}

/// The first device of a DeviceList message (panics if it lists none).
pub fn first_listed(list: &Value) -> Value {
    body(list)["Devices"]
        .as_object()
        .and_then(|d| d.values().next())
        .cloned()
        .unwrap_or_else(|| panic!("no device in {list}"))
}

/// The server's first device entry, if it has one.
pub fn first_entry(server: &Server) -> Option<DeviceEntry> {
    server.device_list().devices.values().next().cloned()
}

/// Send OutputCmd `command` (`{"Vibrate": {"Value": 5}}`) to feature `feature` of device
/// `index` and check the reply is Ok.
pub async fn output_ok(c: &mut WireClient, index: Value, feature: u32, command: Value) {
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": feature, "Command": command}),
    );
    let r = c.request(vec![m]).await.remove(0);
    assert_eq!(msg_type(&r), "Ok", "{r}");
}
