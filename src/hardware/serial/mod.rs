//! Serial ports (serialport, no libudev): the manager.
//!
//! A scan lists the system's ports plus the ports given explicitly (`Transports::serial_ports`;
//! pseudo-terminals and other virtual ports are not enumerated), and lists them again every
//! [`RESCAN_PERIOD`] until the scan is stopped (hot-plug, see `hotplug`): a port plugged in
//! mid-scan is found, one unplugged and plugged back is found again. Each port not in use is
//! offered to the server as an [`AdvertisementKind::Serial`] advertisement; the device database
//! matches serial devices by port name only (a user config names the port), so nothing is
//! opened, let alone written, on ports no protocol claims. The connection itself lives in `port`.
//!
//! A port held by another Teleplug transport (the Lovense dongle over serial, whose CH340 chip
//! many TCode strokers also use) is not listed, and one held here is not touched by it: see
//! [`hold_port`].

mod port;

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use once_cell::sync::Lazy;
use parking_lot::Mutex;
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

/// The serial ports held by a Teleplug transport, and by which (its manager's name).
static HELD: Lazy<Mutex<HashMap<String, &'static str>>> = Lazy::new(Default::default);

/// A port held by a transport; let go when dropped.
#[derive(Debug)]
pub struct PortHold {
    port: String,
}

impl Drop for PortHold {
    fn drop(&mut self) {
        HELD.lock().remove(&self.port);
    }
}

/// Holds `port` for the transport `owner`, unless a transport (either) holds it already. The
/// serial manager holds a port while it is connected; the Lovense dongle over serial while it
/// probes a port and while a dongle is open on it. So the two never open one port at once, a
/// port being probed is not offered by the serial manager (the next listing offers it), and a
/// port connected by the serial manager is never probed.
pub fn hold_port(port: &str, owner: &'static str) -> Option<PortHold> {
    let mut held = HELD.lock();
    if held.contains_key(port) {
        return None;
    }
    held.insert(port.to_string(), owner);
    Some(PortHold {
        port: port.to_string(),
    })
}

/// Whether a transport other than `owner` holds `port`.
pub fn held_by_other(port: &str, owner: &'static str) -> bool {
    HELD.lock().get(port).is_some_and(|o| *o != owner)
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
            .filter(|p| !held_by_other(p, NAME))
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
        let hold = hold_port(address, NAME).ok_or_else(|| {
            HardwareError::ConnectionFailed(format!("{address} is in use by another transport"))
        })?;
        let release: Release = Box::new(move || {
            drop(hold);
            release()
        });
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
