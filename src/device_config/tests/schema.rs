//! The embedded database and the user-config fixtures against the shipped JSON schema
//! (draft-07), with the `jsonschema` crate (a dev-dependency only).

use serde_json::Value;

use super::{LOVENSE_RIDGE_INVALID, SCHEMA, VALID_USER_CONFIGS, identity};
use crate::device_config::DeviceConfig;
use crate::device_config::db::EMBEDDED_JSON;

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("fixture is JSON")
}

fn errors(instance: &Value) -> Vec<String> {
    let validator = jsonschema::draft7::new(&json(SCHEMA)).expect("schema compiles");
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect()
}

#[test]
fn schema_is_valid_draft7() {
    assert!(jsonschema::draft7::meta::is_valid(&json(SCHEMA)));
}

#[test]
fn embedded_database_matches_schema() {
    let errs = errors(&json(EMBEDDED_JSON));
    assert!(errs.is_empty(), "{errs:#?}");
}

#[test]
fn user_config_fixtures_match_schema() {
    for (name, text) in VALID_USER_CONFIGS {
        let errs = errors(&json(text));
        assert!(errs.is_empty(), "{name}: {errs:#?}");
    }
}

#[test]
fn invalid_fixture_violates_schema() {
    // Its input override is outside the schema; the loader skips the entry (see `user`).
    let errs = errors(&json(LOVENSE_RIDGE_INVALID));
    assert!(!errs.is_empty());
}

#[test]
fn written_back_config_matches_schema() {
    let c = DeviceConfig::embedded()
        .with_user_config_json(VALID_USER_CONFIGS[0].1)
        .expect("loads");
    let text = c.user_config_json_with(&[
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
    ]);
    let errs = errors(&json(&text));
    assert!(errs.is_empty(), "{errs:#?}\n{text}");
}
