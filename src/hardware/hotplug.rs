//! Managers of devices found by listing what the system has (serial ports, USB HID): hot-plug.
//!
//! While a scan runs the listing is repeated every period (serial 5 s, HID 1 s, as the
//! reference's managers), so a device plugged in mid-scan is found. Such a scan never ends on its
//! own: the manager reports no [`ManagerEvent::ScanningStopped`], and the scan lasts until
//! StopScanning, like Bluetooth's. A listing that fails at the start of a scan is the scan's error
//! (the manager counts as stopped); one that fails later is logged once per scan and the next
//! period tries again.
//!
//! During one scan a listed device is offered once while it stays listed: one that no protocol
//! claims, or that could not be opened, is not offered again every period (the next scan offers
//! it again). A device is offered again when it disappeared from the listing and came back, or
//! when its connection closed (unplugged, or dropped by the server) — so a device unplugged and
//! plugged back is found again, and the server's registry gives it its index back (same address,
//! same index). Devices in use (connecting or connected) are never offered.
//!
//! What the system has and how a device is opened sit behind [`DeviceLister`]: serial ports and
//! hidapi in the transports, fakes in tests.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::task::JoinHandle;
use tracing::{debug, warn};

use super::{
    Advertisement, DeviceCandidate, DeviceConnector, HardwareError, HardwareManager, ManagerEvent,
    ManagerEventSender, Transport,
};
use crate::device_config::CommunicationSpecifier;

/// Runs once when an opened device closes, from either side.
pub type Release = Box<dyn FnOnce() + Send>;

/// What the system has of one kind of device, and opening one.
pub trait DeviceLister: Send + Sync + 'static {
    /// The devices present now, each as the advertisement it is offered under; the address
    /// identifies the device. Blocking (called on a blocking thread).
    fn list(&self) -> Result<Vec<Advertisement>, HardwareError>;

    /// Opens a listed device for the protocol it matched. Blocking (called on a blocking
    /// thread). The transport must call `release` once when the device closes, whichever side
    /// closes it (unplugged, or disconnected by the server).
    fn open(
        &self,
        address: &str,
        specifier: &CommunicationSpecifier,
        release: Release,
    ) -> Result<Arc<dyn Transport>, HardwareError>;
}

/// Which devices are offered.
#[derive(Default)]
struct Claims {
    /// Connecting or connected: never offered.
    in_use: HashSet<String>,
    /// Offered during this scan and listed since: not offered again.
    offered: HashSet<String>,
}

/// A manager that lists devices at the start of a scan and then every `period` until the scan
/// is stopped.
pub struct HotplugManager {
    name: &'static str,
    period: Duration,
    lister: Arc<dyn DeviceLister>,
    events: ManagerEventSender,
    claims: Arc<Mutex<Claims>>,
    /// The periodic listing of the running scan.
    poller: Mutex<Option<JoinHandle<()>>>,
}

impl HotplugManager {
    /// A manager called `name` (logs, errors, scanning bookkeeping) listing through `lister`.
    pub fn new(
        name: &'static str,
        period: Duration,
        lister: Arc<dyn DeviceLister>,
        events: ManagerEventSender,
    ) -> HotplugManager {
        HotplugManager {
            name,
            period,
            lister,
            events,
            claims: Arc::new(Mutex::new(Claims::default())),
            poller: Mutex::new(None),
        }
    }

    /// The listing period.
    pub fn period(&self) -> Duration {
        self.period
    }

    fn round(&self) -> Round {
        Round {
            name: self.name,
            lister: self.lister.clone(),
            events: self.events.clone(),
            claims: self.claims.clone(),
        }
    }
}

/// One listing and the offers it leads to (owned, so the poller task can run it).
#[derive(Clone)]
struct Round {
    name: &'static str,
    lister: Arc<dyn DeviceLister>,
    events: ManagerEventSender,
    claims: Arc<Mutex<Claims>>,
}

impl Round {
    async fn run(&self) -> Result<(), HardwareError> {
        let lister = self.lister.clone();
        let listed = tokio::task::spawn_blocking(move || lister.list())
            .await
            .map_err(|e| HardwareError::Io(format!("{} listing failed: {e}", self.name)))??;
        let mut offers = Vec::new();
        {
            let mut claims = self.claims.lock();
            // Gone from the listing: offered again when it comes back.
            claims
                .offered
                .retain(|a| listed.iter().any(|ad| &ad.address == a));
            for ad in listed {
                if claims.in_use.contains(&ad.address) || claims.offered.contains(&ad.address) {
                    continue;
                }
                claims.in_use.insert(ad.address.clone());
                claims.offered.insert(ad.address.clone());
                offers.push(ad);
            }
        }
        if !offers.is_empty() {
            debug!(manager = self.name, count = offers.len(), "devices offered");
        }
        for advertisement in offers {
            let connector = ListedConnector {
                address: advertisement.address.clone(),
                lister: self.lister.clone(),
                claims: self.claims.clone(),
            };
            let _ = self.events.send(ManagerEvent::DeviceFound(DeviceCandidate {
                advertisement,
                connector: Box::new(connector),
            }));
        }
        Ok(())
    }

    /// Lists every `period` until aborted; a failure is logged once.
    async fn repeat(self, period: Duration) {
        let mut ticks = tokio::time::interval_at(tokio::time::Instant::now() + period, period);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut failed = false;
        loop {
            ticks.tick().await;
            match self.run().await {
                Ok(()) => failed = false,
                Err(e) if !failed => {
                    failed = true;
                    warn!(
                        manager = self.name,
                        "listing devices failed: {e}; trying again"
                    );
                }
                Err(_) => {}
            }
        }
    }
}

#[async_trait]
impl HardwareManager for HotplugManager {
    fn name(&self) -> &'static str {
        self.name
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        if let Some(old) = self.poller.lock().take() {
            old.abort();
        }
        self.claims.lock().offered.clear();
        let round = self.round();
        round.run().await?;
        let poller = tokio::spawn(round.repeat(self.period));
        if let Some(old) = self.poller.lock().replace(poller) {
            old.abort();
        }
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        if let Some(poller) = self.poller.lock().take() {
            poller.abort();
        }
        Ok(())
    }
}

impl Drop for HotplugManager {
    fn drop(&mut self) {
        if let Some(poller) = self.poller.lock().take() {
            poller.abort();
        }
    }
}

/// Opens an offered device through the lister.
struct ListedConnector {
    address: String,
    lister: Arc<dyn DeviceLister>,
    claims: Arc<Mutex<Claims>>,
}

#[async_trait]
impl DeviceConnector for ListedConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        let lister = self.lister.clone();
        let address = self.address.clone();
        let specifier = specifier.clone();
        let claims = self.claims.clone();
        let release: Release = {
            let address = address.clone();
            Box::new(move || {
                let mut claims = claims.lock();
                claims.in_use.remove(&address);
                claims.offered.remove(&address);
            })
        };
        tokio::task::spawn_blocking(move || lister.open(&address, &specifier, release))
            .await
            .map_err(|e| HardwareError::ConnectionFailed(e.to_string()))?
    }

    async fn abandon(&self) {
        self.claims.lock().in_use.remove(&self.address);
    }
}
