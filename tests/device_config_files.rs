//! Device databases and user configs as people hand them over: `--device-config` and
//! `--user-device-config` of the CLI and the C ABI's connect options read majors 4 and 5; a
//! corrupt or truncated file, or one of another major, is a clear error naming the file (or
//! "device config" / "user device config" for text), the line and the column — exit code 2 from
//! the CLI, `INVALID_ARGUMENT` from the C ABI — and nothing is half-loaded (the next connect
//! works). `teleplug check-device-config FILE` reports what Teleplug can drive of a database.

mod ffi_support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use ffi_support::*;
use teleplug::device_config::DeviceConfig;
use teleplug::ffi::TP_FORMAT_JSON;
use teleplug::ffi::schema::{self as s, ErrorCode, request, response};
use teleplug::hardware::TRANSPORTS;
use teleplug::protocols;

const BIN: &str = env!("CARGO_BIN_EXE_teleplug");
const V5: &str = include_str!("../data/device-config/buttplug-device-config-v5.json");
const V4: &str = include_str!("../data/device-config/buttplug-device-config-v4.json");
const V4_USER: &str = include_str!("../data/device-config/example-user-device-config-v4.json");
const V5_USER: &str = r#"{"version":{"major":5,"minor":57},"user_configs":{"devices":[],
  "simulated_devices":[{"identifier":"simulated-2vibe","address":"simulated:1"}]}}"#;

fn repo_file(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("data/device-config")
        .join(name)
}

/// `text` written to a file of this test binary's temp dir.
fn temp_file(name: &str, text: &str) -> PathBuf {
    let path = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("device-config-{name}"));
    std::fs::write(&path, text).expect("write temp file");
    path
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run teleplug")
}

