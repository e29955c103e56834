//! The registry of connected devices: stable index assignment (user-pinned indexes, then the
//! lowest free index, kept per device identity while it is connected and for the
//! [`REMEMBERED_DEVICES`] that left most recently) and an immutable snapshot of the connected
//! devices that connections read without locking for long.
//!
//! A new snapshot shares the device handles of the previous one and builds its DeviceList only
//! when first asked: connecting N devices costs O(N) pointer copies each, not N deep copies of
//! every entry (which made connecting 1,000 devices quadratic).

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use parking_lot::{Mutex, RwLock};

use super::request::DeviceSender;
use crate::device_config::{DeviceConfig, DeviceDefinition, DeviceIdentity};
use crate::wire::{DeviceEntry, DeviceList};

/// A connected device as the rest of the server sees it.
pub struct DeviceHandle {
    pub index: u32,
    pub identity: DeviceIdentity,
    pub definition: Arc<DeviceDefinition>,
    /// The v4 DeviceList entry.
    pub entry: DeviceEntry,
    pub requests: DeviceSender,
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

/// Devices whose index is remembered after they left, so that they get it back when they
/// return. Beyond this many, the one that left longest ago is forgotten and its index is free
/// again: devices dialing in under ever new addresses cannot grow the map (or the indexes)
/// without bound. Indexes pinned by the user config do not depend on this memory.
pub const REMEMBERED_DEVICES: usize = 1024;

/// Indexes given out, per identity: kept while the device is connected and, after it left, for
/// the `limit` identities that left most recently.
struct Assigned {
    by_identity: HashMap<DeviceIdentity, Remembered>,
    /// How many identities hold each index (looked up instead of scanning `by_identity`).
    holders: HashMap<u32, usize>,
    /// Identities not connected, keyed by when they left (or were assigned): first = oldest.
    absent: BTreeMap<u64, DeviceIdentity>,
    clock: u64,
    limit: usize,
}

struct Remembered {
    index: u32,
    /// The key in `absent`; `None` while connected.
    absent_since: Option<u64>,
}

impl Assigned {
    fn new(limit: usize) -> Assigned {
        Assigned {
            by_identity: HashMap::new(),
            holders: HashMap::new(),
            absent: BTreeMap::new(),
            clock: 0,
            limit,
        }
    }

    fn index_of(&self, identity: &DeviceIdentity) -> Option<u32> {
        self.by_identity.get(identity).map(|r| r.index)
    }

    /// Whether a remembered identity holds `index`.
    fn is_held(&self, index: u32) -> bool {
        self.holders.contains_key(&index)
    }

    /// Give `identity` `index`. It counts as absent (forgettable) until [`Self::connected`].
    fn assign(&mut self, identity: DeviceIdentity, index: u32) {
        self.forget(&identity);
        *self.holders.entry(index).or_default() += 1;
        self.by_identity.insert(
            identity.clone(),
            Remembered {
                index,
                absent_since: None,
            },
        );
        self.mark_absent(&identity);
    }

    /// The device is connected: it is not forgotten while it stays.
    fn connected(&mut self, identity: &DeviceIdentity) {
        if let Some(since) = self
            .by_identity
            .get_mut(identity)
            .and_then(|r| r.absent_since.take())
        {
            self.absent.remove(&since);
        }
    }

    /// The device left: remember it among the most recent ones.
    fn disconnected(&mut self, identity: &DeviceIdentity) {
        self.mark_absent(identity);
    }

    fn mark_absent(&mut self, identity: &DeviceIdentity) {
        let Some(r) = self.by_identity.get_mut(identity) else {
            return;
        };
        if let Some(old) = r.absent_since.take() {
            self.absent.remove(&old);
        }
        self.clock += 1;
        r.absent_since = Some(self.clock);
        self.absent.insert(self.clock, identity.clone());
        while self.absent.len() > self.limit {
            if let Some((_, oldest)) = self.absent.pop_first() {
                self.forget(&oldest);
            }
        }
    }

    fn forget(&mut self, identity: &DeviceIdentity) {
        let Some(r) = self.by_identity.remove(identity) else {
            return;
        };
        if let Some(since) = r.absent_since {
            self.absent.remove(&since);
        }
        if let Some(n) = self.holders.get_mut(&r.index) {
            *n -= 1;
            if *n == 0 {
                self.holders.remove(&r.index);
            }
        }
    }
}

/// Connected devices and index bookkeeping.
pub struct Registry {
    snapshot: RwLock<Arc<Snapshot>>,
    assigned: Mutex<Assigned>,
    connecting: Mutex<HashSet<String>>,
    /// Devices (address and protocol) already reported as matching a protocol Teleplug lacks.
    unsupported_reported: Mutex<HashSet<(String, String)>>,
}

impl Registry {
    pub fn new() -> Registry {
        Registry::remembering(REMEMBERED_DEVICES)
    }

