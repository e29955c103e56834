//! The `teleplug` binary as a person uses it: `serve` with the simulator and the device listener,
//! stopping every device on SIGTERM/SIGINT before exiting 0, `--ask`, and the errors and exit
//! codes of bad usage (2) and runtime failures (1).

mod support;

use std::process::{Command, Stdio};

use futures::{SinkExt, StreamExt};
use serde_json::json;
use support::serve::{BIN, Serve, VibratingToy, vibrating_toy};
use support::wire::{body, msg_type};
use support::ws::{self, Peer, WAIT};
use tokio_tungstenite::tungstenite::Message;

#[tokio::test]
async fn sigterm_stops_the_device_then_exits_0() {
    let mut serve = Serve::start(&["--simulator-port", "0"]);
    let VibratingToy {
        client: mut c,
        mut sim,
        ..
    } = vibrating_toy(&serve, "CLI Test").await;

    serve.signal("TERM");
    assert_eq!(sim.next_write().await, "Vibrate:0;");
    ws::until_closed(&mut c.ws).await;
    ws::until_closed(&mut sim.ws).await;
    assert_eq!(serve.exit_status().code(), Some(0));
}

#[tokio::test]
async fn sigint_stops_a_device_that_dialed_in() {
    let config = aneros_user_config("cli-user-config.json");
    let mut serve = Serve::start(&[
        "--device-websocket-port",
        "0",
        "--user-device-config",
        config.to_str().unwrap(),
    ]);
    let device_url = serve.url("devices may dial in on");
    let url = serve.url("Buttplug server listening on");
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("CLI Test", 4).await), "ServerInfo");
    let mut dev = ws::dial_in(&device_url, "SimAneros", "aneros-cli").await;
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
    let ok = c
        .request(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":127}}}),
        )
        .await;
    assert_eq!(msg_type(&ok), "Ok");
    let mut frames = Vec::new();
    let mut closed = false;
    serve.signal("INT");
    tokio::time::timeout(WAIT, async {
        while let Some(msg) = dev.next().await {
            match msg {
                Ok(Message::Binary(b)) => frames.push(b.to_vec()),
                Ok(Message::Close(_)) => closed = true,
                Ok(_) => {}
                Err(_) => break,
            }
        }
    })
    .await
    .expect("device socket not closed");
    assert_eq!(frames[0], vec![0xF1, 0x7F]);
    assert!(frames.contains(&vec![0xF1, 0x00]), "{frames:?}");
    assert!(closed);
    assert_eq!(serve.exit_status().code(), Some(0));
}