/// `teleplug devices --seconds 0` with every transport off and these extra arguments.
fn devices(extra: &[&str]) -> Output {
    let off: Vec<String> = TRANSPORTS
        .iter()
        .map(|t| format!("--{}", t.cli_flag))
        .collect();
    let mut args = vec!["devices", "--seconds", "0"];
    args.extend(off.iter().map(String::as_str));
    args.extend(extra);
    run(&args)
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `(lines, column of the last character)` of a text that is cut short: where a JSON parser
/// stops.
fn end_of(text: &str) -> (usize, usize) {
    let line = text.matches('\n').count() + 1;
    let column = text.len() - text.rfind('\n').map_or(0, |i| i + 1);
    (line, column.max(1))
}

/// The first `n` bytes of `text` (at a character boundary), without trailing whitespace.
fn cut(text: &str, n: usize) -> &str {
    let n = (n..).find(|i| text.is_char_boundary(*i)).unwrap_or(n);
    text[..n].trim_end()
}

// ---- the CLI ---------------------------------------------------------------------------------

#[test]
fn the_cli_reads_databases_and_user_configs_of_both_majors() {
    let v4 = repo_file("buttplug-device-config-v4.json");
    let v5 = repo_file("buttplug-device-config-v5.json");
    let v4_user = repo_file("example-user-device-config-v4.json");
    let v5_user = temp_file("v5-user.json", V5_USER);
    for (db, user) in [
        (Some(&v4), &v4_user),
        (Some(&v4), &v5_user),
        (Some(&v5), &v4_user),
        (Some(&v5), &v5_user),
        (None, &v4_user),
        (None, &v5_user),
    ] {
        let mut args = Vec::new();
        if let Some(db) = db {
            args.extend(["--device-config", db.to_str().expect("utf-8 path")]);
        }
        args.extend(["--user-device-config", user.to_str().expect("utf-8 path")]);
        let out = devices(&args);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
    }
}

#[test]
fn a_truncated_database_is_a_usage_error_naming_file_line_and_column() {
    let text = cut(V5, 30_000);
    let path = temp_file("truncated-v5.json", text);
    let out = devices(&["--device-config", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let (line, column) = end_of(text);
    let want = format!(
        "teleplug: --device-config: {}: line {line}, column {column}: not valid JSON: ",
        path.display()
    );
    assert!(
        stderr(&out).starts_with(&want),
        "{}\nwanted {want}",
        stderr(&out)
    );
}

#[test]
fn a_corrupt_user_config_is_a_usage_error_naming_file_line_and_column() {
    // Valid JSON up to a value of the wrong type on line 3.
    let text =
        "{\"version\": {\"major\": 5, \"minor\": 0},\n \"user_configs\": {\n  \"devices\": 7}}";
    let path = temp_file("corrupt-user.json", text);
    let out = devices(&["--user-device-config", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.starts_with(&format!(
            "teleplug: --user-device-config: {}: line 3, column 14: invalid type: integer `7`, \
             expected a sequence",
            path.display()
        )),
        "{err}"
    );
    // Truncated: the position where the text ends.
    let text = cut(V5_USER, 60);
    let path = temp_file("truncated-user.json", text);
    let out = devices(&["--user-device-config", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let (line, column) = end_of(text);
    assert!(
        stderr(&out).starts_with(&format!(
            "teleplug: --user-device-config: {}: line {line}, column {column}: not valid JSON: ",
            path.display()
        )),
        "{}",
        stderr(&out)
    );
    // Not JSON at all: the position of the first bad character.
    let path = temp_file(
        "not-json-user.json",
        "{\"version\": {\"major\": 5},\n  oops}",
    );
    let out = devices(&["--user-device-config", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).starts_with(&format!(
            "teleplug: --user-device-config: {}: line 2, column 3: not valid JSON: ",
            path.display()
        )),
        "{}",
        stderr(&out)
    );
}

#[test]
fn another_major_is_refused_naming_the_majors_understood() {
    let db = temp_file("v6.json", &V5.replacen("\"major\": 5", "\"major\": 6", 1));
    let user = temp_file("v6-user.json", r#"{"version":{"major":6,"minor":1}}"#);
    for (flag, path) in [("--device-config", &db), ("--user-device-config", &user)] {
        let out = devices(&[flag, path.to_str().expect("utf-8 path")]);
        assert_eq!(out.status.code(), Some(2));
        let err = stderr(&out);
        assert!(
            err.contains("Teleplug reads major versions 4 and 5"),
            "{err}"
        );
        assert!(err.contains(&path.display().to_string()), "{err}");
    }
}

// ---- the C ABI -------------------------------------------------------------------------------

fn connect(database: &str, user: &str) -> request::Body {
    request::Body::Connect(s::Connect {
        mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
            disabled_transports: TRANSPORTS.iter().fold(0, |bits, t| bits | t.bit),
            device_config_json: database.into(),
            user_config_json: user.into(),
            ..Default::default()
        })),
    })
}

fn error_message(r: &s::Response) -> String {
    match &r.body {
        Some(response::Body::Error(e)) => e.message.clone(),
        other => panic!("expected an error, got {other:?}"),
    }
}

#[test]
fn the_c_abi_reports_bad_configs_as_invalid_argument_with_line_and_column() {
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let truncated = cut(V5, 5_000);
    let (line, column) = end_of(truncated);
    let cases = [
        (
            connect(truncated, ""),
            format!("device config: line {line}, column {column}: not valid JSON: "),
        ),
        (
            connect("", "{\"version\": {\"major\": 4},\n \"user_configs\": []}"),
            // The parser stops on the space before the `[`.
            "user device config: line 2, column 17: invalid type: sequence, expected a JSON object"
                .to_string(),
        ),
        (
            connect(r#"{"version":{"major":3,"minor":0},"protocols":{}}"#, ""),
            "device config: version 3.0 is not supported; Teleplug reads major versions 4 and 5"
                .to_string(),
        ),
    ];
    for (id, (body, want)) in (1..).zip(cases) {
        let r = c.call(req(id, body));
        assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument), "{r:?}");
        let message = error_message(&r);
        assert!(message.starts_with(&want), "{message}\nwanted {want}");
    }
    // Nothing was half-loaded: the next connect, with a v4 database and a v4 user config, works.
    connected(&c.call(req(10, connect(V4, V4_USER))));
    assert!(is_ok(&c.call(req(11, request::Body::Disconnect(empty())))));
    // And v5 ones.
    connected(&c.call(req(12, connect(V5, V5_USER))));
    assert!(is_ok(&c.call(req(13, request::Body::Disconnect(empty())))));
    c.free();
}

// ---- teleplug check-device-config ----------------------------------------------------------

/// The report's sections: heading line → the indented lines under it.
fn sections(stdout: &str) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    let mut heading = String::new();
    for line in stdout.lines() {
        if let Some(item) = line.strip_prefix("  ") {
            out.entry(heading.clone())
                .or_default()
                .push(item.to_string());
        } else if !line.is_empty() {
            heading = line.split(':').next().unwrap_or(line).to_string();
            out.entry(heading.clone()).or_default();
        }
    }
    out
}

/// The keys of a section listing comma-separated keys.
fn keys(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .flat_map(|l| l.split(", "))
        .map(|k| k.trim_end_matches(',').to_string())
        .filter(|k| k != "none")
        .collect()
}

#[test]
fn check_reports_the_current_database_as_the_library_sees_it() {
    let path = repo_file("buttplug-device-config-v5.json");
    let out = run(&["check-device-config", path.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.starts_with(&format!(
            "{}: device database 5.57, 149 protocols, 873 device entries\n",
            path.display()
        )),
        "{stdout}"
    );
    let sections = sections(&stdout);
    let driven = keys(&sections["Driven by Teleplug"]);
    let not_implemented: Vec<String> = sections["Not implemented by Teleplug"]
        .iter()
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
        .collect();
    let unreachable: Vec<String> = sections["Communication types no Teleplug transport uses"]
        .iter()
        .filter(|l| l.ends_with("(cannot be reached)"))
        .map(|l| l.split(':').next().unwrap_or_default().to_string())
        .collect();
    let missing = keys(&sections["Implemented by Teleplug but not in this file"]);

    // Every protocol of the file lands where the library says it belongs.
    let config = DeviceConfig::embedded();
    let mut cannot = 0;
    for key in config.protocol_names() {
        if config.teleplug_additions().contains(&key) {
            continue;
        }
        let implemented = protocols::lookup(&key).is_some();
        let reachable = config.communication(&key).iter().any(|s| s.is_reachable());
        assert_eq!(driven.contains(&key), implemented && reachable, "{key}");
        assert_eq!(not_implemented.contains(&key), !implemented, "{key}");
        assert_eq!(unreachable.contains(&key), !reachable, "{key}");
        cannot += usize::from(!(implemented && reachable));
    }
    assert!(
        missing.contains(&"nintendo-joycon (supplied by Teleplug's additions)".to_string()),
        "{missing:?}"
    );
    for key in protocols::supported_protocols() {
        let in_file = config.protocol_names().iter().any(|k| k == key)
            && !config.teleplug_additions().iter().any(|k| k == key);
        assert_eq!(
            missing.iter().any(|m| m.split(' ').next() == Some(key)),
            !in_file,
            "{key}"
        );
    }
    // The devices of a protocol Teleplug lacks are named (libo-karen has no implementation in
    // the reference either).
    assert!(
        sections["Not implemented by Teleplug"].contains(&"libo-karen: Libo Karen".to_string()),
        "{stdout}"
    );
    assert_eq!(out.status.code(), Some(if cannot == 0 { 0 } else { 1 }));
    assert!(
        stdout.ends_with(&format!(
            "\n{cannot} protocols of the file cannot be driven.\n"
        )),
        "{stdout}"
    );
}

#[test]
fn check_reads_the_v4_database() {
    let path = repo_file("buttplug-device-config-v4.json");
    let out = run(&["check-device-config", path.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("device database 4.189, 139 protocols, 800 device entries\n"),
        "{stdout}"
    );
    // v4 has its own nintendo-joycon: nothing is supplied by the additions.
    assert!(!stdout.contains("additions"), "{stdout}");
}

#[test]
fn check_exits_0_when_everything_can_be_driven_and_1_when_not() {
    let aneros = r#""aneros":{"communication":[{"btle":{"names":["Massage Demo"],"services":{"0000ff00-0000-1000-8000-00805f9b34fb":{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}],
        "defaults":{"name":"Aneros Vivi","id":"f023f0f4-6629-469e-84c4-171ed4939f3d","features":[]}}"#;
    let drivable = temp_file(
        "check-ok.json",
        &format!(r#"{{"version":{{"major":5,"minor":99}},"protocols":{{{aneros}}}}}"#),
    );
    let out = run(&[
        "check-device-config",
        drivable.to_str().expect("utf-8 path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{stdout}");
    assert!(stdout.contains("device database 5.99, 1 protocols, 1 device entries"));
    assert!(
        stdout.ends_with("\nEvery protocol of the file can be driven.\n"),
        "{stdout}"
    );

    let frob = r#""frobnicator":{"communication":[{"btle":{"names":["FROB"],"services":{}}},{"teleporter":{"range":9}}],
        "defaults":{"name":"Frob Generic","id":"f023f0f4-6629-469e-84c4-171ed4939f40"},
        "configurations":[{"identifier":["F3"],"name":"Frob 3000","id":"f023f0f4-6629-469e-84c4-171ed4939f41"},
                          {"identifier":["F4"],"name":"Frob 4000","id":"f023f0f4-6629-469e-84c4-171ed4939f42"}]}"#;
    let newer = temp_file(
        "check-newer.json",
        &format!(r#"{{"version":{{"major":5,"minor":99}},"protocols":{{{aneros},{frob}}}}}"#),
    );
    let out = run(&["check-device-config", newer.to_str().expect("utf-8 path")]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{stdout}");
    let sections = sections(&stdout);
    assert_eq!(
        sections["Not implemented by Teleplug"],
        ["frobnicator: Frob 3000, Frob 4000"]
    );
    assert!(
        stdout.ends_with("\n1 protocols of the file cannot be driven.\n"),
        "{stdout}"
    );
    assert!(stderr(&out).contains("1 protocols of"), "{}", stderr(&out));
}

#[test]
fn check_of_a_corrupt_file_exits_2_naming_line_and_column() {
    let text = cut(V5, 1_000);
    let path = temp_file("check-cut.json", text);
    let out = run(&["check-device-config", path.to_str().expect("utf-8 path")]);
    assert_eq!(out.status.code(), Some(2));
    let (line, column) = end_of(text);
    assert!(
        stderr(&out).starts_with(&format!(
            "teleplug: {}: line {line}, column {column}: not valid JSON",
            path.display()
        )),
        "{}",
        stderr(&out)
    );
    assert!(out.stdout.is_empty());
}
