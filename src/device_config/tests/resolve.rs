//! `resolve` (docs/PROTOCOL.md §6.4, §6.6): user entry → configuration → defaults, inheritance and
//! user overrides.

use super::{
    EXAMPLE_USER, LOVENSE_RIDGE, SIM_ANEROS, TCODE_DISABLED, TCODE_LINEAR_VIBE, identity, with_user,
};
use crate::device_config::DeviceConfig;
use crate::wire::{InputCommandType, InputType, OutputType};

#[test]
fn lovense_hush_inherits_default_features() {
    let c = DeviceConfig::embedded();
    let d = c
        .resolve(&identity("addr", "lovense", Some("Z")))
        .expect("lovense resolves");
    assert_eq!(d.name, "Lovense Hush");
    assert_eq!(d.protocol, "lovense");
    assert_eq!(d.identifier.as_deref(), Some("Z"));
    assert_eq!(d.id.to_string(), "37642e1c-a416-44d3-bada-76b6d9e245c9");
    assert_eq!(d.display_name, None);
    assert_eq!(d.user_index, None);
    assert_eq!(d.features.len(), 2);
    let vib = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate");
    assert_eq!(vib.base_range, (0, 20));
    assert_eq!(vib.client_range(), (0, 20));
    let bat = d
        .feature(1)
        .and_then(|f| f.input(InputType::Battery))
        .expect("battery");
    assert_eq!(bat.ranges, vec![(0, 100)]);
    assert_eq!(bat.commands, vec![InputCommandType::Read]);
    assert_eq!(
        d.feature(1).map(|f| f.description.as_str()),
        Some("battery Level")
    );
}

#[test]
fn unknown_identifier_gets_defaults() {
    let c = DeviceConfig::embedded();
    let d = c
        .resolve(&identity("addr", "lovense", Some("QQQ")))
        .expect("lovense resolves");
    assert_eq!(d.name, "Lovense Device");
    assert_eq!(d.id.to_string(), "d3b1219a-aafe-4257-9d5d-3979b5da3c9a");
    let none = c
        .resolve(&identity("addr", "lovense", None))
        .expect("resolves");
    assert_eq!(none.name, "Lovense Device");
    assert_eq!(
        c.resolve(&identity("addr", "no-such-protocol", Some("Z"))),
        None
    );
}

#[test]
fn configuration_with_own_features() {
    let c = DeviceConfig::embedded();
    let d = c
        .resolve(&identity("a", "lovense", Some("EL")))
        .expect("resolves");
    assert_eq!(d.name, "Lovense Ridge");
    let rot = d
        .feature(1)
        .and_then(|f| f.output(OutputType::Rotate))
        .expect("rotate");
    assert_eq!(rot.client_range(), (-20, 20));
    assert_eq!(
        d.features.iter().map(|f| f.index).collect::<Vec<_>>(),
        vec![0, 1, 2]
    );
}

#[test]
fn inherits_gap_and_variant() {
    let c = DeviceConfig::embedded();
    let d = c
        .resolve(&identity("COM7", "tcode-v03", None))
        .expect("resolves");
    assert_eq!(d.message_gap_ms, Some(20));
    assert_eq!(d.name, "TCode v0.3 (Single Linear Axis)");
    // Outputs in OutputType order: Position before HwPositionWithDuration.
    let types: Vec<_> = d.features[0]
        .outputs
        .iter()
        .map(|o| o.output_type)
        .collect();
    assert_eq!(
        types,
        vec![OutputType::Position, OutputType::HwPositionWithDuration]
    );
    assert_eq!(d.features[0].outputs[1].duration_range, Some((0, 99999)));
    let variants = c
        .all_definitions()
        .into_iter()
        .filter(|d| d.protocol == "vorze-sa" && d.protocol_variant.is_some())
        .count();
    assert_eq!(variants, 7);
}

#[test]
fn sexverse_v5_singular_configuration_is_ignored() {
    // v4.189 misspells the section (`configuration`); v5.57 fixed it (see `changed`).
    let c = super::v4_database();
    let d = c
        .resolve(&identity("a", "sexverse-v5", Some("CB-WXW03")))
        .expect("resolves");
    assert_eq!(d.name, "Sexverse Heart");
}

#[test]
fn all_definitions_match_resolve() {
    let c = DeviceConfig::embedded();
    for d in c.all_definitions() {
        let r = c
            .resolve(&identity("a", &d.protocol, d.identifier.as_deref()))
            .expect("resolves");
        // Duplicate identifiers within a protocol resolve to the last configuration.
        if r.id != d.id {
            assert!(d.identifier.is_some(), "{} defaults differ", d.protocol);
            continue;
        }
        assert_eq!(r, d);
        let indexes: Vec<u32> = d.features.iter().map(|f| f.index).collect();
        let mut sorted = indexes.clone();
        sorted.sort();
        assert_eq!(indexes, sorted);
    }
}

