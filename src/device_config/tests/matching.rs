//! `match_advertisement` (docs/PROTOCOL.md §6.3) on the embedded database and user configs.

use uuid::Uuid;

use super::{SIM_ANEROS, TCODE_LINEAR_VIBE, with_user};
use crate::device_config::{Advertisement, AdvertisementKind};
use crate::device_config::{CommunicationSpecifier, DeviceConfig, Parity};

fn protocols(c: &DeviceConfig, ad: &Advertisement) -> Vec<String> {
    c.match_advertisement(ad)
        .into_iter()
        .map(|m| m.protocol)
        .collect()
}

fn ad(kind: AdvertisementKind, name: &str) -> Advertisement {
    Advertisement {
        name: name.into(),
        address: "addr".into(),
        manufacturer_data: Vec::new(),
        services: Vec::new(),
        kind,
    }
}

#[test]
fn exact_names() {
    let c = DeviceConfig::embedded();
    let m = c.match_advertisement(&Advertisement::btle("Massage Demo", "a"));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].protocol, "aneros");
    let CommunicationSpecifier::Btle(b) = &m[0].specifier else {
        panic!("expected a btle specifier, got {:?}", m[0].specifier);
    };
    assert_eq!(b.endpoints().len(), 1);
    // Exact means exact.
    assert!(protocols(&c, &Advertisement::btle("Massage Demo 2", "a")).is_empty());
    assert!(protocols(&c, &Advertisement::btle("massage demo", "a")).is_empty());
    assert!(protocols(&c, &Advertisement::btle("", "a")).is_empty());
}

#[test]
fn wildcard_names() {
    let c = DeviceConfig::embedded();
    assert_eq!(
        protocols(&c, &Advertisement::btle("LVS-Hush", "a")),
        vec!["lovense"]
    );
    assert_eq!(
        protocols(&c, &Advertisement::btle("LVS-", "a")),
        vec!["lovense"]
    );
    assert_eq!(
        protocols(&c, &Advertisement::btle("LOVE-Edge", "a")),
        vec!["lovense"]
    );
    assert!(!protocols(&c, &Advertisement::btle("LVS", "a")).contains(&"lovense".to_string()));
    assert!(
        !protocols(&c, &Advertisement::btle("XLVS-Hush", "a")).contains(&"lovense".to_string())
    );
}

#[test]
fn manufacturer_data() {
    let c = DeviceConfig::embedded();
    let mut a = Advertisement::btle("Unnamed", "a");
    a.manufacturer_data = vec![(93, vec![0x10, 0x00, 0x00, 0x27, 0x55])];
    assert_eq!(protocols(&c, &a), vec!["satisfyer"]);
    a.manufacturer_data = vec![(93, vec![0x00, 0x00, 0x28])];
    assert_eq!(protocols(&c, &a), vec!["satisfyer"]);
    // Not contiguous.
    a.manufacturer_data = vec![(93, vec![0x00, 0x01, 0x00, 0x27])];
    assert!(protocols(&c, &a).is_empty());
    // Wrong company.
    a.manufacturer_data = vec![(94, vec![0x00, 0x00, 0x27])];
    assert!(protocols(&c, &a).is_empty());
    // Company without data requirement (fluffer, 26698): any payload.
    a.manufacturer_data = vec![(26698, vec![])];
    assert_eq!(protocols(&c, &a), vec!["fluffer"]);
}

#[test]
fn manufacturer_expected_length() {
    let base = r#"{"version":{"major":4,"minor":0},"protocols":{"p":{
      "communication":[{"btle":{"names":["n"],"manufacturer_data":[{"company":1,"data":[7],"expected_length":3}],
        "services":{"0000ff00-0000-1000-8000-00805f9b34fb":{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}],
      "defaults":{"name":"P","id":"f023f0f4-6629-469e-84c4-171ed4939f3d","features":[]}}}}"#;
    let c = DeviceConfig::from_base_json(base).expect("loads");
    let mut a = Advertisement::btle("other", "a");
    a.manufacturer_data = vec![(1, vec![0, 7, 0])];
    assert_eq!(protocols(&c, &a), vec!["p"]);
    a.manufacturer_data = vec![(1, vec![0, 7, 0, 0])];
    assert!(protocols(&c, &a).is_empty());
}

#[test]
fn advertised_services() {
    let c = DeviceConfig::embedded();
    let mut a = Advertisement::btle("", "a");
    a.services = vec![Uuid::parse_str("5a300001-0024-4bd4-bbd5-a6920e4c5653").expect("uuid")];
    assert_eq!(protocols(&c, &a), vec!["lovense"]);
    a.services = vec![Uuid::parse_str("00001320-0000-1000-8000-00805f9b34fb").expect("uuid")];
    assert_eq!(protocols(&c, &a), vec!["adrienlastic"]);
    a.services = vec![Uuid::nil()];
    assert!(protocols(&c, &a).is_empty());
}

