//! The shipped databases, Teleplug's additions and the user-config fixtures against the shipped
//! JSON schemas (draft-07) of their major, with the `jsonschema` crate (a dev-dependency only);
//! and what Teleplug writes back against the schema of the major it writes.

use serde_json::Value;

use super::{
    EXAMPLE_USER, LOVENSE_RIDGE_INVALID, SCHEMA_V4, SCHEMA_V5, V4_DATABASE, VALID_USER_CONFIGS,
    identity, v4_database,
};
use crate::device_config::DeviceConfig;
use crate::device_config::additions::additions_json;
use crate::device_config::db::EMBEDDED_JSON;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

/// Schema errors of `instance` against the schema of `major`.
fn errors(major: u64, instance: &Value) -> Vec<String> {
    let schema = match major {
        4 => SCHEMA_V4,
        5 => SCHEMA_V5,
        other => panic!("no schema for major {other}"),
    };
    let validator = jsonschema::draft7::new(&json(schema)).expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

/// Errors against the schema of the instance's own major.
fn errors_own_major(instance: &Value) -> Vec<String> {
    let major = instance["version"]["major"].as_u64().expect("a major");
    errors(major, instance)
}

#[test]
fn schemas_are_valid_draft7() {
    assert!(jsonschema::draft7::meta::is_valid(&json(SCHEMA_V4)));
    assert!(jsonschema::draft7::meta::is_valid(&json(SCHEMA_V5)));
}

#[test]
fn shipped_databases_match_their_schema() {
    for (text, major) in [(EMBEDDED_JSON, 5), (V4_DATABASE, 4), (additions_json(), 5)] {
        let doc = json(text);
        assert_eq!(doc["version"]["major"], major);
        let errs = errors(major, &doc);
        assert!(errs.is_empty(), "{errs:#?}");
    }
}

#[test]
fn user_config_fixtures_match_schema() {
    for (name, text) in VALID_USER_CONFIGS {
        let errs = errors_own_major(&json(text));
        assert!(errs.is_empty(), "{name}: {errs:#?}");
    }
}

#[test]
fn invalid_fixture_violates_schema() {
    // Its input override is outside the schema; the loader skips the entry (see `user`).
    let errs = errors(4, &json(LOVENSE_RIDGE_INVALID));
    assert!(!errs.is_empty());
}

#[test]
fn written_back_configs_match_the_schema_of_their_major() {
    let new_devices = [
        (
            identity("hush-1", "lovense", Some("Z")),
            1,
            "Lovense Hush".into(),
        ),
        (
            identity("COM9", "tcode-v03", None),
            2,
            "TCode v0.3 (Single Linear Axis)".into(),
        ),
    ];
    let v5_user = r#"{"version":{"major":5,"minor":57},"user_configs":{
        "simulated_devices":[{"identifier":"simulated-1vibe","address":"simulated:1"},{"identifier":"simulated-stroker"}]}}"#;
    for (config, major) in [
        // A v4 user config stays v4, on either database.
        (
            DeviceConfig::embedded().with_user_config_json(EXAMPLE_USER),
            4,
        ),
        (v4_database().with_user_config_json(EXAMPLE_USER), 4),
        // A v5 one stays v5, simulated devices included.
        (DeviceConfig::embedded().with_user_config_json(v5_user), 5),
        // A new one takes the database's major.
        (Ok(DeviceConfig::embedded()), 5),
        (Ok(v4_database()), 4),
    ] {
        let text = config.expect("loads").user_config_json_with(&new_devices);
        let doc = json(&text);
        assert_eq!(doc["version"]["major"], major, "{text}");
        let errs = errors(major, &doc);
        assert!(errs.is_empty(), "{errs:#?}\n{text}");
    }
}

#[test]
fn simulated_devices_need_the_v5_schema() {
    // As V5-CHANGES.md §3 says: only v5 knows `simulated_devices`, and it requires an address.
    let with = json(
        r#"{"version":{"major":5,"minor":57},"user_configs":{"simulated_devices":[{"identifier":"simulated-1vibe","address":"a"}]}}"#,
    );
    assert!(errors(5, &with).is_empty());
    assert!(!errors(4, &with).is_empty());
    let without_address = json(
        r#"{"version":{"major":5,"minor":57},"user_configs":{"simulated_devices":[{"identifier":"simulated-1vibe"}]}}"#,
    );
    assert!(!errors(5, &without_address).is_empty());
}
