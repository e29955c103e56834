//! Replacing the base database: version checks and error reporting, with the line and column of
//! what is wrong.

use crate::device_config::db::EMBEDDED_JSON;
use crate::device_config::{ConfigError, DeviceConfig, DeviceIdentity, SUPPORTED_MAJORS};

const TINY: &str = r#"{"version":{"major":4,"minor":7},"protocols":{
  "aneros":{"communication":[{"btle":{"names":["Massage Demo"],"services":{"0000ff00-0000-1000-8000-00805f9b34fb":{"tx":"0000ff01-0000-1000-8000-00805f9b34fb"}}}}],
            "defaults":{"name":"Aneros Vivi","id":"f023f0f4-6629-469e-84c4-171ed4939f3d","features":[
              {"id":"a980bc1a-5554-4293-a75f-6d17bf25ebee","index":0,"output":{"vibrate":{"value":[0,127]}}}]}}}}"#;

/// The `(line, column)` (1-based) of the last character of the first `needle` in `text`.
fn position_of_end(text: &str, needle: &str) -> (usize, usize) {
    let end = text.find(needle).expect("needle in text") + needle.len();
    let before = &text[..end];
    let line = before.matches('\n').count() + 1;
    let column = before.len() - before.rfind('\n').map_or(0, |i| i + 1);
    (line, column)
}

/// The error points at the end of `needle` or at most `slack` characters after it (the parser
/// reports where it stopped: after the value, or after the closing bracket of its container).
fn assert_points_at(at: (usize, usize), text: &str, needle: &str, slack: usize, message: &str) {
    let (line, column) = position_of_end(text, needle);
    assert_eq!(at.0, line, "{message}");
    assert!(
        (column..=column + slack).contains(&at.1),
        "column {} is not at the end of {needle:?} (column {column}): {message}",
        at.1
    );
}

fn invalid_at(text: &str) -> (String, (usize, usize)) {
    match DeviceConfig::from_base_json(text) {
        Err(e @ ConfigError::Invalid { .. }) => {
            let at = e.position().expect("a position");
            (e.to_string(), at)
        }
        other => panic!("expected an Invalid error, got {other:?}"),
    }
}