#[test]
fn btle_kind_only_matches_btle() {
    let c = DeviceConfig::embedded();
    // The serial template port "default" is not a BLE name.
    assert!(protocols(&c, &Advertisement::btle("default", "a")).is_empty());
    // A websocket identifier equal to a BLE name does not match the BLE specifier.
    let w = ad(
        AdvertisementKind::Websocket {
            identifier: "Massage Demo".into(),
        },
        "Massage Demo",
    );
    assert!(protocols(&c, &w).is_empty());
}

#[test]
fn serial_ports() {
    let c = DeviceConfig::embedded();
    let port = |p: &str| {
        ad(
            AdvertisementKind::Serial {
                port: p.to_string(),
            },
            p,
        )
    };
    // "default" is a settings template, compared literally like any other port name.
    assert!(protocols(&c, &port("/dev/ttyUSB0")).is_empty());
    assert!(protocols(&c, &port("COM7")).is_empty());

    let u = with_user(
        r#"{"version":{"major":4,"minor":3},"user_configs":{"protocols":{
          "tcode-v03":{"communication":[{"serial":{"port":"/dev/ttyUSB0"}}]},
          "nobra":{"communication":[{"serial":{"port":"COM3","baud_rate":9600,"data_bits":7,"parity":"E","stop_bits":2}}]}}}}"#,
    );
    let m = u.match_advertisement(&port("/dev/ttyUSB0"));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].protocol, "tcode-v03");
    let CommunicationSpecifier::Serial(s) = &m[0].specifier else {
        panic!("expected serial, got {:?}", m[0].specifier);
    };
    // Settings come from the protocol's base template.
    assert_eq!(
        (
            s.port.as_str(),
            s.baud_rate,
            s.data_bits,
            s.parity,
            s.stop_bits
        ),
        ("/dev/ttyUSB0", 115200, 8, Parity::None, 1)
    );
    let m = u.match_advertisement(&port("COM3"));
    let CommunicationSpecifier::Serial(s) = &m[0].specifier else {
        panic!("expected serial");
    };
    assert_eq!(
        (s.baud_rate, s.data_bits, s.parity, s.stop_bits),
        (9600, 7, Parity::Even, 2)
    );
    assert!(protocols(&u, &port("/dev/ttyUSB1")).is_empty());
    // User specifiers come first in `communication`.
    let comm = u.communication("tcode-v03");
    assert_eq!(comm.len(), 2);
    assert!(matches!(&comm[0], CommunicationSpecifier::Serial(s) if s.port == "/dev/ttyUSB0"));
    assert!(matches!(&comm[1], CommunicationSpecifier::Serial(s) if s.port == "default"));
}

#[test]
fn hid_and_usb_pairs() {
    let c = DeviceConfig::embedded();
    let hid = |v, p| {
        ad(
            AdvertisementKind::Hid {
                vendor_id: v,
                product_id: p,
            },
            "hid",
        )
    };
    let m = c.match_advertisement(&hid(1406, 8199));
    assert_eq!(m.len(), 1);
    assert_eq!(m[0].protocol, "nintendo-joycon");
    assert!(matches!(m[0].specifier, CommunicationSpecifier::Hid(_)));
    assert_eq!(protocols(&c, &hid(8020, 1)), vec!["realtouch"]);
    let m = c.match_advertisement(&hid(2889, 1615));
    assert_eq!(m[0].protocol, "rez-trancevibrator");
    assert!(matches!(m[0].specifier, CommunicationSpecifier::Usb(_)));
    assert!(protocols(&c, &hid(1406, 1)).is_empty());
    assert!(protocols(&c, &hid(8199, 1406)).is_empty());
}

#[test]
fn websocket_via_user_config() {
    let c = DeviceConfig::embedded();
    let ws = |i: &str| {
        ad(
            AdvertisementKind::Websocket {
                identifier: i.to_string(),
            },
            i,
        )
    };
    assert!(protocols(&c, &ws("SimAneros")).is_empty());
    let u = with_user(SIM_ANEROS);
    assert_eq!(protocols(&u, &ws("SimAneros")), vec!["aneros"]);
    assert_eq!(protocols(&u, &ws("LVSDevice")), vec!["lovense"]);
    assert!(protocols(&u, &ws("simaneros")).is_empty());
    assert!(protocols(&u, &ws("SimAneros ")).is_empty());
    // No wildcards for websocket names.
    let w = with_user(
        r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"aneros":{"communication":[{"websocket":{"name":"Sim*"}}]}}}}"#,
    );
    assert!(protocols(&w, &ws("SimAneros")).is_empty());
    assert_eq!(protocols(&w, &ws("Sim*")), vec!["aneros"]);
}

