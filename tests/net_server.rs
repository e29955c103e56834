//! The WebSocket server end to end over loopback: every spec version driving a simulated Lovense
//! played through the simulator control endpoint, the exact bytes it receives, errors, ping
//! timeouts, one client at a time, reconnects, and the stop-everything rule when the socket goes.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use futures::SinkExt;
use serde_json::{Value, json};
use support::wire::{body, msg_type};
use support::ws::{self, Peer, SimPeer};
use teleplug::net::{self, LinkConfig, ListenerHandle, WsServer, WsServerHandle, WsServerOptions};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio_tungstenite::tungstenite::Message;

struct Harness {
    server: Server,
    _ws: WsServerHandle,
    _sim: ListenerHandle,
    url: String,
    sim_url: String,
}

fn loopback0() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

async fn harness_with(options: ServerOptions, ws_options: WsServerOptions) -> Harness {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..options
    });
    let bound = WsServer::bind(server.clone(), ws_options)
        .await
        .expect("bind");
    let url = format!("ws://{}", bound.local_addr());
    let ws = bound.spawn();
    // The simulator keeps default link settings: tests tune only the client's.
    let sim = net::simulator::start(server.clone(), loopback0(), LinkConfig::default())
        .await
        .expect("simulator");
    let sim_url = format!("ws://{}", sim.local_addr());
    Harness {
        server,
        _ws: ws,
        _sim: sim,
        url,
        sim_url,
    }
}

async fn harness() -> Harness {
    harness_with(ServerOptions::default(), ws_options()).await
}

fn ws_options() -> WsServerOptions {
    WsServerOptions {
        address: loopback0(),
        ..WsServerOptions::default()
    }
}

/// Client connected and scanning, a Lovense Hush connected through the simulator.
async fn with_hush(h: &Harness, version: u32) -> (Peer, SimPeer) {
    let mut sim = SimPeer::connect(&h.sim_url).await;
    let mut c = Peer::connect(&h.url).await;
    let info = c.handshake("Net Test", version).await;
    assert_eq!(msg_type(&info), "ServerInfo", "{info}");
    let ok = c.request("StartScanning", json!({})).await;
    assert_eq!(msg_type(&ok), "Ok");
    sim.advertise("d1", "LVS-Hush", "AA:BB:CC:DD:EE:01").await;
    let connected = sim.lovense_until_connected("d1").await;
    assert_eq!(
        connected,
        json!({"Connected": {"id": "d1", "protocol": "lovense", "name": "Lovense Hush"}})
    );
    if version == 4 {
        let list = c.event("DeviceList").await;
        assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Lovense Hush");
    } else {
        let added = c.event("DeviceAdded").await;
        assert_eq!(body(&added)["DeviceName"], "Lovense Hush");
        assert_eq!(body(&added)["DeviceIndex"], 0);
    }
    (c, sim)
}

fn vibrate_half(version: u32) -> (&'static str, Value) {
    match version {
        4 => (
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}),
        ),
        3 => (
            "ScalarCmd",
            json!({"DeviceIndex":0,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"}]}),
        ),
        1 | 2 => (
            "VibrateCmd",
            json!({"DeviceIndex":0,"Speeds":[{"Index":0,"Speed":0.5}]}),
        ),
        _ => (
            "SingleMotorVibrateCmd",
            json!({"DeviceIndex":0,"Speed":0.5}),
        ),
    }
}

/// A v4 client with a Hush vibrating at half speed.
async fn vibrating_hush(h: &Harness) -> (Peer, SimPeer) {
    let (mut c, mut sim) = with_hush(h, 4).await;
    let (name, fields) = vibrate_half(4);
    assert_eq!(msg_type(&c.request(name, fields).await), "Ok");
    assert_eq!(sim.next_write().await, "Vibrate:10;");
    (c, sim)
}

