//! Server connection rules (docs/PROTOCOL.md §1–§5) exercised through raw Buttplug messages:
//! handshake, malformed input, ping, disconnect, scanning, commands, validation, ordering and
//! the stop-everything safety rules.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::ops::{next_data, until_connected};
use support::wire::{WireClient, body, error_code, msg_type};
use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::connection::PINGED_OUT_GRACE;
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::SpecVersion;
use tokio::sync::mpsc::UnboundedReceiver;

fn server_with(max_ping: Duration) -> Server {
    Server::new(ServerOptions {
        name: "Test Server".into(),
        max_ping_time: max_ping,
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

fn server() -> Server {
    server_with(Duration::ZERO)
}

/// An Aneros (two vibrators, 0–127) and its op stream.
fn aneros(server: &Server, address: &str) -> (SimulatedDevice, UnboundedReceiver<SimOp>) {
    let d = SimulatedDevice::new(SimulatedDeviceSpec::new("Massage Demo", address));
    let rx = d.op_receiver();
    server.advertise(d.clone());
    (d, rx)
}

async fn connected(server: &Server) -> WireClient {
    let mut c = WireClient::connect(server, SpecVersion::V4);
    let info = c.handshake("test").await;
    assert_eq!(msg_type(&info), "ServerInfo", "{info}");
    c
}

async fn scan(c: &mut WireClient) {
    let m = c.msg("StartScanning", json!({}));
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
}

fn error_text(v: &Value) -> String {
    body(v)["ErrorMessage"].as_str().unwrap_or("").to_string()
}

#[tokio::test]
async fn v4_handshake_reply_is_byte_exact() {
    let s = server();
    let conn = s.connect_json(Default::default()).unwrap();
    conn.sender
        .send_text(
            r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Test Client","ProtocolVersionMajor":4,"ProtocolVersionMinor":7}}]"#
                .into(),
        )
        .await
        .unwrap();
    let mut rx = conn.receiver;
    assert_eq!(
        rx.recv().await.unwrap(),
        r#"[{"ServerInfo":{"Id":1,"MaxPingTime":0,"ProtocolVersionMajor":4,"ProtocolVersionMinor":0,"ServerName":"Test Server"}}]"#
    );
}

#[tokio::test]
async fn messages_before_the_handshake_get_an_init_error_with_their_id() {
    let s = server();
    let mut c = WireClient::connect(&s, SpecVersion::V4);
    c.send_text(r#"[{"Ping":{"Id":7}}]"#).await;
    let r = c.reply(7).await;
    assert_eq!(error_code(&r), Some(1), "{r}");
    assert!(error_text(&r).contains("RequestServerInfoExpected"), "{r}");
    // The connection goes on: the handshake still works.
    let info = c.handshake("late").await;
    assert_eq!(msg_type(&info), "ServerInfo");
}

#[tokio::test]
async fn second_handshake_is_refused() {
    let s = server();
    let mut c = connected(&s).await;
    let again = c.handshake("again").await;
    assert_eq!(error_code(&again), Some(1));
    assert_eq!(
        error_text(&again),
        r#"{"ButtplugHandshakeError":"HandshakeAlreadyHappened"}"#
    );
}

#[tokio::test]
async fn newer_major_version_is_refused_with_a_handshake_error() {
    let s = server();
    let mut c = WireClient::connect(&s, SpecVersion::V4);
    c.send_text(r#"[{"RequestServerInfo":{"Id":3,"ClientName":"future","ProtocolVersionMajor":5,"ProtocolVersionMinor":0}}]"#)
        .await;
    let r = c.reply(3).await;
    assert_eq!(error_code(&r), Some(1));
    assert_eq!(
        error_text(&r),
        r#"{"ButtplugHandshakeError":{"MessageSpecVersionMismatch":[4,5]}}"#
    );
}

#[tokio::test]
async fn malformed_frames_get_message_errors_and_the_connection_goes_on() {
    let s = server();
    let mut c = connected(&s).await;
    let cases: [(&str, u32); 7] = [
        ("this is not json", 0),
        (r#"{"Ping":{"Id":4}}"#, 0),
        (r#"[{"NoSuchMessage":{"Id":11}}]"#, 11),
        (r#"[{"Ping":{"Id":"twelve"}}]"#, 0),
        (r#"[{"Ping":{"Id":0}}]"#, 0),
        (
            r#"[{"OutputCmd":{"Id":14,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1.5}}}}]"#,
            14,
        ),
        (r#"[{"Ping":{"Id":15,"Extra":true}}]"#, 15),
    ];
    for (frame, id) in cases {
        c.send_text(frame).await;
        let r = c.recv().await.expect("reply");
        assert_eq!(error_code(&r), Some(3), "{frame} -> {r}");
        assert_eq!(body(&r)["Id"], json!(id), "{frame} -> {r}");
        let ping = c.msg("Ping", json!({}));
        assert_eq!(msg_type(&c.request(vec![ping]).await[0]), "Ok");
    }
}

#[tokio::test]
async fn several_messages_in_one_frame_run_in_order() {
    let s = server();
    let mut c = connected(&s).await;
    c.send_text(r#"[{"Ping":{"Id":20}},{"Nope":{"Id":21}},{"RequestDeviceList":{"Id":22}}]"#)
        .await;
    let a = c.recv().await.unwrap();
    let b = c.recv().await.unwrap();
    let d = c.recv().await.unwrap();
    assert_eq!((msg_type(&a), body(&a)["Id"].clone()), ("Ok", json!(20)));
    assert_eq!(
        (error_code(&b), body(&b)["Id"].clone()),
        (Some(3), json!(21))
    );
    assert_eq!(
        (msg_type(&d), body(&d)["Id"].clone()),
        ("DeviceList", json!(22))
    );
}

#[tokio::test]
async fn ping_is_ok_without_a_ping_timer() {
    let s = server();
    let mut c = connected(&s).await;
    let m = c.msg("Ping", json!({}));
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
}

#[tokio::test(start_paused = true)]
async fn ping_deadline_is_exactly_max_ping_time_from_the_last_ping() {
    let s = server_with(Duration::from_millis(100));
    let (_dev, mut ops) = aneros(&s, "p1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":64}}}),
    );
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    assert_eq!(next_data(&mut ops).await, vec![0xF1, 64]);
    // Pings 90 ms apart keep the connection alive.
    for _ in 0..5 {
        tokio::time::sleep(Duration::from_millis(90)).await;
        let p = c.msg("Ping", json!({}));
        assert_eq!(msg_type(&c.request(vec![p]).await[0]), "Ok");
    }
    let last_ping = tokio::time::Instant::now();
    // Then silence: the error arrives 100 ms after the last ping, not up to 200 ms.
    let err = c.recv().await.expect("ping error");
    let waited = last_ping.elapsed();
    assert_eq!(error_code(&err), Some(2), "{err}");
    assert_eq!(body(&err)["Id"], json!(0));
    assert_eq!(error_text(&err), r#"{"ButtplugPingError":"PingedOut"}"#);
    assert!(
        waited >= Duration::from_millis(100) && waited < Duration::from_millis(110),
        "pinged out after {waited:?}"
    );
    // Every device was stopped.
    let pinged_out = tokio::time::Instant::now();
    let mut stops = vec![next_data(&mut ops).await, next_data(&mut ops).await];
    stops.sort();
    assert_eq!(stops, vec![vec![0xF1, 0], vec![0xF2, 0]]);
    // For a grace period every message gets the PingedOut error with its own Id (a client that
    // sent something just then is not left waiting), and nothing reaches a device.
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":64}}}),
    );
    let id = body(&m)["Id"].clone();
    c.send(vec![m]).await;
    let late = c.recv().await.expect("an answer during the grace period");
    assert_eq!(error_code(&late), Some(2), "{late}");
    assert_eq!(body(&late)["Id"], id);
    // Then the connection closes.
    assert!(
        c.recv().await.is_none(),
        "connection must close after the grace period"
    );
    assert_eq!(pinged_out.elapsed(), PINGED_OUT_GRACE);
    assert!(ops.try_recv().is_err(), "nothing written after the stop");
}

#[tokio::test]
async fn disconnect_answers_ok_stops_everything_and_closes() {
    let s = server();
    let (_dev, mut ops) = aneros(&s, "d1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":1,"Command":{"Vibrate":{"Value":10}}}),
    );
    c.request(vec![m]).await;
    assert_eq!(next_data(&mut ops).await, vec![0xF2, 10]);
    let d = c.msg("Disconnect", json!({}));
    assert_eq!(msg_type(&c.request(vec![d]).await[0]), "Ok");
    let mut stops = vec![next_data(&mut ops).await, next_data(&mut ops).await];
    stops.sort();
    assert_eq!(stops, vec![vec![0xF1, 0], vec![0xF2, 0]]);
    assert!(c.recv().await.is_none());
    // The server takes a new client afterwards, devices still connected.
    let mut c2 = connected(&s).await;
    let m = c2.msg("RequestDeviceList", json!({}));
    let list = c2.request(vec![m]).await.remove(0);
    assert!(body(&list)["Devices"]["0"].is_object(), "{list}");
}

#[tokio::test]
async fn dropping_the_client_stops_every_device() {
    let s = server();
    let (_dev, mut ops) = aneros(&s, "x1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":100}}}),
    );
    c.request(vec![m]).await;
    assert_eq!(next_data(&mut ops).await, vec![0xF1, 100]);
    drop(c);
    let mut stops = vec![next_data(&mut ops).await, next_data(&mut ops).await];
    stops.sort();
    assert_eq!(stops, vec![vec![0xF1, 0], vec![0xF2, 0]]);
}

#[tokio::test]
async fn only_one_client_at_a_time() {
    let s = server();
    let _c = connected(&s).await;
    assert!(s.connect_json(Default::default()).is_err());
}

#[tokio::test]
async fn scanning_reports_devices_and_finishes() {
    let s = server();
    s.simulator()
        .set_scan_duration(Some(Duration::from_millis(50)));
    let (_dev, _ops) = aneros(&s, "s1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    let mut saw_list = false;
    let mut saw_finished = false;
    while !(saw_list && saw_finished) {
        let ev = tokio::time::timeout(Duration::from_secs(5), c.recv())
            .await
            .expect("event")
            .expect("open");
        match msg_type(&ev) {
            "DeviceList" => {
                assert_eq!(body(&ev)["Id"], json!(0));
                assert_eq!(
                    body(&ev)["Devices"]["0"]["DeviceName"],
                    json!("Aneros Vivi")
                );
                saw_list = true;
            }
            "ScanningFinished" => saw_finished = true,
            other => panic!("unexpected {other}: {ev}"),
        }
    }
    for _ in 0..2 {
        let m = c.msg("StopScanning", json!({}));
        assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    }
}

#[tokio::test]
async fn device_list_describes_features() {
    let s = server();
    let (_dev, mut ops) = aneros(&s, "l1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let m = c.msg("RequestDeviceList", json!({}));
    let list = c.request(vec![m]).await.remove(0);
    let dev = &body(&list)["Devices"]["0"];
    assert_eq!(dev["DeviceIndex"], json!(0));
    assert_eq!(dev["DeviceMessageTimingGap"], json!(0));
    assert_eq!(
        dev["DeviceFeatures"]["1"]["Output"],
        json!({"Vibrate":{"Value":[0,127]}})
    );
    assert_eq!(
        dev["DeviceFeatures"]["0"]["FeatureDescription"],
        json!("Perineum Vibrator")
    );
}

#[tokio::test]
async fn output_validation_errors() {
    let s = server();
    let (_dev, mut ops) = aneros(&s, "v1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let cases = [
        (
            json!({"DeviceIndex":9,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}),
            r#"{"ButtplugDeviceError":{"DeviceNotAvailable":9}}"#,
        ),
        (
            json!({"DeviceIndex":0,"FeatureIndex":7,"Command":{"Vibrate":{"Value":1}}}),
            r#"{"ButtplugDeviceError":{"DeviceFeatureIndexError":[2,7]}}"#,
        ),
        (
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":128}}}),
            r#"{"ButtplugDeviceError":{"DeviceStepRangeError":[0,128]}}"#,
        ),
        (
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":-3}}}),
            r#"{"ButtplugDeviceError":"DeviceCommandSignError"}"#,
        ),
    ];
    for (fields, text) in cases {
        let m = c.msg("OutputCmd", fields.clone());
        let r = c.request(vec![m]).await.remove(0);
        assert_eq!(error_code(&r), Some(4), "{fields} -> {r}");
        assert_eq!(error_text(&r), text);
    }
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Rotate":{"Value":1}}}),
    );
    let r = c.request(vec![m]).await.remove(0);
    assert_eq!(error_code(&r), Some(4), "{r}");
    // An output type the feature does not have (buttplug_server 12's error).
    assert_eq!(
        error_text(&r),
        r#"{"ButtplugDeviceError":{"MessageNotSupported":"OutputCmd"}}"#,
        "{r}"
    );
    // Nothing reached the device.
    assert!(ops.try_recv().is_err());
}

#[tokio::test]
async fn identical_commands_are_sent_once() {
    let s = server();
    let (_dev, mut ops) = aneros(&s, "dd1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    for _ in 0..3 {
        let m = c.msg(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5}}}),
        );
        assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    }
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":6}}}),
    );
    c.request(vec![m]).await;
    assert_eq!(next_data(&mut ops).await, vec![0xF1, 5]);
    assert_eq!(next_data(&mut ops).await, vec![0xF1, 6]);
}

