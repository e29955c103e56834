//! What asks `teleplug serve` to stop: SIGINT and SIGTERM on Unix; on Windows the console's
//! Ctrl+C, Ctrl+Break and close events, and the logoff and shutdown events. Each is watched
//! from [`StopRequests::watch`] on (call it before anything can be driven, so a request cannot
//! arrive unwatched and end the process without stopping the devices), and
//! [`StopRequests::next`] resolves with the first one's name for the log line.
//!
//! On Windows the console's handler thread is held (by tokio) until the process exits, so the
//! close, logoff and shutdown events let `serve` stop the devices before Windows ends the
//! process (about 5 s after a close, more for logoff and shutdown).

#[cfg(unix)]
mod unix;
#[cfg(windows)]
mod windows;

#[cfg(unix)]
use unix as platform;
#[cfg(windows)]
use windows as platform;

use crate::Failure;

/// The stop requests being watched.
pub struct StopRequests(platform::Watchers);

impl StopRequests {
    /// Start watching (inside the tokio runtime). Failing to watch is a runtime failure: a
    /// server that could not be stopped cleanly must not start.
    pub fn watch() -> Result<StopRequests, Failure> {
        platform::Watchers::new()
            .map(StopRequests)
            .map_err(|(what, e)| Failure::Runtime(format!("cannot watch {what}: {e}")))
    }

    /// The name of the first request that arrives ("SIGTERM", "Ctrl+C"…).
    pub async fn next(&mut self) -> &'static str {
        self.0.next().await
    }
}
