//! Database v5's simulated devices (docs/protocols/simulated.md): a v5 user config's
//! `simulated_devices` names archetypes of the base `simulated` specifier; invalid items are
//! skipped, and the list survives write-back.

use serde_json::Value;

use super::{identity, with_user};
use crate::device_config::SimulatedDeviceEntry;

fn config(items: &str) -> String {
    format!(
        r#"{{"version":{{"major":5,"minor":57}},"user_configs":{{"simulated_devices":[{items}]}}}}"#
    )
}

#[test]
fn the_sheet_example_gives_a_named_two_motor_vibrator() {
    let c = with_user(&config(
        r#"{"identifier":"simulated-2vibe","address":"simulated:demo-1","display_name":"Demo"}"#,
    ));
    assert_eq!(
        c.simulated_devices(),
        [SimulatedDeviceEntry {
            protocol: "simulated".into(),
            identifier: "simulated-2vibe".into(),
            address: "simulated:demo-1".into(),
            display_name: Some("Demo".into()),
        }]
    );
    let d = c
        .resolve(&identity(
            "simulated:demo-1",
            "simulated",
            Some("simulated-2vibe"),
        ))
        .expect("resolves");
    assert_eq!(d.name, "Simulated 2-Motor Vibrator");
    assert_eq!(d.display_name.as_deref(), Some("Demo"));
    assert_eq!(d.features.len(), 2);
    // Another address of the same archetype has no display name.
    let other = c
        .resolve(&identity(
            "simulated:x",
            "simulated",
            Some("simulated-2vibe"),
        ))
        .expect("resolves");
    assert_eq!(other.display_name, None);
}

#[test]
fn unknown_archetypes_and_repeated_addresses_are_skipped() {
    let c = with_user(&config(
        r#"{"identifier":"simulated-rotator","address":"a"},
           {"identifier":"simulated-teapot","address":"b"},
           {"identifier":"simulated-1vibe","address":"a"},
           {"identifier":"simulated-1vibe","address":"c","colour":"red"},
           {"identifier":"simulated-stroker","address":"d"}"#,
    ));
    let kept: Vec<(&str, &str)> = c
        .simulated_devices()
        .iter()
        .map(|s| (s.identifier.as_str(), s.address.as_str()))
        .collect();
    assert_eq!(
        kept,
        [("simulated-rotator", "a"), ("simulated-stroker", "d")]
    );
    // Nothing the user wrote is lost on write-back.
    let doc: Value = serde_json::from_str(&c.user_config_json_with(&[])).expect("json");
    assert_eq!(
        doc["user_configs"]["simulated_devices"]
            .as_array()
            .map(Vec::len),
        Some(5)
    );
}

#[test]
fn a_missing_address_is_generated_once_and_kept() {
    let c = with_user(&config(r#"{"identifier":"simulated-oscillator"}"#));
    let address = c.simulated_devices()[0].address.clone();
    assert!(address.starts_with("simulated:"), "{address}");
    let written = c.user_config_json_with(&[]);
    let again = with_user(&written);
    assert_eq!(again.simulated_devices()[0].address, address);
    assert_eq!(again.user_config_json_with(&[]), written);
}

#[test]
fn a_v4_user_config_cannot_ask_for_simulated_devices() {
    let text = config(r#"{"identifier":"simulated-1vibe","address":"a"}"#)
        .replace(r#""major":5,"minor":57"#, r#""major":4,"minor":0"#);
    let c = with_user(&text);
    assert!(c.simulated_devices().is_empty());
    // Written back as the user wrote them (write-back never drops what it does not use), in
    // the file's major.
    let doc: Value = serde_json::from_str(&c.user_config_json_with(&[])).expect("json");
    assert_eq!(doc["version"]["major"], 4);
    assert_eq!(
        doc["user_configs"]["simulated_devices"],
        serde_json::json!([{"identifier": "simulated-1vibe", "address": "a"}])
    );
}
