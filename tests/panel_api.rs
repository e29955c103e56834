//! The control panel's HTTP API (src/panel) over real sockets: Intiface Engine 5's REST routes
//! with its paths, methods and JSON; Teleplug's routes; bad input answered 4xx with a JSON error,
//! never 500; the event stream; and STOP ALL winning over an app flooding commands through the
//! WebSocket server (the simulated toy's bytes end with the stop).

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{Value, json};
use support::http::{Events, request, send_json};
use support::ws::WAIT;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::net::{WsServer, WsServerOptions};
use teleplug::panel::{self, LogTail, PanelHandle, PanelOptions};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::Notify;
use tokio_tungstenite::tungstenite::Message;

/// What a Hush (one vibrator, 20 steps, battery) answers to `DeviceType;`.
const HUSH: &str = "Z:11:0082059AD3BD;";
const STOP: &str = "Vibrate:0;";

/// The text of every write the toy received, in order, and a wake-up on each.
#[derive(Clone, Default)]
struct Writes {
    list: Arc<Mutex<Vec<String>>>,
    changed: Arc<Notify>,
}

impl Writes {
    fn snapshot(&self) -> Vec<String> {
        self.list.lock().clone()
    }

    /// Wait until a write satisfies `pred`; returns it.
    async fn until(&self, pred: impl Fn(&str) -> bool) -> String {
        tokio::time::timeout(WAIT, async {
            loop {
                let notified = self.changed.notified();
                if let Some(w) = self.list.lock().iter().find(|w| pred(w)) {
                    return w.clone();
                }
                notified.await;
            }
        })
        .await
        .expect("the toy did not receive the bytes in time")
    }
}

struct Fixture {
    server: Server,
    panel: Option<PanelHandle>,
    addr: SocketAddr,
    writes: Writes,
}

impl Fixture {
    async fn new(token: Option<&str>) -> Fixture {
        Fixture::with_toys(token, &["hush-1"]).await
    }

