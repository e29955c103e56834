//! Bluetooth LE test harness: a private dbus-daemon and the project's fake BlueZ
//! (tests/fixtures/fake_bluez.py), with every child process guarded by a Drop that ends it.
//!
//! libdbus reads DBUS_SYSTEM_BUS_ADDRESS once per process, and the test process may not change
//! its own environment (that needs `unsafe`), so each scenario runs in a child process: the
//! test re-executes its own binary for just that test, with the variable set. This works the
//! same under `cargo nextest run` and plain `cargo test`. The parent starts the bus (if any) and
//! waits, bounded, for the child; the child starts the fake and runs the scenario.
//!
//! Missing prerequisites (dbus-daemon, /usr/bin/python3 with dbus and gi) skip the scenario with
//! a printed reason, except when `CI` is set: there a skip is a failure, since CI machines have
//! them.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use serde_json::Value;
use tokio::sync::{mpsc, watch};

/// What the scenario's process sees as the system bus.
pub enum Bus {
    /// A private bus with the fake BlueZ, configured with this JSON (see fake_bluez.py).
    Fake(Value),
    /// A private bus where nothing owns org.bluez.
    WithoutBluez,
    /// No bus at all (the address names a socket that does not exist).
    Missing,
}

const CHILD_ENV: &str = "TELEPLUG_BLE_SCENARIO";
const DIR_ENV: &str = "TELEPLUG_BLE_DIR";
const CONFIG_ENV: &str = "TELEPLUG_BLE_FAKE_CONFIG";
const PYTHON: &str = "/usr/bin/python3";
/// Upper bound for one scenario process.
const CHILD_TIMEOUT: Duration = Duration::from_secs(90);
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// Run `scenario` (async) in a child process with its own system bus. `name` must be the test
/// function's name (the child runs exactly that test).
pub fn run<F, Fut>(name: &str, bus: Bus, scenario: F)
where
    F: FnOnce(Option<FakeBluez>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    if std::env::var(CHILD_ENV).as_deref() == Ok(name) {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async {
            let fake = match std::env::var(CONFIG_ENV) {
                Ok(path) => Some(FakeBluez::start(Path::new(&path)).await),
                Err(_) => None,
            };
            scenario(fake).await;
        });
        return;
    }
    if let Some(reason) = missing_prerequisites(&bus) {
        if std::env::var_os("CI").is_some() {
            panic!("{name}: cannot run in CI: {reason}");
        }
        println!("SKIPPED {name}: {reason}");
        eprintln!("SKIPPED {name}: {reason}");
        return;
    }
    let dir = TempDir::new();
    let mut cmd = Command::new(std::env::current_exe().expect("test binary"));
    cmd.args([name, "--exact", "--nocapture", "--test-threads=1"])
        .env(CHILD_ENV, name)
        .env(DIR_ENV, &dir.0)
        .env_remove(CONFIG_ENV)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if std::env::var_os("RUST_LOG").is_none() {
        cmd.env("RUST_LOG", "teleplug=debug");
    }
    let _daemon = match &bus {
        Bus::Fake(config) => {
            let path = dir.0.join("fake.json");
            std::fs::write(&path, config.to_string()).expect("write fake config");
            cmd.env(CONFIG_ENV, &path);
            let d = DbusDaemon::start(&dir.0);
            cmd.env("DBUS_SYSTEM_BUS_ADDRESS", &d.address);
            Some(d)
        }
        Bus::WithoutBluez => {
            let d = DbusDaemon::start(&dir.0);
            cmd.env("DBUS_SYSTEM_BUS_ADDRESS", &d.address);
            Some(d)
        }
        Bus::Missing => {
            let address = format!("unix:path={}", dir.0.join("no-bus-here").display());
            cmd.env("DBUS_SYSTEM_BUS_ADDRESS", address);
            None
        }
    };
    let child = Guard(cmd.spawn().expect("start the scenario process"));
    let (ok, output) = child.wait_output(CHILD_TIMEOUT);
    assert!(
        ok && output.contains("1 passed"),
        "scenario {name} failed:\n{output}"
    );
}

