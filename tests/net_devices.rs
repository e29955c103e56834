//! Devices over the network: devices dialing in through the WebSocket device listener (matched by
//! a user-config `websocket` specifier, bytes as binary frames; its token and the one-connection-
//! per-address rule), and the simulator control endpoint's protocol (reads, subscriptions,
//! errors, disconnects, several devices, its limits and Origin policy).

mod support;

use std::net::SocketAddr;

use futures::SinkExt;
use serde_json::{Value, json};
use support::wire::{body, msg_type};
use support::ws::{self, Peer, SimPeer};
use teleplug::device_config::DeviceConfig;
use teleplug::hardware::simulated::MAX_QUEUED_READS;
use teleplug::net::device_auth::{TOKEN_MISSING, TOKEN_WRONG};
use teleplug::net::device_server::DeviceServerOptions;
use teleplug::net::simulator::SimulatorOptions;
use teleplug::net::{
    self, ListenerHandle, OriginPolicy, WsServer, WsServerHandle, WsServerOptions,
};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

fn loopback0() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

struct Harness {
    _ws: WsServerHandle,
    _devices: ListenerHandle,
    _sim: ListenerHandle,
    url: String,
    device_url: String,
    sim_url: String,
}

async fn harness() -> Harness {
    harness_with(DeviceServerOptions::default(), SimulatorOptions::default()).await
}

/// The harness with these device listener and simulator settings (addresses: loopback, any
/// free port).
async fn harness_with(devices: DeviceServerOptions, sim: SimulatorOptions) -> Harness {
    let config = DeviceConfig::embedded()
        .with_user_config_json(ws::DIAL_IN_USER_CONFIG)
        .unwrap();
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        device_config: config,
        ..ServerOptions::default()
    });
    let bound = WsServer::bind(
        server.clone(),
        WsServerOptions {
            address: loopback0(),
            ..WsServerOptions::default()
        },
    )
    .await
    .unwrap();
    let url = format!("ws://{}", bound.local_addr());
    let devices = net::device_server::start_with(
        &server,
        DeviceServerOptions {
            address: loopback0(),
            ..devices
        },
    )
    .await
    .unwrap();
    let sim = net::simulator::start_with(
        server.clone(),
        SimulatorOptions {
            address: loopback0(),
            ..sim
        },
    )
    .await
    .unwrap();
    Harness {
        device_url: format!("ws://{}", devices.local_addr()),
        sim_url: format!("ws://{}", sim.local_addr()),
        _ws: bound.spawn(),
        _devices: devices,
        _sim: sim,
        url,
    }
}

async fn client(h: &Harness) -> Peer {
    let mut c = Peer::connect(&h.url).await;
    assert_eq!(msg_type(&c.handshake("Devices", 4).await), "ServerInfo");
    c
}

async fn output(c: &mut Peer, device: u32, feature: u32, value: i32) -> Value {
    c.request(
        "OutputCmd",
        json!({"DeviceIndex":device,"FeatureIndex":feature,"Command":{"Vibrate":{"Value":value}}}),
    )
    .await
}

#[tokio::test]
async fn lovense_dials_in_and_receives_binary_frames() {
    let h = harness().await;
    let mut c = client(&h).await;
    // No scanning needed: devices dial in whenever they like.
    let mut dev = ws::dial_in(&h.device_url, "LVSDevice", "lvs-0001").await;
    assert_eq!(ws::next_binary(&mut dev).await, b"DeviceType;");
    dev.send(Message::binary(b"Z:11:0082059AD3BD;".to_vec()))
        .await
        .unwrap();
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Lovense Hush");

    assert_eq!(msg_type(&output(&mut c, 0, 0, 10).await), "Ok");
    assert_eq!(ws::next_binary(&mut dev).await, b"Vibrate:10;");

    // A protocol-level battery query; the answer may come as a text frame too.
    let id = c
        .send_request(
            "InputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}),
        )
        .await;
    assert_eq!(ws::next_binary(&mut dev).await, b"Battery;");
    dev.send(Message::text("90;")).await.unwrap();
    let reading = c.reply_to(id).await;
    assert_eq!(body(&reading)["Reading"], json!({"Battery":{"Value":90}}));

    assert_eq!(msg_type(&c.request("StopCmd", json!({})).await), "Ok");
    assert_eq!(ws::next_binary(&mut dev).await, b"Vibrate:0;");

    // The device leaves: the client sees it removed.
    ws::close_and_wait(dev).await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"], json!({}));
}

