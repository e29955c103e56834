//! The listeners under resource exhaustion: thousands of half-open connections (TCP connected,
//! no HTTP upgrade request, or for devices no handshake frame) are capped per listener, oldest
//! closed first, so a real client or device still gets in; and a server out of file
//! descriptors backs off instead of spinning on `accept`, logging a burst once.

mod support;

use std::io::{BufRead, BufReader};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;

use futures::{SinkExt, StreamExt};
use serde_json::json;
use support::wire::{body, msg_type};
use support::ws::{self, Peer, WAIT};
use teleplug::device_config::DeviceConfig;
use teleplug::net::pending::{EVICTED_REASON, MAX_PENDING_UPGRADES};
use teleplug::net::{self, LinkConfig, WsServer, WsServerOptions, listen};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

const BIN: &str = env!("CARGO_BIN_EXE_teleplug");

/// Half-open connections held in the flood test.
const HALF_OPEN: usize = 2000;

fn loopback0() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// Make room for `needed` descriptors in this process (both ends of every loopback
/// connection live here).
fn raise_open_file_limit(needed: u64) {
    let got = rlimit::increase_nofile_limit(needed).expect("read the open-file limit");
    assert!(
        got >= needed,
        "this test needs {needed} open files; the hard limit allows only {got}"
    );
}

async fn server_with_devices() -> (Server, String, String, Vec<net::ListenerHandle>) {
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
    let devices = net::device_server::start(&server, loopback0(), LinkConfig::default())
        .await
        .unwrap();
    let device_url = format!("ws://{}", devices.local_addr());
    (server, url, device_url, vec![bound.spawn(), devices])
}

/// Whether the server closed this connection (end of stream or reset) by `deadline`.
async fn closed_by(tcp: &mut TcpStream, deadline: tokio::time::Instant) -> bool {
    let mut buf = [0u8; 256];
    match tokio::time::timeout_at(deadline, tcp.read(&mut buf)).await {
        Ok(Ok(0)) | Ok(Err(_)) => true,
        Ok(Ok(_)) => panic!("the server sent data on a connection that sent no request"),
        Err(_) => false,
    }
}

/// Whether nothing has arrived on this connection yet, not even its end.
fn still_open(tcp: &TcpStream) -> bool {
    let mut buf = [0u8; 1];
    matches!(tcp.try_read(&mut buf), Err(e) if e.kind() == std::io::ErrorKind::WouldBlock)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_client_gets_in_while_2000_half_open_connections_are_held() {
    raise_open_file_limit((2 * HALF_OPEN + 512) as u64);
    let (_server, url, _devices, _listeners) = server_with_devices().await;
    let addr = url.trim_start_matches("ws://").to_string();
    let mut half_open = Vec::with_capacity(HALF_OPEN);
    for _ in 0..HALF_OPEN {
        half_open.push(TcpStream::connect(&addr).await.expect("connect"));
    }

    // A real client, after all of them: WebSocket upgrade and Buttplug handshake.
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("Real App", 4).await), "ServerInfo");
    assert_eq!(msg_type(&c.request("Ping", json!({})).await), "Ok");

    // The server kept only the newest half-open connections (one more went for the client),
    // and closed the others at once, long before their upgrade would have timed out.
    let kept = MAX_PENDING_UPGRADES - 1;
    let deadline = tokio::time::Instant::now() + listen::HANDSHAKE_TIMEOUT / 2;
    for (i, tcp) in half_open[..HALF_OPEN - kept].iter_mut().enumerate() {
        assert!(
            closed_by(tcp, deadline).await,
            "half-open connection {i} not closed"
        );
    }
    for (i, tcp) in half_open[HALF_OPEN - kept..].iter().enumerate() {
        assert!(still_open(tcp), "newest half-open connection {i} closed");
    }
}

#[tokio::test]
async fn devices_that_never_send_their_handshake_are_capped_oldest_first() {
    let (_server, url, device_url, _listeners) = server_with_devices().await;
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("Devices", 4).await), "ServerInfo");
    let mut silent = Vec::new();
    for _ in 0..MAX_PENDING_UPGRADES {
        silent.push(ws::open(&device_url, None).await.expect("upgrade"));
    }
    // One more device connection: the oldest silent one is closed, saying why.
    let mut dev = ws::open(&device_url, None).await.expect("upgrade");
    let close = ws::until_closed(&mut silent[0])
        .await
        .expect("a Close frame");
    assert_eq!(close.code, CloseCode::Again);
    assert_eq!(close.reason.as_str(), EVICTED_REASON);
    // The newcomer is a real device: it dials in and is driven.
    dev.send(Message::text(
        r#"{"identifier":"SimAneros","address":"aneros-flood","version":0}"#,
    ))
    .await
    .unwrap();
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
    let ok = c
        .request(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":100}}}),
        )
        .await;
    assert_eq!(msg_type(&ok), "Ok");
    assert_eq!(ws::next_binary(&mut dev).await, vec![0xF1, 0x64]);
}

/// `teleplug serve` started with a soft limit of `files` open files; stderr lines are counted
/// and those about accepting are forwarded.
struct LimitedServe {
    child: Child,
    url: String,
    stderr_lines: Arc<AtomicUsize>,
    accept_lines: mpsc::Receiver<String>,
}

