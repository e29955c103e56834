//! `teleplug` started the way a launcher starts Intiface Engine (a command line of its flags, no
//! subcommand) for the Intiface-compatibility tests: its stdout lines, SIGTERM, its exit status.
#![allow(dead_code)]

use std::process::{Child, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use crate::support::serve::{line_reader, next_line_with};

/// The binary under test.
pub const BIN: &str = env!("CARGO_BIN_EXE_teleplug");

/// Upper bound of every wait.
pub const WAIT: Duration = Duration::from_secs(10);

/// A running `teleplug <args>`; killed when dropped.
pub struct Engine {
    child: Option<Child>,
    lines: mpsc::Receiver<String>,
    log_lines: mpsc::Receiver<String>,
}

impl Engine {
    /// `teleplug` with exactly `args`.
    pub fn start(args: &[&str]) -> Engine {
        let mut child = Command::new(BIN)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn teleplug");
        let lines = line_reader(child.stdout.take().unwrap(), false);
        // Logs are also copied to the test's stderr (shown when a test fails).
        let log_lines = line_reader(child.stderr.take().unwrap(), true);
        Engine {
            child: Some(child),
            lines,
            log_lines,
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

    /// The client URL the server announced.
    pub fn url(&self) -> String {
        let line = self.line_with("Buttplug server listening on");
        let start = line.find("ws://").expect("a URL");
        line[start..].trim().to_string()
    }

    /// SIGTERM, then the exit status (bounded by [`WAIT`]).
    pub fn terminate(&mut self) -> ExitStatus {
        let mut child = self.child.take().expect("running");
        let pid = child.id().to_string();
        let status = Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .expect("kill");
        assert!(status.success());
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            if let Ok(status) = child.wait() {
                let _ = tx.send(status);
            }
        });
        rx.recv_timeout(WAIT).unwrap_or_else(|_| {
            let _ = Command::new("kill").args(["-KILL", &pid]).status();
            panic!("teleplug did not exit in time after SIGTERM")
        })
    }
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// `teleplug <args>` run to completion (for command lines that exit at once).
pub fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run teleplug")
}
