//! Hot-plug (issue 15 item 3): while a scan runs, serial ports are listed again every 5 s and
//! HID devices every 1 s, so a device plugged in mid-scan is found, one unplugged is removed, and
//! one plugged back is found again with its index. Run on tokio's paused clock over a fake
//! listing ([`DeviceLister`]) whose devices are in-process transports: each listing reports its
//! number, so the test knows which period it is in without waiting on real time.
#![cfg(any(feature = "serial", feature = "hid"))]

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serde_json::json;
use teleplug::device_config::{CommunicationSpecifier, DeviceConfig};
use teleplug::hardware::hotplug::{DeviceLister, HotplugManager, Release};
use teleplug::hardware::simulated::{SimulatedDevice, SimulatedDeviceSpec};
use teleplug::hardware::{
    Advertisement, Endpoint, HardwareError, HardwareEvent, HardwareManager, ManagerEvent,
    ManagerEventSender, Transport,
};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::{broadcast, mpsc};

/// Longer than any of the test's waits needs in virtual time.
const TIMEOUT: Duration = Duration::from_secs(60);

/// A device the fake system has: accepts writes, goes away when unplugged.
struct FakePort {
    events_tx: mpsc::Sender<HardwareEvent>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
    release: Mutex<Option<Release>>,
}

impl FakePort {
    fn new(release: Release) -> Arc<FakePort> {
        let (events_tx, rx) = mpsc::channel(16);
        Arc::new(FakePort {
            events_tx,
            events: Mutex::new(Some(rx)),
            release: Mutex::new(Some(release)),
        })
    }

    /// The port closed, from either side: the manager hears it once (as from the real ones).
    fn close(&self) {
        if let Some(release) = self.release.lock().take() {
            release();
        }
    }

    fn unplug(&self) {
        self.close();
        let _ = self.events_tx.try_send(HardwareEvent::Disconnected);
    }
}

#[async_trait]
impl Transport for FakePort {
    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Rx, Endpoint::Tx]
    }
    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }
    async fn write(&self, _: Endpoint, _: &[u8], _: bool) -> Result<(), HardwareError> {
        Ok(())
    }
    async fn read(&self, _: Endpoint, _: usize, _: Duration) -> Result<Vec<u8>, HardwareError> {
        Err(HardwareError::Timeout)
    }
    async fn subscribe(&self, _: Endpoint) -> Result<(), HardwareError> {
        Ok(())
    }
    async fn unsubscribe(&self, _: Endpoint) -> Result<(), HardwareError> {
        Ok(())
    }
    async fn disconnect(&self) {
        self.close();
    }
    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

/// What the fake system has plugged in; each listing sends its number (1, 2, …).
struct FakeSystem {
    present: Mutex<Vec<Advertisement>>,
    listings: AtomicUsize,
    listed: mpsc::UnboundedSender<usize>,
    open: Mutex<Vec<(String, Arc<FakePort>)>>,
    opened: AtomicUsize,
}

impl FakeSystem {
    fn new() -> (Arc<FakeSystem>, mpsc::UnboundedReceiver<usize>) {
        let (listed, rx) = mpsc::unbounded_channel();
        let system = Arc::new(FakeSystem {
            present: Mutex::new(Vec::new()),
            listings: AtomicUsize::new(0),
            listed,
            open: Mutex::new(Vec::new()),
            opened: AtomicUsize::new(0),
        });
        (system, rx)
    }

    fn plug(&self, ad: Advertisement) {
        self.present.lock().push(ad);
    }

    fn unplug(&self, address: &str) {
        self.present.lock().retain(|a| a.address != address);
        let ports: Vec<_> = self
            .open
            .lock()
            .iter()
            .filter(|(a, _)| a == address)
            .map(|(_, p)| p.clone())
            .collect();
        for p in ports {
            p.unplug();
        }
    }
}

impl DeviceLister for FakeSystem {
    fn list(&self) -> Result<Vec<Advertisement>, HardwareError> {
        let present = self.present.lock().clone();
        let n = self.listings.fetch_add(1, Ordering::SeqCst) + 1;
        let _ = self.listed.send(n);
        Ok(present)
    }

