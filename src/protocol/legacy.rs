//! Spec v0–v3 messages (PROTOCOL.md §4) and their conversion to and from v4: legacy commands
//! become v4 messages using the connection's device list, v4 replies and device lists become the
//! layouts each old version expects.

use super::SpecVersion;
use super::errors::ButtplugError;
use super::json::Outgoing;
use super::v4::{ClientMessage, DeviceList, ServerMessage};

/// A message only v0–v3 clients send.
#[derive(Clone, Debug, PartialEq)]
pub enum LegacyClientMessage {}

impl LegacyClientMessage {
    /// The message's `Id`.
    pub fn id(&self) -> u32 {
        match *self {}
    }
}

/// A message only v0–v3 clients receive.
#[derive(Clone, Debug, PartialEq)]
pub enum LegacyServerMessage {}

/// What the server does with a legacy client message.
#[derive(Clone, Debug, PartialEq)]
pub enum LegacyAction {
    /// Run these v4 messages as one client message, then build the reply with [`legacy_reply`].
    Forward(Vec<ClientMessage>),
    /// Reply at once with this message.
    Reply(Outgoing),
}

/// Convert a legacy client message into v4 messages, using the device list the connection knows.
pub fn convert_legacy(
    _version: SpecVersion,
    _msg: &LegacyClientMessage,
    _devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    todo!()
}

/// Build the legacy reply for a forwarded message from the v4 replies, one per forwarded message.
pub fn legacy_reply(
    _version: SpecVersion,
    _msg: &LegacyClientMessage,
    _replies: Vec<ServerMessage>,
) -> Outgoing {
    todo!()
}

/// Turns v4 DeviceList events into DeviceAdded/DeviceRemoved for v0–v3 connections.
#[derive(Clone, Debug, Default)]
pub struct LegacyDeviceTracker {}

impl LegacyDeviceTracker {
    /// A tracker that already knows the devices in `initial`.
    pub fn new(_initial: &DeviceList) -> LegacyDeviceTracker {
        todo!()
    }

    /// The DeviceAdded/DeviceRemoved messages for a new full device list.
    pub fn update(&mut self, _version: SpecVersion, _list: &DeviceList) -> Vec<Outgoing> {
        todo!()
    }
}
