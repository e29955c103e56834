//! The receiving side that serial ports and HID devices share: whether the link is still open,
//! whether `rx` is subscribed, and what arrived while it was not (kept for `read`). Each
//! transport decides what a kept unit is (bytes for a serial stream, whole input reports for
//! HID) and how a read takes them.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc};

use crate::hardware::{Endpoint, HardwareError, HardwareEvent};

pub(crate) struct Inbox<T> {
    open: AtomicBool,
    /// Data goes out as `rx` notifications while subscribed, else to `kept` for reads.
    subscribed: AtomicBool,
    kept: Mutex<VecDeque<T>>,
    arrived: Notify,
}

impl<T> Inbox<T> {
    /// An open link, `rx` not subscribed, nothing kept.
    pub fn new() -> Inbox<T> {
        Inbox {
            open: AtomicBool::new(true),
            subscribed: AtomicBool::new(false),
            kept: Mutex::new(VecDeque::new()),
            arrived: Notify::new(),
        }
    }

    pub fn is_open(&self) -> bool {
        self.open.load(Ordering::SeqCst)
    }

    /// Marks the link closed and wakes waiting reads; true the first time.
    pub fn close(&self) -> bool {
        let first = self.open.swap(false, Ordering::SeqCst);
        if first {
            self.arrived.notify_waiters();
        }
        first
    }

    /// `Disconnected` once closed, else `InvalidEndpoint` unless `endpoint` is `expected`.
    pub fn check(&self, endpoint: Endpoint, expected: Endpoint) -> Result<(), HardwareError> {
        if !self.is_open() {
            return Err(HardwareError::Disconnected);
        }
        if endpoint != expected {
            return Err(HardwareError::InvalidEndpoint(endpoint));
        }
        Ok(())
    }

    /// (Un)subscribe `rx`.
    pub fn set_subscribed(&self, endpoint: Endpoint, on: bool) -> Result<(), HardwareError> {
        self.check(endpoint, Endpoint::Rx)?;
        self.subscribed.store(on, Ordering::SeqCst);
        Ok(())
    }

    /// Data from the device: an `rx` notification on `events` while subscribed, else handed to
    /// `keep` for later reads. False when the notification was dropped (event queue full).
    pub fn receive(
        &self,
        data: Vec<u8>,
        events: &mpsc::Sender<HardwareEvent>,
        keep: impl FnOnce(&mut VecDeque<T>, Vec<u8>),
    ) -> bool {
        if self.subscribed.load(Ordering::SeqCst) {
            let event = HardwareEvent::Notification {
                endpoint: Endpoint::Rx,
                data,
            };
            return events.try_send(event).is_ok();
        }
        keep(&mut self.kept.lock(), data);
        self.arrived.notify_waiters();
        true
    }

    /// A read of `endpoint` (must be `rx`): waits up to `timeout` for kept data, which `take`
    /// turns into the read's bytes (called only when something is kept).
    pub async fn read(
        &self,
        endpoint: Endpoint,
        timeout: Duration,
        mut take: impl FnMut(&mut VecDeque<T>) -> Vec<u8>,
    ) -> Result<Vec<u8>, HardwareError> {
        self.check(endpoint, Endpoint::Rx)?;
        let wait = async {
            loop {
                let arrived = self.arrived.notified();
                {
                    let mut kept = self.kept.lock();
                    if !kept.is_empty() {
                        return Ok(take(&mut kept));
                    }
                }
                if !self.is_open() {
                    return Err(HardwareError::Disconnected);
                }
                arrived.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or(Err(HardwareError::Timeout))
    }
}
