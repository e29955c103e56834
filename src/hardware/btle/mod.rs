//! Bluetooth LE through btleplug (BlueZ over D-Bus on Linux, WinRT on Windows, CoreBluetooth on
//! macOS): the scanning manager.
//!
//! - Scanning runs until StopScanning (like Intiface). Every advertisement update of a device
//!   that is not connected or being connected is turned into an [`Advertisement`] and offered
//!   to the server, which matches it against the device database and only connects to known
//!   devices. An offer the server declines is not repeated until the device's advertisement
//!   changes or a new scan starts.
//! - Reconnection without a scan (`reconnect`): a connected device that drops on its own (out of
//!   range, battery) is waited for during [`RECONNECT_WINDOW`] (10 minutes). Meanwhile the
//!   adapter's discovery stays on, unfiltered (the system stacks only report advertisements
//!   while discovering, and many toys advertise no service to filter on; BlueZ's passive
//!   advertisement monitors are not reachable through btleplug), even after StopScanning, and
//!   the device is offered again at its next advertisement: the server connects it, gives it
//!   back its index and announces it; nothing is replayed. Discovery goes off once no client
//!   scans and no device is waited for; shutdown ends the wait.
//! - One event stream per adapter, kept from the first scan on (so devices already known to
//!   the system are listed once, not at every scan).
//! - Bluetooth missing (no system bus, BlueZ not running, no WinRT Bluetooth API, no adapter,
//!   adapter powered off) is an error from `start_scanning` with a message for the user; an
//!   adapter that goes away or is powered off while scanning ends the scan with a
//!   [`ManagerEvent::Error`] and [`ManagerEvent::ScanningStopped`].
//! - Every call into the system's Bluetooth stack is bounded in time.
//!
//! Submodules: `advertisement` (what a device advertised → [`Advertisement`], offer
//! bookkeeping), `endpoints` (database service map → the device's characteristics),
//! `reconnect` (devices that dropped, waited for), `transport` (a connected device).

mod advertisement;
mod endpoints;
mod reconnect;
mod transport;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use btleplug::api::{Central, CentralEvent, CentralState, Manager as _, ScanFilter};
use btleplug::platform::{Adapter, Manager, PeripheralId};
use futures::StreamExt;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::{DeviceCandidate, HardwareError, HardwareManager, ManagerEvent, ManagerEventSender};
use advertisement::{Offers, advertisement_of};
pub use reconnect::RECONNECT_WINDOW;
use reconnect::Reconnect;
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
    shared: Arc<Shared>,
}

/// What the manager, its event loop, connectors and transports share.
struct Shared {
    events: ManagerEventSender,
    offers: Arc<Offers>,
    reconnect: Arc<Reconnect>,
    /// A client is scanning: every device is offered (else only devices waited for).
    scanning: AtomicBool,
    state: tokio::sync::Mutex<ScanState>,
}

#[derive(Default)]
struct ScanState {
    adapter: Option<Adapter>,
    /// The event loop: runs from the first scan until the adapter goes away or shutdown.
    task: Option<JoinHandle<()>>,
    /// Whether the adapter's discovery is on (started here).
    discovering: bool,
}

impl ScanState {
    fn loop_running(&self) -> bool {
        self.task.as_ref().is_some_and(|t| !t.is_finished())
    }
}

impl BtleManager {
    pub fn new(events: ManagerEventSender) -> BtleManager {
        BtleManager {
            shared: Arc::new(Shared {
                events,
                offers: Arc::new(Offers::default()),
                reconnect: Arc::new(Reconnect::default()),
                scanning: AtomicBool::new(false),
                state: tokio::sync::Mutex::new(ScanState::default()),
            }),
        }
    }
}

