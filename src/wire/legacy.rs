//! Spec v0–v3 messages (docs/PROTOCOL.md §4) and their conversion to and from v4: legacy commands
//! become v4 messages using the connection's device list, v4 replies and device lists become the
//! layouts each old version expects.
//!
//! Submodules: [`messages`] (the legacy types), [`attributes`] (the per-device legacy attribute
//! tables and device descriptions), [`convert`] (commands → v4, replies → legacy), [`tracker`]
//! (DeviceList events → DeviceAdded/DeviceRemoved).

pub mod any;
pub mod attributes;
pub mod convert;
pub mod messages;
pub mod tracker;

use super::v4::ClientMessage;

pub use any::{AnyClientMessage, AnyServerMessage};
pub use attributes::{LegacyAttributes, describe_device, describe_device_list};
pub use convert::{ceil_step, convert_legacy, floor_step, legacy_reply};
pub use messages::*;
pub use tracker::LegacyDeviceTracker;

/// What the server does with a legacy client message.
#[derive(Clone, Debug, PartialEq)]
pub enum LegacyAction {
    /// Run these v4 messages as one client message, then build the reply with [`legacy_reply`].
    Forward(Vec<ClientMessage>),
    /// Reply at once with this message.
    Reply(AnyServerMessage),
}