    /// A server without hardware, a panel on a free loopback port, and simulated Hushes found
    /// by a scan started through the API (the writes are the first toy's).
    async fn with_toys(token: Option<&str>, addresses: &[&str]) -> Fixture {
        let server = Server::new(ServerOptions {
            transports: Transports::none(),
            ..ServerOptions::default()
        });
        let writes = Writes::default();
        let mut events = server.events();
        for (i, address) in addresses.iter().enumerate() {
            let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(*address, HUSH, 87));
            if i == 0 {
                let w = writes.clone();
                toy.observe(move |op| {
                    if let SimOp::Write { data, .. } = op {
                        w.list
                            .lock()
                            .push(String::from_utf8_lossy(data).into_owned());
                        w.changed.notify_waiters();
                    }
                });
            }
            server.advertise(toy);
        }
        let bound = panel::bind(
            &server,
            PanelOptions {
                address: "127.0.0.1:0".parse().unwrap(),
                token: token.map(str::to_owned),
                allowed_origins: Vec::new(),
                log: Some(LogTail::default()),
                settings: json!({"example": true}),
            },
        )
        .await
        .expect("bind");
        let addr = bound.local_addr();
        let panel = Some(bound.spawn());
        let headers: Vec<(&str, &str)> = token.iter().map(|t| ("X-Teleplug-Token", *t)).collect();
        let a = request(addr, "POST", "/api/scanning/start", &headers, None).await;
        assert_eq!(a.status, 200, "{}", a.body);
        let mut found = 0;
        tokio::time::timeout(WAIT, async {
            while found < addresses.len() {
                if let Ok(ServerEvent::DeviceAdded(_)) = events.recv().await {
                    found += 1;
                }
            }
        })
        .await
        .expect("the simulated toys were found");
        Fixture {
            server,
            panel,
            addr,
            writes,
        }
    }

    async fn get(&self, path: &str) -> support::http::Answer {
        request(self.addr, "GET", path, &[], None).await
    }

    async fn put(&self, path: &str) -> support::http::Answer {
        request(self.addr, "PUT", path, &[], None).await
    }

    async fn post(&self, path: &str, body: &str) -> support::http::Answer {
        send_json(self.addr, "POST", path, body).await
    }

    async fn end(mut self) {
        if let Some(p) = self.panel.take() {
            p.shutdown(Duration::from_secs(1)).await;
        }
        self.server.shutdown(Duration::from_secs(1)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intiface_engine_5_routes_answer_with_its_paths_methods_and_json() {
    let f = Fixture::new(None).await;
    let devices = f.get("/api/v1/devices").await;
    assert_eq!(devices.status, 200);
    let d = devices.json();
    let hush = &d["0"];
    assert_eq!(hush["index"], 0);
    assert_eq!(hush["name"], "Lovense Hush");
    assert_eq!(hush["display_name"], Value::Null);
    assert_eq!(
        hush["features"]["0"]["Output"]["Vibrate"]["Value"],
        json!([0, 20]),
        "features as in a v4 DeviceList: {hush}"
    );
    assert_eq!(f.get("/api/v1/devices/0").await.json(), *hush);
    assert_eq!(
        f.get("/api/v1/devices/0/features").await.json(),
        hush["features"]
    );
    // Engine 5.0.5 answers a feature on PUT with a trailing slash.
    assert_eq!(
        f.put("/api/v1/devices/0/features/0/").await.json(),
        hush["features"]["0"]
    );

    // A level is a fraction of the step count, rounded up (0.5 of 20 = 10; 0.26 → 6).
    let a = f
        .put("/api/v1/devices/0/features/0/outputs/Vibrate/0.5")
        .await;
    assert_eq!((a.status, a.body.as_str()), (200, ""));
    f.writes.until(|w| w == "Vibrate:10;").await;
    let a = f.put("/api/v1/devices/0/outputs/Vibrate/0.26").await;
    assert_eq!(a.status, 200, "{}", a.body);
    f.writes.until(|w| w == "Vibrate:6;").await;
    let a = f.put("/api/v1/devices/0/stop").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(f.writes.snapshot().last().map(String::as_str), Some(STOP));

    f.put("/api/v1/devices/0/outputs/Vibrate/1.0").await;
    f.writes.until(|w| w == "Vibrate:20;").await;
    let a = f.put("/api/v1/devices/stop").await;
    assert_eq!((a.status, a.body.as_str()), (200, ""));
    assert_eq!(f.writes.snapshot().last().map(String::as_str), Some(STOP));

    // Inputs (commented out in Engine 5.0.5): the battery, read through the protocol.
    let battery = f.put("/api/v1/devices/0/inputs/Battery/Read").await;
    assert_eq!(battery.status, 200, "{}", battery.body);
    assert_eq!(battery.json(), json!({"type": "Battery", "value": 87}));
    f.writes.until(|w| w == "Battery;").await;

    assert_eq!(f.get("/api/v1/stop-scanning").await.status, 200);
    assert_eq!(f.get("/api/v1/start-scanning").await.status, 200);
    f.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn teleplug_routes_drive_read_and_stop() {
    let f = Fixture::new(None).await;
    let a = f
        .post(
            "/api/devices/0/features/0/output",
            r#"{"type":"Vibrate","fraction":0.25}"#,
        )
        .await;
    assert_eq!(a.json(), json!({"ok": true, "steps": 5}));
    f.writes.until(|w| w == "Vibrate:5;").await;
    let a = f
        .post(
            "/api/devices/0/features/0/output",
            r#"{"type":"Vibrate","value":13}"#,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    f.writes.until(|w| w == "Vibrate:13;").await;
    let a = f
        .post(
            "/api/devices/0/features/1/input",
            r#"{"type":"Battery","command":"Read"}"#,
        )
        .await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["value"], 87);
    let a = f.post("/api/devices/0/stop", "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(f.writes.snapshot().last().map(String::as_str), Some(STOP));

    // Scanning as the server has it, whoever started it.
    assert_eq!(f.get("/api/state").await.json()["scanning"], true);
    assert_eq!(f.post("/api/scanning/stop", "").await.status, 200);
    assert_eq!(f.get("/api/state").await.json()["scanning"], false);
    f.server.start_scanning().await;
    assert_eq!(f.get("/api/server").await.json()["scanning"], true);

    let list = f.get("/api/devices").await.json();
    assert_eq!(list["devices"][0]["DeviceName"], "Lovense Hush");
    let info = f.get("/api/server").await.json();
    assert_eq!(info["settings"], json!({"example": true}));
    assert_eq!(info["panel"]["token_required"], false);
    assert_eq!(f.get("/api/client").await.json(), json!({"client": null}));
    assert_eq!(
        request(f.addr, "DELETE", "/api/client", &[], None)
            .await
            .status,
        404,
        "no app to disconnect"
    );
    f.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_a_4xx_with_a_json_error_naming_it() {
    let f = Fixture::new(None).await;
    let out = "/api/devices/0/features/0/output";
    let cases: Vec<(support::http::Answer, u16, &str)> = vec![
        (f.post(out, "{\"type\":").await, 400, "JSON"),
        (
            request(
                f.addr,
                "POST",
                out,
                &[],
                Some(r#"{"type":"Vibrate","value":1}"#),
            )
            .await,
            415,
            "Content-Type",
        ),
        (f.post(out, r#"{"type":"Fly","value":1}"#).await, 422, "Fly"),
        (
            f.post(out, r#"{"type":"Vibrate","value":1,"extra":2}"#)
                .await,
            422,
            "extra",
        ),
        (
            f.post(out, r#"{"type":"Vibrate"}"#).await,
            400,
            "exactly one",
        ),
        (
            f.post(out, r#"{"type":"Vibrate","fraction":1.5}"#).await,
            400,
            "1.5",
        ),
        (
            f.post(out, r#"{"type":"Vibrate","value":99}"#).await,
            400,
            "99",
        ),
        (
            f.post(out, r#"{"type":"Rotate","value":1}"#).await,
            400,
            "Rotate",
        ),
        (
            f.post(
                "/api/devices/7/features/0/output",
                r#"{"type":"Vibrate","value":1}"#,
            )
            .await,
            404,
            "7",
        ),
        (
            f.post(
                "/api/devices/0/features/9/output",
                r#"{"type":"Vibrate","value":1}"#,
            )
            .await,
            404,
            "feature 9",
        ),
        (
            f.post(
                "/api/devices/x/features/0/output",
                r#"{"type":"Vibrate","value":1}"#,
            )
            .await,
            400,
            "x",
        ),
        (f.put("/api/v1/devices/0/outputs/Vibrate/2").await, 400, "2"),
        (
            f.put("/api/v1/devices/0/outputs/Vibrate/abc").await,
            400,
            "abc",
        ),
        (
            f.put("/api/v1/devices/0/outputs/Wiggle/0.5").await,
            400,
            "Wiggle",
        ),
        (
            f.put("/api/v1/devices/0/outputs/Rotate/0.5").await,
            400,
            "Rotate",
        ),
        (f.put("/api/v1/devices/3").await, 405, "PUT"),
        (f.get("/api/v1/devices/3").await, 404, "3"),
        (f.get("/api/nothing-here").await, 404, "nothing-here"),
        (
            f.post("/api/stop?everything=yes", "").await,
            400,
            "everything",
        ),
        (
            f.post(
                "/api/devices/0/features/0/input",
                r#"{"type":"Battery","command":"Read"}"#,
            )
            .await,
            400,
            "Battery",
        ),
    ];
    for (answer, status, named) in cases {
        assert_eq!(answer.status, status, "{answer:?}");
        let body = answer.json();
        let error = body["error"].as_str().unwrap_or_else(|| panic!("{body}"));
        assert!(error.contains(named), "{error:?} should name {named:?}");
    }
    assert!(
        !f.writes
            .snapshot()
            .iter()
            .any(|w| w.starts_with("Vibrate:")),
        "no bad request reached the toy: {:?}",
        f.writes.snapshot()
    );
    f.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_stream_opens_with_the_state_and_follows_the_server() {
    let f = Fixture::new(None).await;
    let mut events = Events::open(f.addr, "/api/events", &[]).await;
    assert_eq!(events.status, 200);
    let state = events.next_named("state").await;
    assert_eq!(state["devices"][0]["DeviceName"], "Lovense Hush");
    assert_eq!(state["client"], Value::Null);
    assert_eq!(state["scanning"], true, "the panel started the scan");
    let a = f.post("/api/stop?keep_client=true", "").await;
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(events.next_named("stopped").await, json!({}));
    // One device's stream (Engine's commented-out route).
    let mut one = Events::open(f.addr, "/api/v1/devices/0/events", &[]).await;
    assert_eq!(one.next_named("state").await["device"]["DeviceIndex"], 0);
    // Engine's server stream: the event's debug text.
    let mut engine = Events::open(f.addr, "/api/v1/events", &[]).await;
    f.put("/api/v1/devices/stop").await;
    assert_eq!(engine.next().await, ("message".into(), "AllStopped".into()));
    f.end().await;
}

/// A tab left open for days reconnects its streams again and again: each closed stream must
/// leave the server (the count `GET /api/server` shows goes back down), or memory grows.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_streams_that_are_dropped_leave_nothing_open() {
    let f = Fixture::new(None).await;
    let open = |f: &Fixture| {
        let addr = f.addr;
        async move {
            let a = request(addr, "GET", "/api/server", &[], None).await;
            assert_eq!(a.status, 200, "{}", a.body);
            a.json()["panel"]["open_event_streams"]
                .as_u64()
                .expect("a count")
        }
    };
    assert_eq!(open(&f).await, 0);
    let mut streams = Vec::new();
    for k in 0..50 {
        let path = if k % 2 == 0 {
            "/api/events"
        } else {
            "/api/v1/devices/0/events"
        };
        let mut s = Events::open(f.addr, path, &[]).await;
        s.next_named("state").await;
        streams.push(s);
    }
    assert_eq!(open(&f).await, 50, "every open stream is counted");
    // Dropped one by one, as a browser does when it reconnects.
    for s in std::mem::take(&mut streams) {
        drop(s);
        let mut again = Events::open(f.addr, "/api/events", &[]).await;
        again.next_named("state").await;
        streams.push(again);
    }
    streams.clear();
    // The server notices a closed connection when it reads EOF on it: wait for that.
    let left = tokio::time::timeout(WAIT, async {
        loop {
            let n = open(&f).await;
            if n == 0 {
                return n;
            }
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert_eq!(
        left,
        Ok(0),
        "streams still open after their connections closed"
    );
    f.end().await;
}

/// An app connected through the WebSocket server, sending Vibrate commands as fast as the
/// server takes them (without waiting for replies) until its connection ends.
struct Flood {
    sent: Arc<std::sync::atomic::AtomicU64>,
    closed: tokio::task::JoinHandle<()>,
}

async fn flood(server: &Server) -> (Flood, teleplug::net::WsServerHandle) {
    let ws = WsServer::bind(
        server.clone(),
        WsServerOptions {
            address: "127.0.0.1:0".parse().unwrap(),
            ..WsServerOptions::default()
        },
    )
    .await
    .expect("bind");
    let url = format!("ws://{}", ws.local_addr());
    let handle = ws.spawn();
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect");
    let (mut tx, mut rx) = socket.split();
    tx.send(Message::text(
        r#"[{"RequestServerInfo":{"Id":1,"ClientName":"flooder","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
    ))
    .await
    .unwrap();
    let first = rx.next().await.expect("answer").expect("frame");
    assert!(first.to_text().unwrap().contains("ServerInfo"), "{first:?}");
    let sent = Arc::new(std::sync::atomic::AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        for id in 2u32.. {
            let frame: String = (0..20)
                .map(|k| {
                    let value = 1 + (id * 20 + k) % 20;
                    format!(
                        r#"{{"OutputCmd":{{"Id":{},"DeviceIndex":0,"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}"#,
                        id * 20 + k
                    )
                })
                .collect::<Vec<_>>()
                .join(",");
            // Counted before the send: a frame the server has read is always counted.
            counter.fetch_add(20, std::sync::atomic::Ordering::Relaxed);
            if tx.send(Message::text(format!("[{frame}]"))).await.is_err() {
                break;
            }
        }
    });
    let closed = tokio::spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
    (Flood { sent, closed }, handle)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_all_wins_over_an_app_flooding_commands() {
    let f = Fixture::new(None).await;
    let (flood, ws) = flood(&f.server).await;
    f.writes
        .until(|w| w.starts_with("Vibrate:") && w != STOP)
        .await;
    let before = flood.sent.load(std::sync::atomic::Ordering::Relaxed);
    let asked = Instant::now();
    let a = f.post("/api/stop", "").await;
    let took = asked.elapsed();
    assert_eq!(a.status, 200, "{}", a.body);
    assert_eq!(a.json()["client_disconnected"], true);
    let at_answer = f.writes.snapshot();
    assert_eq!(
        at_answer.last().map(String::as_str),
        Some(STOP),
        "the toy's last bytes when STOP ALL answers"
    );
    tokio::time::timeout(WAIT, flood.closed)
        .await
        .expect("the app's connection was ended")
        .unwrap();
    let after = f.writes.snapshot();
    assert_eq!(
        after.last().map(String::as_str),
        Some(STOP),
        "nothing the app still had queued started the toy again"
    );
    assert!(
        before > 0 && after.iter().filter(|w| *w != STOP).count() > 1,
        "the app was flooding: {before} commands sent before STOP"
    );
    eprintln!("STOP ALL during a flood ({before} commands sent before it): answered in {took:?}");
    ws.shutdown(Duration::from_secs(1)).await;
    f.end().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_all_keeping_the_app_stops_within_the_answer() {
    let f = Fixture::new(None).await;
    let (flood, ws) = flood(&f.server).await;
    f.writes
        .until(|w| w.starts_with("Vibrate:") && w != STOP)
        .await;
    let from = f.writes.snapshot().len();
    let a = f.post("/api/stop?keep_client=true", "").await;
    assert_eq!(a.json(), json!({"ok": true, "client_disconnected": false}));
    assert!(
        f.writes.snapshot()[from..].iter().any(|w| w == STOP),
        "the stop was written before STOP ALL answered, ahead of the app's queue"
    );
    assert!(f.server.client().is_some(), "the app is still connected");
    let a = request(f.addr, "DELETE", "/api/client", &[], None).await;
    assert_eq!(a.json(), json!({"disconnected": true}));
    tokio::time::timeout(WAIT, flood.closed)
        .await
        .expect("the app's connection was ended")
        .unwrap();
    assert_eq!(f.writes.snapshot().last().map(String::as_str), Some(STOP));
    ws.shutdown(Duration::from_secs(1)).await;
    f.end().await;
}
