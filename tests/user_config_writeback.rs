//! The user device config written back (docs/PROTOCOL.md §6.6, issue 15 item 2): after each
//! device connected for the first time the server rewrites `ServerOptions::user_config_file`
//! with an entry pinning the device's index, so a restarted server gives it the same index even
//! when other devices come first. Nothing the user wrote is lost (the reference's users lost
//! custom entries to write-back, intiface-central issue 121): every key, known or not, valid or
//! not, comes back in place, and the file keeps its major. A file that does not exist is
//! created; one that cannot be written is reported once and the server keeps going. The CLI's
//! `--user-device-config` writes the file, and has written it when `serve` exits.

mod support;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use parking_lot::Mutex;
use serde_json::{Value, json};
use teleplug::device_config::{DeviceConfig, DeviceIdentity};
use teleplug::hardware::simulated::{SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::broadcast;

const TIMEOUT: Duration = Duration::from_secs(5);
/// A database name the simulator can stand in for.
const DEMO: &str = "Massage Demo";

/// A user file with everything a user may have put there: added protocol specifiers and
/// configurations, a customised device (name, limits, a disabled output, display name, gap),
/// a denied address, an entry this version cannot use, unknown keys at every level, and (major 5)
/// simulated devices. `{MAJOR}` and `{SIMULATED}` are filled in per major.
const RICH: &str = r#"{
  "version": {"major": {MAJOR}, "minor": 3},
  "x-frontend": {"theme": "dark", "window": [800, 600.5], "note": null},
  "user_configs": {
    "protocols": {
      "aneros": {"communication": [{"websocket": {"name": "SimAneros"}}], "x-comment": "mine"},
      "lovense": {"communication": [{"websocket": {"name": "LVSDevice"}}]}
    },
    "devices": [
      {
        "identifier": {"address": "sim-aneros-0001", "protocol": "aneros", "identifier": "SimAneros"},
        "config": {
          "name": "Aneros of mine",
          "id": "0b5d8a52-3f7e-4c1b-9b1a-6a0f3c2d9e01",
          "base_id": "f023f0f4-6629-469e-84c4-171ed4939f3d",
          "features": [
            {"id": "0b5d8a52-3f7e-4c1b-9b1a-6a0f3c2d9e02", "base_id": "a980bc1a-5554-4293-a75f-6d17bf25ebee",
             "output": {"vibrate": {"value": [10, 60]}}},
            {"id": "0b5d8a52-3f7e-4c1b-9b1a-6a0f3c2d9e03", "base_id": "811d7d6e-6a75-4925-943a-a06042223e3a",
             "output": {"vibrate": {"disabled": true}}}
          ],
          "user_config": {"allow": false, "deny": false, "index": 5, "display_name": "My Sim Vivi", "message_gap_ms": 0}
        }
      },
      {
        "identifier": {"address": "denied-1", "protocol": "lovense", "identifier": "Z"},
        "config": {"id": "not a uuid", "user_config": {"deny": true, "index": 9}}
      },
      {
        "identifier": {"address": "from-the-future", "protocol": "lovense", "identifier": "EI"},
        "config": {"id": "5d434198-4697-4b00-985e-33788fc955d1", "features": [], "x-new-field": [1, 2, 3],
                   "user_config": {"allow": false, "deny": false, "index": 7}}
      }
    ],
    {SIMULATED}
    "x-groups": [{"name": "evening", "devices": ["sim-aneros-0001"]}]
  }
}"#;

fn rich(major: u32) -> String {
    let simulated = if major >= 5 {
        r#""simulated_devices": [{"identifier": "simulated-2vibe", "address": "simulated:sofa", "display_name": "Sofa"}],"#
    } else {
        ""
    };
    RICH.replace("{MAJOR}", &major.to_string())
        .replace("{SIMULATED}", simulated)
}

fn temp_dir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("teleplug-user-config")
        .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
        .expect("temp dir")
}