#[tokio::test]
async fn aneros_dials_in_and_client_leaving_stops_it() {
    let h = harness().await;
    let mut c = client(&h).await;
    let mut dev = ws::dial_in(&h.device_url, "SimAneros", "aneros-0001").await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
    assert_eq!(msg_type(&output(&mut c, 0, 1, 100).await), "Ok");
    assert_eq!(ws::next_binary(&mut dev).await, [0xF2, 0x64]);
    drop(c);
    let mut stops = vec![
        ws::next_binary(&mut dev).await,
        ws::next_binary(&mut dev).await,
    ];
    stops.sort();
    assert_eq!(stops, vec![vec![0xF1, 0x00], vec![0xF2, 0x00]]);
}

#[tokio::test]
async fn unknown_or_malformed_devices_are_closed() {
    let h = harness().await;
    // No websocket specifier has this name.
    let mut dev = ws::dial_in(&h.device_url, "NoSuchThing", "x-1").await;
    ws::until_closed(&mut dev).await;
    // Not a handshake.
    let mut dev = ws::open(&h.device_url, None).await.unwrap();
    dev.send(Message::text("hello")).await.unwrap();
    ws::until_closed(&mut dev).await;
    let mut dev = ws::open(&h.device_url, None).await.unwrap();
    dev.send(Message::binary(vec![1, 2, 3])).await.unwrap();
    ws::until_closed(&mut dev).await;
    // The listener still works.
    let mut c = client(&h).await;
    let _dev = ws::dial_in(&h.device_url, "SimAneros", "aneros-0002").await;
    c.event("DeviceList").await;
}

#[tokio::test]
async fn simulator_reads_subscriptions_and_disconnects() {
    let h = harness().await;
    let mut c = client(&h).await;
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    let mut sim = SimPeer::connect(&h.sim_url).await;
    sim.advertise("boost", "Boost", "KG:00:01").await;
    assert_eq!(
        sim.next().await,
        json!({"Connected":{"id":"boost","protocol":"kgoal-boost","name":"KGoal Boost"}})
    );
    c.event("DeviceList").await;

    // A battery read answered with ReadReply.
    sim.send(json!({"ReadReply":{"id":"boost","endpoint":"rxblebattery","data":[77]}}))
        .await;
    let reading = c
        .request(
            "InputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}),
        )
        .await;
    assert_eq!(
        body(&reading)["Reading"],
        json!({"Battery":{"Value":77}}),
        "{reading}"
    );
    assert_eq!(
        sim.next().await,
        json!({"Read":{"id":"boost","endpoint":"rxblebattery"}})
    );

    // A subscription fed through Notify.
    let ok = c
        .request(
            "InputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Type":"Pressure","Command":"Subscribe"}),
        )
        .await;
    assert_eq!(msg_type(&ok), "Ok", "{ok}");
    assert_eq!(
        sim.next().await,
        json!({"Subscribe":{"id":"boost","endpoint":"rxpressure"}})
    );
    sim.notify("boost", "rxpressure", &[0, 0, 0, 0x01, 0x02, 0, 0])
        .await;
    let ev = c.event("InputReading").await;
    assert_eq!(body(&ev)["Reading"], json!({"Pressure":{"Value":258}}));

    // The device drops the link.
    sim.send(json!({"Disconnect":{"id":"boost"}})).await;
    loop {
        if sim.next().await == json!({"Disconnected":{"id":"boost"}}) {
            break;
        }
    }
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"], json!({}));
}