    fn open(
        &self,
        address: &str,
        _: &CommunicationSpecifier,
        release: Release,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        // A device gone since the listing cannot be opened (a listing can be a moment old).
        if !self.present.lock().iter().any(|a| a.address == address) {
            return Err(HardwareError::ConnectionFailed("no such device".into()));
        }
        let port = FakePort::new(release);
        self.open.lock().push((address.to_string(), port.clone()));
        self.opened.fetch_add(1, Ordering::SeqCst);
        Ok(port as Arc<dyn Transport>)
    }
}

/// Waits for listing number `n`.
async fn listing(listed: &mut mpsc::UnboundedReceiver<usize>, n: usize) {
    tokio::time::timeout(TIMEOUT, async {
        while listed.recv().await.expect("listings") < n {}
    })
    .await
    .unwrap_or_else(|_| panic!("listing {n}"));
}

async fn next_device_event(events: &mut broadcast::Receiver<ServerEvent>) -> ServerEvent {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            match events.recv().await.expect("events") {
                e @ (ServerEvent::DeviceAdded(_) | ServerEvent::DeviceRemoved(_)) => return e,
                ServerEvent::ScanningFinished => panic!("the scan finished on its own"),
                _ => {}
            }
        }
    })
    .await
    .expect("a device event")
}

/// A server with no real transport, the user config `user`, and a hot-plug manager over `system`.
fn server(
    user: serde_json::Value,
    make: impl FnOnce(ManagerEventSender) -> HotplugManager,
) -> Server {
    let config = DeviceConfig::embedded()
        .with_user_config_json(&user.to_string())
        .expect("user config");
    let s = Server::new(ServerOptions {
        device_config: config,
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    s.add_manager(|events| Arc::new(make(events)) as Arc<dyn HardwareManager>);
    s
}

/// The scenario for one manager: nothing for two listings, then a device plugged in is found at
/// the next listing (one period later); unplugged, it is removed; while it is away another device
/// connects; plugged back, it is found at the next listing with its index. The scan never
/// finishes on its own; after StopScanning nothing is listed any more.
async fn plug_unplug_replug(
    s: &Server,
    system: &FakeSystem,
    mut listed: mpsc::UnboundedReceiver<usize>,
    device: Advertisement,
    period: Duration,
) {
    let mut events = s.events();
    let start = tokio::time::Instant::now();
    s.start_scanning().await;
    listing(&mut listed, 2).await;
    assert_eq!(
        start.elapsed(),
        period,
        "listed at the start and one period later"
    );
    assert!(s.device_list().devices.is_empty());

    // Plugged in mid-scan: found at the third listing.
    system.plug(device.clone());
    let ServerEvent::DeviceAdded(index) = next_device_event(&mut events).await else {
        panic!("expected DeviceAdded");
    };
    assert_eq!(start.elapsed(), period * 2);
    assert_eq!(
        s.device_identity(index).map(|d| d.address),
        Some(device.address.clone())
    );

    // Still plugged in: listed again, not offered again.
    listing(&mut listed, 6).await;
    assert_eq!(system.opened.load(Ordering::SeqCst), 1);

    // Unplugged: removed.
    system.unplug(&device.address);
    assert_eq!(
        next_device_event(&mut events).await,
        ServerEvent::DeviceRemoved(index)
    );
    // Another device connects meanwhile (the simulator scans too): it does not take the absent
    // device's index.
    s.advertise(SimulatedDevice::new(SimulatedDeviceSpec::new(
        "Massage Demo",
        "other",
    )));
    let ServerEvent::DeviceAdded(other) = next_device_event(&mut events).await else {
        panic!("expected DeviceAdded");
    };
    assert_ne!(other, index);
    let before = system.listings.load(Ordering::SeqCst);
    listing(&mut listed, before + 1).await;
    assert_eq!(
        system.opened.load(Ordering::SeqCst),
        1,
        "not found while away"
    );

    // Plugged back: found again at the next listing, with its index.
    system.plug(device.clone());
    let replugged = tokio::time::Instant::now();
    assert_eq!(
        next_device_event(&mut events).await,
        ServerEvent::DeviceAdded(index)
    );
    assert!(replugged.elapsed() <= period);
    assert_eq!(system.opened.load(Ordering::SeqCst), 2);

    // Stopped: ScanningFinished, and no more listings.
    s.stop_scanning().await;
    let n = system.listings.load(Ordering::SeqCst);
    tokio::time::sleep(period * 3).await;
    assert_eq!(system.listings.load(Ordering::SeqCst), n);
}

#[cfg(feature = "serial")]
#[tokio::test(start_paused = true)]
async fn a_serial_port_plugged_in_mid_scan_is_found_and_found_again_after_unplugging() {
    use teleplug::hardware::serial;
    assert_eq!(serial::RESCAN_PERIOD, Duration::from_secs(5));
    let (system, listed) = FakeSystem::new();
    // A user config names the port for the TCode protocol (serial devices match by port name).
    let user = json!({"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {
        "tcode-v03": {"communication": [{"serial": {"port": "COM7"}}]}}}});
    let lister = system.clone();
    let s = server(user, |events| serial::manager_with(events, lister));
    plug_unplug_replug(
        &s,
        &system,
        listed,
        serial::advertisement("COM7"),
        serial::RESCAN_PERIOD,
    )
    .await;
    s.shutdown(Duration::from_secs(3)).await;
}