#[tokio::test]
async fn stop_honours_device_and_feature_scope() {
    let s = server();
    let (_a, mut ops_a) = aneros(&s, "sa");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops_a).await;
    let (_b, mut ops_b) = aneros(&s, "sb");
    until_connected(&mut ops_b).await;
    let mut frame = Vec::new();
    for d in 0..2 {
        for f in 0..2 {
            frame.push(c.msg(
                "OutputCmd",
                json!({"DeviceIndex":d,"FeatureIndex":f,"Command":{"Vibrate":{"Value":20}}}),
            ));
        }
    }
    for r in c.request(frame).await {
        assert_eq!(msg_type(&r), "Ok", "{r}");
    }
    for ops in [&mut ops_a, &mut ops_b] {
        assert_eq!(next_data(ops).await, vec![0xF1, 20]);
        assert_eq!(next_data(ops).await, vec![0xF2, 20]);
    }
    // Feature 1 of device 0 only.
    let m = c.msg("StopCmd", json!({"DeviceIndex":0,"FeatureIndex":1}));
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    assert_eq!(next_data(&mut ops_a).await, vec![0xF2, 0]);
    // Device 1 only.
    let m = c.msg("StopCmd", json!({"DeviceIndex":1}));
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    assert_eq!(next_data(&mut ops_b).await, vec![0xF1, 0]);
    assert_eq!(next_data(&mut ops_b).await, vec![0xF2, 0]);
    assert!(
        ops_a.try_recv().is_err(),
        "device 0 feature 0 must still run"
    );
    // Unknown device or feature are errors.
    let m = c.msg("StopCmd", json!({"DeviceIndex":5}));
    assert_eq!(error_code(&c.request(vec![m]).await[0]), Some(4));
    let m = c.msg("StopCmd", json!({"DeviceIndex":0,"FeatureIndex":5}));
    assert_eq!(error_code(&c.request(vec![m]).await[0]), Some(4));
    // Everything.
    let m = c.msg("StopCmd", json!({}));
    assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    assert_eq!(next_data(&mut ops_a).await, vec![0xF1, 0]);
}