#[tokio::test]
async fn ask_lets_the_user_decide() {
    let mut serve = Serve::start(&["--ask"]);
    let url = serve.url("Buttplug server listening on");

    let mut denied = Peer::connect(&url).await;
    let id = denied
        .send_request(
            "RequestServerInfo",
            json!({"ClientName":"Stranger","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}),
        )
        .await;
    let prompt = serve.line_with("wants to connect");
    assert!(prompt.contains("\"Stranger\""), "{prompt}");
    assert!(prompt.contains("127.0.0.1"), "{prompt}");
    serve.answer("n\n");
    let err = denied.reply_to(id).await;
    assert_eq!(msg_type(&err), "Error");
    ws::until_closed(&mut denied.ws).await;

    let mut friend = Peer::connect(&url).await;
    let id = friend
        .send_request(
            "RequestServerInfo",
            json!({"ClientName":"Friend","MessageVersion":3}),
        )
        .await;
    serve.line_with("\"Friend\"");
    serve.answer("y\n");
    assert_eq!(msg_type(&friend.reply_to(id).await), "ServerInfo");
}

fn run(args: &[&str]) -> std::process::Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run teleplug")
}

#[test]
fn port_in_use_is_a_clear_runtime_error() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let out = run(&[
        "serve",
        "--port",
        &port,
        "--no-bluetooth",
        "--no-serial",
        "--no-hid",
        "--no-gamepad",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("already in use"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn unreadable_config_is_a_usage_error() {
    let out = run(&["serve", "--user-device-config", "/nonexistent/user.json"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("/nonexistent/user.json"), "{err}");

    let bad = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("cli-bad-config.json");
    std::fs::write(&bad, "{ not json").unwrap();
    let out = run(&[
        "devices",
        "--seconds",
        "0",
        "--device-config",
        bad.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn bad_flags_are_usage_errors() {
    assert_eq!(run(&["serve", "--port", "notaport"]).status.code(), Some(2));
    assert_eq!(
        run(&["serve", "--listen-all", "--address", "127.0.0.1"])
            .status
            .code(),
        Some(2)
    );
    assert_eq!(run(&["frobnicate"]).status.code(), Some(2));
}

#[test]
fn version_and_help() {
    let out = run(&["--version"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        // Intiface Engine's layout, for launchers that read it.
        format!(
            "Teleplug Version {}, Commit unknown, Built unknown",
            env!("CARGO_PKG_VERSION")
        )
    );
    let out = run(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in [
        "--port",
        "--address",
        "--listen-all",
        "--allowed-origin",
        "--allow-client",
        "--ask",
        "--device-websocket-port",
        "--simulator-port",
        "--max-ping-time",
        "--server-name",
        "--device-config",
        "--user-device-config",
        "--no-bluetooth",
        "--no-serial",
        "--no-hid",
        "--no-gamepad",
        "--serial-port",
        "--log",
    ] {
        assert!(help.contains(flag), "{flag} missing from serve --help");
    }
}

#[test]
fn devices_lists_nothing_without_hardware() {
    let out = run(&[
        "devices",
        "--seconds",
        "1",
        "--no-bluetooth",
        "--no-serial",
        "--no-hid",
        "--no-gamepad",
    ]);
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no devices found"));
}

#[test]
fn demo_shows_the_device_and_the_bytes_it_received() {
    let out = run(&["demo"]);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    // In this order: the device and its features, then each step with the bytes it caused.
    let expected = [
        "    [toy] identified as Lovense Hush (protocol lovense)",
        "Device 0: Lovense Hush (no message gap)",
        "  feature 0: Vibrate 0–20 steps",
        "  feature 1 \"battery Level\": Battery 0–100 (read)",
        "Vibrate at 50%:",
        "    [toy] received on tx: \"Vibrate:10;\"",
        "    battery: 87%",
        "Stop:",
        "    [toy] received on tx: \"Vibrate:0;\"",
        "    [toy] disconnected",
        "Done.",
    ];
    let mut at = 0;
    for want in expected {
        at += lines[at..]
            .iter()
            .position(|l| *l == want)
            .unwrap_or_else(|| panic!("no line {want:?} after line {at} of:\n{stdout}"));
    }
}

/// The user config of the dial-in tests, written once per test under its own name.
fn aneros_user_config(name: &str) -> std::path::PathBuf {
    let config = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&config, ws::DIAL_IN_USER_CONFIG).unwrap();
    config
}

#[tokio::test]
async fn the_device_port_stays_on_loopback_with_listen_all() {
    let serve = Serve::start(&["--listen-all", "--device-websocket-port", "0"]);
    let device_url = serve.url("devices may dial in on");
    let url = serve.url("Buttplug server listening on");
    assert!(device_url.starts_with("ws://127.0.0.1:"), "{device_url}");
    assert!(url.starts_with("ws://0.0.0.0:"), "{url}");

    let serve = Serve::start(&[
        "--device-websocket-port",
        "0",
        "--device-websocket-address",
        "0.0.0.0",
    ]);
    let device_url = serve.url("devices may dial in on");
    let url = serve.url("Buttplug server listening on");
    assert!(device_url.starts_with("ws://0.0.0.0:"), "{device_url}");
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
}

#[tokio::test]
async fn devices_must_present_the_device_token() {
    let config = aneros_user_config("cli-token-user-config.json");
    let serve = Serve::start(&[
        "--device-websocket-port",
        "0",
        "--device-websocket-token",
        "s3cret",
        "--user-device-config",
        config.to_str().unwrap(),
    ]);
    let device_url = serve.url("devices may dial in on");
    let url = serve.url("Buttplug server listening on");
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("CLI Test", 4).await), "ServerInfo");

    let mut stranger = ws::open(&device_url, None).await.unwrap();
    stranger
        .send(Message::text(
            r#"{"identifier":"SimAneros","address":"aneros-cli-token","version":0}"#,
        ))
        .await
        .unwrap();
    let close = ws::until_closed(&mut stranger)
        .await
        .expect("a Close frame");
    assert!(close.reason.as_str().contains("token"), "{close:?}");

    let mut dev = ws::open(&format!("{device_url}/?token=s3cret"), None)
        .await
        .unwrap();
    dev.send(Message::text(
        r#"{"identifier":"SimAneros","address":"aneros-cli-token","version":0}"#,
    ))
    .await
    .unwrap();
    let list = c.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
}

#[test]
fn device_listener_flags_need_the_device_port() {
    for args in [
        &["serve", "--device-websocket-token", "s3cret"][..],
        &["serve", "--device-websocket-address", "0.0.0.0"][..],
        &[
            "serve",
            "--device-websocket-port",
            "0",
            "--device-websocket-token",
            "",
        ][..],
        &[
            "serve",
            "--device-websocket-port",
            "0",
            "--device-websocket-address",
            "nowhere",
        ][..],
    ] {
        assert_eq!(run(args).status.code(), Some(2), "{args:?}");
    }
    let out = run(&["serve", "--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in ["--device-websocket-address", "--device-websocket-token"] {
        assert!(help.contains(flag), "{flag} missing from serve --help");
    }
}
