//! Bluetooth LE reconnection without a new scan (issue 15, item 4), against the fake BlueZ
//! (tests/fixtures/fake_bluez.py, harness tests/support/fake_bluez.rs; each scenario in its own
//! process). The fake reports advertisements only while discovery is on, as BlueZ does, so a
//! device found again after the client stopped scanning proves the manager kept discovery on
//! for it.
#![cfg(all(feature = "btle", target_os = "linux"))]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::device_list::{
    EVENT_TIMEOUT, device_gone, device_listed, request, stop_scanning, vibrate,
};
use support::fake_bluez::{Bus, FakeBluez, ble_server, run};
use support::scan::{next_event, scanning_client};
use support::wire::{WireClient, body, msg_type};
use teleplug::server::{Server, ServerEvent};
use teleplug::wire::SpecVersion;

const TOY: &str = "AA:BB:CC:DD:EE:01";
const OTHER: &str = "AA:BB:CC:DD:EE:02";
const LVS_SVC: &str = "5a300001-0023-4bd4-bbd5-a6920e4c5653";
const LVS_TX: &str = "5a300002-0023-4bd4-bbd5-a6920e4c5653";
const LVS_RX: &str = "5a300003-0023-4bd4-bbd5-a6920e4c5653";

fn hex(s: &str) -> String {
    support::fake_bluez::hex(s.as_bytes())
}

/// A Lovense toy (`type` Z = Hush, or A = Nora) answering `DeviceType;` and `Battery;`.
fn lovense(address: &str, name: &str, kind: &str, advertise: bool) -> Value {
    json!({
        "address": address,
        "name": name,
        "advertise": advertise,
        "gatt": [{"uuid": LVS_SVC, "characteristics": [
            {"uuid": LVS_TX, "flags": ["write", "write-without-response"], "replies": [
                {"on": hex("DeviceType;"), "notify": hex(&format!("{kind}:11:0082059AD3BD;")), "to": LVS_RX},
                {"on": hex("Battery;"), "notify": hex("85;"), "to": LVS_RX}]},
            {"uuid": LVS_RX, "flags": ["read", "notify"]}]}]
    })
}

async fn server_event(
    events: &mut tokio::sync::broadcast::Receiver<ServerEvent>,
    expected: ServerEvent,
) {
    tokio::time::timeout(EVENT_TIMEOUT, async {
        while events.recv().await.expect("events") != expected {}
    })
    .await
    .unwrap_or_else(|_| panic!("no {expected:?}"));
}

/// Connects the toy through a scan, vibrates it at 10, stops scanning (discovery goes off) and
/// drops the toy: returns the client, its index, and the fake once discovery is on again.
async fn connected_then_dropped(
    server: &Server,
    fake: &mut FakeBluez,
    events: &mut tokio::sync::broadcast::Receiver<ServerEvent>,
) -> (WireClient, u64) {
    let mut c = scanning_client(server, "reconnect test").await;
    fake.expect(|l| l == "DISCOVERY-START").await;
    let index = device_listed(&mut c, "Lovense Hush").await;
    stop_scanning(&mut c).await;
    fake.expect(|l| l == "DISCOVERY-STOP").await;
    let r = vibrate(&mut c, index, 10).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    fake.expect_write(TOY, LVS_TX, b"Vibrate:10;").await;

    fake.command(json!({"cmd": "drop", "address": TOY})).await;
    device_gone(&mut c, "Lovense Hush").await;
    server_event(events, ServerEvent::DeviceRemoved(index as u32)).await;
    // No client scans, yet discovery comes back on: the toy is waited for.
    fake.expect(|l| l == "DISCOVERY-START").await;
    (c, index)
}

/// The report lines since the last `CONNECT address`.
fn since_last_connect(history: &[String], address: &str) -> Vec<String> {
    let connect = format!("CONNECT {address}");
    let at = history
        .iter()
        .rposition(|l| *l == connect)
        .expect("connected");
    history[at..].to_vec()
}

#[test]
fn a_dropped_toy_comes_back_without_a_scan_keeps_its_index_and_nothing_is_replayed() {
    let config = json!({"devices": [lovense(TOY, "LVS-Z36", "Z", true)]});
    run(
        "a_dropped_toy_comes_back_without_a_scan_keeps_its_index_and_nothing_is_replayed",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut events = server.events();
            let (mut c, index) = connected_then_dropped(&server, &mut fake, &mut events).await;

            // It advertises again: connected, identified, same index, announced to the client.
            fake.command(json!({"cmd": "advertise", "address": TOY}))
                .await;
            fake.expect(|l| l == format!("CONNECT {TOY}")).await;
            server_event(&mut events, ServerEvent::DeviceAdded(index as u32)).await;
            let again = device_listed(&mut c, "Lovense Hush").await;
            assert_eq!(again, index, "the toy keeps its index");
            // Back, and no client scanning: discovery goes off.
            fake.expect(|l| l == "DISCOVERY-STOP").await;

            // Back, it is stopped first (a toy may keep its last command through a drop); a new
            // command works; the one from before the drop was not written again.
            let r = vibrate(&mut c, index, 3).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            fake.expect_write(TOY, LVS_TX, b"Vibrate:3;").await;
            let after = since_last_connect(&fake.history(), TOY);
            let vibrates: Vec<&String> = after
                .iter()
                .filter(|l| l.starts_with(&format!("WRITE {TOY} {LVS_TX} {}", hex("Vibrate"))))
                .collect();
            assert_eq!(
                vibrates.len(),
                2,
                "only the stop and the new command are written after reconnecting: {after:?}"
            );
            assert!(vibrates[0].contains(&hex("Vibrate:0;")), "{after:?}");
            assert!(vibrates[1].contains(&hex("Vibrate:3;")), "{after:?}");
            assert!(
                !fake
                    .history()
                    .iter()
                    .any(|l| l.starts_with("CONNECT-FAILED")),
                "no attempt while it was out of range: {:?}",
                fake.history()
            );

            server.shutdown(Duration::from_secs(2)).await;
            fake.expect(|l| l == format!("DISCONNECT {TOY}")).await;
        },
    );
}