#[tokio::test]
async fn replies_keep_request_order_behind_a_slow_read() {
    let s = server();
    let toy = SimulatedDevice::new(SimulatedDeviceSpec::new("LVS-Z36", "lv1"));
    let mut ops = toy.op_receiver();
    s.advertise(toy.clone());
    let mut c = connected(&s).await;
    scan(&mut c).await;
    // Identify: answer DeviceType.
    loop {
        if let SimOp::Write { data, .. } = ops.recv().await.unwrap() {
            assert_eq!(data, b"DeviceType;");
            break;
        }
    }
    toy.notify(Endpoint::Rx, b"Z:11:0082059AD3BD;".to_vec());
    until_connected(&mut ops).await;
    let ev = c.recv().await.unwrap();
    assert_eq!(msg_type(&ev), "DeviceList");
    let read = c.msg(
        "InputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}),
    );
    let read_id = body(&read)["Id"].as_u64().unwrap();
    c.send(vec![read]).await;
    // One frame per command: each is its own client message, so none coalesces away.
    for v in 1..=5 {
        let m = c.msg(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":v}}}),
        );
        c.send(vec![m]).await;
    }
    // The outputs reach the toy while the battery read waits for its answer (a device that
    // fell behind writes only the latest of the values waiting, so some may merge away; the
    // last is always written)...
    assert_eq!(next_data(&mut ops).await, b"Battery;");
    let mut written = Vec::new();
    while written.last() != Some(&5) {
        let data = String::from_utf8(next_data(&mut ops).await).unwrap();
        let v: u32 = data
            .strip_prefix("Vibrate:")
            .and_then(|d| d.strip_suffix(';'))
            .and_then(|d| d.parse().ok())
            .unwrap_or_else(|| panic!("unexpected write {data:?}"));
        written.push(v);
    }
    assert!(written.windows(2).all(|w| w[0] < w[1]), "{written:?}");
    // ...but no reply overtakes the read's.
    toy.notify(Endpoint::Rx, b"s77;".to_vec());
    let first = c.recv().await.unwrap();
    assert_eq!(msg_type(&first), "InputReading", "{first}");
    assert_eq!(body(&first)["Id"], json!(read_id));
    assert_eq!(body(&first)["Reading"], json!({"Battery":{"Value":77}}));
    for i in 1..=5 {
        let r = c.recv().await.unwrap();
        assert_eq!(msg_type(&r), "Ok");
        assert_eq!(body(&r)["Id"], json!(read_id + i));
    }
}

