//! Matching advertisements to communication specifiers (docs/PROTOCOL.md §6.3). A [`SpecTable`]
//! holds one layer's specifiers (the base database, or a user config) in protocol order,
//! indexed for fast lookup: exact BLE names in a hash map, wildcard prefixes in a list, and
//! serial ports, HID/USB id pairs and WebSocket names in hash maps.
//!
//! Decisions:
//! - Serial: port names are compared for equality only. The shipped database's serial
//!   specifiers all use the port `"default"`, which is a settings template (baud rate, parity,
//!   ...), not a wildcard: probing every serial port with every serial protocol would write
//!   bytes to unrelated hardware. Users add the real port path in a user config (whose missing
//!   settings are then taken from that template).
//! - `AdvertisementKind::Hid` matches both `hid` and `usb` pair lists (there is no separate USB
//!   advertisement kind); the returned specifier tells the caller which one matched.
//! - `AdvertisementKind::SdlGamepad` matches every `sdl-gamepad` specifier (the reference's rule:
//!   every gamepad the transport offers), and nothing else: not `xinput`, whose handler speaks
//!   another packet format.
//! - `AdvertisementKind::LovenseConnect` (a toy the Lovense Connect app lists) matches every
//!   `lovense_connect_service` specifier, and nothing else.
//! - `xinput` and `simulated` have no advertisement kind and never match here
//!   ([`CommunicationSpecifier::is_matchable`]): no Teleplug transport finds such devices. (Virtual devices of a user config's `simulated_devices` carry their identity; see
//!   `DeviceConfig::simulated_devices`.)

use std::collections::HashMap;

use super::{Advertisement, AdvertisementKind};
use super::{BtleSpecifier, CommunicationSpecifier};

/// One layer's specifiers, each tagged with the index of its protocol in the base protocol
/// list, ordered by protocol and then file order.
#[derive(Clone, Debug, Default)]
pub(super) struct SpecTable {
    entries: Vec<(usize, CommunicationSpecifier)>,
    exact_names: HashMap<String, Vec<usize>>,
    wildcards: Vec<(String, usize)>,
    /// BLE specifiers that also match on manufacturer data or advertised services.
    btle_data: Vec<usize>,
    serial_ports: HashMap<String, Vec<usize>>,
    id_pairs: HashMap<(u16, u16), Vec<usize>>,
    websocket_names: HashMap<String, Vec<usize>>,
    gamepads: Vec<usize>,
    lovense_connect: Vec<usize>,
}

impl CommunicationSpecifier {
    /// Whether a device can ever match this specifier, i.e. some advertisement kind (so some
    /// Teleplug transport) finds devices through it. `xinput` and `simulated` cannot.
    pub fn is_matchable(&self) -> bool {
        match self {
            CommunicationSpecifier::Btle(_)
            | CommunicationSpecifier::Serial(_)
            | CommunicationSpecifier::Hid(_)
            | CommunicationSpecifier::Usb(_)
            | CommunicationSpecifier::Websocket { .. }
            | CommunicationSpecifier::SdlGamepad
            | CommunicationSpecifier::LovenseConnectService => true,
            CommunicationSpecifier::XInput | CommunicationSpecifier::Simulated { .. } => false,
        }
    }

    /// Whether Teleplug can ever connect a device through this specifier: it matches an
    /// advertisement, or (`simulated`) the server creates the devices a user config's
    /// `simulated_devices` lists. `xinput` cannot.
    pub fn is_reachable(&self) -> bool {
        self.is_matchable() || matches!(self, CommunicationSpecifier::Simulated { .. })
    }
}

