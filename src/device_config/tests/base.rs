//! Replacing the base database: version checks and error reporting.

use crate::device_config::db::EMBEDDED_JSON;
use crate::device_config::{ConfigError, DeviceConfig, DeviceIdentity};

const TINY: &str = r#"{"version":{"major":4,"minor":7},"protocols":{
  "aneros":{"communication":[{"btle":{"names":["Massage Demo"],"services":{"0000ff00-0000-1000-8000-00805f9b34fb":{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}],
            "defaults":{"name":"Aneros Vivi","id":"f023f0f4-6629-469e-84c4-171ed4939f3d","features":[
              {"id":"a980bc1a-5554-4293-a75f-6d17bf25ebee","index":0,"output":{"vibrate":{"value":[0,127]}}}]}}}}"#;

#[test]
fn replacement_database_is_used() {
    let c = DeviceConfig::from_base_json(TINY).expect("loads");
    assert_eq!(c.version(), (4, 7));
    assert_eq!(c.protocol_names(), vec!["aneros".to_string()]);
    let id = DeviceIdentity {
        address: "a".into(),
        protocol: "lovense".into(),
        identifier: Some("Z".into()),
    };
    assert_eq!(c.resolve(&id), None);
    // The embedded database is untouched.
    assert!(DeviceConfig::embedded().resolve(&id).is_some());
}

#[test]
fn version_5_is_rejected() {
    let v5 = EMBEDDED_JSON.replacen("\"major\": 4", "\"major\": 5", 1);
    assert_ne!(v5, EMBEDDED_JSON);
    assert_eq!(
        DeviceConfig::from_base_json(&v5).unwrap_err(),
        ConfigError::Version {
            found: 5,
            expected: 4
        }
    );
    // A v5 file of a different shape still reports the version, not a shape error.
    let other = r#"{"version":{"major":5,"minor":0},"devices":[]}"#;
    assert!(matches!(
        DeviceConfig::from_base_json(other),
        Err(ConfigError::Version { found: 5, .. })
    ));
    assert!(matches!(
        DeviceConfig::from_base_json(r#"{"version":{"major":3},"protocols":{}}"#),
        Err(ConfigError::Version { found: 3, .. })
    ));
}

#[test]
fn malformed_files_are_reported() {
    assert!(matches!(
        DeviceConfig::from_base_json("{\"version\": "),
        Err(ConfigError::Json(_))
    ));
    assert!(matches!(
        DeviceConfig::from_base_json(""),
        Err(ConfigError::Json(_))
    ));
    // Missing defaults.
    let e = DeviceConfig::from_base_json(
        r#"{"version":{"major":4,"minor":0},"protocols":{"x":{"communication":[]}}}"#,
    )
    .unwrap_err();
    assert!(
        matches!(&e, ConfigError::Invalid(m) if m.contains("defaults")),
        "{e}"
    );
    // A user config is not a base database.
    assert!(matches!(
        DeviceConfig::from_base_json(r#"{"version":{"major":4,"minor":0},"user_configs":{}}"#),
        Err(ConfigError::Invalid(_))
    ));
    // Reversed range, duplicate feature index, unknown endpoint.
    for bad in [
        TINY.replace("[0,127]", "[127,0]"),
        TINY.replace(
            r#""index":0,"output""#,
            r#""index":0,"output":{"vibrate":{"value":[0,1]}}},{"id":"a980bc1a-5554-4293-a75f-6d17bf25ebee","index":0,"output""#,
        ),
        TINY.replace("\"tx\"", "\"txx\""),
        TINY.replace("\"features\"", "\"feature\""),
    ] {
        let e = DeviceConfig::from_base_json(&bad).unwrap_err();
        assert!(matches!(e, ConfigError::Invalid(_)), "{e}");
        assert!(!e.to_string().is_empty());
    }
}

#[test]
fn unknown_kinds_and_types_are_skipped() {
    // Forward compatibility within major 4: new specifier kinds and output types are skipped.
    let newer = TINY
        .replace(
            r#""communication":["#,
            r#""communication":[{"bluetooth_classic":{"names":["x"]}},"#,
        )
        .replace(
            r#""output":{"vibrate""#,
            r#""output":{"inflate":{"value":[0,3]},"vibrate""#,
        );
    let c = DeviceConfig::from_base_json(&newer).expect("loads");
    assert_eq!(c.communication("aneros").len(), 1);
    let def = c
        .resolve(&DeviceIdentity {
            address: "a".into(),
            protocol: "aneros".into(),
            identifier: None,
        })
        .expect("resolves");
    assert_eq!(def.features[0].outputs.len(), 1);
}

#[test]
fn file_loading_reports_io_errors() {
    let e = DeviceConfig::from_base_file("/nonexistent/teleplug/db.json").unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }), "{e}");
    let e = DeviceConfig::embedded()
        .with_user_config_file("/nonexistent/teleplug/user.json")
        .unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }), "{e}");
}
