//! Serial ports (serialport, no libudev): the manager.
//!
//! A "scan" enumerates once: the system's ports plus the ports given explicitly
//! (`Transports::serial_ports`; pseudo-terminals and other virtual ports are not enumerated), then
//! reports [`ManagerEvent::ScanningStopped`]. Each port not already in use is offered to the
//! server as a [`AdvertisementKind::Serial`] advertisement; the device database matches serial
//! devices by port name only (a user config names the port), so nothing is opened, let alone
//! written, on ports no protocol claims. The connection itself lives in `port`.

mod port;

use std::collections::HashSet;
use std::sync::Arc;

use async_trait::async_trait;
use parking_lot::Mutex;
use tracing::{debug, warn};

use super::{
    Advertisement, AdvertisementKind, DeviceCandidate, HardwareError, HardwareManager,
    ManagerEvent, ManagerEventSender,
};
use port::SerialConnector;
pub use port::{SerialSettings, open_port};

/// The manager's name in logs, errors and scanning bookkeeping.
pub const NAME: &str = "serial";

/// The serial port manager.
pub struct SerialManager {
    events: ManagerEventSender,
    explicit: Vec<String>,
    /// Ports offered, connecting or connected.
    claimed: Arc<Mutex<HashSet<String>>>,
}

impl SerialManager {
    /// `explicit`: ports to offer besides enumerated ones.
    pub fn new(events: ManagerEventSender, explicit: Vec<String>) -> SerialManager {
        SerialManager {
            events,
            explicit,
            claimed: Arc::new(Mutex::new(HashSet::new())),
        }
    }
}

/// Enumerated ports (an enumeration failure is logged and counts as none) and explicit ones,
/// without duplicates, in that order.
fn ports(explicit: &[String]) -> Vec<String> {
    let mut out: Vec<String> = match serialport::available_ports() {
        Ok(ports) => ports.into_iter().map(|p| p.port_name).collect(),
        Err(e) => {
            warn!("cannot list serial ports: {e}");
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

#[async_trait]
impl HardwareManager for SerialManager {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let explicit = self.explicit.clone();
        let found = tokio::task::spawn_blocking(move || ports(&explicit))
            .await
            .map_err(|e| HardwareError::Io(format!("serial port enumeration failed: {e}")))?;
        debug!(?found, "serial ports");
        for port in found {
            if !self.claimed.lock().insert(port.clone()) {
                continue;
            }
            let advertisement = Advertisement {
                name: port.clone(),
                address: port.clone(),
                manufacturer_data: Vec::new(),
                services: Vec::new(),
                kind: AdvertisementKind::Serial { port: port.clone() },
            };
            let connector = SerialConnector::new(port, self.claimed.clone());
            let _ = self.events.send(ManagerEvent::DeviceFound(DeviceCandidate {
                advertisement,
                connector: Box::new(connector),
            }));
        }
        let _ = self.events.send(ManagerEvent::ScanningStopped(NAME));
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        Ok(())
    }
}
