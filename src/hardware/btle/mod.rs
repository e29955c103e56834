//! Bluetooth LE through btleplug (BlueZ over D-Bus on Linux, WinRT on Windows, CoreBluetooth on
//! macOS): the scanning manager.
//!
//! - Scanning runs until StopScanning (like Intiface). Every advertisement update of a device
//!   that is not connected or being connected is turned into an [`Advertisement`] and offered
//!   to the server, which matches it against the device database and only connects to known
//!   devices. An offer the server declines is not repeated until the device's advertisement
//!   changes or a new scan starts; a device that disconnects is offered again at its next
//!   advertisement (so it is found again when it comes back while scanning).
//! - Bluetooth missing (no system bus, BlueZ not running, no WinRT Bluetooth API, no adapter,
//!   adapter powered off) is an error from `start_scanning` with a message for the user; an
//!   adapter that goes away or is powered off while scanning ends the scan with a
//!   [`ManagerEvent::Error`] and [`ManagerEvent::ScanningStopped`].
//! - Every call into the system's Bluetooth stack is bounded in time.
//!
//! Submodules: `advertisement` (what a device advertised → [`Advertisement`], offer
//! bookkeeping), `endpoints` (database service map → the device's characteristics),
//! `transport` (a connected device).

mod advertisement;
mod endpoints;
mod transport;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use btleplug::api::{Central, CentralEvent, CentralState, Manager as _, ScanFilter};
use btleplug::platform::{Adapter, Manager, PeripheralId};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::{DeviceCandidate, HardwareError, HardwareManager, ManagerEvent, ManagerEventSender};
use advertisement::{Offers, advertisement_of};
use transport::BtleConnector;

/// The manager's name in logs, errors and scanning bookkeeping.
pub const NAME: &str = "bluetooth";

/// Upper bound for one BlueZ call (adapter lookup, properties, start/stop scan).
const CALL_TIMEOUT: Duration = Duration::from_secs(5);

/// What the user knows the system's Bluetooth layers as, in the errors of [`open_adapter`]:
/// the way to it (reached when btleplug's manager is created) and the service behind it (which
/// lists the adapters).
#[cfg(target_os = "linux")]
mod stack {
    pub const WAY: &str = "the system D-Bus";
    pub const SERVICE: &str = "the Bluetooth service (BlueZ)";
}
#[cfg(windows)]
mod stack {
    pub const WAY: &str = "the Windows Runtime";
    pub const SERVICE: &str = "the Windows Bluetooth API (WinRT radios)";
}
#[cfg(not(any(target_os = "linux", windows)))]
mod stack {
    pub const WAY: &str = "the system's Bluetooth framework";
    pub const SERVICE: &str = "the Bluetooth service";
}

/// The Bluetooth LE hardware manager.
pub struct BtleManager {
    events: ManagerEventSender,
    offers: Arc<Offers>,
    state: tokio::sync::Mutex<ScanState>,
}

#[derive(Default)]
struct ScanState {
    adapter: Option<Adapter>,
    task: Option<JoinHandle<()>>,
}

impl BtleManager {
    pub fn new(events: ManagerEventSender) -> BtleManager {
        BtleManager {
            events,
            offers: Arc::new(Offers::default()),
            state: tokio::sync::Mutex::new(ScanState::default()),
        }
    }
}

async fn bounded<T, E: std::fmt::Display>(
    what: &str,
    fut: impl std::future::Future<Output = Result<T, E>>,
) -> Result<T, String> {
    match tokio::time::timeout(CALL_TIMEOUT, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(e)) => Err(format!("{what}: {e}")),
        Err(_) => Err(format!("{what}: no answer within {CALL_TIMEOUT:?}")),
    }
}

/// The first Bluetooth adapter, or why there is none.
async fn open_adapter() -> Result<Adapter, HardwareError> {
    let manager = bounded(stack::WAY, Manager::new()).await.map_err(|e| {
        HardwareError::Unavailable(format!(
            "Bluetooth is not available: cannot reach {} ({e})",
            stack::WAY
        ))
    })?;
    let adapters = bounded(stack::SERVICE, manager.adapters())
        .await
        .map_err(|e| {
            HardwareError::Unavailable(format!(
                "Bluetooth is not available: {} does not answer ({e})",
                stack::SERVICE
            ))
        })?;
    adapters.into_iter().next().ok_or_else(|| {
        HardwareError::Unavailable("Bluetooth is not available: no Bluetooth adapter found".into())
    })
}

