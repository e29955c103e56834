//! Bluetooth LE end to end: the server's btleplug manager against the project's fake BlueZ on a
//! private D-Bus (tests/fixtures/fake_bluez.py, harness in tests/support/fake_bluez.rs). Each
//! scenario runs in its own process (libdbus reads the bus address once per process). BlueZ is
//! Linux's: Windows' and macOS's Bluetooth backends are compiled, not exercised, here.
#![cfg(all(feature = "btle", target_os = "linux"))]

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::device_list::{
    EVENT_TIMEOUT, device_gone, device_listed, devices_listed, request, vibrate,
};
use support::fake_bluez::{Bus, FakeBluez, ble_server, run};
use support::scan::{
    first_entry, handshaken_client, scanning_client, scanning_finished, start_scanning,
};
use support::wire::{body, msg_type};
use teleplug::server::ServerEvent;

const LOVENSE: &str = "AA:BB:CC:DD:EE:01";
const UNKNOWN: &str = "AA:BB:CC:DD:EE:09";
const LVS_SVC: &str = "5a300001-0023-4bd4-bbd5-a6920e4c5653";
const LVS_TX: &str = "5a300002-0023-4bd4-bbd5-a6920e4c5653";
const LVS_RX: &str = "5a300003-0023-4bd4-bbd5-a6920e4c5653";

fn hex(s: &str) -> String {
    support::fake_bluez::hex(s.as_bytes())
}

/// A Lovense toy answering `DeviceType;` (a Hush, `Z`) and `Battery;` (85 %) on its rx
/// characteristic.
fn lovense(address: &str, name: Option<&str>, advertised: &[&str]) -> Value {
    let mut d = json!({
        "address": address,
        "services": advertised,
        "gatt": [{"uuid": LVS_SVC, "characteristics": [
            {"uuid": LVS_TX, "flags": ["write", "write-without-response"], "replies": [
                {"on": hex("DeviceType;"), "notify": hex("Z:11:0082059AD3BD;"), "to": LVS_RX},
                {"on": hex("Battery;"), "notify": hex("85;"), "to": LVS_RX}]},
            {"uuid": LVS_RX, "flags": ["read", "notify"]}]}]
    });
    if let Some(n) = name {
        d["name"] = json!(n);
    }
    d
}

/// A device no protocol knows.
fn unknown() -> Value {
    json!({"address": UNKNOWN, "name": "Heart Rate Strap",
           "services": ["0000180d-0000-1000-8000-00805f9b34fb"],
           "gatt": [{"uuid": "0000180d-0000-1000-8000-00805f9b34fb", "characteristics": [
               {"uuid": "00002a37-0000-1000-8000-00805f9b34fb", "flags": ["notify"]}]}]})
}

#[test]
fn lovense_found_identified_vibrated_read_dropped_and_found_again() {
    let config = json!({"devices": [lovense(LOVENSE, Some("LVS-Z36"), &[LVS_SVC]), unknown()]});
    run(
        "lovense_found_identified_vibrated_read_dropped_and_found_again",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut events = server.events();
            let mut c = scanning_client(&server, "ble test").await;
            fake.expect(|l| l == "DISCOVERY-START").await;

            // Identified over notify: DeviceType; → Z → Lovense Hush.
            fake.expect_write(LOVENSE, LVS_TX, b"DeviceType;").await;
            let index = device_listed(&mut c, "Lovense Hush").await;
            let entry = first_entry(&server).expect("listed");
            assert_eq!(
                entry.device_message_timing_gap, 75,
                "BLE default message gap"
            );

            let r = vibrate(&mut c, index, 10).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            let kind = fake.expect_write(LOVENSE, LVS_TX, b"Vibrate:10;").await;
            assert_eq!(kind, "command", "Lovense writes without response");

            let r = request(
                &mut c,
                "InputCmd",
                json!({"DeviceIndex": index, "FeatureIndex": 1, "Type": "Battery", "Command": "Read"}),
            )
            .await;
            assert_eq!(msg_type(&r), "InputReading", "{r}");
            assert_eq!(body(&r)["Reading"], json!({"Battery": {"Value": 85}}));

            // The toy goes out of range: removed from the device list.
            fake.command(json!({"cmd": "drop", "address": LOVENSE}))
                .await;
            device_gone(&mut c, "Lovense Hush").await;
            tokio::time::timeout(EVENT_TIMEOUT, async {
                while events.recv().await.expect("events")
                    != ServerEvent::DeviceRemoved(index as u32)
                {}
            })
            .await
            .expect("DeviceRemoved");
            let r = vibrate(&mut c, index, 5).await;
            assert_eq!(msg_type(&r), "Error", "{r}");

            // It advertises again while the scan goes on: connected and identified again.
            fake.command(json!({"cmd": "advertise", "address": LOVENSE}))
                .await;
            fake.expect(|l| l == format!("CONNECT {LOVENSE}")).await;
            let again = device_listed(&mut c, "Lovense Hush").await;
            let r = vibrate(&mut c, again, 3).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            fake.expect_write(LOVENSE, LVS_TX, b"Vibrate:3;").await;

            // Stopping scanning is idempotent; the unknown device was never connected.
            for _ in 0..2 {
                let r = request(&mut c, "StopScanning", json!({})).await;
                assert_eq!(msg_type(&r), "Ok", "{r}");
            }
            fake.expect(|l| l == "DISCOVERY-STOP").await;
            let history = fake.history();
            assert!(history.iter().any(|l| l == &format!("ADDED {UNKNOWN}")));
            assert!(
                !history.iter().any(|l| l == &format!("CONNECT {UNKNOWN}")),
                "connected to a device the database does not know: {history:?}"
            );

            // The server disconnects on shutdown.
            server.shutdown(Duration::from_secs(2)).await;
            fake.expect(|l| l == format!("DISCONNECT {LOVENSE}")).await;
        },
    );
}

