//! The WebSocket server against hostile or broken peers and its access checks: plain HTTP,
//! aborted handshakes, binary and oversized frames, browser Origins, `allowed_clients` and the
//! approval hook. After each abuse the server still serves a well-behaved client.

mod support;

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use futures::SinkExt;
use parking_lot::Mutex;
use serde_json::json;
use support::wire::{body, msg_type};
use support::ws::{self, Ending, Peer};
use teleplug::net::{OriginPolicy, WsServer, WsServerHandle, WsServerOptions};
use teleplug::server::{ClientApprover, ClientInfo, Server, ServerOptions, Transports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

async fn start(options: ServerOptions, origins: OriginPolicy) -> (Server, WsServerHandle, String) {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..options
    });
    let bound = WsServer::bind(
        server.clone(),
        WsServerOptions {
            address: SocketAddr::from(([127, 0, 0, 1], 0)),
            origins,
            ..WsServerOptions::default()
        },
    )
    .await
    .expect("bind");
    let url = format!("ws://{}", bound.local_addr());
    (server, bound.spawn(), url)
}

async fn start_default() -> (Server, WsServerHandle, String) {
    start(ServerOptions::default(), OriginPolicy::default()).await
}

/// A well-behaved client can connect and handshake, then leaves completely.
async fn still_serves(url: &str) {
    let mut c = Peer::connect(url).await;
    assert_eq!(msg_type(&c.handshake("Fine", 4).await), "ServerInfo");
    ws::close_and_wait(c.ws).await;
}

fn host_port(url: &str) -> String {
    url.trim_start_matches("ws://").to_string()
}

/// Read everything until the server closes the socket.
async fn read_to_end(stream: &mut TcpStream) -> String {
    let mut buf = Vec::new();
    let _ = tokio::time::timeout(ws::WAIT, stream.read_to_end(&mut buf))
        .await
        .expect("the server did not close the connection");
    String::from_utf8_lossy(&buf).into_owned()
}

#[tokio::test]
async fn plain_http_request_is_turned_away() {
    let (_s, _h, url) = start_default().await;
    let mut tcp = TcpStream::connect(host_port(&url)).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
        .await
        .unwrap();
    let answer = read_to_end(&mut tcp).await;
    assert!(!answer.starts_with("HTTP/1.1 101"), "{answer}");
    still_serves(&url).await;
}

#[tokio::test]
async fn aborted_handshakes_do_not_hurt() {
    let (_s, _h, url) = start_default().await;
    // Half a request, then gone.
    let mut tcp = TcpStream::connect(host_port(&url)).await.unwrap();
    tcp.write_all(b"GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n")
        .await
        .unwrap();
    drop(tcp);
    // Nothing at all, then gone.
    drop(TcpStream::connect(host_port(&url)).await.unwrap());
    // Garbage.
    let mut tcp = TcpStream::connect(host_port(&url)).await.unwrap();
    tcp.write_all(&[0xff; 64]).await.unwrap();
    read_to_end(&mut tcp).await;
    still_serves(&url).await;
    // A silent peer holding a half-open handshake does not block others.
    let _silent = TcpStream::connect(host_port(&url)).await.unwrap();
    still_serves(&url).await;
}

#[tokio::test]
async fn binary_frames_are_ignored() {
    let (_s, _h, url) = start_default().await;
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("Binary", 4).await), "ServerInfo");
    c.ws.send(Message::binary(br#"[{"Ping":{"Id":9}}]"#.to_vec()))
        .await
        .unwrap();
    // Ignored: the next reply is for the next text request.
    let ok = c.request("Ping", json!({})).await;
    assert_eq!(msg_type(&ok), "Ok");
    assert!(c.events.is_empty(), "{:?}", c.events);
}

#[tokio::test]
async fn oversized_frames_close_that_client_only() {
    let (_s, _h, url) = start_default().await;
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("Big", 4).await), "ServerInfo");
    let huge = format!("[{{\"Ping\":{{\"Id\":1}}}}{}]", " ".repeat(5 << 20));
    // The server may close while the frame is still being written.
    let _ = c.ws.send(Message::text(huge)).await;
    match ws::next_text(&mut c.ws).await {
        Err(Ending::Close(Some(frame))) => assert_eq!(frame.code, CloseCode::Size),
        Err(_) => {}
        Ok(t) => panic!("unexpected frame {t}"),
    }
    ws::until_closed(&mut c.ws).await;
    still_serves(&url).await;
}

