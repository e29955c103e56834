//! What a Bluetooth LE device advertised, as the device database matches it, and the
//! bookkeeping of which devices were offered to the server.

use std::collections::HashMap;

use btleplug::api::PeripheralProperties;
use btleplug::platform::PeripheralId;
use parking_lot::Mutex;

use crate::hardware::{Advertisement, AdvertisementKind};

/// The advertisement the database matches: the advertised name (the alias only when the device
/// sent no name), the Bluetooth address (`AA:BB:CC:DD:EE:FF`, what user device entries refer
/// to), manufacturer data sorted by company id, and the advertised service UUIDs.
pub(super) fn advertisement_of(props: &PeripheralProperties) -> Advertisement {
    let mut manufacturer_data: Vec<(u16, Vec<u8>)> = props
        .manufacturer_data
        .iter()
        .map(|(company, data)| (*company, data.clone()))
        .collect();
    manufacturer_data.sort();
    let mut services = props.services.clone();
    services.sort();
    services.dedup();
    Advertisement {
        name: props
            .advertisement_name
            .clone()
            .or_else(|| props.local_name.clone())
            .unwrap_or_default(),
        address: props.address.to_string(),
        manufacturer_data,
        services,
        kind: AdvertisementKind::Btle,
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Offer {
    /// Offered to the server, connecting, or connected.
    Claimed,
    /// The server declined this advertisement (unknown device, denied, failed to connect).
    Declined(Advertisement),
}

/// Which devices are offered; shared by the scan loop, connectors and transports.
#[derive(Debug, Default)]
pub(super) struct Offers {
    peers: Mutex<HashMap<PeripheralId, Offer>>,
}

impl Offers {
    pub fn is_claimed(&self, id: &PeripheralId) -> bool {
        self.peers.lock().get(id) == Some(&Offer::Claimed)
    }

    /// Claims the device for an offer; false if it is claimed or this advertisement was
    /// declined.
    pub fn claim(&self, id: &PeripheralId, ad: &Advertisement) -> bool {
        let mut peers = self.peers.lock();
        match peers.get(id) {
            Some(Offer::Claimed) => false,
            Some(Offer::Declined(old)) if old == ad => false,
            _ => {
                peers.insert(id.clone(), Offer::Claimed);
                true
            }
        }
    }

    /// The server declined the offer: do not offer the same advertisement again this scan.
    pub fn decline(&self, id: &PeripheralId, ad: Advertisement) {
        self.peers.lock().insert(id.clone(), Offer::Declined(ad));
    }

    /// A connection ended: offer the device again at its next advertisement.
    pub fn release(&self, id: &PeripheralId) {
        let mut peers = self.peers.lock();
        if peers.get(id) == Some(&Offer::Claimed) {
            peers.remove(id);
        }
    }

    /// A new scan gives declined devices another chance.
    pub fn new_scan(&self) {
        self.peers.lock().retain(|_, o| *o == Offer::Claimed);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use btleplug::api::BDAddr;
    use uuid::Uuid;

    use super::*;

    #[test]
    fn name_address_data_and_services() {
        let svc = Uuid::from_u128(0x5a300001_0023_4bd4_bbd5_a6920e4c5653);
        let props = PeripheralProperties {
            address: BDAddr::from([0xAA, 0xBB, 0xCC, 0xDD, 0xEE, 0x01]),
            local_name: Some("alias".into()),
            advertisement_name: Some("LVS-Z36".into()),
            manufacturer_data: HashMap::from([(0x005D, vec![0, 0, 0x28, 0x43]), (6, vec![1])]),
            services: vec![svc, svc],
            ..Default::default()
        };
        let ad = advertisement_of(&props);
        assert_eq!(ad.name, "LVS-Z36");
        assert_eq!(ad.address, "AA:BB:CC:DD:EE:01");
        assert_eq!(
            ad.manufacturer_data,
            vec![(6, vec![1]), (0x005D, vec![0, 0, 0x28, 0x43])]
        );
        assert_eq!(ad.services, vec![svc]);
        assert_eq!(ad.kind, AdvertisementKind::Btle);
        let unnamed = PeripheralProperties {
            local_name: Some("AA-BB-CC-DD-EE-01".into()),
            ..Default::default()
        };
        assert_eq!(advertisement_of(&unnamed).name, "AA-BB-CC-DD-EE-01");
    }
}
