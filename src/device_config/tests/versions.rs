//! Majors 4 and 5 side by side (data/device-config/V5-CHANGES.md §3): both databases load, user
//! configs of both majors load on either, and a user config is written back in the major it
//! was read in.

use serde_json::Value;

use super::{EXAMPLE_USER, identity, v4_database, with_user};
use crate::device_config::{ConfigError, DeviceConfig};

fn version_of(text: &str) -> (u64, u64) {
    let doc: Value = serde_json::from_str(text).expect("json");
    (
        doc["version"]["major"].as_u64().expect("major"),
        doc["version"]["minor"].as_u64().expect("minor"),
    )
}

#[test]
fn the_v4_database_still_loads_whole() {
    let c = v4_database();
    assert_eq!(c.version(), (4, 189));
    assert_eq!(c.protocol_names().len(), 139);
    assert_eq!(c.all_definitions().len(), 872);
    // Its own nintendo-joycon; no v5 keys.
    assert!(c.teleplug_additions().is_empty());
    assert!(c.resolve(&identity("a", "nintendo-joycon", None)).is_some());
    assert!(c.resolve(&identity("a", "sdl-gamepad", None)).is_none());
}

#[test]
fn user_configs_of_both_majors_load_on_both_databases() {
    let v5_user = EXAMPLE_USER.replacen("\"major\": 4", "\"major\": 5", 1);
    assert_ne!(v5_user, EXAMPLE_USER);
    let ridge = identity(
        "PeripheralId(81b8f016-ba95-e1ae-3a71-a2e6b1d83b21)",
        "lovense",
        Some("EL"),
    );
    for base in [DeviceConfig::embedded(), v4_database()] {
        for (text, major) in [(EXAMPLE_USER, 4), (v5_user.as_str(), 5)] {
            let c = base
                .with_user_config_json(text)
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(c.user_config_version().map(|v| v.0), Some(major));
            let d = c.resolve(&ridge).expect("resolves");
            assert_eq!(d.user_index, Some(0));
            assert_eq!(d.name, "Lovense Ridge");
        }
    }
}

#[test]
fn a_user_config_is_written_back_in_the_major_it_was_read_in() {
    let hush = (
        identity("hush-1", "lovense", Some("Z")),
        1,
        "Lovense Hush".into(),
    );
    // A v4 user keeps a v4 file, on the v5 database too.
    let v4 = with_user(EXAMPLE_USER);
    let text = v4.user_config_json_with(std::slice::from_ref(&hush));
    assert_eq!(version_of(&text), (4, 0));
    // A v5 file stays v5, with its minor.
    let v5 = with_user(r#"{"version":{"major":5,"minor":57},"user_configs":{}}"#);
    let text = v5.user_config_json_with(std::slice::from_ref(&hush));
    assert_eq!(version_of(&text), (5, 57));
    assert_eq!(
        with_user(&text).resolve(&hush.0).and_then(|d| d.user_index),
        Some(1)
    );
    // A new file gets the version of the base database in use.
    let text = DeviceConfig::embedded().user_config_json_with(std::slice::from_ref(&hush));
    assert_eq!(version_of(&text), (5, 57));
    let text = v4_database().user_config_json_with(std::slice::from_ref(&hush));
    assert_eq!(version_of(&text), (4, 189));
}

#[test]
fn user_configs_of_unknown_majors_are_refused_naming_the_majors_understood() {
    for major in [0, 3, 6, 40] {
        let text = format!(r#"{{"version":{{"major":{major},"minor":2}},"user_configs":{{}}}}"#);
        let e = DeviceConfig::embedded()
            .with_user_config_json(&text)
            .unwrap_err();
        assert!(
            matches!(e, ConfigError::Version { major: m, minor: 2, .. } if m == major),
            "{e}"
        );
        assert_eq!(
            e.to_string(),
            format!(
                "user device config: version {major}.2 is not supported; Teleplug reads major \
                 versions 4 and 5"
            )
        );
    }
}
