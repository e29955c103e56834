//! The server's own front ends (`Server::connect_backdoor`: the control panel, the HTTP API, the
//! Lovense local API) drive the same devices as the client app, beside it: they do not take the
//! one-client slot, need no handshake or ping, get the client's validation and errors, and their
//! end stops every device. `Server::client` tells who the app is, `Server::disconnect_client`
//! ends its connection (its devices stop), and `ServerEvent::AllStopped` / `ClientConnected` /
//! `ClientDisconnected` announce it all.

mod support;

use std::time::Duration;

use serde_json::json;
use support::ops::{next_data, until_connected};
use support::scan::{output_ok, scanning_client};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{
    ConnectError, ConnectionInfo, Server, ServerEvent, ServerOptions, Transports, TypedConnection,
};
use teleplug::wire::{
    ClientMessage, ErrorCode, OutputCmd, OutputCommand, OutputType, ServerMessage, SpecVersion,
    StopCmd,
};
use tokio::sync::broadcast;
use tokio::sync::mpsc::UnboundedReceiver;

/// What a Hush answers to `DeviceType;`.
const HUSH: &str = "Z:11:0082059AD3BD;";

fn server(max_ping: Duration, allowed: &[&str]) -> Server {
    Server::new(ServerOptions {
        max_ping_time: max_ping,
        transports: Transports::none(),
        allowed_clients: allowed.iter().map(|s| s.to_string()).collect(),
        ..ServerOptions::default()
    })
}

/// A simulated Hush, advertised and found by a scan started on the server itself.
async fn connected_hush(server: &Server) -> UnboundedReceiver<SimOp> {
    let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense("hush-1", HUSH, 80));
    let mut ops = toy.op_receiver();
    server.advertise(toy);
    server.start_scanning().await;
    until_connected(&mut ops).await;
    ops
}

fn vibrate(id: u32, value: i32) -> ClientMessage {
    ClientMessage::OutputCmd(OutputCmd {
        command: OutputCommand::new(OutputType::Vibrate, value, 0),
        device_index: 0,
        feature_index: 0,
        id,
    })
}

/// The reply to message `id`, skipping events.
async fn reply(conn: &mut TypedConnection, id: u32) -> ServerMessage {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let m = conn.receiver.recv().await.expect("backdoor open");
            if m.id() == id {
                return m;
            }
        }
    })
    .await
    .expect("a reply in time")
}

async fn next_event_matching(
    events: &mut broadcast::Receiver<ServerEvent>,
    pred: impl Fn(&ServerEvent) -> bool,
) -> ServerEvent {
    tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            let e = events.recv().await.expect("events");
            if pred(&e) {
                return e;
            }
        }
    })
    .await
    .expect("the event in time")
}

#[tokio::test(start_paused = true)]
async fn a_front_end_drives_devices_beside_the_app_without_a_handshake_or_ping() {
    // The app must ping every 100 ms and only "app" is allowed: neither applies to the front end.
    let s = server(Duration::from_millis(100), &["app"]);
    let mut ops = connected_hush(&s).await;
    let mut panel = s.connect_backdoor("panel").unwrap();
    assert!(!s.has_client(), "the front end is not the client");

    panel.sender.send(vec![vibrate(1, 7)]).await.unwrap();
    assert!(matches!(reply(&mut panel, 1).await, ServerMessage::Ok(_)));
    assert_eq!(next_data(&mut ops).await, b"Vibrate:7;");

    // Long past any ping deadline, it still works.
    tokio::time::sleep(Duration::from_secs(5)).await;
    panel.sender.send(vec![vibrate(2, 3)]).await.unwrap();
    assert!(matches!(reply(&mut panel, 2).await, ServerMessage::Ok(_)));
    assert_eq!(next_data(&mut ops).await, b"Vibrate:3;");

    // The app's slot is still free: an app connects beside it.
    let app = scanning_client(&s, "app").await;
    assert!(s.has_client());
    drop(app);
}

#[tokio::test(start_paused = true)]
async fn a_front_end_gets_the_clients_errors_and_no_second_handshake() {
    let s = server(Duration::ZERO, &[]);
    let _ops = connected_hush(&s).await;
    let mut panel = s.connect_backdoor("panel").unwrap();
    // Feature 5 does not exist on a Hush.
    let bad = ClientMessage::OutputCmd(OutputCmd {
        command: OutputCommand::new(OutputType::Vibrate, 1, 0),
        device_index: 0,
        feature_index: 5,
        id: 3,
    });
    panel.sender.send(vec![bad]).await.unwrap();
    match reply(&mut panel, 3).await {
        ServerMessage::Error(e) => assert_eq!(e.error_code, ErrorCode::Device, "{e:?}"),
        other => panic!("{other:?}"),
    }
    let hello: teleplug::wire::RequestServerInfo = serde_json::from_value(json!(
        {"Id": 4, "ClientName": "x", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}
    ))
    .unwrap();
    panel
        .sender
        .send(vec![ClientMessage::RequestServerInfo(hello)])
        .await
        .unwrap();
    assert!(matches!(
        reply(&mut panel, 4).await,
        ServerMessage::Error(_)
    ));
}

