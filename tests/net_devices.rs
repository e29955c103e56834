//! Devices over the network: devices dialing in through the WebSocket device listener (matched by
//! a user-config `websocket` specifier, bytes as binary frames), and the simulator control
//! endpoint's protocol (reads, subscriptions, errors, disconnects, several devices).

mod support;

use std::net::SocketAddr;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use support::wire::{body, msg_type};
use support::ws::{self, Peer, SimPeer, WAIT, Ws};
use teleplug::device_config::DeviceConfig;
use teleplug::net::{self, LinkConfig, ListenerHandle, WsServer, WsServerHandle, WsServerOptions};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio_tungstenite::tungstenite::Message;

const USER_CONFIG: &str = r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
  "aneros":{"communication":[{"websocket":{"name":"SimAneros"}}]},
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}"#;

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
    let config = DeviceConfig::embedded()
        .with_user_config_json(USER_CONFIG)
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
    let devices = net::device_server::start(&server, loopback0(), LinkConfig::default())
        .await
        .unwrap();
    let sim = net::simulator::start(server.clone(), loopback0(), LinkConfig::default())
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

/// A device dialing in: connect and send the handshake.
async fn dial_in(h: &Harness, identifier: &str, address: &str) -> Ws {
    let mut dev = ws::open(&h.device_url, None).await.unwrap();
    dev.send(Message::text(
        json!({"identifier": identifier, "address": address, "version": 0}).to_string(),
    ))
    .await
    .unwrap();
    dev
}

/// The next binary frame the device receives.
async fn next_binary(dev: &mut Ws) -> Vec<u8> {
    tokio::time::timeout(WAIT, async {
        loop {
            match dev.next().await {
                Some(Ok(Message::Binary(b))) => return b.to_vec(),
                Some(Ok(Message::Text(t))) => panic!("text frame to the device: {t}"),
                Some(Ok(_)) => continue,
                other => panic!("device socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("no frame for the device")
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
    let mut dev = dial_in(&h, "LVSDevice", "lvs-0001").await;
    assert_eq!(next_binary(&mut dev).await, b"DeviceType;");
    dev.send(Message::binary(b"Z:11:0082059AD3BD;".to_vec()))
        .await
        .unwrap();
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Lovense Hush");

    assert_eq!(msg_type(&output(&mut c, 0, 0, 10).await), "Ok");
    assert_eq!(next_binary(&mut dev).await, b"Vibrate:10;");

    // A protocol-level battery query; the answer may come as a text frame too.
    let id = c
        .send_request(
            "InputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":1,"Type":"Battery","Command":"Read"}),
        )
        .await;
    assert_eq!(next_binary(&mut dev).await, b"Battery;");
    dev.send(Message::text("90;")).await.unwrap();
    let reading = c.reply_to(id).await;
    assert_eq!(body(&reading)["Reading"], json!({"Battery":{"Value":90}}));

    assert_eq!(msg_type(&c.request("StopCmd", json!({})).await), "Ok");
    assert_eq!(next_binary(&mut dev).await, b"Vibrate:0;");

    // The device leaves: the client sees it removed.
    ws::close_and_wait(dev).await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"], json!({}));
}

#[tokio::test]
async fn aneros_dials_in_and_client_leaving_stops_it() {
    let h = harness().await;
    let mut c = client(&h).await;
    let mut dev = dial_in(&h, "SimAneros", "aneros-0001").await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
    assert_eq!(msg_type(&output(&mut c, 0, 1, 100).await), "Ok");
    assert_eq!(next_binary(&mut dev).await, [0xF2, 0x64]);
    drop(c);
    let mut stops = vec![next_binary(&mut dev).await, next_binary(&mut dev).await];
    stops.sort();
    assert_eq!(stops, vec![vec![0xF1, 0x00], vec![0xF2, 0x00]]);
}

#[tokio::test]
async fn unknown_or_malformed_devices_are_closed() {
    let h = harness().await;
    // No websocket specifier has this name.
    let mut dev = dial_in(&h, "NoSuchThing", "x-1").await;
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
    let _dev = dial_in(&h, "SimAneros", "aneros-0002").await;
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