async fn version_flow(version: u32) {
    let h = harness().await;
    let (mut c, mut sim) = with_hush(&h, version).await;

    // A command and the exact bytes the toy receives.
    let (name, fields) = vibrate_half(version);
    let ok = c.request(name, fields.clone()).await;
    assert_eq!(msg_type(&ok), "Ok", "{ok}");
    assert_eq!(sim.next_write().await, "Vibrate:10;");

    // An error: unknown device.
    let mut bad = fields;
    bad["DeviceIndex"] = json!(9);
    let err = c.request(name, bad).await;
    assert_eq!(msg_type(&err), "Error", "{err}");
    assert_eq!(body(&err)["ErrorCode"], 4);

    // The battery, where the version has it: the toy answers through Notify.
    let battery = match version {
        4 => Some((
            "InputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}),
        )),
        3 => Some((
            "SensorReadCmd",
            json!({"DeviceIndex":0,"SensorIndex":0,"SensorType":"Battery"}),
        )),
        _ => None,
    };
    if let Some((name, fields)) = battery {
        let id = c.send_request(name, fields).await;
        assert_eq!(sim.next_write().await, "Battery;");
        sim.notify("d1", "rx", b"87;").await;
        let reading = c.reply_to(id).await;
        match version {
            4 => assert_eq!(body(&reading)["Reading"], json!({"Battery":{"Value":87}})),
            _ => assert_eq!(body(&reading)["Data"], json!([87]), "{reading}"),
        }
    }

    // Stop everything.
    let (name, fields) = if version == 4 {
        ("StopCmd", json!({}))
    } else {
        ("StopAllDevices", json!({}))
    };
    let ok = c.request(name, fields).await;
    assert_eq!(msg_type(&ok), "Ok", "{ok}");
    assert_eq!(sim.next_write().await, "Vibrate:0;");
}

#[tokio::test]
async fn spec_v4_over_websocket() {
    version_flow(4).await;
}

#[tokio::test]
async fn spec_v3_over_websocket() {
    version_flow(3).await;
}

#[tokio::test]
async fn spec_v2_over_websocket() {
    version_flow(2).await;
}

#[tokio::test]
async fn spec_v1_over_websocket() {
    version_flow(1).await;
}

#[tokio::test]
async fn spec_v0_over_websocket() {
    version_flow(0).await;
}

#[tokio::test]
async fn server_info_layout_per_version() {
    for version in 0..=4u32 {
        let h = harness().await;
        let mut c = Peer::connect(&h.url).await;
        let info = c.handshake("Layouts", version).await;
        let b = body(&info);
        assert_eq!(b["ServerName"], "Teleplug Server");
        match version {
            4 => {
                assert_eq!(b["ProtocolVersionMajor"], 4);
                assert_eq!(b["ProtocolVersionMinor"], 0);
            }
            2 | 3 => assert_eq!(b["MessageVersion"], version),
            _ => {
                assert_eq!(b["MessageVersion"], version);
                assert_eq!(b["MajorVersion"], 0);
            }
        }
    }
}

#[tokio::test]
async fn malformed_and_premature_messages_get_errors() {
    let h = harness().await;
    let mut c = Peer::connect(&h.url).await;
    let err = c.request("Ping", json!({})).await;
    assert_eq!(body(&err)["ErrorCode"], 1, "{err}");
    c.send_text("this is not json").await;
    let err = c.next_message().await;
    assert_eq!(msg_type(&err), "Error");
    assert_eq!(body(&err)["ErrorCode"], 3);
    let info = c.handshake("Errors", 4).await;
    assert_eq!(msg_type(&info), "ServerInfo");
    let ok = c.request("Ping", json!({})).await;
    assert_eq!(msg_type(&ok), "Ok");
}

#[tokio::test]
async fn buttplug_ping_timeout_stops_the_device_and_closes() {
    let h = harness_with(
        ServerOptions {
            max_ping_time: Duration::from_millis(1000),
            ..ServerOptions::default()
        },
        ws_options(),
    )
    .await;
    let (mut c, mut sim) = vibrating_hush(&h).await;
    // No Ping from now on.
    let err = c.event("Error").await;
    assert_eq!(body(&err)["ErrorCode"], 2);
    assert_eq!(
        body(&err)["ErrorMessage"],
        "{\"ButtplugPingError\":\"PingedOut\"}"
    );
    assert_eq!(sim.next_write().await, "Vibrate:0;");
    ws::until_closed(&mut c.ws).await;
}

#[tokio::test]
async fn websocket_ping_timeout_drops_a_dead_peer() {
    let h = harness_with(
        ServerOptions::default(),
        WsServerOptions {
            link: LinkConfig {
                // Long enough for the setup below, during which the client reads little.
                ping_interval: Duration::from_millis(500),
                ..LinkConfig::default()
            },
            ..ws_options()
        },
    )
    .await;
    let (c, mut sim) = vibrating_hush(&h).await;
    // The client stops reading, so it answers no WebSocket ping: it is dropped and the device
    // stops (the simulator answers pings: it keeps running).
    assert_eq!(sim.next_write().await, "Vibrate:0;");
    // The slot is free again.
    let mut next = Peer::connect(&h.url).await;
    assert_eq!(msg_type(&next.handshake("Next", 4).await), "ServerInfo");
    drop(c);
}