#[cfg(feature = "hid")]
#[tokio::test(start_paused = true)]
async fn a_hid_device_plugged_in_mid_scan_is_found_and_found_again_after_unplugging() {
    use teleplug::hardware::hid::{self, HidDeviceInfo};
    assert_eq!(hid::RESCAN_PERIOD, Duration::from_secs(1));
    let (system, listed) = FakeSystem::new();
    let lister = system.clone();
    let s = server(json!({"version": {"major": 5, "minor": 0}}), |events| {
        hid::manager_with(events, lister)
    });
    // A Joy-Con (L): nintendo-joycon matches it by vendor and product id.
    let joycon = hid::advertisement(&HidDeviceInfo {
        path: "/dev/hidraw-fake".into(),
        vendor_id: 0x057e,
        product_id: 0x2006,
        product: "Joy-Con (L)".into(),
    });
    plug_unplug_replug(&s, &system, listed, joycon, hid::RESCAN_PERIOD).await;
    s.shutdown(Duration::from_secs(3)).await;
}

/// A listed device that no protocol claims is offered once per scan while it stays listed (not
/// every period); one that leaves the listing and comes back is offered again; a new scan offers
/// it again.
#[cfg(feature = "serial")]
#[tokio::test(start_paused = true)]
async fn an_unclaimed_device_is_offered_once_per_appearance() {
    use teleplug::hardware::serial;
    let (system, mut listed) = FakeSystem::new();
    let (tx, mut found) = mpsc::unbounded_channel();
    let manager = serial::manager_with(tx, system.clone());
    system.plug(serial::advertisement("ttyNOBODY"));
    let offers = |found: &mut mpsc::UnboundedReceiver<ManagerEvent>| {
        let mut n = 0;
        while let Ok(e) = found.try_recv() {
            match e {
                ManagerEvent::DeviceFound(c) => {
                    assert_eq!(c.advertisement.address, "ttyNOBODY");
                    n += 1;
                    // The server would abandon it: no protocol matches.
                    futures::executor::block_on(c.connector.abandon());
                }
                ManagerEvent::ScanningStopped(_) => panic!("stopped on its own"),
                ManagerEvent::Error { message, .. } => panic!("{message}"),
            }
        }
        n
    };
    // A listing's offers are all out once the next listing starts.
    manager.start_scanning().await.expect("scan");
    listing(&mut listed, 4).await;
    assert_eq!(offers(&mut found), 1);
    system.unplug("ttyNOBODY");
    listing(&mut listed, 5).await;
    // Plugged back before listing 6 (the paused clock cannot move while the test runs).
    system.plug(serial::advertisement("ttyNOBODY"));
    listing(&mut listed, 7).await;
    assert_eq!(offers(&mut found), 1, "offered again once it came back");
    manager.stop_scanning().await.expect("stop");
    manager.start_scanning().await.expect("scan");
    assert_eq!(offers(&mut found), 1, "a new scan offers it again");
    manager.stop_scanning().await.expect("stop");
}
