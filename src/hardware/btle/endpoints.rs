//! The database's service map (service UUID → endpoint → characteristic UUID) applied to the
//! services a connected device actually has: only endpoints whose characteristic exists are
//! mapped; when several services name the same endpoint, the first service in the map that the
//! device has wins (e.g. Lovense lists one service per model family, a toy has one).

use std::collections::{BTreeMap, BTreeSet};

use btleplug::api::{Characteristic, Service};
use uuid::Uuid;

use crate::device_config::BtleSpecifier;
use crate::hardware::Endpoint;

/// Endpoint → the device's characteristic.
pub(super) fn map_endpoints(
    spec: &BtleSpecifier,
    services: &BTreeSet<Service>,
) -> BTreeMap<Endpoint, Characteristic> {
    let mut map = BTreeMap::new();
    for (service_uuid, endpoints) in &spec.services {
        let Some(service) = services.iter().find(|s| s.uuid == *service_uuid) else {
            continue;
        };
        for (endpoint, char_uuid) in endpoints {
            if let Some(c) = service
                .characteristics
                .iter()
                .find(|c| c.uuid == *char_uuid)
            {
                map.entry(*endpoint).or_insert_with(|| c.clone());
            }
        }
    }
    map
}

/// (service UUID, characteristic UUID) → endpoint, for notifications.
pub(super) fn reverse(map: &BTreeMap<Endpoint, Characteristic>) -> Vec<((Uuid, Uuid), Endpoint)> {
    map.iter()
        .map(|(e, c)| ((c.service_uuid, c.uuid), *e))
        .collect()
}

#[cfg(test)]
mod tests {
    use btleplug::api::CharPropFlags;

    use super::*;

    fn uuid(n: u128) -> Uuid {
        Uuid::from_u128(n)
    }

    fn characteristic(service: u128, id: u128) -> Characteristic {
        Characteristic {
            uuid: uuid(id),
            service_uuid: uuid(service),
            properties: CharPropFlags::WRITE,
            descriptors: BTreeSet::new(),
        }
    }

    fn service(id: u128, chars: &[u128]) -> Service {
        Service {
            uuid: uuid(id),
            primary: true,
            characteristics: chars.iter().map(|c| characteristic(id, *c)).collect(),
        }
    }

    #[test]
    fn only_characteristics_the_device_has() {
        let mut spec = BtleSpecifier::default();
        spec.services.insert(
            uuid(0x10),
            BTreeMap::from([(Endpoint::Tx, uuid(0x11)), (Endpoint::Rx, uuid(0x12))]),
        );
        spec.services.insert(
            uuid(0x20),
            BTreeMap::from([(Endpoint::Tx, uuid(0x21)), (Endpoint::Rx, uuid(0x22))]),
        );
        spec.services.insert(
            uuid(0x30),
            BTreeMap::from([(Endpoint::Command, uuid(0x31))]),
        );
        // The device has the second family's service (tx only) and an unrelated one.
        let device = BTreeSet::from([service(0x20, &[0x21]), service(0x99, &[0x31])]);
        let map = map_endpoints(&spec, &device);
        assert_eq!(map.keys().copied().collect::<Vec<_>>(), vec![Endpoint::Tx]);
        assert_eq!(map[&Endpoint::Tx].uuid, uuid(0x21));
        assert_eq!(
            reverse(&map),
            vec![((uuid(0x20), uuid(0x21)), Endpoint::Tx)]
        );
        assert!(map_endpoints(&spec, &BTreeSet::new()).is_empty());
    }
}
