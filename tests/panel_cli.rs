//! The control panel from the command line: `teleplug serve` starts it beside the Buttplug
//! server (its URL printed), `--no-panel` does not, Intiface's `--rest-api-port` opens Engine 5's
//! routes without a command, and beyond loopback the printed URL carries a token the API
//! requires.

mod engine;
mod support;

use std::net::SocketAddr;

use engine::{Engine, run};
use serde_json::json;
use support::http::request;
use support::serve::{BIN, Serve};

/// The panel's address and token from its announcement (`… on http://IP:PORT/#token=…`).
fn panel_of(line: &str) -> (SocketAddr, Option<String>) {
    let url = &line[line.find("http://").expect("a URL") + "http://".len()..];
    let (addr, rest) = url.split_once('/').expect("a path");
    let token = rest.strip_prefix("#token=").map(|t| t.trim().to_string());
    (addr.parse().expect("an address"), token)
}

/// Every stdout line up to the one saying the server stopped.
fn lines_until_stopped(next: impl Fn() -> String) -> Vec<String> {
    let mut lines = Vec::new();
    loop {
        let line = next();
        let done = line.contains("stopped");
        lines.push(line);
        if done {
            return lines;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_starts_the_panel_beside_the_server() {
    let mut serve = Serve::start(&[]);
    let ws = serve.url("Buttplug server listening on");
    let (addr, token) = panel_of(&serve.line_with("control panel and HTTP API on"));
    assert_eq!(token, None, "no token on loopback unless asked for");
    let info = request(addr, "GET", "/api/server", &[], None).await;
    assert_eq!(info.status, 200, "{}", info.body);
    assert_eq!(info.json()["settings"]["websocket"], json!(ws));
    let page = request(addr, "GET", "/", &[], None).await;
    assert!(page.body.contains("STOP ALL"));
    serve.signal("TERM");
    assert_eq!(serve.exit_status().code(), Some(0));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_panel_token_is_required_once_given() {
    let serve = Serve::start(&["--panel-token", "let-me-in"]);
    let (addr, token) = panel_of(&serve.line_with("control panel and HTTP API on"));
    assert_eq!(token.as_deref(), Some("let-me-in"));
    let none = request(addr, "GET", "/api/v1/devices", &[], None).await;
    assert_eq!(none.status, 401);
    let given = request(
        addr,
        "GET",
        "/api/v1/devices",
        &[("X-Teleplug-Token", "let-me-in")],
        None,
    )
    .await;
    assert_eq!((given.status, given.json()), (200, json!({})));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn beyond_loopback_a_token_is_made_up_and_required() {
    let serve = Serve::start(&["--listen-all"]);
    let (addr, token) = panel_of(&serve.line_with("control panel and HTTP API on"));
    let token = token.expect("a token in the printed URL");
    assert_eq!(token.len(), 48);
    assert!(addr.ip().is_loopback(), "the URL to open on this machine");
    let none = request(addr, "GET", "/api/v1/devices", &[], None).await;
    assert_eq!(none.status, 401);
    let given = request(
        addr,
        "GET",
        "/api/v1/devices",
        &[("X-Teleplug-Token", &token)],
        None,
    )
    .await;
    assert_eq!(given.status, 200);
}

#[test]
fn no_panel_serves_no_panel() {
    let mut serve = Serve::start(&["--no-panel"]);
    serve.line_with("Buttplug server listening on");
    serve.signal("TERM");
    let lines = lines_until_stopped(|| serve.line_with(""));
    assert!(
        !lines.iter().any(|l| l.contains("control panel")),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn intifaces_rest_api_port_opens_engine_5s_routes() {
    let mut engine = Engine::start(&["--websocket-port", "0", "--rest-api-port", "0"]);
    let (addr, _) = panel_of(&engine.line_with("control panel and HTTP API on"));
    let devices = request(addr, "GET", "/api/v1/devices", &[], None).await;
    assert_eq!((devices.status, devices.json()), (200, json!({})));
    assert_eq!(
        request(addr, "GET", "/api/v1/start-scanning", &[], None)
            .await
            .status,
        200
    );
    assert_eq!(engine.terminate().code(), Some(0));
}

#[test]
fn without_a_command_no_panel_unless_a_port_is_given() {
    let mut engine = Engine::start(&["--websocket-port", "0"]);
    engine.url();
    assert_eq!(engine.terminate().code(), Some(0));
    let lines = lines_until_stopped(|| engine.line_with(""));
    assert!(
        !lines.iter().any(|l| l.contains("control panel")),
        "{lines:?}"
    );
}

#[test]
fn two_spellings_of_the_panel_port_or_a_port_with_no_panel_are_usage_errors() {
    for args in [
        &[
            "--websocket-port",
            "0",
            "--rest-api-port",
            "1",
            "--http-port",
            "2",
        ][..],
        &[
            "--websocket-port",
            "0",
            "--rest-api-port",
            "1",
            "--no-panel",
        ][..],
        &["serve", "--http-port", "1", "--no-panel"][..],
    ] {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains("cannot be used with"), "{args:?}: {stderr}");
    }
}

#[test]
fn a_taken_default_port_leaves_the_server_running_without_the_panel() {
    // A port whose successor is taken by someone else (here: this test).
    let (port, _taken) = (0..50)
        .find_map(|_| {
            let taken = std::net::TcpListener::bind("127.0.0.1:0").ok()?;
            let next = taken.local_addr().ok()?.port();
            let port = next.checked_sub(1)?;
            std::net::TcpListener::bind(("127.0.0.1", port)).ok()?;
            Some((port, taken))
        })
        .expect("a free port below a taken one");
    let mut command = std::process::Command::new(BIN);
    command
        .args(["--log", "warn", "serve", "--port", &port.to_string()])
        .args(["--no-bluetooth", "--no-serial", "--no-hid", "--no-gamepad"]);
    let mut serve = Serve::spawn(command);
    serve.line_with("Buttplug server listening on");
    let warning = serve.log_line_with("control panel not started");
    assert!(warning.contains("--http-port"), "{warning}");
    serve.signal("TERM");
    assert_eq!(serve.exit_status().code(), Some(0));
}