#[test]
fn tcode_user_fixture() {
    let c = with_user(TCODE_LINEAR_VIBE);
    let d = c
        .resolve(&identity(
            "COM7",
            "tcode-v03",
            Some("tcode-v03-linear-vibrate"),
        ))
        .expect("resolves");
    assert_eq!(d.name, "TCode v0.3 (Single Linear Axis + Single Vibe)");
    assert_eq!(d.user_index, Some(0));
    // Inherited from the protocol defaults.
    assert_eq!(d.message_gap_ms, Some(20));
    let hw = d
        .feature(0)
        .and_then(|f| f.output(OutputType::HwPositionWithDuration))
        .expect("hw position");
    assert_eq!(
        (hw.base_range, hw.duration_range),
        ((0, 100), Some((0, 100000)))
    );
    let vib = d
        .feature(1)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate");
    assert_eq!(vib.client_range(), (0, 99));
    assert_eq!(c.reserved_indexes(), vec![0]);
    // Another address with the same identifier: the user configuration, no user entry.
    let other = c
        .resolve(&identity(
            "COM8",
            "tcode-v03",
            Some("tcode-v03-linear-vibrate"),
        ))
        .expect("resolves");
    assert_eq!(other.name, d.name);
    assert_eq!(other.user_index, None);
    assert_eq!(other.id.to_string(), "e4384a37-fd37-4b9e-8464-a510dd8410a7");
}

#[test]
fn tcode_disabled_output() {
    let c = with_user(TCODE_DISABLED);
    let d = c
        .resolve(&identity(
            "tcode-disabled-test-addr",
            "tcode-v03",
            Some("tcode-v03-disabled-test"),
        ))
        .expect("resolves");
    assert_eq!(d.name, "TCode v0.3 (Disabled HW Position Test)");
    let f = d.feature(0).expect("feature 0");
    assert!(
        f.output(OutputType::HwPositionWithDuration)
            .is_some_and(|o| o.disabled)
    );
    assert!(f.output(OutputType::Position).is_some_and(|o| !o.disabled));
}

#[test]
fn lovense_user_fixture() {
    let c = with_user(LOVENSE_RIDGE);
    let d = c
        .resolve(&identity("UserConfigTest", "lovense", Some("F")))
        .expect("resolves");
    assert_eq!(d.name, "Lovense Sex Machine");
    assert_eq!(d.display_name.as_deref(), Some("Lovense Name Test"));
    assert_eq!(d.user_index, Some(0));
    let osc = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Oscillate))
        .expect("oscillate");
    assert_eq!(osc.user_range, Some((0, 20)));
    assert_eq!(osc.client_range(), (0, 20));
    assert!(
        d.feature(1)
            .and_then(|f| f.input(InputType::Battery))
            .is_some()
    );
    // Another identity of the same model is untouched.
    let plain = c
        .resolve(&identity("elsewhere", "lovense", Some("F")))
        .expect("resolves");
    assert_eq!(plain.display_name, None);
    assert_eq!(plain.user_index, None);
}

#[test]
fn example_user_config() {
    let c = with_user(EXAMPLE_USER);
    let d = c
        .resolve(&identity(
            "PeripheralId(81b8f016-ba95-e1ae-3a71-a2e6b1d83b21)",
            "lovense",
            Some("EL"),
        ))
        .expect("resolves");
    assert_eq!(d.name, "Lovense Ridge");
    assert_eq!(d.user_index, Some(0));
    assert_eq!(d.id.to_string(), "5d434198-4697-4b00-985e-33788fc955d1");
    let vib = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate");
    let rot = d
        .feature(1)
        .and_then(|f| f.output(OutputType::Rotate))
        .expect("rotate");
    assert!(!vib.disabled && !rot.disabled);
    assert_eq!(vib.client_range(), (0, 20));
    assert_eq!(rot.client_range(), (-20, 20));
    assert!(
        d.feature(2)
            .and_then(|f| f.input(InputType::Battery))
            .is_some()
    );
}

#[test]
fn section_6_6_example() {
    let c = with_user(SIM_ANEROS);
    let d = c
        .resolve(&identity("sim-aneros-0001", "aneros", Some("SimAneros")))
        .expect("resolves");
    assert_eq!(d.user_index, Some(5));
    assert_eq!(d.display_name.as_deref(), Some("My Sim Vivi"));
    assert_eq!(d.name, "Aneros Vivi");
    assert_eq!(d.message_gap_ms, Some(0));
    let f0 = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate 0");
    assert_eq!(f0.client_range(), (0, 50));
    assert_eq!(f0.to_device_step(1), Some(11));
    assert_eq!(f0.to_device_step(51), None);
    assert!(!f0.disabled);
    let f1 = d
        .feature(1)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate 1");
    assert!(f1.disabled);
    assert_eq!(f1.client_range(), (0, 127));
    assert_eq!(c.reserved_indexes(), vec![5]);
    assert!(c.is_allowed("sim-aneros-0001"));
    assert!(c.is_allowed("anything-else"));
}

#[test]
fn duplicate_identifiers_resolve_to_the_last_configuration() {
    let c = DeviceConfig::embedded();
    let d = c
        .resolve(&identity("a", "sexverse-v4", Some("BC1847")))
        .expect("resolves");
    assert_eq!(d.name, "Sexverse Dark Knight");
    let d = c
        .resolve(&identity("a", "libo-vibes", Some("Yuyi")))
        .expect("resolves");
    assert_eq!(d.name, "Libo Feather");
}