/// A server with no real transport that writes the user config back to `path`, loaded from it
/// if it exists.
fn server(path: &Path) -> Server {
    let base = DeviceConfig::embedded();
    let config = if path.exists() {
        base.with_user_config_file(path).expect("user config loads")
    } else {
        base
    };
    Server::new(ServerOptions {
        device_config: config,
        user_config_file: Some(path.to_path_buf()),
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

/// Advertises a simulated device at `address` while the server scans; its index once added.
async fn connect(s: &Server, events: &mut broadcast::Receiver<ServerEvent>, address: &str) -> u32 {
    s.advertise(SimulatedDevice::new(SimulatedDeviceSpec::new(
        DEMO, address,
    )));
    s.start_scanning().await;
    let index = tokio::time::timeout(TIMEOUT, async {
        loop {
            if let ServerEvent::DeviceAdded(i) = events.recv().await.expect("events") {
                if s.device_identity(i).is_some_and(|d| d.address == address) {
                    return i;
                }
            }
        }
    })
    .await
    .expect("device added");
    s.stop_scanning().await;
    index
}

fn read(path: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).expect("file")).expect("json")
}

/// The `devices` entries of a written file.
fn devices(doc: &Value) -> &Vec<Value> {
    doc["user_configs"]["devices"].as_array().expect("devices")
}

/// `(address, index)` of every entry of a file.
fn indexes(doc: &Value) -> Vec<(String, u64)> {
    devices(doc)
        .iter()
        .map(|d| {
            (
                d["identifier"]["address"]
                    .as_str()
                    .unwrap_or("?")
                    .to_string(),
                d["config"]["user_config"]["index"]
                    .as_u64()
                    .unwrap_or(u64::MAX),
            )
        })
        .collect()
}

#[tokio::test]
async fn a_file_that_does_not_exist_is_created_with_the_devices_and_their_indexes() {
    let dir = temp_dir();
    let path = dir.path().join("user.json");
    let s = server(&path);
    let mut events = s.events();
    let first = connect(&s, &mut events, "demo-a").await;
    let second = connect(&s, &mut events, "demo-b").await;
    s.flush_user_config().await.expect("written").expect("ok");
    let doc = read(&path);
    // A new file gets the major of the database in use (the embedded 5.57).
    let embedded = DeviceConfig::embedded().version();
    assert_eq!(
        doc["version"],
        json!({"major": embedded.0, "minor": embedded.1})
    );
    assert_eq!(
        indexes(&doc),
        vec![
            ("demo-a".to_string(), u64::from(first)),
            ("demo-b".to_string(), u64::from(second))
        ]
    );
    s.shutdown(TIMEOUT).await;
}

#[tokio::test]
async fn a_restarted_server_gives_each_device_its_index_even_when_another_comes_first() {
    let dir = temp_dir();
    let path = dir.path().join("user.json");
    let s = server(&path);
    let mut events = s.events();
    let a = connect(&s, &mut events, "demo-a").await;
    s.shutdown(TIMEOUT).await;
    drop(s);

    // Next start: another device is first, yet demo-a gets its index back.
    let s = server(&path);
    let mut events = s.events();
    let b = connect(&s, &mut events, "demo-b").await;
    assert_ne!(b, a, "demo-a's index is kept for it");
    assert_eq!(connect(&s, &mut events, "demo-a").await, a);
    s.shutdown(TIMEOUT).await;
    drop(s);

    // Both are in the file now, and a third run gives both their indexes, in any order.
    assert_eq!(
        indexes(&read(&path)),
        vec![
            ("demo-a".to_string(), u64::from(a)),
            ("demo-b".to_string(), u64::from(b))
        ]
    );
    let s = server(&path);
    let mut events = s.events();
    assert_eq!(connect(&s, &mut events, "demo-a").await, a);
    assert_eq!(connect(&s, &mut events, "demo-b").await, b);
    // Known devices are not written again.
    assert!(s.flush_user_config().await.is_none());
    s.shutdown(TIMEOUT).await;
}

/// intiface-central issue 121: users lost their custom entries when the engine wrote the file
/// back. Here the file after write-back is the file before, key for key and in the same order,
/// plus the new device's entry at the end of `devices`, in both majors.
#[tokio::test]
async fn write_back_keeps_everything_the_user_wrote_in_its_major() {
    for major in [4u32, 5] {
        let dir = temp_dir();
        let path = dir.path().join("user.json");
        let original = rich(major);
        std::fs::write(&path, &original).expect("user file");
        let s = server(&path);
        let mut events = s.events();
        let mut sofa_events = s.events();
        // A denied address is still denied: the device is not added.
        s.advertise(SimulatedDevice::new(SimulatedDeviceSpec::new(
            DEMO, "denied-1",
        )));
        let index = connect(&s, &mut events, "demo-new").await;
        // Major 5: the user's simulated device connects while scanning, and is recorded too.
        let mut new_entries = vec![("demo-new".to_string(), u64::from(index))];
        if major >= 5 {
            let sofa = tokio::time::timeout(TIMEOUT, async {
                loop {
                    if let ServerEvent::DeviceAdded(i) = sofa_events.recv().await.expect("events") {
                        if s.device_identity(i)
                            .is_some_and(|d| d.address == "simulated:sofa")
                        {
                            return i;
                        }
                    }
                }
            })
            .await
            .expect("the simulated device is added");
            new_entries.push(("simulated:sofa".to_string(), u64::from(sofa)));
        }
        let addresses: Vec<String> = s
            .device_list()
            .devices
            .keys()
            .filter_map(|i| s.device_identity(*i).map(|d| d.address))
            .collect();
        assert!(!addresses.iter().any(|a| a == "denied-1"), "{addresses:?}");
        s.flush_user_config().await.expect("written").expect("ok");
        s.shutdown(TIMEOUT).await;

        let mut written = read(&path);
        let before: Value = serde_json::from_str(&original).expect("json");
        let kept = devices(&before).len();
        let added = written["user_configs"]["devices"]
            .as_array_mut()
            .expect("devices")
            .split_off(kept);
        let mut added = indexes(&json!({"user_configs": {"devices": added}}));
        added.sort();
        new_entries.sort();
        assert_eq!(added, new_entries, "major {major}: the entries appended");
        // Same values, and the same keys in the same order at every level.
        assert_eq!(written, before, "major {major}");
        let mut in_order: Ordered =
            serde_json::from_str(&std::fs::read_to_string(&path).expect("file")).expect("json");
        if let Ordered::Object(root) = &mut in_order {
            if let Some(Ordered::Object(uc)) = root.get_mut("user_configs") {
                if let Some(Ordered::Array(d)) = uc.get_mut("devices") {
                    d.truncate(kept);
                }
            }
        }
        let original_order: Ordered = serde_json::from_str(&original).expect("json");
        assert_eq!(
            serde_json::to_string(&in_order).expect("text"),
            serde_json::to_string(&original_order).expect("text"),
            "major {major}: key order"
        );

        // And the written file means the same to the loader: the customised device keeps its
        // index, name, display name and limits; the new one is pinned; the denied stays denied.
        let reloaded = DeviceConfig::embedded()
            .with_user_config_file(&path)
            .expect("reloads");
        assert_eq!(reloaded.user_config_version().map(|v| v.0), Some(major));
        let vivi = reloaded
            .resolve(&DeviceIdentity {
                address: "sim-aneros-0001".into(),
                protocol: "aneros".into(),
                identifier: Some("SimAneros".into()),
            })
            .expect("resolves");
        assert_eq!(vivi.user_index, Some(5));
        assert_eq!(vivi.name, "Aneros of mine");
        assert_eq!(vivi.display_name.as_deref(), Some("My Sim Vivi"));
        assert_eq!(vivi.features[0].outputs[0].user_range, Some((10, 60)));
        assert!(vivi.features[1].outputs[0].disabled);
        assert!(!reloaded.is_allowed("denied-1"));
        let mut pinned = reloaded.reserved_indexes();
        pinned.sort_unstable();
        let mut expected: Vec<u32> = new_entries
            .iter()
            .map(|(_, i)| u32::try_from(*i).expect("index"))
            .chain([5])
            .collect();
        expected.sort_unstable();
        assert_eq!(pinned, expected);
        if major >= 5 {
            assert_eq!(reloaded.simulated_devices()[0].address, "simulated:sofa");
        }
    }
}

/// JSON whose objects keep their key order (serialising writes them in that order).
#[derive(serde::Serialize, serde::Deserialize)]
#[serde(untagged)]
enum Ordered {
    Null(()),
    Bool(bool),
    Number(serde_json::Number),
    String(String),
    Array(Vec<Ordered>),
    Object(indexmap::IndexMap<String, Ordered>),
}

/// Log lines of this test binary (a global subscriber: the failure is logged on a blocking
/// thread).
fn logs() -> Arc<Mutex<Vec<u8>>> {
    static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let sink = buffer.clone();
        let subscriber = tracing_subscriber::fmt()
            .with_env_filter("teleplug=info")
            .with_ansi(false)
            .with_writer(move || Writer(sink.clone()))
            .finish();
        tracing::subscriber::set_global_default(subscriber).expect("one subscriber");
        buffer
    })
    .clone()
}