#[tokio::test]
async fn simulator_answers_bad_frames_with_errors() {
    let h = harness().await;
    let mut sim = SimPeer::connect(&h.sim_url).await;
    for bad in [
        json!("just a string"),
        json!({"Explode": {}}),
        json!({"Notify": {"id": "nobody", "endpoint": "tx", "data": [1]}}),
        json!({"Notify": {"id": "nobody", "endpoint": "warp", "data": [1]}}),
        json!({"Advertise": {"id": "", "name": "LVS-X", "address": "a"}}),
        json!({"Advertise": {"id": "x", "name": "LVS-X", "address": "a", "manufacturer_data": {"big": [1]}}}),
    ] {
        sim.send(bad.clone()).await;
        let e = sim.next().await;
        assert!(
            e["Error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{bad} → {e}"
        );
    }
    sim.ws.send(Message::binary(vec![1])).await.unwrap();
    assert!(sim.next().await.get("Error").is_some());
    sim.advertise("d1", "LVS-A", "AA:01").await;
    sim.advertise("d1", "LVS-B", "AA:02").await;
    assert!(sim.next().await.get("Error").is_some());
}

#[tokio::test]
async fn closing_the_control_connection_disconnects_its_devices() {
    let h = harness().await;
    let mut c = client(&h).await;
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    let mut sim = SimPeer::connect(&h.sim_url).await;
    sim.advertise("a", "LVS-A", "AA:00:00:00:00:0A").await;
    sim.lovense_until_connected("a").await;
    sim.advertise("b", "Massage Demo", "AA:00:00:00:00:0B")
        .await;
    loop {
        let f = sim.next().await;
        if f.get("Connected").is_some() {
            assert_eq!(f["Connected"]["id"], "b");
            break;
        }
    }
    let list = c.request("RequestDeviceList", json!({})).await;
    assert_eq!(body(&list)["Devices"].as_object().unwrap().len(), 2);
    ws::close_and_wait(sim.ws).await;
    loop {
        let list = c.event("DeviceList").await;
        if body(&list)["Devices"] == json!({}) {
            break;
        }
    }
}

/// Play every Lovense toy of a control connection (answer each one's DeviceType) until `n` are
/// connected; returns their ids, sorted.
async fn lovense_until_all_connected(sim: &mut SimPeer, n: usize) -> Vec<String> {
    let mut connected = Vec::new();
    while connected.len() < n {
        let f = sim.next().await;
        if let Some(w) = f.get("Write") {
            let bytes: Vec<u8> = serde_json::from_value(w["data"].clone()).unwrap();
            if bytes == b"DeviceType;" {
                let id = w["id"].as_str().unwrap().to_string();
                sim.notify(&id, "rx", b"Z:11:0082059AD3BD;").await;
            }
        }
        if let Some(id) = f["Connected"]["id"].as_str() {
            connected.push(id.to_string());
        }
    }
    connected.sort();
    connected
}

fn with_token(token: &str) -> DeviceServerOptions {
    DeviceServerOptions {
        token: Some(token.into()),
        ..DeviceServerOptions::default()
    }
}

#[tokio::test]
async fn a_device_token_is_required_when_configured() {
    let h = harness_with(with_token("s3cret"), SimulatorOptions::default()).await;
    let mut c = client(&h).await;
    // No token, or another one: closed, saying why.
    let mut dev = ws::dial_in(&h.device_url, "SimAneros", "aneros-a").await;
    assert_eq!(
        ws::refusal(&mut dev).await,
        (CloseCode::Policy, TOKEN_MISSING.to_string())
    );
    let mut dev = ws::dial_in_with(
        &h.device_url,
        json!({"identifier":"SimAneros","address":"aneros-a","version":0,"token":"guess"}),
    )
    .await;
    assert_eq!(
        ws::refusal(&mut dev).await,
        (CloseCode::Policy, TOKEN_WRONG.to_string())
    );
    let wrong_url = format!("{}/?token=guess", h.device_url);
    let mut dev = ws::dial_in_with(
        &wrong_url,
        json!({"identifier":"SimAneros","address":"aneros-a","version":0}),
    )
    .await;
    assert_eq!(
        ws::refusal(&mut dev).await,
        (CloseCode::Policy, TOKEN_WRONG.to_string())
    );
    assert!(c.events.is_empty(), "{:?}", c.events);

    // The token in the handshake frame.
    let mut dev = ws::dial_in_with(
        &h.device_url,
        json!({"identifier":"SimAneros","address":"aneros-a","version":0,"token":"s3cret"}),
    )
    .await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
    assert_eq!(msg_type(&output(&mut c, 0, 1, 100).await), "Ok");
    assert_eq!(ws::next_binary(&mut dev).await, [0xF2, 0x64]);

    // The token in the URL, percent-encoded.
    let h = harness_with(with_token("s3 cret/+"), SimulatorOptions::default()).await;
    let mut c = client(&h).await;
    let url = format!("{}/?v=1&token=s3%20cret%2F+", h.device_url);
    let _dev = ws::dial_in_with(
        &url,
        json!({"identifier":"SimAneros","address":"aneros-b","version":0}),
    )
    .await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
}

#[tokio::test]
async fn a_second_peer_cannot_claim_a_connected_address() {
    let h = harness().await;
    let mut c = client(&h).await;
    let mut first = ws::dial_in(&h.device_url, "SimAneros", "aneros-0003").await;
    c.event("DeviceList").await;
    // Another peer with the same address, even with another identifier: refused.
    let mut second = ws::dial_in(&h.device_url, "LVSDevice", "aneros-0003").await;
    let (code, reason) = ws::refusal(&mut second).await;
    assert_eq!(code, CloseCode::Policy);
    assert_eq!(
        reason,
        "a device with address \"aneros-0003\" is already connected"
    );
    // The first one is still the device.
    assert_eq!(msg_type(&output(&mut c, 0, 1, 100).await), "Ok");
    assert_eq!(ws::next_binary(&mut first).await, [0xF2, 0x64]);
    let list = c.request("RequestDeviceList", json!({})).await;
    assert_eq!(body(&list)["Devices"].as_object().unwrap().len(), 1);
    // Once it left, the address is free again, and it gets its index back.
    ws::close_and_wait(first).await;
    loop {
        let list = c.event("DeviceList").await;
        if body(&list)["Devices"] == json!({}) {
            break;
        }
    }
    let _again = ws::dial_in(&h.device_url, "SimAneros", "aneros-0003").await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
}

#[tokio::test]
async fn simulator_limits_devices_per_connection() {
    let h = harness_with(
        DeviceServerOptions::default(),
        SimulatorOptions {
            max_devices: 2,
            ..SimulatorOptions::default()
        },
    )
    .await;
    let mut sim = SimPeer::connect(&h.sim_url).await;
    sim.advertise("a", "LVS-A", "AA:00:00:00:01:0A").await;
    sim.advertise("b", "LVS-B", "AA:00:00:00:01:0B").await;
    sim.advertise("c", "LVS-C", "AA:00:00:00:01:0C").await;
    let e = sim.next().await;
    let message = e["Error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("\"c\"") && message.contains("limit"),
        "{e}"
    );
    // Room again after a Disconnect; another connection has its own allowance.
    sim.send(json!({"Disconnect":{"id":"a"}})).await;
    sim.advertise("c", "LVS-C", "AA:00:00:00:01:0C").await;
    sim.advertise("d", "LVS-D", "AA:00:00:00:01:0D").await;
    let e = sim.next().await;
    assert!(
        e["Error"]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("\"d\""),
        "{e}"
    );
    let mut other = SimPeer::connect(&h.sim_url).await;
    other.advertise("a", "LVS-E", "AA:00:00:00:01:0E").await;
    other.advertise("b", "LVS-F", "AA:00:00:00:01:0F").await;
    // The server scans: the four advertised devices connect.
    let mut c = client(&h).await;
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    assert_eq!(lovense_until_all_connected(&mut sim, 2).await, ["b", "c"]);
    assert_eq!(lovense_until_all_connected(&mut other, 2).await, ["a", "b"]);
    let list = c.request("RequestDeviceList", json!({})).await;
    assert_eq!(body(&list)["Devices"].as_object().unwrap().len(), 4);
}

