//! Serial ports (serialport, no libudev): the manager.
//!
//! A scan lists the system's ports plus the ports given explicitly (`Transports::serial_ports`;
//! pseudo-terminals and other virtual ports are not enumerated), and lists them again every
//! [`RESCAN_PERIOD`] until the scan is stopped (hot-plug, see `hotplug`): a port plugged in
//! mid-scan is found, one unplugged and plugged back is found again. Each port not in use is
//! offered to the server as an [`AdvertisementKind::Serial`] advertisement; the device database
//! matches serial devices by port name only (a user config names the port), so nothing is
//! opened, let alone written, on ports no protocol claims. The connection itself lives in `port`.

mod port;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tracing::warn;

use super::hotplug::{DeviceLister, HotplugManager, Release};
use super::{Advertisement, AdvertisementKind, HardwareError, ManagerEventSender, Transport};
use crate::device_config::CommunicationSpecifier;
pub use port::{SerialSettings, open_port};

/// The manager's name in logs, errors and scanning bookkeeping.
pub const NAME: &str = "serial";

/// How often ports are listed again while a scan runs (the reference's serial manager: 5 s).
pub const RESCAN_PERIOD: Duration = Duration::from_secs(5);

/// The serial port manager: a [`HotplugManager`] over the system's ports.
pub type SerialManager = HotplugManager;

/// The serial manager over the system's ports; `explicit`: ports to offer besides the listed
/// ones.
pub fn manager(events: ManagerEventSender, explicit: Vec<String>) -> SerialManager {
    manager_with(
        events,
        Arc::new(SystemPorts {
            explicit,
            failing: AtomicBool::new(false),
        }),
    )
}

/// The serial manager over another list of ports (tests give a fake).
pub fn manager_with(events: ManagerEventSender, lister: Arc<dyn DeviceLister>) -> SerialManager {
    HotplugManager::new(NAME, RESCAN_PERIOD, lister, events)
}

/// The advertisement a port is offered under: its name is its name and its address.
pub fn advertisement(port: &str) -> Advertisement {
    Advertisement {
        name: port.to_string(),
        address: port.to_string(),
        manufacturer_data: Vec::new(),
        services: Vec::new(),
        kind: AdvertisementKind::Serial {
            port: port.to_string(),
        },
    }
}

/// The system's ports, opened with serialport.
struct SystemPorts {
    explicit: Vec<String>,
    /// Listing failed and that was logged (once until it works again).
    failing: AtomicBool,
}

impl DeviceLister for SystemPorts {
    fn list(&self) -> Result<Vec<Advertisement>, HardwareError> {
        Ok(ports(&self.explicit, &self.failing)
            .iter()
            .map(|p| advertisement(p))
            .collect())
    }

    fn open(
        &self,
        address: &str,
        specifier: &CommunicationSpecifier,
        release: Release,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        let CommunicationSpecifier::Serial(spec) = specifier else {
            return Err(HardwareError::Unsupported(
                "a non-serial communication specifier",
            ));
        };
        let t = port::open(address, &SerialSettings::from(spec), Some(release))?;
        Ok(t as Arc<dyn Transport>)
    }
}

/// Enumerated ports (an enumeration failure counts as none, and is logged once until listing
/// works again) and explicit ones, without duplicates, in that order.
fn ports(explicit: &[String], failing: &AtomicBool) -> Vec<String> {
    let mut out: Vec<String> = match serialport::available_ports() {
        Ok(ports) => {
            failing.store(false, Ordering::Relaxed);
            ports.into_iter().map(|p| p.port_name).collect()
        }
        Err(e) => {
            if !failing.swap(true, Ordering::Relaxed) {
                warn!("cannot list serial ports: {e}");
            }
            Vec::new()
        }
    };
    for p in explicit {
        if !out.contains(p) {
            out.push(p.clone());
        }
    }
    out
}
