//! A `teleplug serve` child process for tests (this build's binary, or another program such as
//! teleplug.exe under wine): started on free ports without hardware, its stdout lines (the
//! announced URLs), signals, its exit status, and answers on its stdin.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;

use serde_json::json;

use super::wire::msg_type;
use super::ws::{Peer, SimPeer, WAIT};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_teleplug");

/// A running `teleplug serve`, its stdout lines and its stderr lines (the logs; also copied to
/// the test's stderr).
pub struct Serve {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    log_lines: mpsc::Receiver<String>,
    exited: Option<mpsc::Receiver<ExitStatus>>,
}

/// Each line read from `from`, sent to the returned receiver (and, with `echo`, to stderr).
pub fn line_reader(
    from: impl std::io::Read + Send + 'static,
    echo: bool,
) -> mpsc::Receiver<String> {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(from).lines() {
            let Ok(line) = line else { break };
            if echo {
                eprintln!("{line}");
            }
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

/// The next line from `lines` containing `needle`.
pub fn next_line_with(lines: &mpsc::Receiver<String>, needle: &str) -> String {
    loop {
        let line = lines
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no line with {needle:?}"));
        if line.contains(needle) {
            return line;
        }
    }
}

impl Serve {
    pub fn start(args: &[&str]) -> Serve {
        Serve::start_program(Command::new(BIN), args)
    }

    /// `teleplug serve` run by `program` (e.g. teleplug.exe under wine: `support::wine`), on a
    /// free port, without hardware transports.
    pub fn start_program(mut program: Command, args: &[&str]) -> Serve {
        program
            .arg("serve")
            .args(["--port", "0", "--no-bluetooth", "--no-serial", "--no-hid"])
            .arg("--no-gamepad")
            .args(args);
        Serve::spawn(program)
    }

    /// `command`, a complete `teleplug serve` command line.
    pub fn spawn(mut command: Command) -> Serve {
        let mut child = command
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn teleplug serve");
        let lines = line_reader(child.stdout.take().unwrap(), false);
        let log_lines = line_reader(child.stderr.take().unwrap(), true);
        let stdin = child.stdin.take();
        Serve {
            child: Some(child),
            stdin,
            lines,
            log_lines,
            exited: None,
        }
    }

    /// The next stdout line containing `needle`.
    pub fn line_with(&self, needle: &str) -> String {
        next_line_with(&self.lines, needle)
    }

    /// The next stderr (log) line containing `needle`.
    pub fn log_line_with(&self, needle: &str) -> String {
        next_line_with(&self.log_lines, needle)
    }

    /// The ws:// URL on the next line containing `needle`.
    pub fn url(&self, needle: &str) -> String {
        let line = self.line_with(needle);
        let start = line.find("ws://").expect("a URL");
        line[start..].trim().to_string()
    }

    pub fn signal(&mut self, name: &str) {
        let mut child_wait = self.child.take().expect("running");
        let status = Command::new("kill")
            .args([format!("-{name}"), child_wait.id().to_string()])
            .status()
            .expect("kill");
        assert!(status.success());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(s) = child_wait.wait() {
                let _ = tx.send(s);
            }
        });
        self.exited = Some(rx);
    }

    pub fn exit_status(&mut self) -> ExitStatus {
        self.exited
            .as_ref()
            .expect("signalled")
            .recv_timeout(WAIT)
            .expect("teleplug serve did not exit in time")
    }

    pub fn answer(&mut self, text: &str) {
        let stdin = self.stdin.as_mut().expect("stdin");
        stdin.write_all(text.as_bytes()).unwrap();
        stdin.flush().unwrap();
    }
}

/// A client driving a simulated toy through a running `serve` ([`vibrating_toy`]).
pub struct VibratingToy {
    /// The client's URL (another client may connect once this one is gone).
    pub url: String,
    pub client: Peer,
    pub sim: SimPeer,
}

/// The path every `serve` test takes to a running toy: a client connects (handshake at spec v4)
/// and scans, a simulated Lovense Hush is advertised on the simulator endpoint and connects, the
/// client gets the DeviceList and vibrates it at 15, which the toy receives. `serve` must have
/// been started with `--simulator-port 0`.
pub async fn vibrating_toy(serve: &Serve, client_name: &str) -> VibratingToy {
    let sim_url = serve.url("simulator control on");
    let url = serve.url("Buttplug server listening on");
    vibrating_toy_at(&sim_url, url, client_name).await
}

/// [`vibrating_toy`] with the simulator endpoint at `sim_url` and the client connecting to
/// `url` (e.g. through a repeater in front of the server).
pub async fn vibrating_toy_at(sim_url: &str, url: String, client_name: &str) -> VibratingToy {
    let mut sim = SimPeer::connect(sim_url).await;
    let mut client = Peer::connect(&url).await;
    assert_eq!(
        msg_type(&client.handshake(client_name, 4).await),
        "ServerInfo"
    );
    scan_and_vibrate(&mut client, &mut sim).await;
    VibratingToy { url, client, sim }
}

/// After the handshake: `client` scans, a simulated Lovense Hush is advertised on `sim` and
/// connects, the client gets the DeviceList and vibrates it (device 0) at 15, which the toy
/// receives.
pub async fn scan_and_vibrate(client: &mut Peer, sim: &mut SimPeer) {
    assert_eq!(
        msg_type(&client.request("StartScanning", json!({})).await),
        "Ok"
    );
    sim.advertise("toy", "LVS-Hush", "AA:BB:CC:DD:EE:01").await;
    sim.lovense_until_connected("toy").await;
    client.event("DeviceList").await;
    let ok = client
        .request(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":15}}}),
        )
        .await;
    assert_eq!(msg_type(&ok), "Ok");
    assert_eq!(sim.next_write().await, "Vibrate:15;");
}

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
