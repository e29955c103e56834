//! Teleplug's additions (data/device-config/teleplug-additions.json): layered over any base
//! database for the keys it lacks, never over a key the database defines.

use super::{V4_DATABASE, identity, v4_database};
use crate::device_config::additions::additions_json;
use crate::device_config::load::parse_base;
use crate::device_config::{Advertisement, CommunicationSpecifier};
use crate::device_config::{AdvertisementKind, DeviceConfig};
use crate::wire::OutputType;

#[test]
fn the_additions_file_loads_and_holds_only_what_v5_dropped() {
    let additions = parse_base(additions_json(), "additions").expect("additions parse");
    let keys: Vec<&str> = additions
        .protocols
        .iter()
        .map(|p| p.name.as_str())
        .collect();
    assert_eq!(keys, ["nintendo-joycon"]);
    // Each addition is the v4.189 entry, unchanged.
    let v4 = parse_base(V4_DATABASE, "v4").expect("v4 parses");
    for added in &additions.protocols {
        let original = v4
            .protocols
            .iter()
            .find(|p| p.name == added.name)
            .expect("the addition comes from v4");
        assert_eq!(format!("{added:?}"), format!("{original:?}"));
    }
}

#[test]
fn joycons_keep_working_on_the_embedded_database() {
    let c = DeviceConfig::embedded();
    assert_eq!(c.teleplug_additions(), ["nintendo-joycon"]);
    let d = c
        .resolve(&identity("hid-1", "nintendo-joycon", None))
        .expect("resolves");
    assert_eq!(d.name, "Nintendo Joycon");
    let vibrate = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate");
    assert_eq!(vibrate.base_range, (0, 1000));
    // A Joy-Con (L) is found over HID.
    let ad = Advertisement {
        name: "Joy-Con (L)".into(),
        address: "hid-1".into(),
        manufacturer_data: Vec::new(),
        services: Vec::new(),
        kind: AdvertisementKind::Hid {
            vendor_id: 1406,
            product_id: 8198,
        },
    };
    let hits = c.match_advertisement(&ad);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].protocol, "nintendo-joycon");
    assert!(matches!(hits[0].specifier, CommunicationSpecifier::Hid(_)));
}

#[test]
fn a_database_that_defines_the_key_wins() {
    // v4.189 has its own nintendo-joycon entry: nothing is added.
    let c = v4_database();
    assert!(c.teleplug_additions().is_empty());
    assert_eq!(c.protocol_names().len(), 139);
    // A database whose nintendo-joycon differs keeps its own.
    let own = r#"{"version":{"major":5,"minor":60},"protocols":{"nintendo-joycon":{
        "communication":[{"hid":{"pairs":[{"vendor_id":1406,"product_id":8199}]}}],
        "defaults":{"name":"Joy-Con (newer database)","id":"0aae8323-9095-4b71-b151-d5ef93ab8f6d",
          "features":[{"id":"7a3195c9-4c04-4004-9fac-a475983f1dd4","index":0,"output":{"vibrate":{"value":[0,500]}}}]}}}}"#;
    let c = DeviceConfig::from_base_json(own).expect("loads");
    assert!(c.teleplug_additions().is_empty());
    let d = c
        .resolve(&identity("hid-1", "nintendo-joycon", None))
        .expect("resolves");
    assert_eq!(d.name, "Joy-Con (newer database)");
    assert_eq!(d.features[0].outputs[0].base_range, (0, 500));
}

#[test]
fn a_database_without_the_key_gets_it() {
    let tiny = r#"{"version":{"major":5,"minor":1},"protocols":{"aneros":{"communication":[],
        "defaults":{"name":"Aneros Vivi","id":"f023f0f4-6629-469e-84c4-171ed4939f3d","features":[]}}}}"#;
    let c = DeviceConfig::from_base_json(tiny).expect("loads");
    assert_eq!(c.teleplug_additions(), ["nintendo-joycon"]);
    assert_eq!(c.protocol_names(), ["aneros", "nintendo-joycon"]);
    assert_eq!(c.communication("nintendo-joycon").len(), 1);
}
