//! The Lovense USB dongle: a Bluetooth radio of its own that connects one Lovense toy and passes
//! the Lovense protocol's text commands through, as described in
//! docs/protocols/lovense-dongle-and-connect.md. Two variants, one driver: the HID dongle
//! (vendor 0x1915, product 0x520a; `--use-lovense-dongle-hid`) and the older serial one (a
//! CH340 chip, `serial_link`; `--use-lovense-dongle-serial`), each its own manager.
//!
//! - `messages`: the JSON messages and their framing;
//! - `link`: the byte link to a dongle (HID reports, or a serial port in `serial_link`);
//! - `io`: the I/O thread, which spaces messages at least [`MIN_SPACING`] apart (the dongle
//!   drops back-to-back commands);
//! - `machine`: the dongle's state machine (status check, search, one toy at a time), driven
//!   by the `request`s of the manager and the toy's transport;
//! - `toy`: the toy as a [`Transport`](crate::hardware::Transport) for the `lovense` protocol,
//!   offered as `LVS-DongleDevice`.
//!
//! Hot-plug of the dongle itself: while a scan runs and no dongle is open, dongles are looked
//! for every [`LOOKUP_PERIOD`], so one plugged in after start-up (or unplugged and plugged back)
//! is found (the reference only looks once, at start-up). Unplugging it ends its driver and
//! disconnects its toy.
//!
//! The same toy is never connected twice (over the dongle and over Bluetooth LE): the dongle's
//! toy id is offered as the toy's Bluetooth address, and the server refuses an address that is
//! connected or being connected, whichever transport offers it second.
//!
//! Off unless asked for: see the README's transport table.

mod io;
mod link;
mod machine;
mod messages;
mod request;
#[cfg(feature = "serial")]
mod serial_link;
mod toy;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info};

use super::{HardwareError, HardwareManager, ManagerEventSender};
pub use io::MIN_SPACING;
pub use link::DongleIo;
#[cfg(feature = "hid")]
pub use link::hid_link;
pub use machine::{STATUS_WAIT, STOP_CONFIRM_TIMEOUT};
#[cfg(feature = "serial")]
pub use serial_link::{
    BAUD_RATE, PROBE_WAIT, SERIAL_NAME, SERIAL_PRODUCT_ID, SERIAL_VENDOR_ID, SerialDongleFinder,
};
pub use toy::{ADVERTISED_NAME, DONGLE_MESSAGE_GAP, toy_address};

/// The HID dongle's manager's name in logs, errors and scanning bookkeeping.
pub const NAME: &str = "lovense-dongle";
/// The HID dongle's USB ids.
pub const VENDOR_ID: u16 = 0x1915;
pub const PRODUCT_ID: u16 = 0x520a;
/// How often dongles are looked for while a scan runs and none is open.
pub const LOOKUP_PERIOD: Duration = Duration::from_secs(1);

/// Finds and opens a dongle (blocking; called from a blocking thread).
pub trait DongleFinder: Send + Sync + 'static {
    /// A dongle opened, or `None` when none is plugged in.
    fn open(&self) -> Result<Option<Box<dyn DongleIo>>, HardwareError>;
}

/// The Lovense USB dongle manager (one per variant).
pub struct LovenseDongleManager {
    inner: Arc<Inner>,
}

struct Inner {
    /// [`NAME`] or `SERIAL_NAME`.
    name: &'static str,
    events: ManagerEventSender,
    finder: Arc<dyn DongleFinder>,
    /// A scan is wanted (shared with the driver, which ends it when it finds a toy).
    scanning: Arc<AtomicBool>,
    sessions: Arc<AtomicU64>,
    state: tokio::sync::Mutex<State>,
}

#[derive(Default)]
struct State {
    /// The open dongle's driver (closed once it ended).
    driver: Option<mpsc::UnboundedSender<request::Request>>,
    /// Looking for a dongle while scanning.
    lookup: Option<JoinHandle<()>>,
}

impl State {
    fn driver(&self) -> Option<&mpsc::UnboundedSender<request::Request>> {
        self.driver.as_ref().filter(|d| !d.is_closed())
    }
}

impl LovenseDongleManager {
    /// The manager over the system's HID dongles (hidapi).
    #[cfg(feature = "hid")]
    pub fn new(events: ManagerEventSender) -> LovenseDongleManager {
        LovenseDongleManager::with_finder(events, Arc::new(HidapiFinder))
    }

    /// The manager over the system's serial dongles (CH340 ports that answer like one).
    #[cfg(feature = "serial")]
    pub fn serial(events: ManagerEventSender) -> LovenseDongleManager {
        LovenseDongleManager::named(
            SERIAL_NAME,
            events,
            Arc::new(SerialDongleFinder::new(Vec::new())),
        )
    }

    /// The HID dongle's manager over another way to find dongles (tests give a fake).
    pub fn with_finder(
        events: ManagerEventSender,
        finder: Arc<dyn DongleFinder>,
    ) -> LovenseDongleManager {
        LovenseDongleManager::named(NAME, events, finder)
    }