struct Writer(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Writer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_file_that_cannot_be_written_is_reported_once_and_the_server_keeps_going() {
    let logs = logs();
    let dir = temp_dir();
    let gone: PathBuf = dir.path().join("removed");
    std::fs::create_dir(&gone).expect("dir");
    let path = gone.join("user.json");
    let s = server(&path);
    std::fs::remove_dir(&gone).expect("directory gone");
    let mut events = s.events();
    let mut seen = Vec::new();
    for address in ["demo-a", "demo-b", "demo-c"] {
        seen.push(connect(&s, &mut events, address).await);
        let write = s.flush_user_config().await.expect("a write was made");
        assert!(write.is_err(), "{write:?}");
    }
    // Every device was added, with its own index kept for the run.
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 3);
    assert_eq!(s.device_list().devices.len(), 3);
    let text = String::from_utf8(logs.lock().clone()).expect("utf-8");
    let path_text = path.display().to_string();
    let reports = text
        .lines()
        .filter(|l| l.contains("cannot write the user device config") && l.contains(&path_text))
        .count();
    assert_eq!(reports, 1, "{text}");
    assert!(!path.exists());
    s.shutdown(TIMEOUT).await;
}

/// `teleplug serve --user-device-config NEW`: a toy connected through the simulator endpoint is
/// in the file (created) once serve exited on SIGTERM, with the index it got.
#[cfg(unix)]
#[tokio::test]
async fn serve_creates_the_file_and_has_written_it_when_it_exits() {
    let dir = temp_dir();
    let path = dir.path().join("created.json");
    let mut serve = support::serve::Serve::start(&[
        "--simulator-port",
        "0",
        "--user-device-config",
        path.to_str().expect("utf-8 path"),
    ]);
    let toy = support::serve::vibrating_toy(&serve, "write-back").await;
    serve.signal("TERM");
    assert_eq!(serve.exit_status().code(), Some(0));
    drop(toy);
    let doc = read(&path);
    assert_eq!(indexes(&doc), vec![("AA:BB:CC:DD:EE:01".to_string(), 0)]);
    assert_eq!(devices(&doc)[0]["identifier"]["protocol"], "lovense");

    // A path in a directory that does not exist is a usage error.
    let missing = dir.path().join("no-such-dir").join("user.json");
    let out = std::process::Command::new(support::serve::BIN)
        .args([
            "serve",
            "--user-device-config",
            missing.to_str().expect("utf-8"),
        ])
        .output()
        .expect("run teleplug");
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(missing.to_str().expect("utf-8")), "{err}");
}