impl SpecTable {
    /// Builds the table; entries are stably sorted by protocol index.
    pub fn new(mut entries: Vec<(usize, CommunicationSpecifier)>) -> SpecTable {
        entries.sort_by_key(|(p, _)| *p);
        let mut t = SpecTable::default();
        for (i, (_, spec)) in entries.iter().enumerate() {
            match spec {
                CommunicationSpecifier::Btle(b) => {
                    for name in &b.names {
                        match name.strip_suffix('*') {
                            Some(prefix) => t.wildcards.push((prefix.to_string(), i)),
                            None => t.exact_names.entry(name.clone()).or_default().push(i),
                        }
                    }
                    if !b.manufacturer_data.is_empty() || !b.advertised_services.is_empty() {
                        t.btle_data.push(i);
                    }
                }
                CommunicationSpecifier::Serial(s) => {
                    t.serial_ports.entry(s.port.clone()).or_default().push(i)
                }
                CommunicationSpecifier::Hid(pairs) | CommunicationSpecifier::Usb(pairs) => {
                    for pair in pairs {
                        t.id_pairs.entry(*pair).or_default().push(i);
                    }
                }
                CommunicationSpecifier::Websocket { name } => {
                    t.websocket_names.entry(name.clone()).or_default().push(i)
                }
                CommunicationSpecifier::SdlGamepad => t.gamepads.push(i),
                CommunicationSpecifier::LovenseConnectService => t.lovense_connect.push(i),
                CommunicationSpecifier::XInput | CommunicationSpecifier::Simulated { .. } => {}
            }
        }
        t.entries = entries;
        t
    }

    /// The specifiers of one protocol, in file order.
    pub fn for_protocol(&self, protocol: usize) -> impl Iterator<Item = &CommunicationSpecifier> {
        self.entries
            .iter()
            .filter(move |(p, _)| *p == protocol)
            .map(|(_, s)| s)
    }

    /// The first matching specifier of every protocol that matches, in protocol order.
    pub fn matches(&self, ad: &Advertisement) -> Vec<(usize, &CommunicationSpecifier)> {
        let mut hits: Vec<usize> = Vec::new();
        match &ad.kind {
            AdvertisementKind::Btle => {
                if let Some(v) = self.exact_names.get(&ad.name) {
                    hits.extend(v);
                }
                hits.extend(
                    self.wildcards
                        .iter()
                        .filter(|(prefix, _)| ad.name.starts_with(prefix.as_str()))
                        .map(|(_, i)| *i),
                );
                hits.extend(self.btle_data.iter().copied().filter(|i| {
                    matches!(self.entries.get(*i), Some((_, CommunicationSpecifier::Btle(b))) if btle_data_matches(b, ad))
                }));
            }
            AdvertisementKind::Serial { port } => {
                if let Some(v) = self.serial_ports.get(port) {
                    hits.extend(v);
                }
            }
            AdvertisementKind::Hid {
                vendor_id,
                product_id,
            } => {
                if let Some(v) = self.id_pairs.get(&(*vendor_id, *product_id)) {
                    hits.extend(v);
                }
            }
            AdvertisementKind::Websocket { identifier } => {
                if let Some(v) = self.websocket_names.get(identifier) {
                    hits.extend(v);
                }
            }
            AdvertisementKind::SdlGamepad => hits.extend(&self.gamepads),
            AdvertisementKind::LovenseConnect => hits.extend(&self.lovense_connect),
        }
        hits.sort_unstable();
        hits.dedup();
        let mut out: Vec<(usize, &CommunicationSpecifier)> = Vec::with_capacity(hits.len());
        for (p, spec) in hits.into_iter().filter_map(|i| self.entries.get(i)) {
            if out.last().is_none_or(|(last, _)| last != p) {
                out.push((*p, spec));
            }
        }
        out
    }
}

/// Manufacturer data or advertised services shared between a BLE specifier and an
/// advertisement.
fn btle_data_matches(spec: &BtleSpecifier, ad: &Advertisement) -> bool {
    let data = spec.manufacturer_data.iter().any(|want| {
        ad.manufacturer_data.iter().any(|(company, payload)| {
            *company == want.company
                && want.expected_length.is_none_or(|n| n == payload.len())
                && want
                    .data
                    .as_deref()
                    .is_none_or(|needle| contains(payload, needle))
        })
    });
    data || spec
        .advertised_services
        .iter()
        .any(|s| ad.services.contains(s))
}

/// Whether `needle` appears as a contiguous run in `haystack` (an empty needle always does).
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    needle.is_empty() || haystack.windows(needle.len()).any(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subsequence() {
        assert!(contains(&[1, 0, 0, 39, 5], &[0, 0, 39]));
        assert!(contains(&[0, 0, 39], &[0, 0, 39]));
        assert!(!contains(&[0, 39], &[0, 0, 39]));
        assert!(!contains(&[0, 1, 0, 39], &[0, 0, 39]));
        assert!(contains(&[], &[]));
    }
}