#[tokio::test]
async fn simulator_limits_queued_read_replies() {
    let h = harness().await;
    let mut sim = SimPeer::connect(&h.sim_url).await;
    sim.advertise("boost", "Boost", "KG:00:02").await;
    for i in 0..MAX_QUEUED_READS {
        sim.send(json!({"ReadReply":{"id":"boost","endpoint":"rxblebattery","data":[i]}}))
            .await;
    }
    sim.send(json!({"ReadReply":{"id":"boost","endpoint":"rxblebattery","data":[255]}}))
        .await;
    let e = sim.next().await;
    let message = e["Error"]["message"].as_str().unwrap_or_default();
    assert!(
        message.contains("ReadReply") && message.contains(&MAX_QUEUED_READS.to_string()),
        "{e}"
    );
    // The queued replies answer reads in order.
    let mut c = client(&h).await;
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    loop {
        if sim.next().await.get("Connected").is_some() {
            break;
        }
    }
    let reading = c
        .request(
            "InputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}),
        )
        .await;
    assert_eq!(
        body(&reading)["Reading"],
        json!({"Battery":{"Value":0}}),
        "{reading}"
    );
}

#[tokio::test]
async fn simulator_holds_web_pages_to_the_client_ports_origin_policy() {
    let h = harness().await;
    // Default: pages from this machine only, as on the client port.
    match ws::open(&h.sim_url, Some("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("foreign origin accepted: {:?}", other.map(|_| ())),
    }
    ws::close_and_wait(
        ws::open(&h.sim_url, Some("http://localhost:3000"))
            .await
            .unwrap(),
    )
    .await;
    // With an allow-list, a local page that is not on it is refused too.
    let h = harness_with(
        DeviceServerOptions::default(),
        SimulatorOptions {
            origins: OriginPolicy::new(["https://app.example"]),
            ..SimulatorOptions::default()
        },
    )
    .await;
    assert!(
        ws::open(&h.sim_url, Some("http://localhost:3000"))
            .await
            .is_err()
    );
    ws::close_and_wait(
        ws::open(&h.sim_url, Some("https://app.example"))
            .await
            .unwrap(),
    )
    .await;
    ws::close_and_wait(ws::open(&h.sim_url, None).await.unwrap()).await;
}

#[tokio::test]
async fn simulator_devices_keep_their_message_gap() {
    let h = harness().await;
    let mut c = client(&h).await;
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    let mut sim = SimPeer::connect(&h.sim_url).await;
    sim.send(json!({"Advertise":{"id":"t","name":"LVS-Hush","address":"AA:00:00:00:02:01","message_gap_ms":250}}))
        .await;
    sim.lovense_until_connected("t").await;
    let list = c.event("DeviceList").await;
    let features = &body(&list)["Devices"]["0"];
    assert_eq!(features["DeviceMessageTimingGap"], 250, "{features}");
}

#[tokio::test]
async fn device_port_refuses_foreign_web_pages() {
    let h = harness().await;
    match ws::open(&h.device_url, Some("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("foreign origin accepted: {:?}", other.map(|_| ())),
    }
    let mut c = client(&h).await;
    let _dev = ws::dial_in(&h.device_url, "SimAneros", "aneros-0004").await;
    c.event("DeviceList").await;
}