#[test]
fn a_write_that_drops_the_device_is_a_device_error() {
    let mut toy = lovense(LOVENSE, Some("LVS-Z36"), &[]);
    toy["drop_on_write"] = json!(hex("Vibrate:7;"));
    run(
        "a_write_that_drops_the_device_is_a_device_error",
        Bus::Fake(json!({"devices": [toy]})),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut c = scanning_client(&server, "ble test").await;
            let index = device_listed(&mut c, "Lovense Hush").await;
            let r = vibrate(&mut c, index, 7).await;
            fake.expect_write(LOVENSE, LVS_TX, b"Vibrate:7;").await;
            assert_eq!(msg_type(&r), "Error", "{r}");
            assert_eq!(body(&r)["ErrorCode"], json!(4), "a DEVICE error: {r}");
            device_gone(&mut c, "Lovense Hush").await;
        },
    );
}

#[test]
fn a_device_advertising_only_its_service_is_found() {
    // No name at all (BlueZ then shows the address as the alias): matched by the service UUID.
    let config = json!({"devices": [lovense("AA:BB:CC:DD:EE:02", None, &[LVS_SVC])]});
    run(
        "a_device_advertising_only_its_service_is_found",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut c = scanning_client(&server, "ble test").await;
            let index = device_listed(&mut c, "Lovense Hush").await;
            let r = vibrate(&mut c, index, 20).await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            fake.expect_write("AA:BB:CC:DD:EE:02", LVS_TX, b"Vibrate:20;")
                .await;
        },
    );
}

const SF_MODEL_SVC: &str = "0000180a-0000-1000-8000-00805f9b34fb";
const SF_MODEL: &str = "00002a24-0000-1000-8000-00805f9b34fb";
const SF_SVC: &str = "51361500-c5e7-47c7-8a6e-47ebc99d80e8";
const SF_COMMAND: &str = "51361501-c5e7-47c7-8a6e-47ebc99d80e8";
const SF_TX: &str = "51361502-c5e7-47c7-8a6e-47ebc99d80e8";

fn satisfyer(address: &str, name: Option<&str>, mfr: Option<&str>, model: &str) -> Value {
    let mut d = json!({
        "address": address,
        "gatt": [
            {"uuid": SF_MODEL_SVC, "characteristics": [
                {"uuid": SF_MODEL, "flags": ["read"], "value": model}]},
            {"uuid": SF_SVC, "characteristics": [
                {"uuid": SF_COMMAND, "flags": ["write"]},
                {"uuid": SF_TX, "flags": ["write", "write-without-response"]}]}]
    });
    if let Some(n) = name {
        d["name"] = json!(n);
    }
    if let Some(m) = mfr {
        d["manufacturer_data"] = json!({"93": m});
    }
    d
}

