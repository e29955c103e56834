//! A connected HID device behind the [`Transport`] trait: one I/O thread per device owns the
//! blocking [`HidIo`] (hidapi devices are not shareable between threads), performs queued writes
//! (`tx`: output reports, first byte = report id) and reads input reports in between (`rx`:
//! notifications while subscribed, otherwise kept for `read`). A failing read or write means the
//! device is gone: the thread ends and reports [`HardwareEvent::Disconnected`].

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};
use tracing::{info, warn};

use crate::hardware::inbox::Inbox;
use crate::hardware::{EVENT_QUEUE_CAPACITY, Endpoint, HardwareError, HardwareEvent, Transport};

/// How long one read waits before the I/O thread looks at queued writes again.
const READ_SLICE: Duration = Duration::from_millis(4);
/// Upper bound for a write, queueing included.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);
/// Largest input report read.
const REPORT_MAX: usize = 256;

/// Blocking I/O with one HID device: what the transport needs from hidapi (or a fake).
pub trait HidIo: Send + 'static {
    /// Write one output report (first byte: report id).
    fn write(&mut self, data: &[u8]) -> Result<(), HardwareError>;
    /// Read one input report, waiting at most `timeout`; `Ok(0)` when none came. An error
    /// means the device is gone.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError>;
}

/// A transport over `io`, with its I/O thread running.
pub fn transport_from_io(io: Box<dyn HidIo>) -> Arc<dyn Transport> {
    transport_with_release(io, Box::new(|| {}))
}

/// As [`transport_from_io`]; `release` runs once when the device closes (either side).
pub(super) fn transport_with_release(
    io: Box<dyn HidIo>,
    release: Box<dyn FnOnce() + Send>,
) -> Arc<dyn Transport> {
    let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
    let (writes, write_rx) = std_mpsc::channel();
    let shared = Arc::new(Shared {
        inbox: Inbox::new(),
        release: Mutex::new(Some(release)),
    });
    let thread_shared = shared.clone();
    let spawned = std::thread::Builder::new()
        .name("hid io".into())
        .spawn(move || io_loop(io, write_rx, thread_shared, tx));
    if let Err(e) = spawned {
        warn!("cannot start the HID I/O thread: {e}");
        shared.close();
    }
    Arc::new(HidTransport {
        shared,
        writes: Mutex::new(Some(writes)),
        events: Mutex::new(Some(rx)),
    })
}

type WriteRequest = (Vec<u8>, oneshot::Sender<Result<(), HardwareError>>);

struct Shared {
    /// Kept input reports, one per unit.
    inbox: Inbox<Vec<u8>>,
    release: Mutex<Option<Box<dyn FnOnce() + Send>>>,
}

impl Shared {
    /// Marks the device closed; true the first time.
    fn close(&self) -> bool {
        let first = self.inbox.close();
        if first {
            if let Some(release) = self.release.lock().take() {
                release();
            }
        }
        first
    }
}

fn io_loop(
    mut io: Box<dyn HidIo>,
    writes: std_mpsc::Receiver<WriteRequest>,
    shared: Arc<Shared>,
    tx: mpsc::Sender<HardwareEvent>,
) {
    let mut buf = [0u8; REPORT_MAX];
    'run: while shared.inbox.is_open() {
        loop {
            match writes.try_recv() {
                Ok((data, reply)) => {
                    let r = io.write(&data);
                    let failed = r.is_err();
                    let _ = reply.send(r);
                    if failed {
                        break 'run;
                    }
                }
                Err(std_mpsc::TryRecvError::Empty) => break,
                // The transport was closed.
                Err(std_mpsc::TryRecvError::Disconnected) => break 'run,
            }
        }
        match io.read(&mut buf, READ_SLICE) {
            Ok(0) => {}
            Ok(n) => {
                let data = buf[..n.min(REPORT_MAX)].to_vec();
                let notified = shared.inbox.receive(data, &tx, |kept, report| {
                    kept.push_back(report);
                    // Keep only recent reports for reads.
                    while kept.len() > 64 {
                        kept.pop_front();
                    }
                });
                if !notified {
                    warn!("HID report dropped: event queue full");
                }
            }
            Err(e) => {
                if shared.inbox.is_open() {
                    info!("HID device gone: {e}");
                }
                break;
            }
        }
    }
    drop(io);
    if shared.close() {
        let _ = tx.blocking_send(HardwareEvent::Disconnected);
    }
}

struct HidTransport {
    shared: Arc<Shared>,
    writes: Mutex<Option<std_mpsc::Sender<WriteRequest>>>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
}

#[async_trait]
impl Transport for HidTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Rx, Endpoint::Tx]
    }

    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), HardwareError> {
        self.shared.inbox.check(endpoint, Endpoint::Tx)?;
        let (reply, done) = oneshot::channel();
        let sent = match self.writes.lock().as_ref() {
            Some(w) => w.send((data.to_vec(), reply)).is_ok(),
            None => false,
        };
        if !sent {
            return Err(HardwareError::Disconnected);
        }
        crate::hardware::reply_within(WRITE_TIMEOUT, done).await
    }

    /// The oldest input report received while `rx` is not subscribed (at most `max_len`
    /// bytes); waits for one.
    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        self.shared
            .inbox
            .read(endpoint, timeout, |kept| {
                let mut report = kept.pop_front().unwrap_or_default();
                report.truncate(max_len);
                report
            })
            .await
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.shared.inbox.set_subscribed(endpoint, true)
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.shared.inbox.set_subscribed(endpoint, false)
    }

    /// Closes the device; the I/O thread ends within one read slice and drops the handle.
    async fn disconnect(&self) {
        self.writes.lock().take();
        if self.shared.close() {
            info!("HID device closed");
        }
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

impl Drop for HidTransport {
    fn drop(&mut self) {
        self.writes.lock().take();
        self.shared.close();
    }
}
