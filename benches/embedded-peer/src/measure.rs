//! What every side shares: the command stream (alternating Hush levels), the device write log
//! (timestamps taken in the toy's write handler), one row's raw samples, and their analysis into
//! the figures of the table (commands/s, command → write and command → reply percentiles,
//! writes, commands lost).

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

/// Steps of a Hush's vibrator: command values cycle through 1..=STEPS.
pub const STEPS: i32 = 20;

/// How long a side may stay silent (no reply) before its row is reported as failed.
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

/// The Hush's answer to `DeviceType;` (model Z, firmware 11).
pub const HUSH_TYPE_REPLY: &str = "Z:11:0082059AD3BD;";

/// The value of the `i`th command of a side: never equal to the previous one, so no layer can
/// skip a command as a repeat.
pub fn value(i: usize) -> i32 {
    (i as i32 % STEPS) + 1
}

/// The level of a Lovense vibrate write (`Vibrate:N;`); None for other writes (the
/// `DeviceType;` handshake, `Battery;`).
pub fn vibrate_level(data: &[u8]) -> Option<i32> {
    let text = std::str::from_utf8(data).ok()?;
    let rest = text.strip_prefix("Vibrate")?;
    let (_, level) = rest.split_once(':')?;
    level.strip_suffix(';')?.parse().ok()
}

/// Vibrate writes of one toy: (when the write handler ran, level written).
#[derive(Debug, Default)]
pub struct WriteLog {
    writes: Mutex<Vec<(Instant, i32)>>,
}

impl WriteLog {
    pub fn new() -> Arc<WriteLog> {
        Arc::new(WriteLog::default())
    }

    /// Record a write of `data` at `at` (called from the device's write handler).
    pub fn record(&self, at: Instant, data: &[u8]) {
        if let Some(level) = vibrate_level(data) {
            self.writes.lock().push((at, level));
        }
    }

    /// Forget the writes so far and make room for `n`.
    pub fn reset(&self, n: usize) {
        *self.writes.lock() = Vec::with_capacity(n);
    }

    fn len(&self) -> usize {
        self.writes.lock().len()
    }

    fn take(&self) -> Vec<(Instant, i32)> {
        std::mem::take(&mut *self.writes.lock())
    }
}

/// One row as a side ran it: per command, when it was handed to the library, its value, and
/// when its Ok reply came back (None: no reply).
pub struct Raw {
    pub sends: Vec<Instant>,
    pub values: Vec<i32>,
    pub replies: Vec<Option<Instant>>,
    /// Why the row stopped early or a reply was not Ok.
    pub error: Option<String>,
}

impl Raw {
    pub fn with_capacity(n: usize) -> Raw {
        Raw {
            sends: Vec::with_capacity(n),
            values: Vec::with_capacity(n),
            replies: vec![None; n],
            error: None,
        }
    }
}

/// Hand `n` commands to a library through `send(i, level)` (`i` counts from 0 in this row, the
/// level continues the stream from `first`), at most `window` unanswered (1: each awaited
/// before the next), and note when each was handed over and answered. Run unconstrained:
/// tokio's cooperative budget would re-queue a request's first poll behind later ones, and
/// commands would no longer be handed over in order.
pub async fn drive<F, Fut, E>(n: usize, window: usize, first: usize, mut send: F) -> Raw
where
    F: FnMut(i32) -> Fut,
    Fut: std::future::Future<Output = Result<(), E>>,
    E: std::fmt::Display,
{
    use futures::stream::{FuturesUnordered, StreamExt};
    tokio::task::unconstrained(async move {
        let mut raw = Raw::with_capacity(n);
        let mut inflight = FuturesUnordered::new();
        let mut next = 0;
        while next < n || !inflight.is_empty() {
            while next < n && inflight.len() < window {
                let level = value(first + next);
                let i = next;
                raw.values.push(level);
                raw.sends.push(Instant::now());
                let reply = send(level);
                inflight.push(async move { (i, reply.await) });
                next += 1;
            }
            match tokio::time::timeout(REPLY_TIMEOUT, inflight.next()).await {
                Ok(Some((i, Ok(())))) => raw.replies[i] = Some(Instant::now()),
                Ok(Some((i, Err(e)))) => {
                    raw.error.get_or_insert(format!("command {i}: {e}"));
                }
                Ok(None) => break,
                Err(_) => {
                    raw.error
                        .get_or_insert(format!("no reply within {REPLY_TIMEOUT:?}"));
                    break;
                }
            }
        }
        raw
    })
    .await
}

