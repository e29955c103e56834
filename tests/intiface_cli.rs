//! `teleplug` started with Intiface Engine's command line, as a launcher starts
//! `intiface-engine` (no subcommand): each flag a launcher passes either serves with Intiface's
//! meaning (checked over a Buttplug handshake, and by what the server reports) or is refused
//! naming the flag (exit 2); conflicting spellings are usage errors naming both; `--version`
//! and `--server-version` print as Intiface's do.
//!
//! No test here announces by mDNS: that sends multicast, so it is tested in a private network
//! namespace (tests/mdns.rs).

mod engine;
mod support;

use std::path::PathBuf;

use engine::{Engine, run};
use support::wire::{body, msg_type};
use support::ws::{self, Peer};
use teleplug::hardware::TRANSPORTS;
use teleplug::server::Transports;

/// The names of the transports that `intiface_flags` select, as the server logs them.
fn transports_named_by(flags: &[&str]) -> String {
    let on: Vec<&str> = TRANSPORTS
        .iter()
        .filter(|t| {
            t.intiface_flags
                .iter()
                .any(|f| flags.contains(&format!("--{f}").as_str()))
        })
        .map(|t| t.name)
        .collect();
    if on.is_empty() {
        "none".into()
    } else {
        on.join(", ")
    }
}

/// The transports the server says it uses.
fn transports_of(engine: &Engine) -> String {
    let line = engine.log_line_with("hardware transports: ");
    let at = line.find("hardware transports: ").unwrap();
    line[at + "hardware transports: ".len()..]
        .trim()
        .to_string()
}

/// A client's handshake at `url` (a server on 0.0.0.0 is reached through loopback); returns
/// ServerInfo's body.
async fn handshake_at(url: &str) -> serde_json::Value {
    let url = url.replace("ws://0.0.0.0:", "ws://127.0.0.1:");
    let mut client = Peer::connect(&url).await;
    let info = client.handshake("Intiface CLI Test", 4).await;
    assert_eq!(msg_type(&info), "ServerInfo", "{info}");
    body(&info).clone()
}

/// A client's handshake on the URL the server announced.
async fn handshake(engine: &Engine) -> serde_json::Value {
    handshake_at(&engine.url()).await
}

