//! The WebSocket client connector of the library: the client core talks to the in-process
//! WebSocket server end to end (scan, vibrate, battery, stop, disconnect), and connection
//! failures are clear errors.

mod support;

use std::net::SocketAddr;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use support::ops::next_data;
use teleplug::client::{Client, ClientError, ClientEvent};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::net::{WsServer, WsServerHandle, WsServerOptions, ws_client};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio_tungstenite::tungstenite::Message;

const WAIT: Duration = Duration::from_secs(10);

async fn start() -> (Server, WsServerHandle, String) {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let bound = WsServer::bind(
        server.clone(),
        WsServerOptions {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            ..WsServerOptions::default()
        },
    )
    .await
    .unwrap();
    let url = format!("ws://{}", bound.local_addr());
    (server, bound.spawn(), url)
}

/// The next write of the device, as text.
async fn next_write(ops: &mut UnboundedReceiver<SimOp>) -> String {
    String::from_utf8_lossy(&next_data(ops).await).into_owned()
}

#[tokio::test]
async fn client_core_over_websocket_end_to_end() {
    let (server, _h, url) = start().await;
    let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        "11:22:33:44:55:66",
        "Z:11:0082059AD3BD;",
        64,
    ));
    let mut ops = toy.op_receiver();
    server.advertise(toy);

    let conn = ws_client::connect(&url).await.expect("connect");
    let client = Client::connect_with("WS Client", conn)
        .await
        .expect("handshake");
    assert_eq!(client.server_info().unwrap().server_name, "Teleplug Server");
    let mut events = client.events();
    client.start_scanning().await.unwrap();
    let entry = tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(ClientEvent::DeviceAdded(e)) = events.recv().await {
                return e;
            }
        }
    })
    .await
    .expect("no device found");
    client.stop_scanning().await.unwrap();
    assert_eq!(entry.device_name, "Lovense Hush");
    let device = client.device(entry.device_index).unwrap();
    // Skip the identification traffic.
    while !matches!(ops.recv().await, Some(SimOp::Connected { .. }) | None) {}

    device.vibrate(0.5).await.unwrap();
    assert_eq!(next_write(&mut ops).await, "Vibrate:10;");
    assert_eq!(device.battery().await.unwrap(), 64);
    assert_eq!(next_write(&mut ops).await, "Battery;");
    device.stop().await.unwrap();
    assert_eq!(next_write(&mut ops).await, "Vibrate:0;");

    device.vibrate(1.0).await.unwrap();
    assert_eq!(next_write(&mut ops).await, "Vibrate:20;");
    // Disconnect is answered by the connector and the socket closed: the device stops.
    client.disconnect().await.unwrap();
    assert!(!client.connected());
    assert_eq!(next_write(&mut ops).await, "Vibrate:0;");
}

#[tokio::test]
async fn server_going_away_is_seen_by_the_client() {
    let (_server, h, url) = start().await;
    let client = Client::connect_with("WS Client", ws_client::connect(&url).await.unwrap())
        .await
        .unwrap();
    let mut events = client.events();
    h.shutdown(WAIT).await;
    tokio::time::timeout(WAIT, async {
        loop {
            if let Ok(ClientEvent::Disconnected(_)) = events.recv().await {
                return;
            }
        }
    })
    .await
    .expect("no Disconnected event");
    assert!(matches!(
        client.ping().await,
        Err(ClientError::NotConnected)
    ));
}

#[tokio::test]
async fn bad_urls_are_invalid_arguments() {
    for url in ["", "not a url", "http://127.0.0.1:1", "wss://127.0.0.1:1"] {
        match ws_client::connect(url).await {
            Err(ClientError::InvalidArgument(m)) => assert!(!m.is_empty()),
            Err(other) => panic!("{url}: {other:?}"),
            Ok(_) => panic!("{url}: connected"),
        }
    }
}

#[tokio::test]
async fn refused_connection_is_a_connect_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    match ws_client::connect(&format!("ws://{addr}")).await {
        Err(ClientError::Connect(m)) => assert!(m.contains("refused"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("connected to nothing"),
    }
}

#[tokio::test]
async fn http_server_is_not_a_buttplug_server() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (mut s, _) = listener.accept().await.unwrap();
        let mut buf = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut s, &mut buf).await;
        let _ = s
            .write_all(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
            .await;
    });
    match ws_client::connect(&format!("ws://{addr}")).await {
        Err(ClientError::Connect(m)) => assert!(m.contains("404"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("connected"),
    }
}

#[tokio::test]
async fn websocket_server_speaking_something_else_fails_the_handshake() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
        // Answer the first frame with something that is not Buttplug.
        let _ = ws.next().await;
        let _ = ws.send(Message::text("hello, I am a chat server")).await;
        while let Some(Ok(_)) = ws.next().await {}
    });
    let conn = ws_client::connect(&format!("ws://{addr}")).await.unwrap();
    match tokio::time::timeout(WAIT, Client::connect_with("WS Client", conn))
        .await
        .expect("handshake hung")
    {
        Err(ClientError::Connect(m)) => assert!(m.contains("Buttplug"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("handshake succeeded"),
    }
}

#[tokio::test]
async fn silent_server_fails_the_handshake_after_the_timeout() {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        let (s, _) = listener.accept().await.unwrap();
        let mut ws = tokio_tungstenite::accept_async(s).await.unwrap();
        // Read the handshake and never answer; report when the client gives up the socket.
        while let Some(Ok(m)) = ws.next().await {
            if m.is_close() {
                break;
            }
        }
        let _ = closed_tx.send(());
    });
    let conn = ws_client::connect(&format!("ws://{addr}")).await.unwrap();
    let result = tokio::time::timeout(
        WAIT,
        Client::connect_with_timeout("WS Client", conn, Duration::from_millis(200)),
    )
    .await
    .expect("the handshake timeout did not fire");
    match result {
        Err(ClientError::Connect(m)) => assert!(m.contains("did not answer the handshake"), "{m}"),
        Err(other) => panic!("{other:?}"),
        Ok(_) => panic!("handshake succeeded"),
    }
    tokio::time::timeout(WAIT, closed_rx)
        .await
        .expect("the client kept the socket open")
        .unwrap();
}
