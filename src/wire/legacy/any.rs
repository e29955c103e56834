//! Messages of any spec version: a v4 message or a legacy (v0–v3) one. What the server decodes
//! from a client ([`AnyClientMessage`]) and what it sends back ([`AnyServerMessage`]), whatever
//! version the connection speaks.

use super::messages::{LegacyClientMessage, LegacyServerMessage};
use crate::wire::v4::{ClientMessage, ServerMessage};

/// A decoded client message of any spec version.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyClientMessage {
    V4(ClientMessage),
    Legacy(LegacyClientMessage),
}

impl AnyClientMessage {
    /// The message's `Id`.
    pub fn id(&self) -> u32 {
        match self {
            AnyClientMessage::V4(m) => m.id(),
            AnyClientMessage::Legacy(m) => m.id(),
        }
    }

    /// The message type name as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            AnyClientMessage::V4(m) => m.name(),
            AnyClientMessage::Legacy(m) => m.name(),
        }
    }
}

/// A server message of any spec version on its way out.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyServerMessage {
    V4(ServerMessage),
    Legacy(LegacyServerMessage),
}

impl AnyServerMessage {
    /// The message's `Id` (0 for events).
    pub fn id(&self) -> u32 {
        match self {
            AnyServerMessage::V4(m) => m.id(),
            AnyServerMessage::Legacy(m) => m.id(),
        }
    }
}

impl From<ServerMessage> for AnyServerMessage {
    fn from(msg: ServerMessage) -> AnyServerMessage {
        AnyServerMessage::V4(msg)
    }
}

impl From<LegacyServerMessage> for AnyServerMessage {
    fn from(msg: LegacyServerMessage) -> AnyServerMessage {
        AnyServerMessage::Legacy(msg)
    }
}
