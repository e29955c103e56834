//! A `teleplug serve` child process for tests: started on free ports without hardware, its
//! stdout lines (the announced URLs), signals, its exit status, and answers on its stdin.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc;

use super::ws::WAIT;

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_teleplug");

/// A running `teleplug serve` and its stdout lines.
pub struct Serve {
    child: Option<Child>,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    exited: Option<mpsc::Receiver<ExitStatus>>,
}

impl Serve {
    pub fn start(args: &[&str]) -> Serve {
        let mut child = Command::new(BIN)
            .arg("serve")
            .args(["--port", "0", "--no-bluetooth", "--no-serial", "--no-hid"])
            .arg("--no-gamepad")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("spawn teleplug serve");
        let stdout = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stdin = child.stdin.take();
        Serve {
            child: Some(child),
            stdin,
            lines,
            exited: None,
        }
    }

    /// The next stdout line containing `needle`.
    pub fn line_with(&self, needle: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(WAIT)
                .unwrap_or_else(|_| panic!("no line with {needle:?}"));
            if line.contains(needle) {
                return line;
            }
        }
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

impl Drop for Serve {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
