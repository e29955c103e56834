//! JSON framing of the Buttplug wire protocol: a frame is a JSON array of single-key message
//! objects. Decoding is per message (so one bad message gets its own Error and the rest of the
//! frame still runs); encoding emits one message per frame with sorted keys, converted to the
//! layout of the connection's spec version.
//!
//! Submodules: [`decode`] (client messages per spec version, server frames for our client),
//! [`encode`] (server frames per version, client frames), [`fast`] (v4 frames without the
//! `Value` detour, for the common case).

pub mod decode;
pub mod encode;
pub mod fast;

use serde_json::Value;

use super::errors::ButtplugError;
use super::v4::ServerMessage;

pub use decode::{decode_client_message, decode_server_frame};
pub use encode::{encode_client_frame, encode_server_frame};

/// A message of a frame that could not be decoded: reply `Error` with this id (0 when unreadable).
#[derive(Clone, Debug, PartialEq)]
pub struct DecodeFailure {
    pub id: u32,
    pub error: ButtplugError,
}

impl DecodeFailure {
    /// The `Error` reply for this failure.
    pub fn to_reply(&self) -> ServerMessage {
        ServerMessage::error(self.id, &self.error)
    }
}

/// Split a frame into its message objects. `Err` when the frame as a whole is unusable: not
/// JSON, a top-level value that is not an array, or no message at all. Several concatenated
/// top-level arrays (`[..][..]`) form one stream. Elements that are not message objects are
/// returned as they are; [`decode_client_message`] reports them one by one.
pub fn split_frame(text: &str) -> Result<Vec<Value>, ButtplugError> {
    let mut messages = Vec::new();
    for value in serde_json::Deserializer::from_str(text).into_iter::<Value>() {
        match value {
            Ok(Value::Array(items)) => messages.extend(items),
            Ok(other) => {
                return Err(ButtplugError::parse(format!(
                    "a frame must be a JSON array of messages, found {}",
                    json_kind(&other)
                )));
            }
            Err(e) => {
                return Err(ButtplugError::parse(format!(
                    "frame is not valid JSON: {e}"
                )));
            }
        }
    }
    if messages.is_empty() {
        return Err(ButtplugError::parse("frame contains no messages"));
    }
    Ok(messages)
}

/// A short name of a JSON value's kind, for error texts.
pub(crate) fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}
