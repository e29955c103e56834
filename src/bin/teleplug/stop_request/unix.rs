//! SIGINT and SIGTERM.

use tokio::signal::unix::{Signal, SignalKind, signal};

pub struct Watchers {
    interrupt: Signal,
    terminate: Signal,
}

impl Watchers {
    pub fn new() -> Result<Watchers, (&'static str, std::io::Error)> {
        Ok(Watchers {
            interrupt: signal(SignalKind::interrupt()).map_err(|e| ("SIGINT", e))?,
            terminate: signal(SignalKind::terminate()).map_err(|e| ("SIGTERM", e))?,
        })
    }

    pub async fn next(&mut self) -> &'static str {
        tokio::select! {
            _ = self.interrupt.recv() => "SIGINT",
            _ = self.terminate.recv() => "SIGTERM",
        }
    }
}
