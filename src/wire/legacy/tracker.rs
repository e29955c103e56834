//! Turning the server's full-list DeviceList events into what each connection should see:
//! DeviceAdded / DeviceRemoved for v0–v3 (docs/PROTOCOL.md §2.5), the DeviceList itself (Id 0) for
//! v4, and nothing when the set of device indexes did not change.

use std::collections::BTreeSet;

use super::any::AnyServerMessage;
use crate::wire::SpecVersion;
use crate::wire::v4::{DeviceList, ServerMessage};

use super::attributes::describe_device;
use super::messages::{DeviceAdded, DeviceRemoved, LegacyServerMessage};

/// Remembers the device indexes a connection knows and reports changes against them.
#[derive(Clone, Debug, Default)]
pub struct LegacyDeviceTracker {
    known: BTreeSet<u32>,
}

impl LegacyDeviceTracker {
    /// A tracker that already knows the devices in `initial` (they are only reported through
    /// RequestDeviceList, never as DeviceAdded).
    pub fn new(initial: &DeviceList) -> LegacyDeviceTracker {
        LegacyDeviceTracker {
            known: initial.devices.keys().copied().collect(),
        }
    }

    /// The device indexes currently known.
    pub fn known(&self) -> &BTreeSet<u32> {
        &self.known
    }

    /// The messages a `version` connection gets for a new full device list: for v0–v3 one
    /// DeviceRemoved per vanished index (ascending), then one DeviceAdded per new device
    /// (ascending), all with Id 0; for v4 the list itself with Id 0 when the set of indexes
    /// changed. Empty when nothing changed.
    pub fn update(&mut self, version: SpecVersion, list: &DeviceList) -> Vec<AnyServerMessage> {
        let removed: Vec<u32> = self
            .known
            .iter()
            .copied()
            .filter(|index| !list.devices.contains_key(index))
            .collect();
        let added: Vec<u32> = list
            .devices
            .keys()
            .copied()
            .filter(|index| !self.known.contains(index))
            .collect();
        if removed.is_empty() && added.is_empty() {
            return Vec::new();
        }
        self.known = list.devices.keys().copied().collect();
        if version == SpecVersion::V4 {
            let mut event = list.clone();
            event.id = 0;
            return vec![AnyServerMessage::V4(ServerMessage::DeviceList(event))];
        }
        let mut out = Vec::with_capacity(removed.len() + added.len());
        out.extend(removed.into_iter().map(|device_index| {
            AnyServerMessage::Legacy(LegacyServerMessage::DeviceRemoved(DeviceRemoved {
                device_index,
                id: 0,
            }))
        }));
        out.extend(
            added
                .iter()
                .filter_map(|index| list.devices.get(index))
                .filter_map(|entry| describe_device(version, entry))
                .map(|device| {
                    AnyServerMessage::Legacy(LegacyServerMessage::DeviceAdded(DeviceAdded {
                        device,
                        id: 0,
                    }))
                }),
        );
        out
    }
}
