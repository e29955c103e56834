//! The registry of connected devices: stable index assignment (user-pinned indexes, then the
//! lowest free index, kept per device identity for the life of the server) and an immutable
//! snapshot of the connected devices that connections read without locking for long.
//!
//! A new snapshot shares the device handles of the previous one and builds its DeviceList only
//! when first asked: connecting N devices costs O(N) pointer copies each, not N deep copies of
//! every entry (which made connecting 1,000 devices quadratic).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};
use tokio::sync::mpsc;

use super::device::DeviceRequest;
use crate::device_config::{DeviceConfig, DeviceDefinition, DeviceIdentity};
use crate::protocol::{DeviceEntry, DeviceList};

/// A connected device as the rest of the server sees it.
pub struct DeviceHandle {
    pub index: u32,
    pub identity: DeviceIdentity,
    pub definition: Arc<DeviceDefinition>,
    /// The v4 DeviceList entry.
    pub entry: DeviceEntry,
    pub requests: mpsc::Sender<DeviceRequest>,
}

impl std::fmt::Debug for DeviceHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceHandle")
            .field("index", &self.index)
            .field("identity", &self.identity)
            .finish_non_exhaustive()
    }
}

/// The connected devices at one moment.
#[derive(Debug, Default)]
pub struct Snapshot {
    pub devices: BTreeMap<u32, Arc<DeviceHandle>>,
    /// The DeviceList (Id 0) of these devices, built on first use.
    list: OnceLock<DeviceList>,
}

impl Snapshot {
    fn build(devices: BTreeMap<u32, Arc<DeviceHandle>>) -> Snapshot {
        Snapshot {
            devices,
            list: OnceLock::new(),
        }
    }

    /// The DeviceList (Id 0) of these devices.
    pub fn list(&self) -> &DeviceList {
        self.list.get_or_init(|| DeviceList {
            devices: self
                .devices
                .iter()
                .map(|(i, d)| (*i, d.entry.clone()))
                .collect(),
            id: 0,
        })
    }

    /// Indexes of the connected devices.
    pub fn indexes(&self) -> BTreeSet<u32> {
        self.devices.keys().copied().collect()
    }
}

/// Indexes given out, per identity, for the life of the server.
#[derive(Default)]
struct Assigned {
    by_identity: HashMap<DeviceIdentity, u32>,
    /// Every index in `by_identity` (looked up instead of collecting them per device).
    indexes: HashSet<u32>,
}

impl Assigned {
    fn insert(&mut self, identity: DeviceIdentity, index: u32) {
        if let Some(old) = self.by_identity.insert(identity, index) {
            if old != index && !self.by_identity.values().any(|i| *i == old) {
                self.indexes.remove(&old);
            }
        }
        self.indexes.insert(index);
    }
}

/// Connected devices and index bookkeeping.
pub struct Registry {
    snapshot: RwLock<Arc<Snapshot>>,
    assigned: Mutex<Assigned>,
    connecting: Mutex<HashSet<String>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            assigned: Mutex::new(Assigned::default()),
            connecting: Mutex::new(HashSet::new()),
        }
    }

    /// The current snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshot.read().clone()
    }

    /// Claim an address for a connection attempt; false if it is connected or being connected.
    pub fn begin_connecting(&self, address: &str) -> bool {
        let connected = self
            .snapshot()
            .devices
            .values()
            .any(|d| d.identity.address == address);
        !connected && self.connecting.lock().insert(address.to_string())
    }

    /// Release an address claimed with `begin_connecting`.
    pub fn end_connecting(&self, address: &str) {
        self.connecting.lock().remove(address);
    }

    /// The index for a device: the user-pinned one, the one it had before, or the lowest index
    /// nobody holds. `None` if the pinned index is taken by a connected device.
    pub fn assign_index(
        &self,
        config: &DeviceConfig,
        identity: &DeviceIdentity,
        definition: &DeviceDefinition,
    ) -> Option<u32> {
        let snapshot = self.snapshot();
        let mut assigned = self.assigned.lock();
        if let Some(i) = definition.user_index {
            if snapshot.devices.contains_key(&i) {
                return None;
            }
            assigned.insert(identity.clone(), i);
            return Some(i);
        }
        if let Some(i) = assigned.by_identity.get(identity) {
            if !snapshot.devices.contains_key(i) {
                return Some(*i);
            }
        }
        let reserved: BTreeSet<u32> = config.reserved_indexes().into_iter().collect();
        let taken = |i: &u32| {
            reserved.contains(i) || assigned.indexes.contains(i) || snapshot.devices.contains_key(i)
        };
        let index = (0u32..).find(|i| !taken(i))?;
        assigned.insert(identity.clone(), index);
        Some(index)
    }

    /// Add a connected device; false if its index is taken.
    pub fn insert(&self, handle: Arc<DeviceHandle>) -> bool {
        let mut guard = self.snapshot.write();
        if guard.devices.contains_key(&handle.index) {
            return false;
        }
        let mut devices = guard.devices.clone();
        devices.insert(handle.index, handle);
        *guard = Arc::new(Snapshot::build(devices));
        true
    }

    /// Remove a device; returns whether it was there.
    pub fn remove(&self, index: u32) -> bool {
        let mut guard = self.snapshot.write();
        if !guard.devices.contains_key(&index) {
            return false;
        }
        let mut devices = guard.devices.clone();
        devices.remove(&index);
        *guard = Arc::new(Snapshot::build(devices));
        true
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}
