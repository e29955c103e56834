//! The device work of one client frame: [`FrameBatch`] collects every device's share while the
//! frame is handled (one [`BatchItems`] per device, sent as one request so that it coalesces) and
//! sends them at its end; reused from frame to frame.

use std::sync::Arc;

use super::registry::DeviceHandle;
use super::request::{BatchItem, BatchItems, DeviceRequest};

/// Device work collected while handling one frame, sent per device at the end of the frame so
/// commands of one client message coalesce.
#[derive(Default)]
pub struct FrameBatch {
    devices: Vec<(Arc<DeviceHandle>, BatchItems)>,
}

impl FrameBatch {
    pub fn add(&mut self, device: &Arc<DeviceHandle>, item: BatchItem) {
        match self
            .devices
            .iter_mut()
            .find(|(d, _)| d.index == device.index)
        {
            Some((_, items)) => items.push(item),
            None => self.devices.push((device.clone(), item.into())),
        }
    }

    /// Send the work collected for one device now (before an input request to it).
    pub fn flush_device(&mut self, index: u32) {
        if let Some(pos) = self.devices.iter().position(|(d, _)| d.index == index) {
            let (d, items) = self.devices.remove(pos);
            let _ = d.requests.send(DeviceRequest::Batch(items));
        }
    }

    /// Send everything collected. Never waits: a device's request channel takes everything.
    pub fn flush(&mut self) {
        for (d, items) in self.devices.drain(..) {
            // A failed send drops the acks: their waiters report the device as gone.
            let _ = d.requests.send(DeviceRequest::Batch(items));
        }
    }
}
