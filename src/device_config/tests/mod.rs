//! Tests of the device database: the public model's value scaling (`model`), the embedded
//! database and its counts (`embedded`), Teleplug's additions (`additions`), base-file errors
//! and their positions (`base`), majors 4 and 5 side by side (`versions`), definitions that
//! changed from v4.189 to v5.57 (`changed`), matching (`matching`), resolution (`resolve`), user
//! configs (`user`), database v5's simulated devices (`simulated`), write-back (`write_back`)
//! and JSON-schema validation of the shipped files and fixtures (`schema`). Fixtures are compiled
//! in; nothing outside the crate is read at run time.

mod additions;
mod base;
mod changed;
mod embedded;
mod matching;
mod model;
mod resolve;
mod schema;
mod simulated;
mod user;
mod versions;
mod write_back;

use super::{DeviceConfig, DeviceIdentity};

pub(super) const EXAMPLE_USER: &str =
    include_str!("../../../data/device-config/example-user-device-config-v4.json");
pub(super) const SCHEMA_V4: &str =
    include_str!("../../../data/device-config/buttplug-device-config-schema-v4.json");
pub(super) const SCHEMA_V5: &str =
    include_str!("../../../data/device-config/buttplug-device-config-schema-v5.json");
/// The v4.189 database, which Teleplug embedded before v5 (still read through `--device-config`).
pub(super) const V4_DATABASE: &str =
    include_str!("../../../data/device-config/buttplug-device-config-v4.json");
pub(super) const LOVENSE_RIDGE: &str =
    include_str!("../../../tests/data/config/lovense_ridge_user_config.json");
pub(super) const LOVENSE_RIDGE_INVALID: &str =
    include_str!("../../../tests/data/config/lovense_ridge_user_config_invalid_range.json");
pub(super) const TCODE_DISABLED: &str =
    include_str!("../../../tests/data/config/tcode_disabled_hw_position_user_config.json");
pub(super) const TCODE_LINEAR_VIBE: &str =
    include_str!("../../../tests/data/config/tcode_linear_and_vibrate_user_config.json");
pub(super) const SIM_ANEROS: &str =
    include_str!("../../../tests/data/config/sim_aneros_user_config.json");

/// Every user-config fixture that is meant to be valid, by name.
pub(super) const VALID_USER_CONFIGS: [(&str, &str); 5] = [
    ("example-user-device-config-v4.json", EXAMPLE_USER),
    ("lovense_ridge_user_config.json", LOVENSE_RIDGE),
    (
        "tcode_disabled_hw_position_user_config.json",
        TCODE_DISABLED,
    ),
    (
        "tcode_linear_and_vibrate_user_config.json",
        TCODE_LINEAR_VIBE,
    ),
    ("sim_aneros_user_config.json", SIM_ANEROS),
];

pub(super) fn identity(address: &str, protocol: &str, identifier: Option<&str>) -> DeviceIdentity {
    DeviceIdentity {
        address: address.into(),
        protocol: protocol.into(),
        identifier: identifier.map(str::to_string),
    }
}

pub(super) fn with_user(text: &str) -> DeviceConfig {
    match DeviceConfig::embedded().with_user_config_json(text) {
        Ok(c) => c,
        Err(e) => panic!("user config failed to load: {e}"),
    }
}

pub(super) fn v4_database() -> DeviceConfig {
    match DeviceConfig::from_base_json(V4_DATABASE) {
        Ok(c) => c,
        Err(e) => panic!("the v4 database failed to load: {e}"),
    }
}
