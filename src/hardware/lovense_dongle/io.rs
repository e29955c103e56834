//! The dongle's I/O thread: owns the blocking [`DongleIo`] (HID or serial), writes queued messages at least
//! [`MIN_SPACING`] apart (the dongle drops a message that follows another too closely) and reads
//! what comes in between, decoding them into messages for the driver. A failing read or
//! write means the dongle was unplugged: the thread ends and the driver hears it.

use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info};

use super::link::DongleIo;
use super::messages::{Decoder, Incoming, Outgoing};
use crate::hardware::HardwareError;

/// The shortest time between two messages written to the dongle: back-to-back commands are
/// dropped by it, about 40 ms apart is needed (buttplug issue #521); 50 ms leaves a margin.
pub const MIN_SPACING: Duration = Duration::from_millis(50);
/// How long one read waits before queued writes are looked at again.
const READ_SLICE: Duration = Duration::from_millis(10);
/// Most bytes read at once (the reference reads 1024 bytes at a time).
const READ_MAX: usize = 1024;

/// A message to write.
pub struct WriteRequest {
    pub message: Outgoing,
    /// Told when it was written (or why not).
    pub reply: Option<oneshot::Sender<Result<(), HardwareError>>>,
    /// Nothing else is written for this long after it (at least [`MIN_SPACING`]).
    pub quiet_after: Duration,
}

/// What the I/O thread tells the driver.
#[derive(Debug)]
pub enum FromDongle {
    Message(Incoming),
    /// The dongle is gone (unplugged, or closed).
    Gone,
}

/// Starts the I/O thread over `io`: messages sent on the returned sender are written in order,
/// spaced; what the dongle says arrives on `to_driver`.
pub fn start(
    io: Box<dyn DongleIo>,
    to_driver: mpsc::UnboundedSender<FromDongle>,
) -> Result<std_mpsc::Sender<WriteRequest>, HardwareError> {
    let (writes, write_rx) = std_mpsc::channel();
    std::thread::Builder::new()
        .name("lovense dongle io".into())
        .spawn(move || io_loop(io, write_rx, to_driver))
        .map_err(|e| HardwareError::Io(format!("cannot start the dongle's I/O thread: {e}")))?;
    Ok(writes)
}

fn io_loop(
    mut io: Box<dyn DongleIo>,
    writes: std_mpsc::Receiver<WriteRequest>,
    to_driver: mpsc::UnboundedSender<FromDongle>,
) {
    let mut decoder = Decoder::default();
    let mut buf = vec![0u8; READ_MAX];
    // No write before this.
    let mut not_before = Instant::now();
    let mut pending: Option<WriteRequest> = None;
    loop {
        if pending.is_none() {
            pending = match writes.try_recv() {
                Ok(w) => Some(w),
                Err(std_mpsc::TryRecvError::Empty) => None,
                // The driver let the dongle go.
                Err(std_mpsc::TryRecvError::Disconnected) => break,
            };
        }
        if Instant::now() >= not_before {
            if let Some(WriteRequest {
                message,
                reply,
                quiet_after,
            }) = pending.take()
            {
                debug!(?message, "to the Lovense dongle");
                let r = io.write_message(&message.framed());
                not_before = Instant::now() + quiet_after.max(MIN_SPACING);
                let failed = r.is_err();
                if let Some(reply) = reply {
                    let _ = reply.send(r);
                }
                if failed {
                    info!("Lovense dongle gone (write failed)");
                    break;
                }
            }
        }
        // Read until the next write may go (or a slice, with nothing to write).
        let wait = match &pending {
            Some(_) => not_before
                .saturating_duration_since(Instant::now())
                .clamp(Duration::from_millis(1), READ_SLICE),
            None => READ_SLICE,
        };
        match io.read(&mut buf, wait) {
            Ok(0) => {}
            Ok(n) => {
                for m in decoder.push(&buf[..n.min(READ_MAX)]) {
                    debug!(message = ?m, "from the Lovense dongle");
                    if to_driver.send(FromDongle::Message(m)).is_err() {
                        return;
                    }
                }
            }
            Err(e) => {
                info!("Lovense dongle gone: {e}");
                break;
            }
        }
        if to_driver.is_closed() {
            return;
        }
    }
    drop(io);
    if let Some(WriteRequest {
        reply: Some(reply), ..
    }) = pending
    {
        let _ = reply.send(Err(HardwareError::Disconnected));
    }
    let _ = to_driver.send(FromDongle::Gone);
}
