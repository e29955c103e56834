//! `teleplug` started as Intiface Central starts Intiface Engine, with
//! `--frontend-websocket-port`: the engine waits for its frontend on that port, then reports in
//! Intiface's EngineMessage JSON (EngineStarted, EngineServerCreated, ClientConnected,
//! DeviceConnected, EngineLog, EngineError, EngineStopped…), answers RequestEngineVersion, and
//! stops every device and exits when the frontend sends Stop or goes away.

mod support;

use std::process::Command;

use futures::SinkExt;
use serde_json::{Value, json};
use support::serve::{BIN, Serve, vibrating_toy};
use support::ws::{self, Ws};
use tokio_tungstenite::tungstenite::Message;

/// The frontend's side of the channel: engine messages in order, log lines kept apart.
struct Frontend {
    ws: Ws,
    logs: Vec<Value>,
}

impl Frontend {
    async fn connect(serve: &Serve) -> Frontend {
        let url = serve.url("waiting for the frontend on");
        Frontend {
            ws: ws::open(&url, None).await.expect("frontend connects"),
            logs: Vec::new(),
        }
    }

    /// The next message that is not an EngineLog (those are kept, parsed, in `logs`).
    async fn next(&mut self) -> Value {
        loop {
            let text = ws::next_text(&mut self.ws).await.expect("channel open");
            let v: Value = serde_json::from_str(&text).expect("JSON");
            match v.get("EngineLog") {
                Some(log) => {
                    let line = log["message"].as_str().expect("message is text");
                    self.logs
                        .push(serde_json::from_str(line).expect("a log line is JSON"));
                }
                None => return v,
            }
        }
    }

    /// Skip messages until one of type `name`.
    async fn until(&mut self, name: &str) -> Value {
        loop {
            let v = self.next().await;
            if v.get(name).is_some() {
                return v[name].clone();
            }
        }
    }

    /// Read on until a log line matching `wanted` has come (bounded by the read timeout).
    async fn until_log(&mut self, wanted: impl Fn(&Value) -> bool) {
        if !self.logs.iter().any(&wanted) {
            // Log lines are collected while waiting for the next message, which is not expected.
            let v = self.next().await;
            assert!(
                self.logs.iter().any(&wanted),
                "{v} came before the log line"
            );
        }
    }

    async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .expect("send");
    }
}

/// Intiface Central's command line (it always passes its frontend port), on free ports, with the
/// simulator endpoint for a toy.
fn central(extra: &[&str]) -> Serve {
    let mut command = Command::new(BIN);
    command
        .args(["--frontend-websocket-port", "0", "--websocket-port", "0"])
        .args(["--server-name", "Intiface Server", "--max-ping-time", "0"])
        .args(["--simulator-port", "0", "--log", "info"])
        .args(extra);
    Serve::spawn(command)
}

#[tokio::test]
async fn the_frontend_watches_a_client_and_a_device_and_its_stop_stops_them() {
    let serve = central(&[]);
    let mut frontend = Frontend::connect(&serve).await;
    assert_eq!(frontend.next().await, json!({"EngineStarted": {}}));
    // Without mDNS: the empty body, as Intiface sends it.
    assert_eq!(frontend.next().await, json!({"EngineServerCreated": {}}));
    frontend
        .send(json!({"RequestEngineVersion": {"expected_version": 3}}))
        .await;
    assert_eq!(
        frontend.until("EngineVersion").await,
        json!({"version": env!("CARGO_PKG_VERSION")})
    );

    let mut toy = vibrating_toy(&serve, "Frontend Test").await;
    assert_eq!(
        frontend.until("ClientConnected").await,
        json!({"client_name": "Frontend Test"})
    );
    let device = frontend.until("DeviceConnected").await;
    assert_eq!(device["index"], 0, "{device}");
    assert_eq!(device["name"], "Lovense Hush", "{device}");
    assert_eq!(device["identifier"]["protocol"], "lovense", "{device}");
    assert_eq!(
        device["identifier"]["address"], "AA:BB:CC:DD:EE:01",
        "{device}"
    );
    assert_eq!(device["needs_keepalive"], false, "{device}");
    // The log lines came as tracing's JSON lines, at the --log level.
    frontend
        .until_log(|l| {
            l["level"] == "INFO"
                && l["target"] == "teleplug::net::ws_server"
                && l["fields"]["message"] == "Buttplug client connected"
        })
        .await;

    // Stop from the frontend: the toy stops, the client is let go, EngineStopped, exit 0.
    frontend.send(json!({"Stop": {}})).await;
    assert_eq!(toy.sim.next_write().await, "Vibrate:0;");
    ws::until_closed(&mut toy.client.ws).await;
    frontend.until("EngineStopped").await;
    ws::until_closed(&mut frontend.ws).await;
    serve.line_with("Stop from the frontend received");
    serve.line_with("stopped");
}

#[tokio::test]
async fn the_frontend_going_away_stops_every_device() {
    let serve = central(&[]);
    let mut frontend = Frontend::connect(&serve).await;
    frontend.until("EngineServerCreated").await;
    let mut toy = vibrating_toy(&serve, "Frontend Test").await;
    frontend.until("DeviceConnected").await;
    // Its launcher is gone: nobody could stop the engine any more.
    ws::close_and_wait(frontend.ws).await;
    assert_eq!(toy.sim.next_write().await, "Vibrate:0;");
    ws::until_closed(&mut toy.client.ws).await;
    serve.line_with("frontend gone received");
    serve.line_with("stopped");
}

#[tokio::test]
async fn a_port_in_use_is_reported_to_the_frontend_with_intifaces_detail() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut command = Command::new(BIN);
    command.args(["--frontend-websocket-port", "0", "--websocket-port", &port]);
    let serve = Serve::spawn(command);
    let mut frontend = Frontend::connect(&serve).await;
    assert_eq!(frontend.next().await, json!({"EngineStarted": {}}));
    let error = frontend.until("EngineError").await;
    assert_eq!(
        error["detail"],
        json!({"code": "port_in_use", "address": "127.0.0.1", "port": port.parse::<u16>().unwrap()}),
        "{error}"
    );
    assert!(
        error["error"].as_str().unwrap().contains("in use"),
        "{error}"
    );
    assert_eq!(frontend.next().await, json!({"EngineStopped": {}}));
    ws::until_closed(&mut frontend.ws).await;
}

#[tokio::test]
async fn a_stop_request_before_the_frontend_came_ends_the_engine_unstarted() {
    let mut serve = central(&[]);
    serve.line_with("waiting for the frontend on");
    serve.signal("TERM");
    assert_eq!(serve.exit_status().code(), Some(0));
    // Nothing was served: the next (and last) stdout line says so.
    let line = serve.line_with("received");
    assert!(line.contains("before the frontend connected"), "{line}");
}

#[tokio::test]
async fn frontend_messages_not_understood_leave_the_engine_running() {
    let serve = central(&[]);
    let mut frontend = Frontend::connect(&serve).await;
    frontend.until("EngineServerCreated").await;
    frontend.send(json!({"Frobnicate": {}})).await;
    frontend.send(json!("not an object")).await;
    // Still answering, and still stopping on Stop.
    frontend
        .send(json!({"RequestEngineVersion": {"expected_version": 3}}))
        .await;
    frontend.until("EngineVersion").await;
    frontend.send(json!({"Stop": {}})).await;
    frontend.until("EngineStopped").await;
    serve.line_with("Stop from the frontend received");
}