fn missing_prerequisites(bus: &Bus) -> Option<String> {
    if matches!(bus, Bus::Missing) {
        return None;
    }
    let daemon = Command::new("dbus-daemon")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
    if !daemon.is_ok_and(|s| s.success()) {
        return Some("dbus-daemon is not installed".into());
    }
    if matches!(bus, Bus::Fake(_)) {
        let py = Command::new(PYTHON)
            .args(["-c", "import dbus, dbus.mainloop.glib, gi.repository.GLib"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !py.is_ok_and(|s| s.success()) {
            return Some(format!(
                "{PYTHON} with python3-dbus and python3-gi is missing"
            ));
        }
    }
    None
}

/// A scratch directory removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new() -> TempDir {
        static COUNT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
        let n = COUNT.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        // Short: unix socket paths are limited to 108 bytes.
        let dir = std::env::temp_dir().join(format!("tp-ble-{}-{n}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A child process killed (and reaped) on drop.
struct Guard(Child);

impl Guard {
    /// Waits (bounded) for the process to end; (success, stdout + stderr).
    fn wait_output(mut self, limit: Duration) -> (bool, String) {
        let mut readers = Vec::new();
        for pipe in [
            self.0
                .stdout
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
            self.0
                .stderr
                .take()
                .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
        ]
        .into_iter()
        .flatten()
        {
            let (tx, rx) = std_mpsc::channel();
            std::thread::spawn(move || {
                let mut s = String::new();
                let mut pipe = pipe;
                let _ = pipe.read_to_string(&mut s);
                let _ = tx.send(s);
            });
            readers.push(rx);
        }
        let deadline = std::time::Instant::now() + limit;
        let mut output = String::new();
        let mut timed_out = false;
        for rx in readers {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            match rx.recv_timeout(left) {
                Ok(s) => output.push_str(&s),
                Err(_) => timed_out = true,
            }
        }
        if timed_out {
            let _ = self.0.kill();
            output.push_str(&format!("\n[scenario killed after {limit:?}]"));
            return (false, output);
        }
        let ok = self.0.wait().is_ok_and(|s| s.success());
        (ok, output)
    }
}

impl Drop for Guard {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A private dbus-daemon (session-type config, permissive policy) in `dir`.
struct DbusDaemon {
    _child: Guard,
    address: String,
}

impl DbusDaemon {
    fn start(dir: &Path) -> DbusDaemon {
        let conf = dir.join("bus.conf");
        let socket = dir.join("bus");
        std::fs::write(
            &conf,
            format!(
                r#"<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>unix:path={}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_destination="*"/>
    <allow receive_sender="*"/>
  </policy>
</busconfig>
"#,
                socket.display()
            ),
        )
        .expect("write bus.conf");
        let mut child = Guard(
            Command::new("dbus-daemon")
                .arg("--nofork")
                .arg("--print-address=1")
                .arg(format!("--config-file={}", conf.display()))
                .stdin(Stdio::null())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start dbus-daemon"),
        );
        let stdout = child.0.stdout.take().expect("stdout");
        let (tx, rx) = std_mpsc::channel();
        std::thread::spawn(move || {
            let mut lines = BufReader::new(stdout).lines();
            let _ = tx.send(lines.next());
            for _ in lines {}
        });
        let address = match rx.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) => line.trim().to_string(),
            other => panic!("dbus-daemon did not start: {other:?}"),
        };
        DbusDaemon {
            _child: child,
            address,
        }
    }
}

/// The fake BlueZ of this scenario: commands on its stdin, its report lines as a stream.
pub struct FakeBluez {
    child: Guard,
    stdin: ChildStdin,
    lines: mpsc::UnboundedReceiver<String>,
    /// Every line reported so far, updated as the lines arrive.
    history: watch::Receiver<Vec<String>>,
}

pub const LINE_TIMEOUT: Duration = Duration::from_secs(10);

impl FakeBluez {
    async fn start(config: &Path) -> FakeBluez {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fake_bluez.py");
        let mut child = Guard(
            Command::new(PYTHON)
                .arg(script)
                .arg(config)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::inherit())
                .spawn()
                .expect("start fake_bluez.py"),
        );
        let stdin = child.0.stdin.take().expect("stdin");
        let stdout = child.0.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::unbounded_channel();
        let (h, history) = watch::channel(Vec::new());
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                eprintln!("[fake] {line}");
                h.send_modify(|lines| lines.push(line.clone()));
                let _ = tx.send(line);
            }
        });
        let mut fake = FakeBluez {
            child,
            stdin,
            lines,
            history,
        };
        fake.expect(|l| l == "READY").await;
        fake
    }

    /// Waits (bounded) for the next report line satisfying `pred`; earlier lines are skipped.
    pub async fn expect(&mut self, pred: impl Fn(&str) -> bool) -> String {
        let r = tokio::time::timeout(LINE_TIMEOUT, async {
            while let Some(line) = self.lines.recv().await {
                if pred(&line) {
                    return Some(line);
                }
            }
            None
        })
        .await;
        match r {
            Ok(Some(line)) => line,
            Ok(None) => panic!("the fake BlueZ exited"),
            Err(_) => panic!("the fake BlueZ did not report the expected line in time"),
        }
    }

    /// Waits for the write of `data` to characteristic `uuid` of device `address`; returns
    /// the write type (`command` = without response, `request` = with response).
    pub async fn expect_write(&mut self, address: &str, uuid: &str, data: &[u8]) -> String {
        let prefix = format!("WRITE {address} {uuid} {} ", hex(data));
        let line = self.expect(|l| l.starts_with(&prefix)).await;
        line[prefix.len()..].to_string()
    }

    /// Sends a control command and waits for its acknowledgement.
    pub async fn command(&mut self, cmd: Value) {
        let name = cmd["cmd"].as_str().expect("cmd").to_string();
        writeln!(self.stdin, "{cmd}").expect("write to the fake");
        self.stdin.flush().expect("flush");
        let ack = format!("ACK {name}");
        let line = self.expect(|l| l == ack || l.starts_with("NACK")).await;
        assert_eq!(line, ack, "the fake refused {cmd}");
    }

    /// Every line reported so far.
    pub fn history(&self) -> Vec<String> {
        self.history.borrow().clone()
    }

    /// Waits (bounded) until some line reported so far satisfies `pred`, whenever it came and
    /// without consuming anything `expect` will see. For what happened before an event the test
    /// observed elsewhere (a device listed), whose report line may still be on its way.
    pub async fn expect_seen(&self, pred: impl Fn(&str) -> bool) -> String {
        let mut history = self.history.clone();
        let r = tokio::time::timeout(LINE_TIMEOUT, async {
            let lines = history
                .wait_for(|lines| lines.iter().any(|l| pred(l)))
                .await
                .ok()?;
            lines.iter().find(|l| pred(l)).cloned()
        })
        .await;
        match r {
            Ok(Some(line)) => line,
            Ok(None) => panic!("the fake BlueZ exited"),
            Err(_) => panic!(
                "the fake BlueZ did not report the expected line in time: {:?}",
                self.history()
            ),
        }
    }

    /// Whether the fake is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.0.try_wait(), Ok(None))
    }
}

/// Lowercase hex, as the fake reports bytes.
pub fn hex(data: &[u8]) -> String {
    data.iter().map(|b| format!("{b:02x}")).collect()
}

/// A server scanning with Bluetooth LE only (the fake BlueZ's bus must be set up: [`run`]).
pub fn ble_server() -> teleplug::server::Server {
    use teleplug::server::{Server, ServerOptions, Transports};
    Server::new(ServerOptions {
        transports: Transports {
            bluetooth: true,
            ..Transports::none()
        },
        ..ServerOptions::default()
    })
}
