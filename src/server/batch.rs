//! The device work of one client frame: [`BatchItems`] (one device's share, sent as one
//! request so that it coalesces; a single item needs no allocation) and [`FrameBatch`] (every
//! device's share, collected while the frame is handled and sent at its end; reused from frame
//! to frame).

use std::sync::Arc;

use super::device::{BatchItem, DeviceRequest};
use super::registry::DeviceHandle;

/// The items of one device request: usually one.
pub enum BatchItems {
    One(BatchItem),
    Many(Vec<BatchItem>),
}

impl From<BatchItem> for BatchItems {
    fn from(item: BatchItem) -> BatchItems {
        BatchItems::One(item)
    }
}

impl BatchItems {
    /// The items, in order.
    pub fn iter(&self) -> std::slice::Iter<'_, BatchItem> {
        match self {
            BatchItems::One(item) => std::slice::from_ref(item).iter(),
            BatchItems::Many(items) => items.iter(),
        }
    }

    pub fn push(&mut self, item: BatchItem) {
        match self {
            BatchItems::Many(items) => items.push(item),
            BatchItems::One(_) => {
                let BatchItems::One(first) = std::mem::replace(self, BatchItems::Many(Vec::new()))
                else {
                    unreachable!("matched One");
                };
                *self = BatchItems::Many(vec![first, item]);
            }
        }
    }
}

impl IntoIterator for BatchItems {
    type Item = BatchItem;
    type IntoIter = ItemsIter;

    fn into_iter(self) -> ItemsIter {
        match self {
            BatchItems::One(item) => ItemsIter::One(Some(item)),
            BatchItems::Many(items) => ItemsIter::Many(items.into_iter()),
        }
    }
}

/// Iterator over [`BatchItems`].
pub enum ItemsIter {
    One(Option<BatchItem>),
    Many(std::vec::IntoIter<BatchItem>),
}

impl Iterator for ItemsIter {
    type Item = BatchItem;

    fn next(&mut self) -> Option<BatchItem> {
        match self {
            ItemsIter::One(item) => item.take(),
            ItemsIter::Many(items) => items.next(),
        }
    }
}

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
