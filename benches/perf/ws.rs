//! The WebSocket server path: a raw client (its own thread and single-threaded runtime, like a
//! separate process) on loopback sends Buttplug JSON `OutputCmd` frames to an in-process
//! `WsServer`; a simulated Hush (gap 0) writes; the client reads the `Ok` replies. Send → write
//! uses the same clock on both sides.

use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use teleplug::hardware::simulated::SimulatedDevice;
use teleplug::net::{WsServer, WsServerHandle, WsServerOptions};
use teleplug::server::Server;
use tokio::net::TcpStream;
use tokio::sync::Semaphore;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::rig::{self, WriteLatency, WriteLog};
use crate::stats::{Summary, rate};
use crate::{Flavour, Settings};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

fn output_frame(id: u32, device: u32, value: i32) -> String {
    format!(
        r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{device},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#
    )
}

/// The Id of a one-message `Ok` frame, else `None`.
fn ok_id(text: &str) -> Option<u32> {
    let rest = text.strip_prefix(r#"[{"Ok":{"Id":"#)?;
    rest.split('}').next()?.parse().ok()
}

/// The ids of a frame of `Ok` replies (`[{"Ok":{"Id":5}},{"Ok":{"Id":6}}]`); panics on anything
/// else.
fn ok_ids(text: &str) -> impl Iterator<Item = u32> + '_ {
    let body = text
        .strip_prefix('[')
        .and_then(|t| t.strip_suffix(']'))
        .unwrap_or_else(|| panic!("not a frame: {text}"));
    body.split("},{").map(move |m| {
        let m = m.trim_start_matches('{');
        m.strip_prefix(r#""Ok":{"Id":"#)
            .and_then(|r| r.trim_end_matches('}').parse().ok())
            .unwrap_or_else(|| panic!("not Ok: {text}"))
    })
}

async fn next_text(ws: &mut Ws) -> String {
    loop {
        match ws.next().await {
            Some(Ok(Message::Text(t))) => return t.as_str().to_string(),
            Some(Ok(_)) => continue,
            other => panic!("connection ended: {other:?}"),
        }
    }
}

async fn request(ws: &mut Ws, frame: String) -> String {
    ws.send(Message::text(frame)).await.expect("send");
    next_text(ws).await
}

/// Handshake and scan until `devices` devices are listed; returns the first device index.
async fn connect(url: &str, devices: usize) -> (Ws, u32) {
    // tungstenite's default 128 KiB read buffer is zero-filled before each read: use the
    // library's small-read settings so the client's cost does not swamp the server's.
    let config = teleplug::net::listen::ws_config(teleplug::net::listen::MAX_MESSAGE_SIZE);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url, Some(config), false)
        .await
        .expect("connect");
    let info = request(
        &mut ws,
        r#"[{"RequestServerInfo":{"Id":1,"ClientName":"bench","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#.into(),
    )
    .await;
    assert!(info.contains("ServerInfo"), "{info}");
    ws.send(Message::text(r#"[{"StartScanning":{"Id":2}}]"#))
        .await
        .expect("scan");
    loop {
        let text = next_text(&mut ws).await;
        let v: serde_json::Value = serde_json::from_str(&text).expect("json");
        if let Some(list) = v[0]["DeviceList"]["Devices"].as_object() {
            if list.len() >= devices {
                let first = list
                    .keys()
                    .filter_map(|k| k.parse().ok())
                    .min()
                    .expect("index");
                return (ws, first);
            }
        }
    }
}

/// One client run: (send → write, send → reply, elapsed) for `n` commands, `window` in flight.
async fn client_run(
    ws: Ws,
    device: u32,
    n: usize,
    window: usize,
    first_id: u32,
    log: Arc<WriteLog>,
) -> (Ws, WriteLatency, Summary, Duration) {
    let frames: Vec<String> = (0..n)
        .map(|i| {
            output_frame(
                first_id + i as u32,
                device,
                rig::value(first_id as usize + i),
            )
        })
        .collect();
    log.expect(n);
    let (mut sink, mut stream) = ws.split();
    let sends = Arc::new(Mutex::new(Vec::with_capacity(n)));
    let permits = Arc::new(Semaphore::new(window));
    let reader_permits = permits.clone();
    let reader = async move {
        let mut replies = Vec::with_capacity(n);
        while replies.len() < n {
            match stream.next().await {
                Some(Ok(Message::Text(t))) => {
                    let now = Instant::now();
                    // Replies ready together share a frame.
                    for id in ok_ids(t.as_str()) {
                        assert_eq!(id, first_id + replies.len() as u32, "replies in order");
                        replies.push(now);
                        reader_permits.add_permits(1);
                    }
                }
                Some(Ok(_)) => {}
                other => panic!("connection ended: {other:?}"),
            }
        }
        (stream, replies)
    };
    let writer_sends = sends.clone();
    let writer = async move {
        for f in frames {
            permits.acquire().await.expect("open").forget();
            writer_sends.lock().push(Instant::now());
            sink.send(Message::text(f)).await.expect("send");
        }
        sink
    };
    let start = Instant::now();
    let (sink, (stream, replies)) = tokio::join!(writer, reader);
    let elapsed = start.elapsed();
    let ws = sink.reunite(stream).expect("same socket");
    let sends = std::mem::take(&mut *sends.lock());
    let (write, reply) = rig::latencies(&sends, &log, &replies);
    (ws, write, reply, elapsed)
}

/// The WebSocket section.
pub fn run(settings: &Settings) {
    println!(
        "\n### WebSocket server: raw JSON client on loopback (own thread, single-threaded runtime), server on a 2-worker runtime, 1 Hush, gap 0\n"
    );
    println!("| in flight | send → device write | send → reply | commands/s |");
    println!("|---|---|---|---|");
    let server_rt = Flavour::MultiThread.runtime();
    let (server, url, log) = server_rt.block_on(async {
        let (server, url, dev, handle) = serve_one_hush().await;
        std::mem::forget(handle);
        let log = WriteLog::attach(&dev);
        (server, url, log)
    });
    let settings = settings.clone();
    let client = std::thread::spawn(move || {
        let rt = Flavour::CurrentThread.runtime();
        rt.block_on(async {
            let (mut ws, device) = connect(&url, 1).await;
            let mut id = 100;
            for window in [1, 16, 256] {
                let n = if window == 1 {
                    settings.commands
                } else {
                    settings.commands * 4
                };
                let r = client_run(ws, device, settings.warmup, window, id, log.clone()).await;
                id += settings.warmup as u32;
                let (w2, w, r, elapsed) = client_run(r.0, device, n, window, id, log.clone()).await;
                id += n as u32;
                ws = w2;
                println!("| {window} | {w} | {r} | {} |", rate(n, elapsed));
            }
            let _ = ws.close(None).await;
        });
    });
    client.join().expect("client thread");
    server_rt.block_on(server.shutdown(Duration::from_secs(2)));
}

/// A server with one simulated Hush (gap 0) behind a WebSocket server on an ephemeral port.
async fn serve_one_hush() -> (Server, String, SimulatedDevice, WsServerHandle) {
    let server = Server::new(rig::options());
    let dev = rig::hush(0);
    server.advertise(dev.clone());
    let ws = WsServer::bind(
        server.clone(),
        WsServerOptions {
            address: "127.0.0.1:0".parse().expect("address"),
            ..WsServerOptions::default()
        },
    )
    .await
    .expect("bind");
    let url = format!("ws://{}", ws.local_addr());
    (server, url, dev, ws.spawn())
}

/// A fixed workload for instruction counting (`profile ws N`): one command in flight.
pub fn profile(n: usize) {
    let rt = Flavour::MultiThread.runtime();
    rt.block_on(async {
        let (server, url, _dev, _handle) = serve_one_hush().await;
        let (mut ws, device) = connect(&url, 1).await;
        for i in 0..n {
            let reply = request(&mut ws, output_frame(100 + i as u32, device, rig::value(i))).await;
            assert!(ok_id(&reply).is_some(), "{reply}");
        }
        server.shutdown(Duration::from_secs(2)).await;
    });
}
