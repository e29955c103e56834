//! USB HID through hidapi (`linux-native-basic-udev`: no system library): the manager.
//!
//! A scan lists the devices (on a blocking thread: hidapi calls block), and lists them again
//! every [`RESCAN_PERIOD`] until the scan is stopped (hot-plug, see `hotplug`): a device plugged
//! in mid-scan is found, one unplugged and plugged back is found again. Each device not in use is
//! offered as an [`AdvertisementKind::Hid`] advertisement (vendor/product id, product string as
//! the name, the hidapi path as the address); the database matches HID devices by id pair, so
//! devices no protocol claims are never opened. The connection lives in `transport`, over the [`HidIo`]
//! trait that hidapi devices (and test fakes) implement.

mod transport;

use std::ffi::CString;
use std::sync::Arc;
use std::time::Duration;

use super::hotplug::{DeviceLister, HotplugManager, Release};
use super::{Advertisement, AdvertisementKind, HardwareError, ManagerEventSender, Transport};
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

/// hidapi's device, driven by an I/O thread (a HID transport's, or the Lovense dongle's).
pub(crate) struct HidapiDevice(pub(crate) hidapi::HidDevice);

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

/// How often HID devices are listed again while a scan runs (the reference's HID manager: 1 s).
pub const RESCAN_PERIOD: Duration = Duration::from_secs(1);

/// The USB HID manager: a [`HotplugManager`] over hidapi's devices.
pub type HidManager = HotplugManager;

/// The HID manager over hidapi.
pub fn manager(events: ManagerEventSender) -> HidManager {
    manager_with(events, Arc::new(Hidapi))
}

/// The HID manager over another list of devices (tests give a fake).
pub fn manager_with(events: ManagerEventSender, lister: Arc<dyn DeviceLister>) -> HidManager {
    HotplugManager::new(NAME, RESCAN_PERIOD, lister, events)
}

/// The advertisement a HID device is offered under: the product string as the name, the hidapi
/// path as the address.
pub fn advertisement(device: &HidDeviceInfo) -> Advertisement {
    Advertisement {
        name: device.product.clone(),
        address: device.path.clone(),
        manufacturer_data: Vec::new(),
        services: Vec::new(),
        kind: AdvertisementKind::Hid {
            vendor_id: device.vendor_id,
            product_id: device.product_id,
        },
    }
}

/// The system's HID devices, through hidapi.
struct Hidapi;

impl DeviceLister for Hidapi {
    fn list(&self) -> Result<Vec<Advertisement>, HardwareError> {
        Ok(enumerate()?.iter().map(advertisement).collect())
    }

    fn open(
        &self,
        address: &str,
        specifier: &CommunicationSpecifier,
        release: Release,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        if !matches!(specifier, CommunicationSpecifier::Hid(_)) {
            return Err(HardwareError::Unsupported(
                "a non-HID communication specifier",
            ));
        }
        Ok(transport::transport_with_release(
            open_path(address)?,
            release,
        ))
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