#[tokio::test]
async fn subscriptions_deliver_readings_and_end_with_the_client() {
    let s = server();
    let dev = SimulatedDevice::new(SimulatedDeviceSpec::new("Boost", "kg1"));
    let mut ops = dev.op_receiver();
    s.advertise(dev.clone());
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let sub = c.msg(
        "InputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Type":"Pressure","Command":"Subscribe"}),
    );
    assert_eq!(msg_type(&c.request(vec![sub]).await[0]), "Ok");
    assert_eq!(
        ops.recv().await.unwrap(),
        SimOp::Subscribe {
            endpoint: Endpoint::RxPressure
        }
    );
    assert!(dev.notify(Endpoint::RxPressure, vec![0, 1, 4, 1, 0x2C, 5, 0xD3]));
    let ev = c.recv().await.unwrap();
    assert_eq!(
        ev,
        json!({"InputReading":{"DeviceIndex":0,"FeatureIndex":0,"Id":0,"Reading":{"Pressure":{"Value":300}}}})
    );
    // A Read on a Subscribe-only input, and an output on an input-only feature, are refused.
    let bad = c.msg(
        "InputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Type":"Pressure","Command":"Read"}),
    );
    assert_eq!(error_code(&c.request(vec![bad]).await[0]), Some(4));
    let bad = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}),
    );
    let r = c.request(vec![bad]).await.remove(0);
    assert_eq!(
        error_text(&r),
        r#"{"ButtplugDeviceError":{"MessageNotSupported":"OutputCmd"}}"#
    );
    drop(c);
    assert_eq!(
        ops.recv().await.unwrap(),
        SimOp::Unsubscribe {
            endpoint: Endpoint::RxPressure
        }
    );
}