#[tokio::test(start_paused = true)]
async fn the_end_of_a_front_end_stops_every_device_and_leaves_the_app_connected() {
    let s = server(Duration::ZERO, &[]);
    let mut ops = connected_hush(&s).await;
    let mut app = scanning_client(&s, "app").await;
    let mut panel = s.connect_backdoor("panel").unwrap();
    // A second app is still refused: the front end took no slot, the app holds the one.
    assert!(matches!(
        s.connect_json(ConnectionInfo::default()),
        Err(ConnectError::Busy)
    ));
    panel.sender.send(vec![vibrate(1, 9)]).await.unwrap();
    reply(&mut panel, 1).await;
    assert_eq!(next_data(&mut ops).await, b"Vibrate:9;");
    drop(panel);
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
    assert!(s.has_client());
    output_ok(&mut app, json!(0), 0, json!({"Vibrate": {"Value": 4}})).await;
    assert_eq!(next_data(&mut ops).await, b"Vibrate:4;");
}

#[tokio::test(start_paused = true)]
async fn the_owner_sees_who_the_app_is_and_can_disconnect_it() {
    let s = server(Duration::ZERO, &[]);
    let mut ops = connected_hush(&s).await;
    let mut events = s.events();
    assert!(s.client().is_none());
    assert!(!s.disconnect_client(), "nobody to disconnect");

    let mut app = scanning_client(&s, "Game X").await;
    next_event_matching(&mut events, |e| *e == ServerEvent::ClientConnected).await;
    let who = s.client().expect("the app");
    assert_eq!(who.info.name, "Game X");
    assert_eq!(who.info.spec_version, SpecVersion::V4);
    assert!(who.since <= std::time::SystemTime::now());

    output_ok(&mut app, json!(0), 0, json!({"Vibrate": {"Value": 6}})).await;
    assert_eq!(next_data(&mut ops).await, b"Vibrate:6;");

    assert!(s.disconnect_client());
    // Its devices stop, its connection ends, and the events say so in that order.
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
    next_event_matching(&mut events, |e| *e == ServerEvent::AllStopped).await;
    next_event_matching(&mut events, |e| *e == ServerEvent::ClientDisconnected).await;
    assert!(s.client().is_none());
    assert!(app.recv().await.is_none(), "the app's connection is closed");
    // The slot is free again.
    let again = scanning_client(&s, "Game Y").await;
    assert_eq!(s.client().unwrap().info.name, "Game Y");
    drop(again);
}

#[tokio::test(start_paused = true)]
async fn stop_all_is_announced_to_front_ends() {
    let s = server(Duration::ZERO, &[]);
    let mut ops = connected_hush(&s).await;
    let mut events = s.events();
    let mut panel = s.connect_backdoor("lovense api").unwrap();
    panel.sender.send(vec![vibrate(1, 5)]).await.unwrap();
    reply(&mut panel, 1).await;
    assert_eq!(next_data(&mut ops).await, b"Vibrate:5;");
    s.stop_all_devices(Duration::from_secs(2)).await;
    next_event_matching(&mut events, |e| *e == ServerEvent::AllStopped).await;
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
    // A StopCmd from the front end works like the app's.
    panel.sender.send(vec![vibrate(2, 8)]).await.unwrap();
    reply(&mut panel, 2).await;
    assert_eq!(next_data(&mut ops).await, b"Vibrate:8;");
    let stop = ClientMessage::StopCmd(StopCmd {
        device_index: None,
        feature_index: None,
        id: 3,
        inputs: None,
        outputs: None,
    });
    panel.sender.send(vec![stop]).await.unwrap();
    assert!(matches!(reply(&mut panel, 3).await, ServerMessage::Ok(_)));
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
}

#[tokio::test(start_paused = true)]
async fn no_front_end_after_shutdown() {
    let s = server(Duration::ZERO, &[]);
    s.shutdown(Duration::from_secs(1)).await;
    assert!(matches!(
        s.connect_backdoor("panel"),
        Err(ConnectError::ShutDown)
    ));
}
