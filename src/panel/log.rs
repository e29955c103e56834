//! The log tail the panel shows: the last [`TAIL_LINES`] log lines and a broadcast of new ones,
//! fed by a `tracing` layer the program installs beside its console output. Memory is bounded:
//! a fixed ring of lines, and a fixed broadcast ring (a reader that falls behind skips lines and
//! is told how many).

use std::collections::VecDeque;
use std::fmt::Write as _;
use std::sync::Arc;

use parking_lot::Mutex;
use tokio::sync::broadcast;
use tracing::field::{Field, Visit};
use tracing_subscriber::layer::Context;

/// Lines kept for a page that opens.
pub const TAIL_LINES: usize = 200;
/// Longest line kept (longer ones are cut).
const MAX_LINE: usize = 2000;

struct Inner {
    ring: Mutex<VecDeque<String>>,
    tx: broadcast::Sender<String>,
}

/// The log tail: clone it freely; [`LogTail::layer`] feeds it.
#[derive(Clone)]
pub struct LogTail {
    inner: Arc<Inner>,
}

impl Default for LogTail {
    fn default() -> Self {
        LogTail {
            inner: Arc::new(Inner {
                ring: Mutex::new(VecDeque::with_capacity(TAIL_LINES)),
                tx: broadcast::channel(TAIL_LINES).0,
            }),
        }
    }
}

impl std::fmt::Debug for LogTail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LogTail").finish_non_exhaustive()
    }
}

impl LogTail {
    /// Add a line.
    pub fn push(&self, mut line: String) {
        if line.contains('\r') {
            line = line.replace('\r', " ");
        }
        if line.len() > MAX_LINE {
            let mut cut = MAX_LINE;
            while !line.is_char_boundary(cut) {
                cut -= 1;
            }
            line.truncate(cut);
            line.push('…');
        }
        {
            let mut ring = self.inner.ring.lock();
            if ring.len() == TAIL_LINES {
                ring.pop_front();
            }
            ring.push_back(line.clone());
        }
        let _ = self.inner.tx.send(line);
    }

    /// The lines kept now, oldest first, and a receiver of the lines that follow them.
    pub fn snapshot(&self) -> (Vec<String>, broadcast::Receiver<String>) {
        let ring = self.inner.ring.lock();
        // Subscribed under the ring's lock: no line falls between the snapshot and the stream.
        (ring.iter().cloned().collect(), self.inner.tx.subscribe())
    }

    /// A `tracing` layer writing every event it sees into this tail.
    pub fn layer(&self) -> TailLayer {
        TailLayer(self.clone())
    }
}

/// The `tracing` layer of a [`LogTail`].
pub struct TailLayer(LogTail);

struct Line(String);

impl Visit for Line {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value:?}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            let _ = write!(self.0, " {value}");
        } else {
            let _ = write!(self.0, " {}={value:?}", field.name());
        }
    }
}

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for TailLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _ctx: Context<'_, S>) {
        let meta = event.metadata();
        let secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs())
            .unwrap_or(0);
        let mut line = Line(format!(
            "{:02}:{:02}:{:02} {} {}:",
            (secs / 3600) % 24,
            (secs / 60) % 60,
            secs % 60,
            meta.level(),
            meta.target()
        ));
        event.record(&mut line);
        self.0.push(line.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_ring_keeps_the_last_lines_and_cuts_long_ones() {
        let tail = LogTail::default();
        for i in 0..TAIL_LINES + 5 {
            tail.push(format!("line {i}"));
        }
        tail.push("x".repeat(MAX_LINE + 10));
        let (lines, _) = tail.snapshot();
        assert_eq!(lines.len(), TAIL_LINES);
        assert_eq!(lines[0], "line 6");
        assert!(lines.last().unwrap().ends_with('…'));
        assert!(lines.last().unwrap().len() <= MAX_LINE + '…'.len_utf8());
    }

    #[test]
    fn a_reader_gets_the_lines_after_its_snapshot() {
        let tail = LogTail::default();
        tail.push("before".into());
        let (lines, mut rx) = tail.snapshot();
        tail.push("after".into());
        assert_eq!(lines, ["before"]);
        assert_eq!(rx.try_recv().unwrap(), "after");
    }
}