#[tokio::test]
async fn a_device_that_disconnects_is_removed_and_commands_to_it_fail() {
    let s = server();
    let (dev, mut ops) = aneros(&s, "gone1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    // Drain the DeviceList event of the connection.
    let ev = c.recv().await.unwrap();
    assert_eq!(msg_type(&ev), "DeviceList");
    dev.disconnect();
    let ev = c.recv().await.unwrap();
    assert_eq!(ev, json!({"DeviceList":{"Devices":{},"Id":0}}));
    let m = c.msg(
        "OutputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":1}}}),
    );
    assert_eq!(error_code(&c.request(vec![m]).await[0]), Some(4));
    // Advertised again while scanning, it comes back with the same index.
    s.advertise(dev.clone());
    until_connected(&mut ops).await;
    let ev = c.recv().await.unwrap();
    assert_eq!(
        body(&ev)["Devices"]["0"]["DeviceName"],
        json!("Aneros Vivi")
    );
}

#[tokio::test(start_paused = true)]
async fn message_gap_batches_and_latest_value_wins() {
    let s = server();
    let mut spec = SimulatedDeviceSpec::new("Massage Demo", "gap1");
    spec.message_gap = Duration::from_millis(100);
    let dev = SimulatedDevice::new(spec);
    let mut ops = dev.op_receiver();
    s.advertise(dev);
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let m = c.msg("RequestDeviceList", json!({}));
    let list = c.request(vec![m]).await.remove(0);
    assert_eq!(
        body(&list)["Devices"]["0"]["DeviceMessageTimingGap"],
        json!(100)
    );
    let start = tokio::time::Instant::now();
    for v in [10, 20, 30] {
        let m = c.msg(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":v}}}),
        );
        assert_eq!(msg_type(&c.request(vec![m]).await[0]), "Ok");
    }
    assert_eq!(next_data(&mut ops).await, vec![0xF1, 10]);
    assert_eq!(next_data(&mut ops).await, vec![0xF1, 30]);
    assert!(start.elapsed() >= Duration::from_millis(100));
    assert!(ops.try_recv().is_err(), "20 was superseded");
}

#[tokio::test]
async fn a_feature_stop_needs_its_device() {
    let s = server();
    let (_dev, mut ops) = aneros(&s, "fs1");
    let mut c = connected(&s).await;
    scan(&mut c).await;
    until_connected(&mut ops).await;
    let m = c.msg("StopCmd", json!({"FeatureIndex": 0}));
    let r = c.request(vec![m]).await.remove(0);
    assert_eq!(error_code(&r), Some(3), "{r}");
    assert_eq!(
        error_text(&r),
        r#"{"ButtplugMessageError":{"InvalidMessageContents":"StopCmd feature_index requires a device_index"}}"#
    );
    // Nothing was stopped on the guess that every device was meant.
    assert!(ops.try_recv().is_err());
}
