//! The bench rig: an in-process server with simulated Lovense Hush toys (message gap 0) found by
//! scanning, write timestamps taken in the device observer, and the command stream with a
//! distinct value each time so de-duplication never hides work.

use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use teleplug::wire::{OutputCommand, OutputType};

use crate::stats::Summary;

/// Steps of a Hush's vibrator (values cycle through 1..=STEPS).
pub const STEPS: i32 = 20;

/// A simulated Lovense Hush (answers the identify exchange), message gap 0.
pub fn hush(n: usize) -> SimulatedDevice {
    let address = format!(
        "{:02X}:{:02X}:{:02X}:00:00:01",
        (n >> 16) & 0xFF,
        (n >> 8) & 0xFF,
        n & 0xFF
    );
    let spec = SimulatedDeviceSpec::lovense(address, "Z:11:0082059AD3BD;", 90);
    assert!(spec.message_gap.is_zero());
    SimulatedDevice::new(spec)
}

/// The value of the `i`th command: never equal to the previous one.
pub fn value(i: usize) -> i32 {
    (i as i32 % STEPS) + 1
}

/// The `i`th vibrate command.
pub fn command(i: usize) -> OutputCommand {
    OutputCommand::new(OutputType::Vibrate, value(i), 0)
}

/// Write timestamps of one device, taken in its observer (the thread performing the write).
#[derive(Default)]
pub struct WriteLog {
    times: Mutex<Vec<Instant>>,
}

impl WriteLog {
    /// Observe `device`'s writes from now on.
    pub fn attach(device: &SimulatedDevice) -> Arc<WriteLog> {
        let log = Arc::new(WriteLog::default());
        let l = log.clone();
        device.observe(move |op| {
            if let SimOp::Write { .. } = op {
                let now = Instant::now();
                l.times.lock().push(now);
            }
        });
        log
    }

    /// Record a write now (for observers set up elsewhere).
    pub fn push(&self, at: Instant) {
        self.times.lock().push(at);
    }

    /// Forget the timestamps so far and make room for `n` (so the observer does not grow the
    /// vector while measuring).
    pub fn expect(&self, n: usize) {
        *self.times.lock() = Vec::with_capacity(n);
    }

    /// Take the timestamps so far.
    pub fn take(&self) -> Vec<Instant> {
        std::mem::take(&mut *self.times.lock())
    }
}

/// Server options for the benches: simulated devices only, embedded database.
pub fn options() -> ServerOptions {
    ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    }
}

/// Wait until `n` devices are connected (after scanning started), bounded.
pub async fn wait_for_devices(server: &Server, n: usize, limit: Duration) -> Result<(), String> {
    // Counting events (not copying the device list at each one, which is quadratic).
    let mut events = server.events();
    let deadline = tokio::time::Instant::now() + limit;
    let mut count = server.device_list().devices.len();
    while count < n {
        match tokio::time::timeout_at(deadline, events.recv()).await {
            Err(_) => {
                return Err(format!(
                    "only {} of {n} devices connected within {limit:?}",
                    server.device_list().devices.len()
                ));
            }
            Ok(Ok(ServerEvent::DeviceAdded(_))) => count += 1,
            Ok(Ok(ServerEvent::DeviceRemoved(_))) => count -= 1,
            Ok(Err(_)) => count = server.device_list().devices.len(),
            Ok(Ok(_)) => {}
        }
    }
    Ok(())
}

/// Pair each send time with the matching write time: `write[i] - send[i]`.
pub fn deltas(from: &[Instant], to: &[Instant]) -> Vec<Duration> {
    from.iter()
        .zip(to)
        .map(|(a, b)| b.saturating_duration_since(*a))
        .collect()
}

/// Send → device write of a run: the latencies when the device wrote once per command; when
/// pipelined commands queued up behind a busy device, it writes only the latest value of those
/// waiting (latest value wins), so writes no longer pair with commands and only their number is
/// reported.
pub enum WriteLatency {
    PerCommand(Summary),
    Merged { writes: usize, commands: usize },
}

impl WriteLatency {
    /// The per-command latencies of a run that cannot have merged (one command in flight).
    pub fn per_command(&self) -> &Summary {
        match self {
            WriteLatency::PerCommand(s) => s,
            WriteLatency::Merged { writes, commands } => {
                panic!("{writes} writes for {commands} commands sent one at a time")
            }
        }
    }
}

impl std::fmt::Display for WriteLatency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            WriteLatency::PerCommand(s) => write!(f, "{s}"),
            WriteLatency::Merged { writes, commands } => write!(
                f,
                "{writes} writes for {commands} commands (backlog merged, latest value wins)"
            ),
        }
    }
}

/// Send → write and send → reply latencies of a run of `sends.len()` commands (the write times
/// are taken from `log`).
pub fn latencies(
    sends: &[Instant],
    log: &WriteLog,
    replies: &[Instant],
) -> (WriteLatency, Summary) {
    let writes = log.take();
    assert!(
        !writes.is_empty() && writes.len() <= sends.len(),
        "{} writes for {} commands",
        writes.len(),
        sends.len()
    );
    let write = if writes.len() == sends.len() {
        WriteLatency::PerCommand(Summary::of(deltas(sends, &writes)))
    } else {
        WriteLatency::Merged {
            writes: writes.len(),
            commands: sends.len(),
        }
    };
    (write, Summary::of(deltas(sends, replies)))
}