/// Checks that the adapter answers and is powered.
async fn check_powered(adapter: &Adapter) -> Result<(), HardwareError> {
    // btleplug reports a failed lookup as "powered off"; ask for the info first to tell them apart.
    bounded("Bluetooth adapter", adapter.adapter_info())
        .await
        .map_err(|e| HardwareError::Unavailable(format!("Bluetooth is not available: {e}")))?;
    match bounded("Bluetooth adapter", adapter.adapter_state()).await {
        Ok(CentralState::PoweredOff) => Err(HardwareError::Unavailable(
            "Bluetooth is off: the Bluetooth adapter is powered off".into(),
        )),
        Ok(_) => Ok(()),
        Err(e) => Err(HardwareError::Unavailable(format!(
            "Bluetooth is not available: {e}"
        ))),
    }
}

#[async_trait]
impl HardwareManager for BtleManager {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let mut st = self.state.lock().await;
        if st.task.as_ref().is_some_and(|t| !t.is_finished()) {
            return Ok(());
        }
        // A cached adapter that stopped answering (BlueZ restarted, adapter unplugged) is
        // looked up again once.
        let adapter = match st.adapter.clone() {
            Some(a) if check_powered(&a).await.is_ok() => a,
            _ => {
                st.adapter = None;
                let a = open_adapter().await?;
                check_powered(&a).await?;
                st.adapter = Some(a.clone());
                a
            }
        };
        let stream = bounded("Bluetooth events", adapter.events())
            .await
            .map_err(HardwareError::Unavailable)?;
        self.offers.new_scan();
        bounded(
            "start Bluetooth scan",
            adapter.start_scan(ScanFilter::default()),
        )
        .await
        .map_err(|e| {
            HardwareError::Unavailable(format!("cannot scan for Bluetooth devices: {e}"))
        })?;
        info!("Bluetooth LE scan started");
        st.task = Some(tokio::spawn(scan_loop(
            adapter,
            stream,
            self.offers.clone(),
            self.events.clone(),
        )));
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        let mut st = self.state.lock().await;
        let Some(task) = st.task.take() else {
            return Ok(());
        };
        task.abort();
        if let Some(adapter) = st.adapter.clone() {
            if let Err(e) = bounded("stop Bluetooth scan", adapter.stop_scan()).await {
                debug!("{e}");
            }
        }
        info!("Bluetooth LE scan stopped");
        Ok(())
    }
}

type EventStream = std::pin::Pin<Box<dyn futures::Stream<Item = CentralEvent> + Send>>;

/// Offers devices while scanning; ends (reporting why) when the adapter goes away.
async fn scan_loop(
    adapter: Adapter,
    mut stream: EventStream,
    offers: Arc<Offers>,
    events: ManagerEventSender,
) {
    let reason = loop {
        let Some(event) = stream.next().await else {
            break "lost the connection to the Bluetooth service".to_string();
        };
        match event {
            CentralEvent::DeviceDiscovered(id)
            | CentralEvent::DeviceUpdated(id)
            | CentralEvent::ServicesAdvertisement { id, .. }
            | CentralEvent::ManufacturerDataAdvertisement { id, .. }
            | CentralEvent::ServiceDataAdvertisement { id, .. }
            | CentralEvent::RssiUpdate { id, .. } => {
                offer(&adapter, &offers, &events, id).await;
            }
            CentralEvent::StateUpdate(CentralState::PoweredOff) => {
                break "the Bluetooth adapter was powered off".to_string();
            }
            _ => {}
        }
    };
    warn!("Bluetooth LE scan ended: {reason}");
    let _ = events.send(ManagerEvent::Error {
        manager: NAME,
        message: reason,
    });
    let _ = events.send(ManagerEvent::ScanningStopped(NAME));
}

/// Offer a device to the server unless it is taken or its advertisement was declined already.
async fn offer(
    adapter: &Adapter,
    offers: &Arc<Offers>,
    events: &ManagerEventSender,
    id: PeripheralId,
) {
    if offers.is_claimed(&id) {
        return;
    }
    let peripheral = match bounded("peripheral", adapter.peripheral(&id)).await {
        Ok(p) => p,
        Err(e) => {
            debug!(%id, "{e}");
            return;
        }
    };
    let props = match bounded(
        "advertisement",
        btleplug::api::Peripheral::properties(&peripheral),
    )
    .await
    {
        Ok(Some(p)) => p,
        Ok(None) => return,
        Err(e) => {
            debug!(%id, "{e}");
            return;
        }
    };
    let advertisement = advertisement_of(&props);
    if !offers.claim(&id, &advertisement) {
        return;
    }
    debug!(?advertisement, "Bluetooth LE device offered");
    let connector = BtleConnector::new(
        adapter.clone(),
        peripheral,
        offers.clone(),
        id,
        advertisement.clone(),
    );
    let _ = events.send(ManagerEvent::DeviceFound(DeviceCandidate {
        advertisement,
        connector: Box::new(connector),
    }));
}