impl LimitedServe {
    fn start(files: u32) -> LimitedServe {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(format!("ulimit -n {files} && exec \"$@\""))
            .arg("sh")
            .arg(BIN)
            .args(["serve", "--port", "0", "--no-bluetooth", "--no-serial"])
            .args(["--no-hid", "--no-gamepad", "--log", "info"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn teleplug serve");
        let stderr = child.stderr.take().unwrap();
        let stderr_lines = Arc::new(AtomicUsize::new(0));
        let (tx, accept_lines) = mpsc::channel();
        let counter = stderr_lines.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                counter.fetch_add(1, Ordering::SeqCst);
                if line.contains("accept") {
                    let _ = tx.send(line);
                }
            }
        });
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in stdout.lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let url = loop {
            let line = lines
                .recv_timeout(WAIT)
                .expect("teleplug serve did not say where it listens");
            if let Some(at) = line.find("ws://") {
                if line.contains("Buttplug server listening on") {
                    break line[at..].trim().to_string();
                }
            }
        };
        LimitedServe {
            child,
            url,
            stderr_lines,
            accept_lines,
        }
    }

    /// The next stderr line about accepting that contains `needle`.
    fn accept_line_with(&self, needle: &str) -> String {
        loop {
            let line = self
                .accept_lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("no log line with {needle:?}"));
            if line.contains(needle) {
                return line;
            }
        }
    }
}

impl Drop for LimitedServe {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn out_of_file_descriptors_the_server_backs_off_and_still_lets_the_client_in() {
    let serve = LimitedServe::start(64);
    let addr = serve.url.trim_start_matches("ws://").to_string();
    // Far more half-open connections than the server has descriptors.
    let mut half_open = Vec::new();
    for _ in 0..300 {
        half_open.push(TcpStream::connect(&addr).await.expect("connect"));
    }
    let mut c = Peer::connect(&serve.url).await;
    assert_eq!(msg_type(&c.handshake("Real App", 4).await), "ServerInfo");

    // The burst was reported once when it started and once when it ended, not per failure.
    let start = serve.accept_line_with("accept failed");
    assert!(start.contains("Too many open files"), "{start}");
    let end = serve.accept_line_with("accept failures in the last burst");
    assert!(end.contains("WARN"), "{end}");
    let lines = serve.stderr_lines.load(Ordering::SeqCst);
    assert!(lines < 40, "{lines} log lines: the accept loop spins");
    // The oldest half-open connections were closed to free descriptors.
    let deadline = tokio::time::Instant::now() + listen::HANDSHAKE_TIMEOUT / 2;
    assert!(closed_by(&mut half_open[0], deadline).await);
    assert_eq!(msg_type(&c.request("Ping", json!({})).await), "Ok");
}

/// An accept loop keeping at most three pending connections, whose handler upgrades and then
/// echoes text frames.
async fn echo_listener() -> (net::ListenerHandle, String) {
    let listener = listen::bind(loopback0(), "echo").await.unwrap();
    let handle =
        listen::spawn_accept_loop_with_limit(listener, "echo", 3, |conn, peer, _| async move {
            let origins = net::OriginPolicy::default();
            let Some((mut ws, upgraded)) =
                listen::upgrade_ungated(conn, &origins, peer, "echo").await
            else {
                return;
            };
            drop(upgraded);
            while let Some(Ok(msg)) = ws.next().await {
                if msg.is_text() && ws.send(msg).await.is_err() {
                    break;
                }
            }
        });
    let addr = handle.local_addr().to_string();
    (handle, addr)
}

/// Open a WebSocket and see it echo: the server has accepted every connection made before it
/// (they are accepted in order).
async fn probe(addr: &str) -> ws::Ws {
    let mut probe = ws::open(&format!("ws://{addr}"), None).await.unwrap();
    probe.send(Message::text("probe")).await.unwrap();
    assert_eq!(ws::next_text(&mut probe).await.unwrap(), "probe");
    probe
}

#[tokio::test]
async fn only_connections_still_waiting_for_their_upgrade_count_against_the_limit() {
    let (_listener, addr) = echo_listener().await;
    let mut upgraded = ws::open(&format!("ws://{addr}"), None).await.unwrap();
    let mut first = TcpStream::connect(&addr).await.unwrap();
    let second = TcpStream::connect(&addr).await.unwrap();
    // First, second and the probe while it upgrades: three pending, within the limit.
    let _probe = probe(&addr).await;
    assert!(still_open(&first) && still_open(&second));
    // First, second, third and another probe: one too many, the oldest is closed.
    let third = TcpStream::connect(&addr).await.unwrap();
    let _probe = probe(&addr).await;
    let deadline = tokio::time::Instant::now() + listen::HANDSHAKE_TIMEOUT / 2;
    assert!(closed_by(&mut first, deadline).await);
    assert!(still_open(&second) && still_open(&third));
    // The upgraded connection never counted, and was never at risk.
    upgraded.send(Message::text("still here")).await.unwrap();
    assert_eq!(ws::next_text(&mut upgraded).await.unwrap(), "still here");
}