#[test]
fn satisfyers_by_manufacturer_data_and_by_name_with_a_model_read() {
    const BY_DATA: &str = "AA:BB:CC:DD:EE:03";
    const BY_NAME: &str = "AA:BB:CC:DD:EE:04";
    let config = json!({"devices": [
        // Company 0x005D with 00 00 28 43 (model 10307): matched and identified from the data.
        satisfyer(BY_DATA, Some("Pro 2"), Some("00002843"), "00000000"),
        // "SF *" name, no data: the model number is read from 0x2A24 (00 00 27 B0 = 10160).
        satisfyer(BY_NAME, Some("SF Double"), None, "000027b0"),
    ]});
    run(
        "satisfyers_by_manufacturer_data_and_by_name_with_a_model_read",
        Bus::Fake(config),
        |fake| async move {
            let mut fake = fake.expect("fake");
            let server = ble_server();
            let mut c = scanning_client(&server, "ble test").await;
            let [pro, double] = devices_listed(
                &mut c,
                &["Satisfyer Pro 2 Gen 3", "Satisfyer Double Desire"],
            )
            .await[..] else {
                unreachable!("one index per name")
            };
            // Both happened before the devices were listed; their report lines may still be
            // on their way from the fake.
            fake.expect_seen(|l| l == format!("READ {BY_NAME} {SF_MODEL}"))
                .await;
            // Initialization wrote [01] to the command characteristic with response.
            fake.expect_seen(|l| l == format!("WRITE {BY_DATA} {SF_COMMAND} 01 request"))
                .await;
            let history = fake.history();
            assert!(
                !history
                    .iter()
                    .any(|l| l == &format!("READ {BY_DATA} {SF_MODEL}")),
                "the model was read although the advertisement gave it: {history:?}"
            );
            let r = request(
                &mut c,
                "OutputCmd",
                json!({"DeviceIndex": pro, "FeatureIndex": 1, "Command": {"Vibrate": {"Value": 50}}}),
            )
            .await;
            assert_eq!(msg_type(&r), "Ok", "{r}");
            fake.expect(|l| l.starts_with(&format!("WRITE {BY_DATA} {SF_TX} 0000000032323232 ")))
                .await;
            assert_ne!(pro, double);
        },
    );
}

#[test]
fn no_system_bus_is_an_error_and_scanning_finishes() {
    run(
        "no_system_bus_is_an_error_and_scanning_finishes",
        Bus::Missing,
        |_| async {
            unavailable("D-Bus").await;
        },
    );
}

#[test]
fn no_bluez_on_the_bus_is_an_error_and_scanning_finishes() {
    run(
        "no_bluez_on_the_bus_is_an_error_and_scanning_finishes",
        Bus::WithoutBluez,
        |_| async {
            unavailable("BlueZ").await;
        },
    );
}

#[test]
fn no_adapter_is_an_error_and_scanning_finishes() {
    run(
        "no_adapter_is_an_error_and_scanning_finishes",
        Bus::Fake(json!({"adapters": [], "devices": []})),
        |fake| async move {
            let _fake = fake;
            unavailable("no Bluetooth adapter").await;
        },
    );
}

#[test]
fn a_powered_off_adapter_is_an_error_and_scanning_finishes() {
    run(
        "a_powered_off_adapter_is_an_error_and_scanning_finishes",
        Bus::Fake(json!({"adapters": [{"powered": false}], "devices": []})),
        |fake| async move {
            let _fake = fake;
            unavailable("powered off").await;
        },
    );
}

#[test]
fn powering_the_adapter_off_while_scanning_ends_the_scan() {
    run(
        "powering_the_adapter_off_while_scanning_ends_the_scan",
        Bus::Fake(json!({"devices": []})),
        |fake| async move {
            let mut fake: FakeBluez = fake.expect("fake");
            let server = ble_server();
            let mut events = server.events();
            let mut c = scanning_client(&server, "ble test").await;
            fake.expect(|l| l == "DISCOVERY-START").await;
            fake.command(json!({"cmd": "power", "on": false})).await;
            scanning_finished(&mut c, EVENT_TIMEOUT).await;
            let error = next_error(&mut events).await;
            assert!(error.contains("powered off"), "{error}");
        },
    );
}

async fn next_error(events: &mut tokio::sync::broadcast::Receiver<ServerEvent>) -> String {
    tokio::time::timeout(EVENT_TIMEOUT, async {
        loop {
            if let ServerEvent::Error(e) = events.recv().await.expect("events") {
                return e;
            }
        }
    })
    .await
    .expect("an error event")
}

/// StartScanning succeeds for the client, the user hears why Bluetooth is unavailable (an
/// Error event naming `expected`), and ScanningFinished follows: no hang.
async fn unavailable(expected: &str) {
    let server = ble_server();
    let mut events = server.events();
    let mut c = handshaken_client(&server, "ble test").await;
    let started = tokio::time::Instant::now();
    start_scanning(&mut c).await;
    scanning_finished(&mut c, EVENT_TIMEOUT).await;
    assert!(
        started.elapsed() < Duration::from_secs(8),
        "took {:?}",
        started.elapsed()
    );
    let error = next_error(&mut events).await;
    assert!(error.contains("bluetooth"), "{error}");
    assert!(error.contains(expected), "{error}");
}
