//! What the rest of the server asks of a device task: [`DeviceRequest`]s carrying the items of
//! client messages ([`BatchItem`], grouped per device and message as [`BatchItems`]: a single
//! item needs no allocation), each answered through its own acknowledgement.

use tokio::sync::{mpsc, oneshot};

use crate::wire::{ButtplugError, InputCommandType, InputType, OutputCommand};

/// Result sent back for each request item.
pub type Ack = oneshot::Sender<Result<(), ButtplugError>>;

/// One element of a client message addressed to a device.
pub enum BatchItem {
    /// A validated output command in device steps.
    Output {
        feature: u32,
        command: OutputCommand,
        ack: Option<Ack>,
    },
    /// Stop outputs and/or inputs of one feature or of the whole device.
    Stop {
        feature: Option<u32>,
        outputs: bool,
        inputs: bool,
        ack: Option<Ack>,
    },
}

impl BatchItem {
    /// Whether the item is a stop.
    pub fn is_stop(&self) -> bool {
        matches!(self, BatchItem::Stop { .. })
    }
}

/// A request to a device task. The channel carrying them is unbounded so that nobody ever
/// waits to hand a device work (a stuck device must not stall a client connection or another
/// device's stop); it is bounded by its producers: each request carries a reply the client
/// connection is waiting for, and a connection holds a bounded number of those.
pub enum DeviceRequest {
    /// The device's part of one client message: coalesced as a unit.
    Batch(BatchItems),
    /// An input operation; Read answers with the value, the others with `None`.
    Input {
        feature: u32,
        input: InputType,
        command: InputCommandType,
        reply: oneshot::Sender<Result<Option<i32>, ButtplugError>>,
    },
    /// Stop every output (writing what is queued, after the message gap), disconnect the
    /// device and end the task.
    Disconnect(oneshot::Sender<()>),
}

/// Sends requests to a device task.
pub type DeviceSender = mpsc::UnboundedSender<DeviceRequest>;

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
