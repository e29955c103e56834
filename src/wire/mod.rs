//! The Buttplug wire protocol as data: spec v4 messages, the legacy v0–v3 messages, the error
//! catalogue, conversions between versions and the JSON framing. No I/O lives here; the server,
//! the client core and the WebSocket code all share these types.

pub mod errors;
pub mod json;
pub mod legacy;
pub mod v4;

pub use errors::{
    ButtplugError, DeviceError, ErrorCode, HandshakeError, MessageError, PingError, UnknownError,
};
pub use legacy::{AnyClientMessage, AnyServerMessage};
pub use v4::*;

/// Highest spec major version this implementation speaks.
pub const CURRENT_SPEC_VERSION: u32 = 4;
/// Minor version of spec v4 announced in ServerInfo.
pub const CURRENT_SPEC_MINOR: u32 = 0;

/// A Buttplug spec version (major). v0 was once called "0.1.0".
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SpecVersion {
    V0 = 0,
    V1 = 1,
    V2 = 2,
    V3 = 3,
    V4 = 4,
}

impl SpecVersion {
    /// All versions, oldest first.
    pub const ALL: [SpecVersion; 5] = [
        SpecVersion::V0,
        SpecVersion::V1,
        SpecVersion::V2,
        SpecVersion::V3,
        SpecVersion::V4,
    ];

    /// The version for a major number, if it is one this implementation speaks.
    pub fn from_major(major: u32) -> Option<SpecVersion> {
        match major {
            0 => Some(SpecVersion::V0),
            1 => Some(SpecVersion::V1),
            2 => Some(SpecVersion::V2),
            3 => Some(SpecVersion::V3),
            4 => Some(SpecVersion::V4),
            _ => None,
        }
    }

    /// The major number of this version.
    pub fn major(self) -> u32 {
        self as u32
    }
}

impl std::fmt::Display for SpecVersion {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "v{}", self.major())
    }
}