#[tokio::test]
async fn second_client_is_refused_while_one_is_connected() {
    let h = harness().await;
    let mut first = Peer::connect(&h.url).await;
    assert_eq!(msg_type(&first.handshake("First", 4).await), "ServerInfo");
    match ws::open(&h.url, None).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 503);
            let body =
                String::from_utf8_lossy(resp.body().as_deref().unwrap_or_default()).to_string();
            assert!(body.contains("another Buttplug client"), "{body}");
        }
        other => panic!("second client not refused: {:?}", other.map(|_| ())),
    }
    // The first client is unaffected.
    assert_eq!(msg_type(&first.request("Ping", json!({})).await), "Ok");
}

#[tokio::test]
async fn a_new_client_is_served_after_the_first_leaves_with_the_same_devices() {
    let h = harness().await;
    let (c, mut sim) = vibrating_hush(&h).await;
    ws::close_and_wait(c.ws).await;
    assert_eq!(sim.next_write().await, "Vibrate:0;");

    let mut second = Peer::connect(&h.url).await;
    assert_eq!(msg_type(&second.handshake("Second", 3).await), "ServerInfo");
    let list = second.request("RequestDeviceList", json!({})).await;
    assert_eq!(
        body(&list)["Devices"][0]["DeviceName"],
        "Lovense Hush",
        "{list}"
    );
    let (name, fields) = vibrate_half(3);
    assert_eq!(msg_type(&second.request(name, fields).await), "Ok");
    assert_eq!(sim.next_write().await, "Vibrate:10;");
}

#[tokio::test]
async fn dropping_the_tcp_connection_stops_the_device() {
    let h = harness().await;
    let (c, mut sim) = vibrating_hush(&h).await;
    // No close frame: the socket just goes away.
    drop(c);
    assert_eq!(sim.next_write().await, "Vibrate:0;");
    assert!(h.server.device_list().devices.contains_key(&0));
}

#[tokio::test]
async fn disconnect_message_stops_and_closes() {
    let h = harness().await;
    let (mut c, mut sim) = vibrating_hush(&h).await;
    assert_eq!(msg_type(&c.request("Disconnect", json!({})).await), "Ok");
    ws::until_closed(&mut c.ws).await;
    assert_eq!(sim.next_write().await, "Vibrate:0;");
}

#[tokio::test]
async fn a_client_that_never_reads_is_dropped() {
    let h = harness_with(
        ServerOptions::default(),
        WsServerOptions {
            link: LinkConfig {
                queue_bytes: 16 << 10,
                write_timeout: Duration::from_millis(500),
                ..LinkConfig::default()
            },
            ..ws_options()
        },
    )
    .await;
    let (mut c, mut sim) = vibrating_hush(&h).await;
    // ~1 MB of requests whose replies are ~8 MB, and never read again.
    let one = r#"{"RequestDeviceList":{"Id":7}}"#;
    let frame = format!("[{}]", vec![one; 30_000].join(","));
    c.ws.send(Message::text(frame)).await.expect("send");
    assert_eq!(sim.next_write().await, "Vibrate:0;");
    drop(c);
    let mut next = Peer::connect(&h.url).await;
    assert_eq!(msg_type(&next.handshake("Next", 4).await), "ServerInfo");
}

/// One frame of `n` Pings: every reply arrives, in order, and the client stays connected.
async fn pings_in_one_frame(h: &Harness, n: u32) {
    let mut c = Peer::connect(&h.url).await;
    assert_eq!(msg_type(&c.handshake("Pings", 4).await), "ServerInfo");
    let pings: Vec<String> = (0..n)
        .map(|i| format!(r#"{{"Ping":{{"Id":{}}}}}"#, 100 + i))
        .collect();
    c.send_text(&format!("[{}]", pings.join(","))).await;
    for i in 0..n {
        assert_eq!(c.next_message().await, json!({"Ok": {"Id": 100 + i}}));
    }
    assert_eq!(msg_type(&c.request("Ping", json!({})).await), "Ok");
}

#[tokio::test]
async fn every_reply_of_a_frame_of_1025_pings_arrives() {
    pings_in_one_frame(&harness().await, 1_025).await;
}

#[tokio::test]
async fn every_reply_of_a_frame_of_100000_pings_arrives() {
    pings_in_one_frame(&harness().await, 100_000).await;
}

#[tokio::test]
async fn a_client_that_reads_gets_every_reply_through_a_small_queue() {
    // A send queue far smaller than the replies: the connection waits for the client to read
    // instead of dropping it.
    let h = harness_with(
        ServerOptions::default(),
        WsServerOptions {
            link: LinkConfig {
                queue_bytes: 4 << 10,
                ..LinkConfig::default()
            },
            ..ws_options()
        },
    )
    .await;
    pings_in_one_frame(&h, 20_000).await;
}
