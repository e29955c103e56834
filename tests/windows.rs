//! The Windows build (x86_64-pc-windows-gnu), cross-built on Linux and run under wine. These
//! tests need the artifacts and wine, so a plain `cargo test` skips them (ignored);
//! scripts/test-windows.sh, a stage of the test command, builds everything and runs them
//! (environment: `support::wine`).
//!
//! - teleplug.dll exports exactly the C functions of include/teleplug.h, and its import library
//!   defines the same; neither it nor teleplug.exe needs a DLL outside Windows (no mingw runtime).
//! - The C example and the C stress test, built with mingw-w64 against teleplug.dll (the
//!   example also against the static library, with the system libraries the README lists),
//!   check what they check on Linux: the bytes the simulated toy received.
//! - teleplug.dll loads from a directory whose path has spaces and non-ASCII characters, both
//!   beside the program and by LoadLibraryExW.
//! - `teleplug.exe serve`, driven over loopback by the WebSocket peers of tests/cli.rs:
//!   handshake, scan, a simulated toy, vibrate; a client that drops, and Ctrl+C, stop the toy,
//!   and Ctrl+C exits 0. (Wine delivers Ctrl+C, from SIGINT, to console handlers, but neither
//!   Ctrl+Break — GenerateConsoleCtrlEvent fails with ERROR_INVALID_HANDLE in wine 8 — nor a
//!   console close; SIGTERM ends a wine process outright, as TerminateProcess does. The other
//!   console events share Ctrl+C's path in `stop_request`.)
//! - The CLI's exit codes, a Windows path in its error, `--ask` answered with a CRLF line, logs
//!   on a pipe without colour codes.
//! - Bluetooth unavailable (wine has no WinRT Bluetooth): an error and the end of the scan.
#![cfg(target_os = "linux")]

mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::json;
use support::c_programs::{check_example_output, check_stress_output};
use support::serve::{Serve, vibrating_toy};
use support::wine::{self, artifact, bounded, build_c, run_ok, scratch, windows_path};
use support::wire::msg_type;
use support::ws::{self, Peer};

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The C functions include/teleplug.h declares (a declaration starts a line and names `tp_…(`).
fn header_functions() -> Vec<String> {
    let header = std::fs::read_to_string(root().join("include/teleplug.h")).expect("header");
    let mut names: Vec<String> = header
        .lines()
        .filter(|l| l.starts_with(|c: char| c.is_ascii_alphabetic()))
        .filter_map(|l| {
            let start = l.find("tp_")?;
            let len = l[start..].find('(')?;
            let name = &l[start..start + len];
            name.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
                .then(|| name.to_string())
        })
        .collect();
    names.sort();
    names
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn the_dll_exports_exactly_the_functions_of_the_header() {
    let functions = header_functions();
    assert!(functions.len() >= 10, "{functions:?}");
    assert_eq!(wine::exported_names(&artifact("teleplug.dll")), functions);
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn the_import_library_defines_the_same_functions() {
    let out = Command::new(wine::MINGW_NM)
        .args(["--defined-only", "--extern-only"])
        .arg(artifact("libteleplug.dll.a"))
        .output()
        .expect("nm");
    assert!(out.status.success());
    let mut code: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.split_once(" T "))
        .map(|(_, name)| name.to_string())
        .collect();
    code.sort();
    assert_eq!(code, header_functions());
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn no_dll_outside_windows_is_needed() {
    // Every DLL wine implements has a stand-in in the prefix's system32; mingw's runtime
    // (libgcc_s_seh-1.dll, libwinpthread-1.dll, libstdc++-6.dll) would not. `api-ms-win-*`
    // names are API sets: contracts the Windows loader (and wine's) maps to a system DLL, never
    // files of their own.
    let system32 = PathBuf::from(std::env::var_os("WINEPREFIX").expect("WINEPREFIX"))
        .join("drive_c/windows/system32");
    for pe in ["teleplug.dll", "teleplug.exe"] {
        let dlls = wine::imported_dlls(&artifact(pe));
        assert!(dlls.iter().any(|d| d == "kernel32.dll"), "{pe}: {dlls:?}");
        for dll in &dlls {
            assert!(
                !dll.starts_with("lib"),
                "{pe} needs {dll}, a mingw runtime DLL"
            );
            assert!(
                dll.starts_with("api-ms-win-") || system32.join(dll).exists(),
                "{pe} needs {dll}, which is not part of Windows"
            );
        }
    }
}

/// Build a C program against teleplug.dll into `dir`, with the DLL beside it.
fn build_against_dll(source: &str, dir: &Path, exe: &str) -> PathBuf {
    let exe = dir.join(exe);
    let import_lib = artifact("libteleplug.dll.a");
    build_c(
        &[root().join(source)],
        &exe,
        &[import_lib.to_str().unwrap()],
    );
    std::fs::copy(artifact("teleplug.dll"), dir.join("teleplug.dll")).expect("copy the DLL");
    exe
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn the_c_example_runs_against_the_dll() {
    let exe = build_against_dll("examples/c/embedded.c", &scratch("example"), "embedded.exe");
    check_example_output(&run_ok(&mut bounded(&exe)));
}

/// The `-l` flags of the README's static link command (the line linking libteleplug.a): users
/// copy them, so they are what this test links with.
fn readme_static_libs() -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let line = readme
        .lines()
        .find(|l| l.contains("x86_64-w64-mingw32-gcc") && l.contains("libteleplug.a"))
        .expect("README.md shows how to link libteleplug.a with mingw");
    line.split_whitespace()
        .filter(|w| w.starts_with("-l"))
        .map(str::to_string)
        .collect()
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn the_c_example_runs_against_the_static_library() {
    let dir = scratch("static");
    let exe = dir.join("embedded_static.exe");
    let lib = artifact("libteleplug.a");
    let mut link = vec![lib.to_str().unwrap().to_string()];
    link.extend(readme_static_libs());
    let link: Vec<&str> = link.iter().map(String::as_str).collect();
    build_c(&[root().join("examples/c/embedded.c")], &exe, &link);
    assert!(!dir.join("teleplug.dll").exists());
    check_example_output(&run_ok(&mut bounded(&exe)));
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn the_c_stress_test_runs_against_the_dll() {
    let exe = build_against_dll("tests/c/stress.c", &scratch("stress"), "stress.exe");
    let out = run_ok(bounded(&exe).args(["20", "4", "250"]));
    check_stress_output(&out, 20, 4, 250);
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn the_dll_loads_from_a_path_with_spaces_and_non_ascii_characters() {
    let dir = scratch("Program Files").join("Téléplug 玩具 ✓");
    std::fs::create_dir_all(&dir).unwrap();
    // Found beside the program that imports it.
    let exe = build_against_dll("examples/c/embedded.c", &dir, "embedded.exe");
    check_example_output(&run_ok(&mut bounded(&exe)));
    // Loaded by its full path (UTF-16), as ctypes, P/Invoke and Unity do.
    let loader = scratch("loader").join("windows_load_by_path.exe");
    // `wmain` (UTF-16 arguments) is the entry point only with -municode.
    build_c(
        &[root().join("tests/c/windows_load_by_path.c")],
        &loader,
        &["-municode"],
    );
    let out = run_ok(bounded(&loader).arg(windows_path(&dir.join("teleplug.dll"))));
    assert_eq!(
        out.trim_end(),
        format!(
            "loaded teleplug {} (ABI {})",
            env!("CARGO_PKG_VERSION"),
            teleplug::ffi::TP_ABI_VERSION
        )
    );
}

fn serve(args: &[&str]) -> Serve {
    Serve::start_program(wine::command(&artifact("teleplug.exe")), args)
}

#[tokio::test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
async fn serve_drives_a_toy_and_ctrl_c_stops_it_then_exits_0() {
    let mut serve = serve(&["--simulator-port", "0"]);
    let mut toy = vibrating_toy(&serve, "Windows test").await;
    // Wine turns SIGINT into the console's Ctrl+C event.
    serve.signal("INT");
    assert_eq!(toy.sim.next_write().await, "Vibrate:0;");
    serve.line_with("Ctrl+C received: stopping every device");
    ws::until_closed(&mut toy.client.ws).await;
    ws::until_closed(&mut toy.sim.ws).await;
    assert_eq!(serve.exit_status().code(), Some(0));
}

#[tokio::test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
async fn a_client_that_drops_stops_the_toy_and_the_next_one_gets_in() {
    let serve = serve(&["--simulator-port", "0"]);
    let mut toy = vibrating_toy(&serve, "Windows test").await;
    drop(toy.client); // no close frame: the TCP connection just goes away
    assert_eq!(toy.sim.next_write().await, "Vibrate:0;");
    let mut next = Peer::connect(&toy.url).await;
    assert_eq!(msg_type(&next.handshake("next", 4).await), "ServerInfo");
}

#[tokio::test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
async fn ask_takes_an_answer_typed_on_a_windows_console() {
    let mut serve = serve(&["--ask"]);
    let url = serve.url("Buttplug server listening on");
    let mut c = Peer::connect(&url).await;
    let id = c
        .send_request(
            "RequestServerInfo",
            json!({"ClientName":"Friend","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}),
        )
        .await;
    let prompt = serve.line_with("wants to connect");
    assert!(prompt.contains("\"Friend\""), "{prompt}");
    serve.answer("y\r\n");
    assert_eq!(msg_type(&c.reply_to(id).await), "ServerInfo");
}

/// teleplug.exe run to completion with `args`, stdin empty.
fn teleplug(args: &[&str]) -> std::process::Output {
    bounded(&artifact("teleplug.exe"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run teleplug.exe")
}

/// `--no-<transport>` for every transport but `keep`.
fn only_transport(keep: &str) -> Vec<String> {
    teleplug::hardware::TRANSPORTS
        .iter()
        .filter(|t| t.name != keep)
        .map(|t| format!("--{}", t.cli_flag))
        .collect()
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn exit_codes_are_those_of_linux() {
    assert_eq!(teleplug(&["--version"]).status.code(), Some(0));
    assert_eq!(
        teleplug(&["serve", "--port", "notaport"]).status.code(),
        Some(2)
    );
    // An unreadable config is a usage error naming the Windows path as given.
    let missing = r"C:\no such dir\ünïcode user.json";
    let out = teleplug(&["serve", "--user-device-config", missing]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(missing), "{err}");
    // A port in use (by a Linux socket: wine's Winsock is the host's) is a runtime failure.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port().to_string();
    let mut args = vec!["serve", "--port", &port];
    let off = only_transport("");
    args.extend(off.iter().map(String::as_str));
    let out = teleplug(&args);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn logs_on_a_pipe_carry_no_colour_codes() {
    let out = teleplug(&["demo", "--log", "info"]);
    assert!(out.status.success(), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("INFO"), "no log lines: {err}");
    assert!(!err.contains('\u{1b}'), "escape codes in {err:?}");
}

#[test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
fn bluetooth_unavailable_is_an_error_and_the_scan_ends() {
    // Scanning would last 60 s; the scan ends as soon as Bluetooth reports it cannot scan.
    let mut args = vec!["devices", "--seconds", "60"];
    let off = only_transport("bluetooth");
    args.extend(off.iter().map(String::as_str));
    let started = std::time::Instant::now();
    let out = teleplug(&args);
    assert!(out.status.success(), "{out:?}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Bluetooth is not available"), "{err}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("no devices found"));
}

#[tokio::test]
#[ignore = "needs the Windows build and wine: scripts/test-windows.sh"]
async fn serve_without_bluetooth_logs_why_and_the_clients_scan_finishes() {
    let mut command = wine::command(&artifact("teleplug.exe"));
    command
        .args(["serve", "--port", "0"])
        .args(only_transport("bluetooth"));
    let serve = Serve::spawn(command);
    let url = serve.url("Buttplug server listening on");
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("no adapter", 4).await), "ServerInfo");
    let started = std::time::Instant::now();
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    c.event("ScanningFinished").await;
    assert!(started.elapsed() < std::time::Duration::from_secs(10));
    let log = serve.log_line_with("Bluetooth is not available");
    assert!(log.contains("WARN"), "{log}");
}