/// Percentiles of a latency sample.
#[derive(Clone, Copy, Debug)]
pub struct Summary {
    pub p50: Duration,
    pub p99: Duration,
}

impl Summary {
    fn of(mut sample: Vec<Duration>) -> Option<Summary> {
        if sample.is_empty() {
            return None;
        }
        sample.sort_unstable();
        let at = |q: f64| sample[((sample.len() as f64 - 1.0) * q).round() as usize];
        Some(Summary {
            p50: at(0.50),
            p99: at(0.99),
        })
    }
}

/// The figures of one row of one side.
pub struct Figures {
    pub commands: usize,
    pub per_second: f64,
    /// Command → first device write carrying it or a later command.
    pub write: Option<Summary>,
    pub reply: Option<Summary>,
    /// Vibrate writes matched to commands.
    pub writes: usize,
    /// Commands without an Ok reply, or never reflected by a write.
    pub lost: usize,
    /// Writes that match no command sent before them.
    pub stray: usize,
    pub error: Option<String>,
}

impl Figures {
    pub fn failed(&self) -> bool {
        self.lost > 0 || self.stray > 0 || self.error.is_some()
    }
}

/// Wait until the toy has seen `n` vibrate writes, or none came for a while (writes may trail
/// replies, and a toy may write fewer times when a backlog merged).
pub fn settle(log: &WriteLog, n: usize) {
    let quiet = Duration::from_millis(200);
    let mut count = log.len();
    let mut since = Instant::now();
    while count < n && since.elapsed() < quiet {
        std::thread::sleep(Duration::from_millis(1));
        let now = log.len();
        if now != count {
            count = now;
            since = Instant::now();
        }
    }
}