    /// A registry remembering the indexes of `limit` devices that left.
    fn remembering(limit: usize) -> Registry {
        Registry {
            snapshot: RwLock::new(Arc::new(Snapshot::default())),
            assigned: Mutex::new(Assigned::new(limit)),
            connecting: Mutex::new(HashSet::new()),
            unsupported_reported: Mutex::new(HashSet::new()),
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

    /// True the first time a device (address) is found matching `protocol`, which Teleplug
    /// lacks, so it is reported once however often it advertises or is rescanned. At most
    /// [`REMEMBERED_DEVICES`] are remembered: beyond that the memory starts over (a repeated
    /// report costs a log line, not an unbounded set).
    pub fn first_unsupported_report(&self, address: &str, protocol: &str) -> bool {
        let mut reported = self.unsupported_reported.lock();
        if reported.len() >= REMEMBERED_DEVICES {
            reported.clear();
        }
        reported.insert((address.to_string(), protocol.to_string()))
    }

    /// Whether this device was given an index before in this process (it is coming back after
    /// it left: a Bluetooth drop, an unplugged cable, a dial-in that reconnects).
    pub fn seen_before(&self, identity: &DeviceIdentity) -> bool {
        self.assigned.lock().index_of(identity).is_some()
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
            assigned.assign(identity.clone(), i);
            return Some(i);
        }
        if let Some(i) = assigned.index_of(identity) {
            if !snapshot.devices.contains_key(&i) {
                return Some(i);
            }
        }
        let reserved: BTreeSet<u32> = config.reserved_indexes().into_iter().collect();
        let taken = |i: &u32| {
            reserved.contains(i) || assigned.is_held(*i) || snapshot.devices.contains_key(i)
        };
        let index = (0u32..).find(|i| !taken(i))?;
        assigned.assign(identity.clone(), index);
        Some(index)
    }

    /// Add a connected device; false if its index is taken.
    pub fn insert(&self, handle: Arc<DeviceHandle>) -> bool {
        let mut guard = self.snapshot.write();
        if guard.devices.contains_key(&handle.index) {
            return false;
        }
        let identity = handle.identity.clone();
        let mut devices = guard.devices.clone();
        devices.insert(handle.index, handle);
        *guard = Arc::new(Snapshot::build(devices));
        drop(guard);
        self.assigned.lock().connected(&identity);
        true
    }

    /// Remove a device; returns whether it was there.
    pub fn remove(&self, index: u32) -> bool {
        let mut guard = self.snapshot.write();
        if !guard.devices.contains_key(&index) {
            return false;
        }
        let mut devices = guard.devices.clone();
        let removed = devices.remove(&index);
        *guard = Arc::new(Snapshot::build(devices));
        drop(guard);
        if let Some(handle) = removed {
            self.assigned.lock().disconnected(&handle.identity);
        }
        true
    }
}

impl Default for Registry {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn identity(address: &str) -> DeviceIdentity {
        DeviceIdentity {
            address: address.into(),
            protocol: "lovense".into(),
            identifier: None,
        }
    }

    fn definition(user_index: Option<u32>) -> DeviceDefinition {
        DeviceDefinition {
            protocol: "lovense".into(),
            identifier: None,
            name: "Sim".into(),
            display_name: None,
            id: uuid::Uuid::nil(),
            features: Vec::new(),
            protocol_variant: None,
            message_gap_ms: None,
            user_index,
        }
    }

    #[test]
    fn devices_that_left_are_remembered_up_to_the_limit() {
        let config = DeviceConfig::embedded();
        let registry = Registry::remembering(3);
        let assign = |a: &str| registry.assign_index(&config, &identity(a), &definition(None));
        // Each device comes and goes (never connected): the memory holds the last three.
        for i in 0..3u32 {
            assert_eq!(assign(&format!("d{i}")), Some(i));
        }
        assert_eq!(assign("d3"), Some(3));
        // d0 was forgotten, so its index went to nobody... until the next new device.
        assert_eq!(registry.assigned.lock().by_identity.len(), 3);
        assert_eq!(assign("d1"), Some(1), "remembered");
        assert_eq!(assign("d4"), Some(0), "d0's index is free again");
        // A thousand addresses later the map and the indexes are still bounded.
        for i in 5..1005 {
            assert!(assign(&format!("d{i}")).is_some_and(|index| index < 4));
        }
        assert_eq!(registry.assigned.lock().by_identity.len(), 3);
        assert!(registry.assigned.lock().holders.len() <= 3);
    }

    #[test]
    fn connected_devices_are_never_forgotten() {
        let mut a = Assigned::new(2);
        a.assign(identity("kept"), 7);
        a.connected(&identity("kept"));
        for i in 0..10 {
            a.assign(identity(&format!("passing-{i}")), i);
        }
        assert_eq!(a.index_of(&identity("kept")), Some(7));
        assert!(a.is_held(7));
        assert_eq!(a.by_identity.len(), 3, "the connected one and the last two");
        // Once it left, it is the most recent: the next newcomers push out older ones first.
        a.disconnected(&identity("kept"));
        a.assign(identity("new"), 20);
        assert_eq!(a.index_of(&identity("kept")), Some(7));
        a.assign(identity("newer"), 21);
        assert_eq!(a.index_of(&identity("kept")), None);
        assert!(!a.is_held(7));
    }

    #[test]
    fn an_index_shared_by_two_identities_stays_held_until_both_are_forgotten() {
        let mut a = Assigned::new(2);
        a.assign(identity("pinned"), 3);
        a.assign(identity("other"), 3);
        a.assign(identity("x"), 9);
        assert_eq!(a.index_of(&identity("pinned")), None);
        assert!(a.is_held(3), "still held by the other identity");
        a.assign(identity("y"), 10);
        assert!(!a.is_held(3));
        // Re-assigning an identity moves it, releasing its old index.
        a.assign(identity("y"), 11);
        assert!(!a.is_held(10));
        assert!(a.is_held(11));
    }
}
