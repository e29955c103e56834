//! The loaded device database with the user config applied: lookup of protocols, definitions
//! and user device entries.

use std::sync::Arc;

use super::{CommunicationSpecifier, ConfigError, DeviceDefinition, DeviceIdentity, ProtocolMatch};
use crate::hardware::Advertisement;

/// The device database (base + user config). Cheap to clone.
#[derive(Clone, Debug)]
pub struct DeviceConfig {
    #[allow(dead_code)]
    inner: Arc<()>,
}

impl DeviceConfig {
    /// The database embedded in the library (parsed once per process, then shared).
    pub fn embedded() -> DeviceConfig {
        todo!()
    }

    /// A base database from JSON text (replacing the embedded one). Rejects `version.major != 4`.
    pub fn from_base_json(_text: &str) -> Result<DeviceConfig, ConfigError> {
        todo!()
    }

    /// This database with a user config (JSON text) layered on top.
    pub fn with_user_config_json(&self, _text: &str) -> Result<DeviceConfig, ConfigError> {
        todo!()
    }

    /// `(major, minor)` of the base database.
    pub fn version(&self) -> (u32, u32) {
        todo!()
    }

    /// Every protocol key, sorted.
    pub fn protocol_names(&self) -> Vec<String> {
        todo!()
    }

    /// The communication specifiers of a protocol (user-config ones first).
    pub fn communication(&self, _protocol: &str) -> Vec<CommunicationSpecifier> {
        todo!()
    }

    /// Every protocol whose specifiers match the advertisement, user-config specifiers first,
    /// then base ones in protocol-key order.
    pub fn match_advertisement(&self, _ad: &Advertisement) -> Vec<ProtocolMatch> {
        todo!()
    }

    /// Resolve the definition for a connected device: the user device entry for this identity,
    /// else the configuration whose identifier list contains `identifier`, else the protocol's
    /// defaults. `None` when the protocol is unknown.
    pub fn resolve(&self, _identity: &DeviceIdentity) -> Option<DeviceDefinition> {
        todo!()
    }

    /// Whether the allow/deny lists of the user config let this address connect.
    pub fn is_allowed(&self, _address: &str) -> bool {
        todo!()
    }

    /// Indexes pinned by user device entries.
    pub fn reserved_indexes(&self) -> Vec<u32> {
        todo!()
    }

    /// Every device definition of the base database (each protocol's defaults and every
    /// configuration), as `resolve` would return them.
    pub fn all_definitions(&self) -> Vec<DeviceDefinition> {
        todo!()
    }
}