impl Drop for BtleManager {
    fn drop(&mut self) {
        if let Ok(mut st) = self.shared.state.try_lock() {
            if let Some(task) = st.task.take() {
                task.abort();
            }
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
        let shared = &self.shared;
        let mut st = shared.state.lock().await;
        if shared.scanning.load(Ordering::SeqCst) && st.loop_running() {
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
        if !st.loop_running() {
            let stream = bounded("Bluetooth events", adapter.events())
                .await
                .map_err(HardwareError::Unavailable)?;
            st.discovering = false;
            st.task = Some(tokio::spawn(event_loop(
                shared.clone(),
                adapter.clone(),
                stream,
            )));
        }
        shared.offers.new_scan();
        if !st.discovering {
            start_discovery(&adapter).await.map_err(|e| {
                HardwareError::Unavailable(format!("cannot scan for Bluetooth devices: {e}"))
            })?;
            st.discovering = true;
        }
        shared.scanning.store(true, Ordering::SeqCst);
        info!("Bluetooth LE scan started");
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        let shared = &self.shared;
        let mut st = shared.state.lock().await;
        if !shared.scanning.swap(false, Ordering::SeqCst) {
            return Ok(());
        }
        if shared.reconnect.is_empty() {
            stop_discovery(&mut st).await;
            info!("Bluetooth LE scan stopped");
        } else {
            info!("Bluetooth LE scan stopped; discovery stays on for the devices that dropped");
        }
        Ok(())
    }

    async fn shutdown(&self) {
        let shared = &self.shared;
        let mut st = shared.state.lock().await;
        shared.scanning.store(false, Ordering::SeqCst);
        shared.reconnect.clear();
        if let Some(task) = st.task.take() {
            task.abort();
        }
        stop_discovery(&mut st).await;
    }
}

async fn start_discovery(adapter: &Adapter) -> Result<(), String> {
    // No filter: many toys advertise only their name, no service.
    bounded(
        "start Bluetooth scan",
        adapter.start_scan(ScanFilter::default()),
    )
    .await
}

/// Turns the adapter's discovery off if it is on.
async fn stop_discovery(st: &mut ScanState) {
    if !std::mem::take(&mut st.discovering) {
        return;
    }
    if let Some(adapter) = st.adapter.clone() {
        if let Err(e) = bounded("stop Bluetooth scan", adapter.stop_scan()).await {
            debug!("{e}");
        }
    }
}

/// Discovery on while a client scans or a device that dropped is waited for, else off.
async fn reconcile(shared: &Shared) {
    let mut st = shared.state.lock().await;
    let scanning = shared.scanning.load(Ordering::SeqCst);
    let waiting = !shared.reconnect.is_empty();
    if (scanning || waiting) && !st.discovering {
        let Some(adapter) = st.adapter.clone() else {
            return;
        };
        match start_discovery(&adapter).await {
            Ok(()) => {
                st.discovering = true;
                info!("Bluetooth LE discovery on: waiting for devices that dropped");
            }
            Err(e) => {
                warn!("cannot wait for Bluetooth LE devices that dropped: {e}");
                shared.reconnect.clear();
            }
        }
    } else if !scanning && !waiting && st.discovering {
        stop_discovery(&mut st).await;
        info!("Bluetooth LE discovery off: no scan, no device waited for");
    }
}

type EventStream = std::pin::Pin<Box<dyn futures::Stream<Item = CentralEvent> + Send>>;

/// Offers devices while a client scans, and devices that dropped while they are waited for
/// (src/hardware/btle/reconnect.rs); turns discovery on and off as that changes; ends (reporting
/// why) when the adapter goes away.
async fn event_loop(shared: Arc<Shared>, adapter: Adapter, mut stream: EventStream) {
    let reason = loop {
        let (given_up, next) = shared.reconnect.expire();
        if !given_up.is_empty() {
            for id in &given_up {
                info!(%id, "Bluetooth LE device that dropped did not come back; no longer waited for");
            }
            reconcile(&shared).await;
        }
        tokio::select! {
            event = stream.next() => match event {
                None => break "lost the connection to the Bluetooth service".to_string(),
                Some(CentralEvent::DeviceDiscovered(id)
                | CentralEvent::DeviceUpdated(id)
                | CentralEvent::ServicesAdvertisement { id, .. }
                | CentralEvent::ManufacturerDataAdvertisement { id, .. }
                | CentralEvent::ServiceDataAdvertisement { id, .. }
                | CentralEvent::RssiUpdate { id, .. }) => {
                    if shared.scanning.load(Ordering::SeqCst) || shared.reconnect.wants(&id) {
                        offer(&adapter, &shared, id).await;
                    }
                }
                Some(CentralEvent::StateUpdate(CentralState::PoweredOff)) => {
                    break "the Bluetooth adapter was powered off".to_string();
                }
                Some(_) => {}
            },
            _ = shared.reconnect.changed() => reconcile(&shared).await,
            _ = sleep_until_opt(next) => {}
        }
    };
    let scanning = shared.scanning.swap(false, Ordering::SeqCst);
    let waiting = !shared.reconnect.is_empty();
    shared.reconnect.clear();
    shared.state.lock().await.discovering = false;
    if !scanning && !waiting {
        info!("Bluetooth LE events ended: {reason}");
        return;
    }
    warn!("Bluetooth LE scan ended: {reason}");
    let _ = shared.events.send(ManagerEvent::Error {
        manager: NAME,
        message: reason,
    });
    if scanning {
        let _ = shared.events.send(ManagerEvent::ScanningStopped(NAME));
    }
}

async fn sleep_until_opt(at: Option<tokio::time::Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Offer a device to the server unless it is taken or its advertisement was declined already.
async fn offer(adapter: &Adapter, shared: &Shared, id: PeripheralId) {
    let offers = &shared.offers;
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
        shared.reconnect.clone(),
        id,
        advertisement.clone(),
    );
    let _ = shared
        .events
        .send(ManagerEvent::DeviceFound(DeviceCandidate {
            advertisement,
            connector: Box::new(connector),
        }));
}