#[test]
fn a_v3_client_hears_device_added_again() {
    let config = json!({"devices": [lovense(TOY, "LVS-Z36", "Z", true)]});
    run(
        "a_v3_client_hears_device_added_again",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut c = WireClient::connect(&server, SpecVersion::V3);
            let info = c.handshake("reconnect test").await;
            assert_eq!(msg_type(&info), "ServerInfo", "{info}");
            let r = request(&mut c, "StartScanning", json!({})).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            let added = next_event(&mut c, EVENT_TIMEOUT, "DeviceAdded", |m| {
                msg_type(m) == "DeviceAdded"
            })
            .await;
            let index = body(&added)["DeviceIndex"].clone();
            let r = request(&mut c, "StopScanning", json!({})).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");

            fake.command(json!({"cmd": "drop", "address": TOY})).await;
            let removed = next_event(&mut c, EVENT_TIMEOUT, "DeviceRemoved", |m| {
                msg_type(m) == "DeviceRemoved"
            })
            .await;
            assert_eq!(body(&removed)["DeviceIndex"], index);
            fake.expect(|l| l == "DISCOVERY-START").await;
            fake.command(json!({"cmd": "advertise", "address": TOY}))
                .await;
            let again = next_event(&mut c, EVENT_TIMEOUT, "DeviceAdded again", |m| {
                msg_type(m) == "DeviceAdded"
            })
            .await;
            assert_eq!(body(&again)["DeviceIndex"], index, "{again}");
            assert_eq!(body(&again)["DeviceName"], json!("Lovense Hush"));
        },
    );
}

#[test]
fn a_scan_started_and_stopped_while_waiting_does_not_end_the_wait() {
    // Another toy, out of range at first, shows the client's scan offers everything.
    let config = json!({"devices": [
        lovense(TOY, "LVS-Z36", "Z", true),
        lovense(OTHER, "LVS-Nora", "A", false),
    ]});
    run(
        "a_scan_started_and_stopped_while_waiting_does_not_end_the_wait",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut events = server.events();
            let (mut c, index) = connected_then_dropped(&server, &mut fake, &mut events).await;
            let waiting_since = fake.history().len();

            let r = request(&mut c, "StartScanning", json!({})).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            fake.command(json!({"cmd": "advertise", "address": OTHER}))
                .await;
            device_listed(&mut c, "Lovense Nora").await;
            stop_scanning(&mut c).await;

            fake.command(json!({"cmd": "advertise", "address": TOY}))
                .await;
            fake.expect(|l| l == format!("CONNECT {TOY}")).await;
            assert_eq!(device_listed(&mut c, "Lovense Hush").await, index);
            let history = fake.history();
            let stops: Vec<&String> = history[waiting_since..]
                .iter()
                .take_while(|l| **l != format!("CONNECT {TOY}"))
                .filter(|l| l.starts_with("DISCOVERY-"))
                .collect();
            assert!(
                stops.is_empty(),
                "discovery stayed on, untouched, while the toy was waited for: {history:?}"
            );
            fake.expect(|l| l == "DISCOVERY-STOP").await;
        },
    );
}

#[test]
fn shutdown_ends_the_wait_and_a_toy_back_afterwards_is_not_connected() {
    let config = json!({"devices": [lovense(TOY, "LVS-Z36", "Z", true)]});
    run(
        "shutdown_ends_the_wait_and_a_toy_back_afterwards_is_not_connected",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut events = server.events();
            let _c = connected_then_dropped(&server, &mut fake, &mut events).await;
            server.shutdown(Duration::from_secs(2)).await;
            fake.expect(|l| l == "DISCOVERY-STOP").await;
            fake.command(json!({"cmd": "advertise", "address": TOY}))
                .await;
            let history = fake.history();
            let connects = history
                .iter()
                .filter(|l| **l == format!("CONNECT {TOY}"))
                .count();
            assert_eq!(connects, 1, "{history:?}");
            assert!(
                !history.iter().any(|l| *l == format!("ADVERTISED {TOY}")),
                "discovery is off: the advertisement is not even reported: {history:?}"
            );
        },
    );
}