#[test]
fn user_specifiers_come_first() {
    let u = with_user(
        r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
          "aneros":{"communication":[{"btle":{"names":["LVS-Custom"],"services":{"0000ff00-0000-1000-8000-00805f9b34fb":{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}]},
          "lovense":{"communication":[{"btle":{"names":["Massage Demo"],"services":{"0000ff00-0000-1000-8000-00805f9b34fb":{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}]}}}}"#,
    );
    assert_eq!(
        protocols(&u, &Advertisement::btle("LVS-Custom", "a")),
        vec!["aneros", "lovense"]
    );
    // Base order alone would put aneros first; the user's lovense specifier wins the head, and
    // aneros (matched by base) is listed once after it.
    assert_eq!(
        protocols(&u, &Advertisement::btle("Massage Demo", "a")),
        vec!["lovense", "aneros"]
    );
    // Deterministic.
    for _ in 0..3 {
        assert_eq!(
            protocols(&u, &Advertisement::btle("LVS-Custom", "a")),
            vec!["aneros", "lovense"]
        );
    }
}

#[test]
fn base_matches_in_protocol_key_order() {
    // The shipped database has no name claimed twice, so build one that does.
    let proto = |names: &str| {
        format!(
            r#"{{"communication":[{{"btle":{{"names":{names},"services":{{"0000ff00-0000-1000-8000-00805f9b34fb":{{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}}}}}],
               "defaults":{{"name":"D","id":"f023f0f4-6629-469e-84c4-171ed4939f3d","features":[]}}}}"#
        )
    };
    let base = format!(
        r#"{{"version":{{"major":4,"minor":0}},"protocols":{{"zeta":{},"alpha":{},"mid":{}}}}}"#,
        proto(r#"["Same"]"#),
        proto(r#"["Other","Same"]"#),
        proto(r#"["Sa*"]"#)
    );
    let c = DeviceConfig::from_base_json(&base).expect("loads");
    for _ in 0..3 {
        assert_eq!(
            protocols(&c, &Advertisement::btle("Same", "a")),
            vec!["alpha", "mid", "zeta"]
        );
    }
    assert_eq!(protocols(&c, &Advertisement::btle("Sam", "a")), vec!["mid"]);
}

#[test]
fn tcode_fixture_adds_a_ble_name() {
    let u = with_user(TCODE_LINEAR_VIBE);
    assert_eq!(
        protocols(&u, &Advertisement::btle("tcode-v03-linear-vibrate", "COM7")),
        vec!["tcode-v03"]
    );
    assert!(
        protocols(
            &DeviceConfig::embedded(),
            &Advertisement::btle("tcode-v03-linear-vibrate", "COM7")
        )
        .is_empty()
    );
}

#[test]
fn gamepads_match_the_sdl_gamepad_specifier_only() {
    let c = DeviceConfig::embedded();
    let pad = ad(AdvertisementKind::SdlGamepad, "Xbox Wireless Controller");
    let m = c.match_advertisement(&pad);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].protocol, "sdl-gamepad");
    assert_eq!(m[0].specifier, CommunicationSpecifier::SdlGamepad);
    // The v4 database has no sdl-gamepad key, and its xinput entry is not a gamepad match.
    assert!(protocols(&super::v4_database(), &pad).is_empty());
    // A v5 user config may add the specifier to an existing protocol; `exists: false` is off.
    let u = with_user(
        r#"{"version":{"major":5,"minor":57},"user_configs":{"protocols":{
          "xinput":{"communication":[{"sdl-gamepad":{"exists":true}}]},
          "lovense":{"communication":[{"sdl-gamepad":{"exists":false}}]}}}}"#,
    );
    assert_eq!(protocols(&u, &pad), vec!["xinput", "sdl-gamepad"]);
}

#[test]
fn lovense_connect_toys_match_the_connect_service_protocol_only() {
    let c = DeviceConfig::embedded();
    let toy = ad(AdvertisementKind::LovenseConnect, "Hush");
    assert_eq!(protocols(&c, &toy), vec!["lovense-connect-service"]);
    // A Bluetooth advertisement of the same name does not reach it.
    assert!(
        !protocols(&c, &Advertisement::btle("Hush", "a"))
            .contains(&"lovense-connect-service".to_string())
    );
}

#[test]
fn specifiers_no_transport_reaches_never_match() {
    let c = DeviceConfig::embedded();
    let unmatchable: Vec<String> = c
        .protocol_names()
        .into_iter()
        .filter(|p| !c.communication(p).iter().any(|s| s.is_matchable()))
        .collect();
    assert_eq!(unmatchable, ["simulated", "xinput"]);
    // The simulated archetype names are not BLE names.
    assert!(protocols(&c, &Advertisement::btle("simulated-1vibe", "a")).is_empty());
}
