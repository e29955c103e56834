//! User configs: what loads, what is skipped with a warning, allow/deny.

use super::{LOVENSE_RIDGE_INVALID, VALID_USER_CONFIGS, identity, with_user};
use crate::device_config::{ConfigError, DeviceConfig};
use crate::wire::OutputType;

/// The Lovense Ridge (`EL`) entry of the example config with its three features, with `output`
/// of feature 0 and the `user_config` object replaceable.
fn ridge(feature0_output: &str, extra_feature: &str, user_config: &str) -> String {
    format!(
        r#"{{"version":{{"major":4,"minor":0}},"user_configs":{{"devices":[{{
          "identifier":{{"protocol":"lovense","identifier":"EL","address":"ridge"}},
          "config":{{"id":"5d434198-4697-4b00-985e-33788fc955d1","base_id":"bbfd764c-b419-4c13-aeb0-e753a86318ed",
            "features":[
              {{"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","base_id":"0627be5e-8553-4f20-b4cf-15f5e1896e5f","output":{feature0_output}}},
              {{"id":"c82ea967-3014-49ef-8189-e7e065c4bdbf","base_id":"360d81e7-5126-4dbb-b72d-7bb60eb67400"}},
              {{"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c","base_id":"50b9b31f-c2a8-459a-81fd-c54604f5184e"}}{extra_feature}],
            "user_config":{user_config}}}}}]}}}}"#
    )
}

const UC: &str = r#"{"allow":false,"deny":false,"index":3}"#;

fn ridge_index(text: &str) -> Option<u32> {
    with_user(text)
        .resolve(&identity("ridge", "lovense", Some("EL")))
        .and_then(|d| d.user_index)
}

#[test]
fn every_valid_fixture_loads_with_its_entries() {
    for (name, text) in VALID_USER_CONFIGS {
        let c = DeviceConfig::embedded()
            .with_user_config_json(text)
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            !c.reserved_indexes().is_empty(),
            "{name} lost its device entry"
        );
    }
}

#[test]
fn invalid_range_fixture_is_ignored_without_failing() {
    let c = with_user(LOVENSE_RIDGE_INVALID);
    let d = c
        .resolve(&identity("UserConfigTest", "lovense", Some("F")))
        .expect("resolves");
    assert_eq!(d.name, "Lovense Sex Machine");
    assert_eq!(d.user_index, None);
    assert_eq!(d.display_name, None);
    let osc = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Oscillate))
        .expect("oscillate");
    assert_eq!(osc.user_range, None);
    assert!(c.reserved_indexes().is_empty());
    assert!(c.is_allowed("UserConfigTest"));
}