#[test]
fn replacement_database_is_used() {
    let c = DeviceConfig::from_base_json(TINY).expect("loads");
    assert_eq!(c.version(), (4, 7));
    // The file's protocol, and Teleplug's addition for the key it lacks.
    assert_eq!(c.protocol_names(), ["aneros", "nintendo-joycon"]);
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
fn unknown_majors_are_refused_naming_the_majors_understood() {
    assert_eq!(SUPPORTED_MAJORS, [4, 5]);
    let v6 = EMBEDDED_JSON.replacen("\"major\": 5", "\"major\": 6", 1);
    assert_ne!(v6, EMBEDDED_JSON);
    let e = DeviceConfig::from_base_json(&v6).unwrap_err();
    assert_eq!(
        e,
        ConfigError::Version {
            origin: "device config".into(),
            major: 6,
            minor: 57,
            supported: &[4, 5],
        }
    );
    assert_eq!(
        e.to_string(),
        "device config: version 6.57 is not supported; Teleplug reads major versions 4 and 5"
    );
    // A file of another major and a different shape still reports the version, not a shape
    // error.
    let other = r#"{"version":{"major":6,"minor":0},"devices":[]}"#;
    assert!(matches!(
        DeviceConfig::from_base_json(other),
        Err(ConfigError::Version { major: 6, .. })
    ));
    assert!(matches!(
        DeviceConfig::from_base_json(r#"{"version":{"major":3},"protocols":{}}"#),
        Err(ConfigError::Version { major: 3, .. })
    ));
}

#[test]
fn a_truncated_database_names_the_line_and_column_where_it_ends() {
    let cut = &TINY[..TINY.find("\"defaults\"").expect("defaults")];
    let e = DeviceConfig::from_base_json(cut).unwrap_err();
    let lines = cut.lines().count();
    let last = cut.lines().last().expect("a line");
    match &e {
        ConfigError::Json {
            origin,
            line,
            column,
            message,
        } => {
            assert_eq!(origin, "device config");
            assert_eq!((*line, *column), (lines, last.len()), "{e}");
            assert!(message.contains("EOF"), "{message}");
        }
        other => panic!("expected a JSON error, got {other:?}"),
    }
    assert!(
        e.to_string().starts_with(&format!(
            "device config: line {lines}, column {}: not valid JSON: ",
            last.len()
        )),
        "{e}"
    );
    assert!(matches!(
        DeviceConfig::from_base_json(""),
        Err(ConfigError::Json {
            line: 1,
            column: 1,
            ..
        })
    ));
    // The whole embedded database cut anywhere: always an error with a position, never a
    // database.
    for end in [1, 1000, EMBEDDED_JSON.len() / 2, EMBEDDED_JSON.len() - 2] {
        let end = (end..)
            .find(|i| EMBEDDED_JSON.is_char_boundary(*i))
            .unwrap_or(end);
        let e = DeviceConfig::from_base_json(&EMBEDDED_JSON[..end]).unwrap_err();
        assert!(e.position().is_some_and(|(l, _)| l >= 1), "{e}");
    }
}

#[test]
fn shape_errors_name_the_line_and_column_of_the_offending_value() {
    // Missing defaults: where the protocol object ends.
    let no_defaults =
        "{\"version\":{\"major\":4,\"minor\":0},\n\"protocols\":{\"x\":{\"communication\":[]}}}";
    let (message, at) = invalid_at(no_defaults);
    assert_points_at(at, no_defaults, "[]}", 0, &message);
    assert!(message.contains("missing field `defaults`"), "{message}");

    // A reversed range: just after its output object.
    let reversed = TINY.replace("[0,127]", "[127,0]");
    let (message, at) = invalid_at(&reversed);
    assert_points_at(at, &reversed, "[127,0]}", 1, &message);
    assert!(message.contains("minimum above its maximum"), "{message}");

    // An unknown endpoint: at the key.
    let endpoint = TINY.replace("\"tx\"", "\"txx\"");
    let (message, at) = invalid_at(&endpoint);
    assert_points_at(at, &endpoint, "\"txx\"", 0, &message);

    // Two features with one index: just after the definition.
    let twice = TINY.replace(
        r#""index":0,"output""#,
        r#""index":0,"output":{"vibrate":{"value":[0,1]}}},{"id":"a980bc1a-5554-4293-a75f-6d17bf25ebee","index":0,"output""#,
    );
    let (message, at) = invalid_at(&twice);
    assert_points_at(at, &twice, "}}}]}", 1, &message);
    assert!(message.contains("two features have index 0"), "{message}");

    // A configuration without identifiers, a bad parity, a specifier with two keys.
    for (bad, what) in [
        (
            TINY.replace(
                r#""defaults""#,
                r#""configurations":[{"identifier":[],"name":"X","id":"f023f0f4-6629-469e-84c4-171ed4939f3e"}],"defaults""#,
            ),
            "needs at least one identifier",
        ),
        (
            TINY.replace(
                r#""communication":["#,
                r#""communication":[{"serial":{"port":"default","baud_rate":1,"data_bits":8,"parity":"Q","stop_bits":1}},"#,
            ),
            "parity",
        ),
        (
            TINY.replace(
                r#""communication":["#,
                r#""communication":[{"hid":{"pairs":[]},"usb":{"pairs":[]}},"#,
            ),
            "exactly one key",
        ),
        (
            TINY.replace(
                r#""communication":["#,
                r#""communication":[{"simulated":{"names":[]}},"#,
            ),
            "at least one name",
        ),
        (TINY.replace("\"features\"", "\"feature\""), "unknown field"),
    ] {
        let (message, (line, column)) = invalid_at(&bad);
        assert!(message.contains(what), "{what}: {message}");
        assert!(line >= 1 && column >= 1, "{message}");
        assert!(message.starts_with(&format!("device config: line {line}, column {column}: ")));
    }

    // A user config is not a base database.
    let e = DeviceConfig::from_base_json(r#"{"version":{"major":4,"minor":0},"user_configs":{}}"#)
        .unwrap_err();
    assert!(matches!(e, ConfigError::Invalid { .. }), "{e}");
}

#[test]
fn unknown_kinds_and_keys_are_skipped() {
    // Forward compatibility: new specifier kinds, output types and keys inside an output object
    // are skipped (V5-CHANGES.md §3: 5.57's ossm describes an output inside its object).
    let newer = TINY
        .replace(
            r#""communication":["#,
            r#""communication":[{"bluetooth_classic":{"names":["x"]}},"#,
        )
        .replace(
            r#""output":{"vibrate":{"value":[0,127]}}"#,
            r#""output":{"inflate":{"value":[0,3]},"vibrate":{"description":"Motor","value":[0,127]}}"#,
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
    assert_eq!(def.features[0].outputs[0].base_range, (0, 127));
}

#[test]
fn file_loading_names_the_file() {
    let e = DeviceConfig::from_base_file("/nonexistent/teleplug/db.json").unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }), "{e}");
    assert!(
        e.to_string().contains("/nonexistent/teleplug/db.json"),
        "{e}"
    );
    let e = DeviceConfig::embedded()
        .with_user_config_file("/nonexistent/teleplug/user.json")
        .unwrap_err();
    assert!(matches!(e, ConfigError::Io { .. }), "{e}");

    let dir = std::env::temp_dir().join(format!("teleplug-base-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("cut.json");
    std::fs::write(&path, &TINY[..40]).expect("write");
    let e = DeviceConfig::from_base_file(&path).unwrap_err();
    let text = e.to_string();
    assert!(
        text.starts_with(&format!("{}: line 1, column 40: ", path.display())),
        "{text}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}
