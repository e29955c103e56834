//! `user_config_json_with`: recording device indexes so they persist (docs/PROTOCOL.md §6.6).

use serde_json::Value;

use super::{SIM_ANEROS, identity, with_user};
use crate::device_config::DeviceConfig;

#[test]
fn new_devices_are_recorded_and_reload() {
    let base = DeviceConfig::embedded();
    let hush = identity("hush-1", "lovense", Some("Z"));
    let text = base.user_config_json_with(&[(hush.clone(), 0, "Lovense Hush".into())]);
    let doc: Value = serde_json::from_str(&text).expect("json");
    // A new file: the version of the base database (the embedded v5.57).
    assert_eq!(doc["version"]["major"], 5);
    assert_eq!(doc["version"]["minor"], 57);
    let entry = &doc["user_configs"]["devices"][0];
    assert_eq!(entry["identifier"]["address"], "hush-1");
    assert_eq!(entry["identifier"]["identifier"], "Z");
    assert_eq!(entry["config"]["name"], "Lovense Hush");
    assert_eq!(
        entry["config"]["base_id"],
        "37642e1c-a416-44d3-bada-76b6d9e245c9"
    );
    assert_eq!(
        entry["config"]["features"].as_array().map(Vec::len),
        Some(2)
    );
    assert_eq!(entry["config"]["user_config"]["index"], 0);

    let reloaded = base.with_user_config_json(&text).expect("reloads");
    let d = reloaded.resolve(&hush).expect("resolves");
    assert_eq!(d.user_index, Some(0));
    assert_eq!(d.name, "Lovense Hush");
    assert_eq!(reloaded.reserved_indexes(), vec![0]);
    // Features are the base ones, with fresh ids.
    let plain = base.resolve(&hush).expect("resolves");
    assert_eq!(d.features.len(), plain.features.len());
    assert_ne!(d.features[0].id, plain.features[0].id);
    assert_eq!(d.features[0].outputs, plain.features[0].outputs);
    assert_ne!(d.id, plain.id);
}

#[test]
fn existing_entries_are_kept() {
    let c = with_user(SIM_ANEROS);
    let new = identity("LVS-1", "lovense", Some("EL"));
    let text = c.user_config_json_with(&[
        (new.clone(), 0, "Lovense Ridge".into()),
        // Already known: skipped, keeps index 5.
        (
            identity("sim-aneros-0001", "aneros", Some("SimAneros")),
            7,
            "Aneros Vivi".into(),
        ),
        // Repeat: skipped.
        (new.clone(), 1, "Lovense Ridge".into()),
        // Unknown protocol: skipped.
        (identity("x", "nope", None), 2, "Nope".into()),
    ]);
    let reloaded = DeviceConfig::embedded()
        .with_user_config_json(&text)
        .expect("reloads");
    assert_eq!(reloaded.reserved_indexes(), vec![0, 5]);
    let vivi = reloaded
        .resolve(&identity("sim-aneros-0001", "aneros", Some("SimAneros")))
        .expect("resolves");
    assert_eq!(vivi.display_name.as_deref(), Some("My Sim Vivi"));
    // The protocols section survives: the websocket names still match.
    assert_eq!(reloaded.communication("aneros"), c.communication("aneros"));
    let doc: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        doc["user_configs"]["devices"].as_array().map(Vec::len),
        Some(2)
    );
}

#[test]
fn user_configuration_devices_record_their_configuration() {
    let c = with_user(super::TCODE_LINEAR_VIBE);
    let id = identity("COM8", "tcode-v03", Some("tcode-v03-linear-vibrate"));
    let text = c.user_config_json_with(&[(id.clone(), 1, "TCode".into())]);
    let reloaded = DeviceConfig::embedded()
        .with_user_config_json(&text)
        .expect("reloads");
    let d = reloaded.resolve(&id).expect("resolves");
    assert_eq!(d.user_index, Some(1));
    assert_eq!(d.name, "TCode");
    assert_eq!(d.features.len(), 2);
    assert_eq!(reloaded.reserved_indexes(), vec![0, 1]);
}

#[test]
fn invalid_entries_survive_write_back() {
    let c = with_user(super::LOVENSE_RIDGE_INVALID);
    let text = c.user_config_json_with(&[]);
    let doc: Value = serde_json::from_str(&text).expect("json");
    assert_eq!(
        doc["user_configs"]["devices"].as_array().map(Vec::len),
        Some(1)
    );
    assert_eq!(
        doc["user_configs"]["devices"][0]["config"]["name"],
        "Lovense Ridge"
    );
}

#[test]
fn lowest_free_index_skips_pinned_indexes() {
    let base = DeviceConfig::embedded();
    assert_eq!(base.lowest_free_index(&[]), 0);
    assert_eq!(base.lowest_free_index(&[0, 1, 3]), 2);
    // §6.6: a device with user index 5 keeps 5; a new Lovense gets 0.
    let c = with_user(SIM_ANEROS);
    assert_eq!(c.lowest_free_index(&[]), 0);
    assert_eq!(c.lowest_free_index(&[0, 1, 2, 3, 4]), 6);
}

/// Numbers come back as the user wrote them, however often the config is written back. Without
/// serde_json's `float_roundtrip`, some decimals were read as a neighbour of the nearest double
/// and each rewrite moved them. Test builds get the feature from a dev-dependency (jsonschema)
/// anyway; the library's own build did not, which the user_config fuzz target found
/// (fuzz/corpus/user_config/regression-float-drift.json guards it there).
#[test]
fn written_back_numbers_do_not_drift() {
    let text = r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"note":[2.0924533037294956e-110,1.0100000000000001e44]}}}}"#;
    let once = with_user(text).user_config_json_with(&[]);
    assert!(once.contains("2.0924533037294956e-110"), "{once}");
    assert!(once.contains("1.0100000000000001e+44"), "{once}");
    let twice = with_user(&once).user_config_json_with(&[]);
    assert_eq!(once, twice);
}