/// The figures of a row from its raw samples and the toy's writes.
///
/// When the toy got one write per command (nothing merged) writes pair with commands one to one,
/// in order: each write with the earliest not yet matched command with its level sent before it.
/// When a backlog merged (fewer writes than commands) a merged command was never written as such
/// and, as levels repeat every 20 commands, which command a write carried is ambiguous: the row
/// then has no command → write latency, and counts a loss only when the last write is not the
/// last command's level after it was sent (latest value wins, the last one must arrive).
pub fn analyse(raw: Raw, log: &WriteLog) -> Figures {
    let n = raw.sends.len();
    let writes = log.take();
    let mut matched: Vec<(Instant, usize)> = Vec::with_capacity(writes.len());
    let mut stray = 0;
    let reply_sample: Vec<Duration> = raw
        .sends
        .iter()
        .zip(&raw.replies)
        .filter_map(|(s, r)| r.map(|r| r.saturating_duration_since(*s)))
        .collect();
    let unanswered = n - reply_sample.len();
    let rate = |end: Option<Instant>| match (raw.sends.first(), end) {
        (Some(start), Some(end)) if end > *start => n as f64 / (end - *start).as_secs_f64(),
        _ => 0.0,
    };
    if writes.len() < n {
        let last_arrived = match (writes.last(), raw.sends.last(), raw.values.last()) {
            (Some(&(at, level)), Some(&sent), Some(&value)) => level == value && at >= sent,
            _ => false,
        };
        let end = raw
            .replies
            .iter()
            .flatten()
            .chain(writes.iter().map(|(at, _)| at))
            .max()
            .copied();
        return Figures {
            commands: n,
            per_second: rate(end),
            write: None,
            reply: Summary::of(reply_sample),
            writes: writes.len(),
            lost: unanswered.max(usize::from(!last_arrived)),
            stray: 0,
            error: raw.error,
        };
    }
    let mut next = 0;
    for (k, &(at, level)) in writes.iter().enumerate() {
        // The last write carries the last command when it has its level and came after it
        // (latest value wins); earlier matches are never later than that.
        if k + 1 == writes.len()
            && n > 0
            && next < n
            && raw.values[n - 1] == level
            && raw.sends[n - 1] <= at
        {
            matched.push((at, n - 1));
            continue;
        }
        let found = (next..n)
            .take_while(|&j| raw.sends[j] <= at)
            .find(|&j| raw.values[j] == level);
        match found {
            Some(j) => {
                matched.push((at, j));
                next = j + 1;
            }
            None => stray += 1,
        }
    }
    let mut write_sample = Vec::with_capacity(n);
    let mut unwritten = 0;
    let mut k = 0;
    for i in 0..n {
        while k < matched.len() && matched[k].1 < i {
            k += 1;
        }
        match matched.get(k) {
            Some(&(at, _)) => write_sample.push(at.saturating_duration_since(raw.sends[i])),
            None => unwritten += 1,
        }
    }
    let end = raw
        .replies
        .iter()
        .flatten()
        .chain(matched.iter().map(|(at, _)| at))
        .max()
        .copied();
    Figures {
        commands: n,
        per_second: rate(end),
        write: Summary::of(write_sample),
        reply: Summary::of(reply_sample),
        writes: matched.len(),
        lost: unanswered.max(unwritten),
        stray,
        error: raw.error,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(n: usize, start: Instant) -> Raw {
        let mut r = Raw::with_capacity(n);
        for i in 0..n {
            r.sends.push(start + Duration::from_micros(i as u64 * 10));
            r.values.push(value(i));
            r.replies[i] = Some(start + Duration::from_micros(i as u64 * 10 + 5));
        }
        r
    }

    #[test]
    fn levels_are_parsed() {
        assert_eq!(vibrate_level(b"Vibrate:7;"), Some(7));
        assert_eq!(vibrate_level(b"Vibrate1:20;"), Some(20));
        assert_eq!(vibrate_level(b"DeviceType;"), None);
    }

    #[test]
    fn one_write_per_command_pairs_in_order() {
        let start = Instant::now();
        let log = WriteLog::new();
        for i in 0..40 {
            let at = start + Duration::from_micros(i * 10 + 3);
            log.record(at, format!("Vibrate:{};", value(i as usize)).as_bytes());
        }
        let f = analyse(raw(40, start), &log);
        assert_eq!((f.writes, f.lost, f.stray), (40, 0, 0));
        assert_eq!(f.write.unwrap().p99, Duration::from_micros(3));
    }

    #[test]
    fn a_merged_backlog_has_no_write_latency_and_loses_nothing_when_the_last_value_arrives() {
        let start = Instant::now();
        let log = WriteLog::new();
        // Commands 0 and 3 written; 1 and 2 merged into 3's write.
        log.record(start + Duration::from_micros(3), b"Vibrate:1;");
        log.record(start + Duration::from_micros(40), b"Vibrate:4;");
        let f = analyse(raw(4, start), &log);
        assert_eq!((f.writes, f.lost, f.stray), (2, 0, 0));
        assert!(f.write.is_none() && f.reply.is_some() && !f.failed());
    }

    #[test]
    fn a_merged_backlog_whose_last_write_is_an_older_value_lost_the_last_command() {
        let start = Instant::now();
        let log = WriteLog::new();
        let mut r = raw(100, start);
        for s in &mut r.sends {
            *s = start;
        }
        log.record(start + Duration::from_micros(1), b"Vibrate:1;");
        log.record(
            start + Duration::from_micros(2),
            format!("Vibrate:{};", value(57)).as_bytes(),
        );
        let f = analyse(r, &log);
        assert_eq!(f.lost, 1);
        assert!(f.failed());
    }

    #[test]
    fn a_missing_last_write_is_a_lost_command() {
        let start = Instant::now();
        let log = WriteLog::new();
        log.record(start + Duration::from_micros(3), b"Vibrate:1;");
        let f = analyse(raw(2, start), &log);
        assert_eq!(f.lost, 1);
        assert!(f.failed());
    }
}
