//! USB HID through hidapi (`linux-native-basic-udev`: no system library): the manager.
//!
//! A "scan" enumerates once (on a blocking thread: hidapi calls block) and reports
//! [`ManagerEvent::ScanningStopped`]. Each device not already in use is offered as an
//! [`AdvertisementKind::Hid`] advertisement (vendor/product id, product string as the name, the
//! hidapi path as the address); the database matches HID devices by id pair, so devices no
//! protocol claims are never opened. The connection lives in `transport`, over the [`HidIo`]
//! trait that hidapi devices (and test fakes) implement.

mod transport;

use std::collections::HashSet;
use std::ffi::CString;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tracing::debug;

use super::{
    Advertisement, AdvertisementKind, DeviceCandidate, DeviceConnector, HardwareError,
    HardwareManager, ManagerEvent, ManagerEventSender, Transport,
};
use crate::device_config::CommunicationSpecifier;
pub use transport::{HidIo, transport_from_io};

/// The manager's name in logs, errors and scanning bookkeeping.
pub const NAME: &str = "hid";

/// One HID device seen by enumeration.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HidDeviceInfo {
    pub path: String,
    pub vendor_id: u16,
    pub product_id: u16,
    pub product: String,
}

/// Every HID device hidapi sees (blocking; call it from a blocking thread).
pub fn enumerate() -> Result<Vec<HidDeviceInfo>, HardwareError> {
    let api = hidapi::HidApi::new()
        .map_err(|e| HardwareError::Unavailable(format!("USB HID is not available: {e}")))?;
    let mut out: Vec<HidDeviceInfo> = api
        .device_list()
        .map(|d| HidDeviceInfo {
            path: d.path().to_string_lossy().into_owned(),
            vendor_id: d.vendor_id(),
            product_id: d.product_id(),
            product: d.product_string().unwrap_or_default().to_string(),
        })
        .collect();
    // One entry per device (hidapi lists a device once per interface/usage).
    out.sort_by(|a, b| a.path.cmp(&b.path));
    out.dedup_by(|a, b| a.path == b.path);
    Ok(out)
}

/// hidapi's device, driven by the transport's I/O thread.
struct HidapiDevice(hidapi::HidDevice);

impl HidIo for HidapiDevice {
    fn write(&mut self, data: &[u8]) -> Result<(), HardwareError> {
        self.0
            .write(data)
            .map(|_| ())
            .map_err(|e| HardwareError::Io(e.to_string()))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError> {
        let ms = i32::try_from(timeout.as_millis()).unwrap_or(i32::MAX);
        // hidapi reports an unplugged device as a read error.
        self.0
            .read_timeout(buf, ms)
            .map_err(|e| HardwareError::Io(e.to_string()))
    }
}

/// Opens a HID device by its hidapi path (blocking).
fn open_path(path: &str) -> Result<Box<dyn HidIo>, HardwareError> {
    let api = hidapi::HidApi::new()
        .map_err(|e| HardwareError::Unavailable(format!("USB HID is not available: {e}")))?;
    let c = CString::new(path)
        .map_err(|_| HardwareError::ConnectionFailed(format!("invalid HID path {path:?}")))?;
    let dev = api
        .open_path(&c)
        .map_err(|e| HardwareError::ConnectionFailed(format!("cannot open {path}: {e}")))?;
    Ok(Box::new(HidapiDevice(dev)))
}

/// The USB HID manager.
pub struct HidManager {
    events: ManagerEventSender,
    claimed: Arc<Mutex<HashSet<String>>>,
}

impl HidManager {
    pub fn new(events: ManagerEventSender) -> HidManager {
        HidManager {
            events,
            claimed: Arc::new(Mutex::new(HashSet::new())),
        }
    }
}

#[async_trait]
impl HardwareManager for HidManager {
    fn name(&self) -> &'static str {
        NAME
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let found = tokio::task::spawn_blocking(enumerate)
            .await
            .map_err(|e| HardwareError::Io(format!("HID enumeration failed: {e}")))??;
        debug!(count = found.len(), "HID devices");
        for d in found {
            if !self.claimed.lock().insert(d.path.clone()) {
                continue;
            }
            let advertisement = Advertisement {
                name: d.product.clone(),
                address: d.path.clone(),
                manufacturer_data: Vec::new(),
                services: Vec::new(),
                kind: AdvertisementKind::Hid {
                    vendor_id: d.vendor_id,
                    product_id: d.product_id,
                },
            };
            let connector = HidConnector {
                path: d.path,
                claimed: self.claimed.clone(),
            };
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

struct HidConnector {
    path: String,
    claimed: Arc<Mutex<HashSet<String>>>,
}

#[async_trait]
impl DeviceConnector for HidConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        if !matches!(specifier, CommunicationSpecifier::Hid(_)) {
            return Err(HardwareError::Unsupported(
                "a non-HID communication specifier",
            ));
        }
        let path = self.path.clone();
        let io = tokio::task::spawn_blocking(move || open_path(&path))
            .await
            .map_err(|e| HardwareError::ConnectionFailed(e.to_string()))??;
        let claimed = self.claimed.clone();
        let path = self.path.clone();
        Ok(transport::transport_with_release(
            io,
            Box::new(move || {
                claimed.lock().remove(&path);
            }),
        ))
    }

    async fn abandon(&self) {
        self.claimed.lock().remove(&self.path);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn enumeration_runs() {
        // No HID devices exist on CI machines; enumeration must still work.
        let devices = enumerate().expect("hidapi enumerates");
        for d in devices {
            assert!(!d.path.is_empty());
        }
    }

    #[test]
    fn opening_a_missing_device_fails_cleanly() {
        let r = open_path("/dev/hidraw-teleplug-missing");
        assert!(matches!(r, Err(HardwareError::ConnectionFailed(_))));
    }
}