#[tokio::test]
async fn browser_origins_are_checked() {
    let (_s, _h, url) = start_default().await;
    // Another web site: refused during the upgrade.
    match ws::open(&url, Some("https://evil.example")).await {
        Err(tokio_tungstenite::tungstenite::Error::Http(resp)) => {
            assert_eq!(resp.status().as_u16(), 403)
        }
        other => panic!("foreign origin accepted: {:?}", other.map(|_| ())),
    }
    // A page served from this machine, and a native client without Origin: accepted.
    let ws1 = ws::open(&url, Some("http://localhost:8080")).await.unwrap();
    ws::close_and_wait(ws1).await;
    still_serves(&url).await;

    let (_s, _h, url) = start(
        ServerOptions::default(),
        OriginPolicy::new(["https://app.example"]),
    )
    .await;
    let ws2 = ws::open(&url, Some("https://app.example")).await.unwrap();
    ws::close_and_wait(ws2).await;
    assert!(ws::open(&url, Some("http://localhost:8080")).await.is_err());
    assert!(
        ws::open(&url, Some("https://app.example.evil"))
            .await
            .is_err()
    );
    still_serves(&url).await;
}

#[tokio::test]
async fn allowed_clients_only() {
    let (_s, _h, url) = start(
        ServerOptions {
            allowed_clients: vec!["Good App".into()],
            ..ServerOptions::default()
        },
        OriginPolicy::default(),
    )
    .await;
    let mut bad = Peer::connect(&url).await;
    let err = bad.handshake("Bad App", 4).await;
    assert_eq!(msg_type(&err), "Error", "{err}");
    assert_eq!(body(&err)["ErrorCode"], 1);
    ws::until_closed(&mut bad.ws).await;

    let mut good = Peer::connect(&url).await;
    assert_eq!(msg_type(&good.handshake("Good App", 4).await), "ServerInfo");
}

struct Recorder {
    answer: bool,
    seen: Mutex<Vec<ClientInfo>>,
}

#[async_trait]
impl ClientApprover for Recorder {
    async fn approve(&self, client: &ClientInfo) -> bool {
        self.seen.lock().push(client.clone());
        self.answer
    }
}

async fn approval(answer: bool) -> (Arc<Recorder>, String, WsServerHandle) {
    let recorder = Arc::new(Recorder {
        answer,
        seen: Mutex::new(Vec::new()),
    });
    let (_s, h, url) = start(
        ServerOptions {
            approver: Some(recorder.clone()),
            ..ServerOptions::default()
        },
        OriginPolicy::default(),
    )
    .await;
    (recorder, url, h)
}

#[tokio::test]
async fn approval_hook_approves() {
    let (recorder, url, _h) = approval(true).await;
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("Asking App", 3).await), "ServerInfo");
    let seen = recorder.seen.lock().clone();
    assert_eq!(seen.len(), 1);
    assert_eq!(seen[0].name, "Asking App");
    assert!(
        seen[0]
            .address
            .as_deref()
            .unwrap_or("")
            .starts_with("127.0.0.1:")
    );
}

#[tokio::test]
async fn approval_hook_denies() {
    let (recorder, url, _h) = approval(false).await;
    let mut c = Peer::connect(&url).await;
    let err = c.handshake("Unwelcome", 4).await;
    assert_eq!(msg_type(&err), "Error", "{err}");
    assert_eq!(body(&err)["ErrorCode"], 1);
    ws::until_closed(&mut c.ws).await;
    assert_eq!(recorder.seen.lock().len(), 1);
}