#[test]
fn valid_override_applies() {
    assert_eq!(
        ridge_index(&ridge(r#"{"vibrate":{"value":[5,15]}}"#, "", UC)),
        Some(3)
    );
    let c = with_user(&ridge(
        r#"{"vibrate":{"value":[5,15],"disabled":true}}"#,
        "",
        UC,
    ));
    let d = c
        .resolve(&identity("ridge", "lovense", Some("EL")))
        .expect("resolves");
    let v = d
        .feature(0)
        .and_then(|f| f.output(OutputType::Vibrate))
        .expect("vibrate");
    assert_eq!(
        (v.user_range, v.disabled, v.client_range()),
        (Some((5, 15)), true, (0, 10))
    );
    // A single-step range is non-empty.
    assert_eq!(
        ridge_index(&ridge(r#"{"vibrate":{"value":[20,20]}}"#, "", UC)),
        Some(3)
    );
    // Identity must match exactly (identifier included).
    assert_eq!(
        c.resolve(&identity("ridge", "lovense", None))
            .and_then(|d| d.user_index),
        None
    );
}

#[test]
fn invalid_entries_are_skipped() {
    let cases = [
        // Out of range, reversed, negative.
        ridge(r#"{"vibrate":{"value":[0,21]}}"#, "", UC),
        ridge(r#"{"vibrate":{"value":[10,5]}}"#, "", UC),
        ridge(r#"{"vibrate":{"value":[-1,5]}}"#, "", UC),
        // Output type not in the base feature; unknown output type.
        ridge(r#"{"rotate":{"value":[0,5]}}"#, "", UC),
        ridge(r#"{"inflate":{"value":[0,5]}}"#, "", UC),
        // Reverse and duration only for positional outputs.
        ridge(r#"{"vibrate":{"reverse":true}}"#, "", UC),
        ridge(r#"{"vibrate":{"duration":[0,10]}}"#, "", UC),
        // Unknown key in an override.
        ridge(r#"{"vibrate":{"step_limit":[0,10]}}"#, "", UC),
        // Feature count mismatch.
        ridge(
            "{}",
            r#",{"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421d","base_id":"50b9b31f-c2a8-459a-81fd-c54604f5184e"}"#,
            UC,
        ),
        // Input override.
        ridge(
            r#"{},"input":{"battery":{"value":[[0,100]],"command":["Read"]}}"#,
            "",
            UC,
        ),
        // Missing index, unknown user_config key.
        ridge("{}", "", r#"{"allow":false,"deny":false}"#),
        ridge(
            "{}",
            "",
            r#"{"allow":false,"deny":false,"index":1,"colour":"red"}"#,
        ),
    ];
    for (i, text) in cases.iter().enumerate() {
        assert_eq!(
            ridge_index(text),
            None,
            "case {i} should be ignored:\n{text}"
        );
    }
    // Unknown base_id and unknown protocol.
    let bad_base = ridge("{}", "", UC).replace(
        "bbfd764c-b419-4c13-aeb0-e753a86318ed",
        "bbfd764c-b419-4c13-aeb0-e753a86318ee",
    );
    assert_eq!(ridge_index(&bad_base), None);
    let bad_proto = ridge("{}", "", UC).replace("\"lovense\"", "\"lovensex\"");
    let c = with_user(&bad_proto);
    assert!(c.reserved_indexes().is_empty());
    // A feature base_id from another definition of the same protocol.
    let foreign = ridge("{}", "", UC).replace(
        "50b9b31f-c2a8-459a-81fd-c54604f5184e",
        "7c382c60-0ee2-4315-b8cf-cfd3ab4c9ccd",
    );
    assert_eq!(ridge_index(&foreign), None);
}

#[test]
fn one_bad_entry_does_not_spoil_the_rest() {
    let good = ridge("{}", "", UC);
    let text = good.replace(
        r#""devices":["#,
        r#""devices":[{"identifier":{"address":"x"}},42,"#,
    );
    assert_eq!(ridge_index(&text), Some(3));
}

#[test]
fn protocols_section_is_lenient() {
    let c = with_user(
        r#"{"version":{"major":4,"minor":12345},"extra":1,"user_configs":{"weird":[],"protocols":{
          "not-a-protocol":{"communication":[{"websocket":{"name":"X"}}]},
          "aneros":{"communication":[{"websocket":{"name":"A"}},{"websocket":{"nom":"B"}},{"serial":{"port":"P"}},{"btle":{}},{"carrier_pigeon":{}}],
                    "configurations":[{"identifier":["Vivi2"],"name":"Aneros Vivi 2","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e11"},
                                      {"identifier":[],"name":"Broken","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e12"}],
                    "color":"blue"},
          "lovense":{"devices":{"configurations":[{"identifier":["NEW"],"name":"Lovense New","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e13"}]}}}}}"#,
    );
    let comm = c.communication("aneros");
    // websocket A, then the base one (the bad ones are skipped).
    assert_eq!(comm.len(), 2, "{comm:?}");
    assert!(c.communication("not-a-protocol").is_empty());
    let d = c
        .resolve(&identity("a", "aneros", Some("Vivi2")))
        .expect("resolves");
    assert_eq!(d.name, "Aneros Vivi 2");
    assert_eq!(d.features.len(), 2, "inherits the defaults' features");
    let n = c
        .resolve(&identity("a", "lovense", Some("NEW")))
        .expect("resolves");
    assert_eq!(n.name, "Lovense New");
}

#[test]
fn user_configurations_come_before_base_ones() {
    let c = with_user(
        r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"configurations":[
          {"identifier":["Z"],"name":"My Hush","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e14"}]}}}}"#,
    );
    let d = c
        .resolve(&identity("a", "lovense", Some("Z")))
        .expect("resolves");
    assert_eq!(d.name, "My Hush");
}

#[test]
fn unreadable_user_configs_fail_with_line_and_column() {
    let base = DeviceConfig::embedded();
    let err = |text: &str| base.with_user_config_json(text).unwrap_err();
    assert!(matches!(
        err("{"),
        ConfigError::Json {
            line: 1,
            column: 1,
            ..
        }
    ));
    let e = err("[]");
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                line: 1,
                column: 1,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "user device config: line 1, column 1: invalid type: sequence, expected a JSON object"
    );
    let e = err("{\n  \"user_configs\": {}\n}");
    assert!(
        matches!(&e, ConfigError::Invalid { line: 3, column: 1, message, .. } if message.contains("missing field `version`")),
        "{e}"
    );
    let e = err(r#"{"version":{"major":4},"user_configs":[]}"#);
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                line: 1,
                column: 38,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(
        e.to_string(),
        "user device config: line 1, column 38: invalid type: sequence, expected a JSON object"
    );
    let e = err(r#"{"version":"4"}"#);
    assert!(
        matches!(
            e,
            ConfigError::Invalid {
                line: 1,
                column: 14,
                ..
            }
        ),
        "{e}"
    );
    // Truncated anywhere: an error with a position, never a partial config.
    for (name, text) in VALID_USER_CONFIGS {
        for end in (0..text.len()).filter(|i| text.is_char_boundary(*i)) {
            let trimmed = text[..end].trim_end();
            if trimmed.len() < text.trim_end().len() {
                let e = base.with_user_config_json(&text[..end]).unwrap_err();
                assert!(e.position().is_some(), "{name} cut at {end}: {e}");
            }
        }
    }
    // Version alone is a valid (empty) user config, in either major.
    for major in [4, 5] {
        let c = base
            .with_user_config_json(&format!(r#"{{"version":{{"major":{major},"minor":0}}}}"#))
            .expect("loads");
        assert!(c.reserved_indexes().is_empty());
    }
}

#[test]
fn base_ids_resolve_within_the_entry_s_protocol_and_identifier() {
    // HoneyPlayBox Anello and Puff share one definition id; the entry's identifier picks.
    let c = DeviceConfig::embedded();
    let anello = c
        .all_definitions()
        .into_iter()
        .find(|d| d.name == "Honey Play Box Anello")
        .expect("Anello");
    let puff = c
        .all_definitions()
        .into_iter()
        .find(|d| d.name == "Honey Play Box Puff")
        .expect("Puff");
    assert_eq!(anello.id, puff.id);
    assert_ne!(anello.features.len(), puff.features.len());
    for def in [anello, puff] {
        let identity = identity("hpb-1", "honeyplaybox", def.identifier.as_deref());
        let text = c.user_config_json_with(&[(identity.clone(), 2, def.name.clone())]);
        let loaded = with_user(&text);
        let d = loaded.resolve(&identity).expect("resolves");
        assert_eq!(d.user_index, Some(2), "{}", def.name);
        assert_eq!(d.features.len(), def.features.len());
    }
}

#[test]
fn a_feature_id_listed_twice_names_its_features_in_order() {
    // sexverse-v2's Duopeak Saphette lists one feature id twice.
    let c = DeviceConfig::embedded();
    let saphette = c
        .all_definitions()
        .into_iter()
        .find(|d| d.name == "Duopeak Saphette")
        .expect("Saphette");
    let ids: Vec<_> = saphette.features.iter().map(|f| f.id).collect();
    assert!(ids.iter().enumerate().any(|(i, id)| ids[..i].contains(id)));
    let identity = identity("sap-1", "sexverse-v2", saphette.identifier.as_deref());
    let text = c.user_config_json_with(&[(identity.clone(), 4, "Saphette".into())]);
    let d = with_user(&text).resolve(&identity).expect("resolves");
    assert_eq!(d.user_index, Some(4));
    let outputs = |d: &crate::device_config::DeviceDefinition| {
        d.features
            .iter()
            .map(|f| (f.index, f.outputs.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(outputs(&d), outputs(&saphette));
    // One entry too many for that id is refused.
    let doc: serde_json::Value = serde_json::from_str(&text).expect("json");
    let mut doc = doc;
    if let Some(features) = doc["user_configs"]["devices"][0]["config"]["features"].as_array_mut() {
        let dup = features
            .iter()
            .find(|f| f["base_id"] == ids[0].to_string())
            .cloned()
            .expect("feature");
        let last = features.len() - 1;
        features[last] = dup.clone();
        features[last - 1] = dup;
    }
    assert_eq!(
        with_user(&doc.to_string())
            .resolve(&identity)
            .and_then(|d| d.user_index),
        None
    );
}

#[test]
fn a_new_user_config_replaces_the_old_one() {
    let first = with_user(&ridge("{}", "", UC));
    assert_eq!(first.reserved_indexes(), vec![3]);
    let second = first
        .with_user_config_json(r#"{"version":{"major":4,"minor":0}}"#)
        .expect("loads");
    assert!(second.reserved_indexes().is_empty());
    assert_eq!(first.reserved_indexes(), vec![3]);
}

#[test]
fn bluetooth_addresses_written_by_other_servers_match_the_bluetooth_address() {
    use crate::device_config::user::normalize_address;
    for written in [
        "AA:BB:CC:DD:EE:01",
        "aa:bb:cc:dd:ee:01",
        "aa-bb-cc-dd-ee-01",
        "hci0/dev_AA_BB_CC_DD_EE_01",
        r#"PeripheralId(DeviceId { object_path: Path("/org/bluez/hci0/dev_aa_BB_cc_DD_ee_01\0") })"#,
    ] {
        assert_eq!(normalize_address(written), "AA:BB:CC:DD:EE:01", "{written}");
    }
    for kept in [
        "ridge",
        "sim-aneros-0001",
        "/dev/ttyUSB0",
        "PeripheralId(81b8f016-ba95-e1ae-3a71-a2e6b1d83b21)",
        "dev_AA_BB_CC_DD_EE",
        "AA:BB:CC:DD:EE:GG",
    ] {
        assert_eq!(normalize_address(kept), kept);
    }
    // An entry keyed by the BlueZ object applies to the device found at that address.
    let text = ridge("{}", "", r#"{"allow":false,"deny":true,"index":4}"#).replace(
        r#""address":"ridge""#,
        r#""address":"PeripheralId(DeviceId { object_path: Path(\"/org/bluez/hci0/dev_C4_4F_33_00_11_22\") })""#,
    );
    let c = with_user(&text);
    assert!(!c.is_allowed("C4:4F:33:00:11:22"));
    assert_eq!(
        c.resolve(&identity("C4:4F:33:00:11:22", "lovense", Some("EL")))
            .and_then(|d| d.user_index),
        Some(4)
    );
}

#[test]
fn deny_and_allow() {
    let deny = with_user(&ridge("{}", "", r#"{"allow":false,"deny":true,"index":1}"#));
    assert!(!deny.is_allowed("ridge"));
    assert!(deny.is_allowed("other"));

    let allow = with_user(&ridge("{}", "", r#"{"allow":true,"deny":false,"index":1}"#));
    assert!(allow.is_allowed("ridge"));
    assert!(!allow.is_allowed("other"));

    // Deny wins over allow for the same address.
    let both = with_user(&ridge("{}", "", r#"{"allow":true,"deny":true,"index":1}"#));
    assert!(!both.is_allowed("ridge"));

    // A deny in an otherwise invalid entry still denies.
    let broken = with_user(&ridge(
        r#"{"vibrate":{"value":[0,99]}}"#,
        "",
        r#"{"allow":false,"deny":true,"index":1}"#,
    ));
    assert!(broken.reserved_indexes().is_empty());
    assert!(!broken.is_allowed("ridge"));

    // No user config: everything is allowed.
    assert!(DeviceConfig::embedded().is_allowed("ridge"));
}

#[test]
fn duplicate_identity_keeps_the_first_entry() {
    let parse = |t: &str| serde_json::from_str::<serde_json::Value>(t).expect("json");
    let mut one = parse(&ridge("{}", "", UC));
    let two = parse(&ridge(
        "{}",
        "",
        r#"{"allow":false,"deny":false,"index":9}"#,
    ));
    let second = two["user_configs"]["devices"][0].clone();
    if let Some(devices) = one["user_configs"]["devices"].as_array_mut() {
        devices.push(second);
    }
    let c = with_user(&one.to_string());
    assert_eq!(c.reserved_indexes(), vec![3]);
}

#[test]
fn mangled_inputs_never_panic() {
    let base = DeviceConfig::embedded();
    for (_, text) in VALID_USER_CONFIGS
        .iter()
        .chain(&[("invalid", LOVENSE_RIDGE_INVALID)])
    {
        for end in (0..text.len()).filter(|i| text.is_char_boundary(*i)) {
            let _ = base.with_user_config_json(&text[..end]);
        }
        for (from, to) in [
            ("0", "-7"),
            ("0", "4294967296"),
            ("[", "[[]"),
            ("\"", "\"\""),
            ("true", "null"),
            ("false", "{}"),
            (":", ":["),
        ] {
            if let Ok(c) = base.with_user_config_json(&text.replace(from, to)) {
                let _ = c.reserved_indexes();
                let _ = c.user_config_json_with(&[(identity("a", "lovense", None), 1, "x".into())]);
            }
        }
    }
}

#[test]
fn sections_of_the_wrong_type_are_refused_not_dropped() {
    // Skipping them would lose them on write-back; the error says where they are.
    let base = DeviceConfig::embedded();
    for (section, value) in [
        ("protocols", "[]"),
        ("devices", "{}"),
        ("devices", "7"),
        ("simulated_devices", "\"none\""),
    ] {
        let text = format!(
            "{{\"version\":{{\"major\":5,\"minor\":0}},\n\"user_configs\":{{\"{section}\":{value}}}}}"
        );
        let e = base.with_user_config_json(&text).unwrap_err();
        assert!(
            matches!(e, ConfigError::Invalid { line: 2, .. }),
            "{section}: {e}"
        );
    }
    // null is as good as absent.
    let c = base
        .with_user_config_json(
            r#"{"version":{"major":5,"minor":0},"user_configs":{"protocols":null,"devices":null}}"#,
        )
        .expect("loads");
    assert!(c.reserved_indexes().is_empty());
}
