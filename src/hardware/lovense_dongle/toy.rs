//! The toy behind the dongle as the server sees it: a [`Transport`] with the Lovense protocol's
//! `tx` and `rx` endpoints, whose writes become the dongle's `command` messages and whose `rx`
//! notifications are the `data` strings of its `toyData` messages (the driver forwards them).
//! Reads are unsupported; subscribing and unsubscribing just succeed (as in the reference).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::request::Request;
use crate::device_config::CommunicationSpecifier;
use crate::hardware::{DeviceConnector, Endpoint, HardwareError, HardwareEvent, Transport};

/// The message gap of a toy behind the dongle when its definition sets none (the reference's).
pub const DONGLE_MESSAGE_GAP: Duration = Duration::from_millis(75);
/// Upper bound for a write: queued behind the dongle's spacing, then written.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// The name the toy is offered under: the `lovense` protocol's `LVS-*` pattern matches it, and
/// the protocol asks the toy what it is (`DeviceType;`).
pub const ADVERTISED_NAME: &str = "LVS-DongleDevice";

/// The address a toy is offered under: a 12-hex-digit toy id written as Bluetooth addresses are
/// (`C4:4F:33:AA:BB:CC`), so that the same toy seen by the Bluetooth manager has the same
/// address and the server connects it once (it refuses an address connected or being
/// connected); any other id as it is.
pub fn toy_address(id: &str) -> String {
    if id.len() == 12 && id.bytes().all(|b| b.is_ascii_hexdigit()) {
        id.as_bytes()
            .chunks(2)
            .map(|p| String::from_utf8_lossy(p).to_uppercase())
            .collect::<Vec<_>>()
            .join(":")
    } else {
        id.to_string()
    }
}

pub(super) struct ToyTransport {
    /// Which connection to the toy this is (a later one has another).
    session: u64,
    requests: mpsc::UnboundedSender<Request>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
    open: AtomicBool,
}

impl ToyTransport {
    pub fn new(
        session: u64,
        requests: mpsc::UnboundedSender<Request>,
        events: mpsc::Receiver<HardwareEvent>,
    ) -> ToyTransport {
        ToyTransport {
            session,
            requests,
            events: Mutex::new(Some(events)),
            open: AtomicBool::new(true),
        }
    }
}

#[async_trait]
impl Transport for ToyTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Rx, Endpoint::Tx]
    }

    fn default_message_gap(&self) -> Duration {
        DONGLE_MESSAGE_GAP
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), HardwareError> {
        if endpoint != Endpoint::Tx {
            return Err(HardwareError::InvalidEndpoint(endpoint));
        }
        if !self.open.load(Ordering::SeqCst) {
            return Err(HardwareError::Disconnected);
        }
        let cmd = String::from_utf8(data.to_vec())
            .map_err(|_| HardwareError::Io("the dongle only carries text commands".into()))?;
        let (reply, done) = oneshot::channel();
        let request = Request::Command {
            session: self.session,
            cmd,
            reply,
        };
        if self.requests.send(request).is_err() {
            return Err(HardwareError::Disconnected);
        }
        crate::hardware::reply_within(WRITE_TIMEOUT, done).await
    }

    async fn read(
        &self,
        _endpoint: Endpoint,
        _max_len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        Err(HardwareError::Unsupported(
            "reading through the Lovense dongle",
        ))
    }

    async fn subscribe(&self, _endpoint: Endpoint) -> Result<(), HardwareError> {
        Ok(())
    }

    async fn unsubscribe(&self, _endpoint: Endpoint) -> Result<(), HardwareError> {
        Ok(())
    }

    async fn disconnect(&self) {
        if self.open.swap(false, Ordering::SeqCst) {
            let _ = self.requests.send(Request::Release {
                session: self.session,
            });
        }
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

impl Drop for ToyTransport {
    fn drop(&mut self) {
        if self.open.swap(false, Ordering::SeqCst) {
            let _ = self.requests.send(Request::Release {
                session: self.session,
            });
        }
    }
}

/// Hands the toy's transport to the server (whatever specifier the `lovense` protocol gives:
/// the dongle has no service map).
pub(super) struct ToyConnector {
    pub transport: Mutex<Option<Arc<ToyTransport>>>,
    pub session: u64,
    pub requests: mpsc::UnboundedSender<Request>,
}

#[async_trait]
impl DeviceConnector for ToyConnector {
    async fn connect(
        &self,
        _specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        self.transport
            .lock()
            .take()
            .map(|t| t as Arc<dyn Transport>)
            .ok_or(HardwareError::Disconnected)
    }

    async fn abandon(&self) {
        // Declined (unknown model, denied, the same toy already connected over Bluetooth):
        // the dongle forgets it; a later scan checks whether it is still connected.
        self.transport.lock().take();
        let _ = self.requests.send(Request::Release {
            session: self.session,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn toy_ids_become_bluetooth_addresses() {
        assert_eq!(toy_address("c44f33aabbcc"), "C4:4F:33:AA:BB:CC");
        assert_eq!(toy_address("toy-7"), "toy-7");
        assert_eq!(toy_address("c44f33aabbc"), "c44f33aabbc");
    }
}