fn temp_file(name: &str, contents: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("teleplug-intiface-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

#[tokio::test]
async fn intifaces_hardware_is_off_unless_a_use_flag_names_it() {
    let use_flags: Vec<String> = TRANSPORTS
        .iter()
        .flat_map(|t| t.intiface_flags)
        .map(|f| format!("--{f}"))
        .collect();
    let mut lines: Vec<Vec<&str>> = vec![Vec::new()];
    lines.extend(use_flags.iter().map(|f| vec![f.as_str()]));
    // Intiface 5's usual set, and 4's.
    lines.push(vec![
        "--use-bluetooth-le",
        "--use-serial",
        "--use-sdl-gamepad",
    ]);
    lines.push(vec!["--use-bluetooth-le", "--use-hid", "--use-xinput"]);
    for use_flags in lines {
        let mut args = vec!["--websocket-port", "0", "--log", "info"];
        args.extend(&use_flags);
        let mut engine = Engine::start(&args);
        assert_eq!(
            transports_of(&engine),
            transports_named_by(&use_flags),
            "{args:?}"
        );
        handshake(&engine).await;
        assert_eq!(engine.terminate().code(), Some(0), "{args:?}");
    }
}

#[tokio::test]
async fn serve_keeps_its_defaults_and_takes_use_flags_as_intiface_does() {
    // The library's defaults (every transport but those off unless asked for).
    let defaults = Transports::default();
    let on: Vec<&str> = TRANSPORTS
        .iter()
        .filter(|t| t.is_on(&defaults))
        .map(|t| t.name)
        .collect();
    let mut engine = Engine::start(&["serve", "--port", "0", "--log", "info"]);
    assert_eq!(transports_of(&engine), on.join(", "));
    handshake(&engine).await;
    assert_eq!(engine.terminate().code(), Some(0));

    let mut engine = Engine::start(&[
        "serve",
        "--websocket-port",
        "0",
        "--use-serial",
        "--log",
        "info",
    ]);
    assert_eq!(
        transports_of(&engine),
        transports_named_by(&["--use-serial"])
    );
    handshake(&engine).await;
    assert_eq!(engine.terminate().code(), Some(0));
}

#[tokio::test]
async fn server_name_max_ping_time_and_log_level_have_intifaces_meaning() {
    for level in ["debug", "DEBUG", "warn", "trace"] {
        let mut engine = Engine::start(&[
            "--websocket-port",
            "0",
            "--server-name",
            "Engine Test",
            "--max-ping-time",
            "2500",
            "--log",
            level,
        ]);
        let info = handshake(&engine).await;
        assert_eq!(info["ServerName"], "Engine Test");
        assert_eq!(info["MaxPingTime"], 2500);
        assert_eq!(engine.terminate().code(), Some(0), "--log {level}");
    }
}

#[tokio::test]
async fn listen_addresses_of_both_intiface_versions() {
    // 5.x: address and port in one flag.
    let mut engine = Engine::start(&["--websocket-listen-address", "127.0.0.1:0"]);
    let url = engine.url();
    assert!(url.starts_with("ws://127.0.0.1:"), "{url}");
    handshake_at(&url).await;
    assert_eq!(engine.terminate().code(), Some(0));

    // 4.x and 5.x: every interface (reached here through loopback only).
    let mut engine = Engine::start(&["--websocket-port", "0", "--websocket-use-all-interfaces"]);
    let url = engine.url();
    assert!(url.starts_with("ws://0.0.0.0:"), "{url}");
    handshake_at(&url).await;
    assert_eq!(engine.terminate().code(), Some(0));
}

#[tokio::test]
async fn device_websocket_server_and_config_files() {
    let user = temp_file("user.json", ws::DIAL_IN_USER_CONFIG);
    let base = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("data/device-config/buttplug-device-config-v5.json");
    let mut engine = Engine::start(&[
        "--websocket-port",
        "0",
        "--use-device-websocket-server",
        "--device-websocket-server-port",
        "0",
        "--device-config-file",
        base.to_str().unwrap(),
        "--user-device-config-file",
        user.to_str().unwrap(),
    ]);
    let device_line = engine.line_with("devices may dial in on");
    let device_url = device_line[device_line.find("ws://").unwrap()..]
        .trim()
        .to_string();
    let url = engine.url();
    let mut client = Peer::connect(&url).await;
    assert_eq!(
        msg_type(&client.handshake("Dial-in Test", 4).await),
        "ServerInfo"
    );
    // The user config's websocket entry matches the device: both files were read.
    let _dev = ws::dial_in(&device_url, "SimAneros", "aneros-intiface-cli").await;
    let list = client.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Aneros Vivi");
    assert_eq!(engine.terminate().code(), Some(0));
}

#[test]
fn config_files_that_cannot_be_read_are_usage_errors_naming_them() {
    let out = run(&[
        "--websocket-port",
        "0",
        "--device-config-file",
        "/nonexistent/teleplug-db.json",
    ]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/nonexistent/teleplug-db.json"));
}

/// Every flag of intiface-engine 4.0.4's and 5.0.5's command line (their `src/bin/main.rs`;
/// its `--crash-main-thread`/`--crash-task-thread` exist only in its debug builds, which no
/// launcher starts) is one of Teleplug's: none is left refused.
const INTIFACE_ENGINE_FLAGS: &[&str] = &[
    "broadcast-server-mdns",
    "device-config-file",
    "device-websocket-server-port",
    "frontend-websocket-port",
    "log",
    "max-ping-time",
    "mdns-suffix",
    "repeater",
    "repeater-port",
    "rest-api-port",
    "server-name",
    "server-version",
    "use-bluetooth-le",
    "use-device-websocket-server",
    "use-hid",
    "use-lovense-connect",
    "use-lovense-dongle-hid",
    "use-lovense-dongle-serial",
    "use-sdl-gamepad",
    "use-serial",
    "use-xinput",
    "user-device-config-file",
    "version",
    "websocket-client-address",
    "websocket-listen-address",
    "websocket-port",
    "websocket-use-all-interfaces",
];

#[test]
fn every_intiface_engine_flag_is_implemented() {
    let out = run(&["--help"]);
    let help = String::from_utf8_lossy(&out.stdout);
    for flag in INTIFACE_ENGINE_FLAGS {
        let long = format!("--{flag}");
        assert!(
            help.split(|c: char| c.is_whitespace() || c == ',' || c == '=' || c == '[')
                .any(|w| w == long),
            "{long} is not in teleplug's command line:\n{help}"
        );
        // A `--use-…` switch is a transport of the table (the device listener aside).
        assert!(
            !flag.starts_with("use-")
                || *flag == "use-device-websocket-server"
                || TRANSPORTS.iter().any(|t| t.intiface_flags.contains(flag)),
            "{long} has no transport"
        );
    }
}

/// Client mode and the repeater: what they need, and URLs they cannot use, are usage errors
/// naming the flag (their runs: tests/intiface_dial_out.rs, tests/intiface_repeater.rs).
#[test]
fn client_mode_and_repeater_flags_that_cannot_work_are_usage_errors() {
    let cases: &[(&[&str], &str)] = &[
        (&["--repeater"], "--repeater-port"),
        (
            &["--repeater", "--repeater-port", "1"],
            "--websocket-client-address",
        ),
        (&["--repeater-port", "1"], "--repeater"),
        (
            &["--websocket-client-address", "wss://127.0.0.1:1"],
            "wss://",
        ),
        (
            &["--websocket-client-address", "http://127.0.0.1:1"],
            "--websocket-client-address",
        ),
        (
            &["--websocket-client-address", "ws://"],
            "--websocket-client-address",
        ),
    ];
    for (args, named) in cases {
        let out = run(args);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(stderr.contains(named), "{args:?}: {stderr}");
    }
}

#[test]
fn two_spellings_of_one_setting_are_usage_errors_naming_both() {
    let pairs: &[(&[&str], &[&str])] = &[
        (&["--port", "1"], &["--websocket-port", "2"]),
        (&["--no-bluetooth"], &["--use-bluetooth-le"]),
        (&["--no-serial"], &["--use-serial"]),
        (&["--no-hid"], &["--use-hid"]),
        (&["--no-gamepad"], &["--use-sdl-gamepad"]),
        (&["--no-gamepad"], &["--use-xinput"]),
        (
            &["--websocket-port", "1"],
            &["--websocket-listen-address", "127.0.0.1:2"],
        ),
        (
            &["--websocket-use-all-interfaces"],
            &["--websocket-listen-address", "127.0.0.1:2"],
        ),
        (
            &["--address", "127.0.0.1"],
            &["--websocket-use-all-interfaces"],
        ),
        (
            &["--device-config", "a.json"],
            &["--device-config-file", "b.json"],
        ),
        (
            &["--user-device-config", "a.json"],
            &["--user-device-config-file", "b.json"],
        ),
        (
            &["--device-websocket-port", "1"],
            &["--device-websocket-server-port", "2"],
        ),
        (
            &["--websocket-client-address", "ws://127.0.0.1:1"],
            &["--websocket-port", "2"],
        ),
        (
            &["--websocket-client-address", "ws://127.0.0.1:1"],
            &["--websocket-listen-address", "127.0.0.1:2"],
        ),
        (
            &[
                "--repeater",
                "--repeater-port",
                "1",
                "--websocket-client-address",
                "ws://127.0.0.1:2",
            ],
            &["--simulator-port", "3"],
        ),
    ];
    for (a, b) in pairs {
        for command in [&[][..], &["serve"][..]] {
            let mut args: Vec<&str> = command.to_vec();
            args.extend(*a);
            args.extend(*b);
            if !args
                .iter()
                .any(|f| f.contains("port") || f.contains("address"))
            {
                args.extend(["--websocket-port", "0"]);
            }
            let out = run(&args);
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
            assert!(
                stderr.contains(a[0]) && stderr.contains(b[0]),
                "{args:?}: {stderr}"
            );
        }
    }
}

#[test]
fn no_port_without_a_command_is_a_usage_error() {
    let out = run(&["--use-bluetooth-le"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--websocket-port"));
    // Nothing at all: the help.
    let out = run(&[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--websocket-port"));
}

#[test]
fn versions_print_as_intifaces_do() {
    let version = env!("CARGO_PKG_VERSION");
    let out = run(&["--server-version"]);
    assert!(out.status.success());
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), version);
    let out = run(&["--version"]);
    assert!(out.status.success());
    let line = String::from_utf8_lossy(&out.stdout).trim().to_string();
    assert!(
        line.starts_with(&format!("Teleplug Version {version}, Commit "))
            && line.contains(", Built "),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "one line, as Intiface prints");
}

#[test]
fn log_goes_before_any_command_and_intiface_flags_do_not() {
    // `--log` is everyone's: before a command as after it.
    let out = run(&["--log", "info", "check-device-config", "--help"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&["check-device-config", "--log", "info", "--help"]);
    assert_eq!(out.status.code(), Some(0));
    // A flag of the Intiface command line with a command is a usage error naming both.
    let out = run(&["--websocket-port", "5", "devices"]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("'devices'") && err.contains("--websocket-port"),
        "{err}"
    );
}
