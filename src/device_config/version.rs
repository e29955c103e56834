//! The `version` of device config files: which majors Teleplug reads (docs/PROTOCOL.md §6.2) and
//! the check every file goes through, base database and user config alike.
//!
//! Majors 4 (buttplug-rs 10, Intiface Engine 3) and 5 (buttplug_server 12, Intiface Engine 5)
//! have the same structure; what 5 adds (the `sdl-gamepad` and `simulated` specifiers, a user
//! file's `simulated_devices`) is read wherever it makes sense (see `specifier` and `user`).

use serde::Deserialize;

use super::ConfigError;

/// The major versions of device config files this implementation reads, oldest first.
pub const SUPPORTED_MAJORS: [u32; 2] = [4, 5];

/// A file's `version` object.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
pub(super) struct RawVersion {
    pub major: u32,
    #[serde(default)]
    pub minor: u32,
}

/// Only the version of a file: read when the body does not parse, so that a file of another
/// major is reported as such rather than as a shape error.
#[derive(Deserialize)]
pub(super) struct RawVersionOnly {
    pub version: RawVersion,
}

/// `Ok` when `v` has a major this implementation reads.
pub(super) fn check_major(origin: &str, v: RawVersion) -> Result<(), ConfigError> {
    if SUPPORTED_MAJORS.contains(&v.major) {
        Ok(())
    } else {
        Err(ConfigError::Version {
            origin: origin.to_string(),
            major: v.major,
            minor: v.minor,
            supported: &SUPPORTED_MAJORS,
        })
    }
}

/// The error for text that did not parse as the expected shape: a version error when the text
/// names an unsupported major, else the parse error itself.
pub(super) fn parse_failure(origin: &str, text: &str, e: &serde_json::Error) -> ConfigError {
    match serde_json::from_str::<RawVersionOnly>(text).map(|v| check_major(origin, v.version)) {
        Ok(Err(version)) => version,
        _ => ConfigError::from_json(origin, e),
    }
}