    /// A manager called `name` finding dongles with `finder`.
    pub fn named(
        name: &'static str,
        events: ManagerEventSender,
        finder: Arc<dyn DongleFinder>,
    ) -> LovenseDongleManager {
        LovenseDongleManager {
            inner: Arc::new(Inner {
                name,
                events,
                finder,
                scanning: Arc::new(AtomicBool::new(false)),
                sessions: Arc::new(AtomicU64::new(0)),
                state: tokio::sync::Mutex::new(State::default()),
            }),
        }
    }
}

impl Drop for LovenseDongleManager {
    fn drop(&mut self) {
        if let Ok(mut st) = self.inner.state.try_lock() {
            if let Some(l) = st.lookup.take() {
                l.abort();
            }
            if let Some(d) = st.driver.take() {
                let _ = d.send(request::Request::Shutdown);
            }
        }
    }
}

impl Inner {
    /// Opens a dongle if one is plugged in and none is open; its driver starts with the scan
    /// wanted, if it is.
    async fn try_open(self: &Arc<Self>) {
        let mut st = self.state.lock().await;
        if st.driver().is_some() {
            return;
        }
        let finder = self.finder.clone();
        let io = match tokio::task::spawn_blocking(move || finder.open()).await {
            Ok(Ok(Some(io))) => io,
            Ok(Ok(None)) => return,
            Ok(Err(e)) => {
                debug!("Lovense dongle: {e}");
                return;
            }
            Err(_) => return,
        };
        let (to_driver, from_dongle) = mpsc::unbounded_channel();
        let writes = match io::start(io, to_driver) {
            Ok(w) => w,
            Err(e) => {
                debug!("Lovense dongle: {e}");
                return;
            }
        };
        info!(manager = self.name, "Lovense dongle opened");
        let (requests_tx, requests) = mpsc::unbounded_channel();
        st.driver = Some(requests_tx.clone());
        tokio::spawn(
            machine::Driver {
                name: self.name,
                writes,
                from_dongle,
                requests,
                requests_tx,
                events: self.events.clone(),
                scanning: self.scanning.clone(),
                sessions: self.sessions.clone(),
            }
            .run(),
        );
    }
}

/// While a scan is wanted: open a dongle whenever none is open.
async fn lookup_loop(inner: Arc<Inner>) {
    while inner.scanning.load(Ordering::SeqCst) {
        inner.try_open().await;
        tokio::time::sleep(LOOKUP_PERIOD).await;
    }
}

#[async_trait]
impl HardwareManager for LovenseDongleManager {
    fn name(&self) -> &'static str {
        self.inner.name
    }

    /// Scans with the open dongle, or keeps looking for one (hot-plug) until StopScanning.
    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let inner = &self.inner;
        let mut st = inner.state.lock().await;
        inner.scanning.store(true, Ordering::SeqCst);
        if let Some(d) = st.driver() {
            let _ = d.send(request::Request::StartScan);
        }
        if st.lookup.as_ref().is_none_or(|l| l.is_finished()) {
            st.lookup = Some(tokio::spawn(lookup_loop(inner.clone())));
        }
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        let inner = &self.inner;
        let mut st = inner.state.lock().await;
        inner.scanning.store(false, Ordering::SeqCst);
        if let Some(l) = st.lookup.take() {
            l.abort();
        }
        if let Some(d) = st.driver() {
            let _ = d.send(request::Request::StopScan);
        }
        Ok(())
    }

    async fn shutdown(&self) {
        let inner = &self.inner;
        let mut st = inner.state.lock().await;
        inner.scanning.store(false, Ordering::SeqCst);
        if let Some(l) = st.lookup.take() {
            l.abort();
        }
        if let Some(d) = st.driver.take() {
            let _ = d.send(request::Request::Shutdown);
        }
    }
}

/// The system's dongles through hidapi.
#[cfg(feature = "hid")]
struct HidapiFinder;

#[cfg(feature = "hid")]
impl DongleFinder for HidapiFinder {
    fn open(&self) -> Result<Option<Box<dyn DongleIo>>, HardwareError> {
        let Some(dongle) = super::hid::enumerate()?
            .into_iter()
            .find(|d| d.vendor_id == VENDOR_ID && d.product_id == PRODUCT_ID)
        else {
            return Ok(None);
        };
        let api = hidapi::HidApi::new()
            .map_err(|e| HardwareError::Unavailable(format!("USB HID is not available: {e}")))?;
        let path = std::ffi::CString::new(dongle.path.clone())
            .map_err(|_| HardwareError::ConnectionFailed("invalid HID path".into()))?;
        let device = api.open_path(&path).map_err(|e| {
            HardwareError::ConnectionFailed(format!("cannot open {}: {e}", dongle.path))
        })?;
        Ok(Some(hid_link(Box::new(super::hid::HidapiDevice(device)))))
    }
}
