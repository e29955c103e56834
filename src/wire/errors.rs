//! The Buttplug error catalogue (docs/PROTOCOL.md §1.4): error codes, and the typed errors whose serde
//! encoding *is* the `ErrorMessage` string the reference server sends, e.g.
//! `{"ButtplugDeviceError":{"DeviceNotAvailable":99}}`.

use serde::{Deserialize, Serialize};

/// `ErrorCode` of an `Error` message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum ErrorCode {
    /// ERROR_UNKNOWN
    Unknown = 0,
    /// ERROR_INIT: handshake problems.
    Init = 1,
    /// ERROR_PING: ping timeout.
    Ping = 2,
    /// ERROR_MSG: parse and conversion problems.
    Message = 3,
    /// ERROR_DEVICE: bad device index, feature, value, unsupported command, device I/O.
    Device = 4,
}

impl ErrorCode {
    /// The code for a wire integer; unknown integers map to `Unknown`.
    pub fn from_u32(v: u32) -> ErrorCode {
        match v {
            1 => ErrorCode::Init,
            2 => ErrorCode::Ping,
            3 => ErrorCode::Message,
            4 => ErrorCode::Device,
            _ => ErrorCode::Unknown,
        }
    }
}

impl Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u8(*self as u8)
    }
}

impl<'de> Deserialize<'de> for ErrorCode {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(ErrorCode::from_u32(u32::deserialize(d)?))
    }
}

/// Handshake errors (code 1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum HandshakeError {
    #[error("RequestServerInfo must be the first message")]
    RequestServerInfoExpected,
    #[error("the handshake already happened on this connection")]
    HandshakeAlreadyHappened,
    #[error("this connection has ended; reconnect to start a new one")]
    ReconnectDenied,
    /// (server version, client version)
    #[error("message spec version mismatch: server speaks {0}, client asked for {1}")]
    MessageSpecVersionMismatch(u32, u32),
    /// The server (or the user) did not allow this client name to connect.
    #[error("client {0:?} is not allowed to connect")]
    ClientNotAllowed(String),
}

/// Ping errors (code 2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum PingError {
    #[error("ping timer not running")]
    PingTimerNotRunning,
    #[error("the client did not ping in time; the connection is closed")]
    PingedOut,
}

/// Message errors (code 3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum MessageError {
    #[error("message conversion error: {0}")]
    MessageConversionError(String),
    #[error("unexpected message type: {0}")]
    UnexpectedMessageType(String),
    #[error("invalid message contents: {0}")]
    InvalidMessageContents(String),
    /// A frame or message that could not be parsed.
    #[error("message serialization error: {0}")]
    MessageSerializationError(String),
}

/// Device errors (code 4).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum DeviceError {
    #[error("device {0} is not available")]
    DeviceNotAvailable(u32),
    /// (feature count, requested index)
    #[error("feature index {1} out of range (device has {0} features)")]
    DeviceFeatureIndexError(u32, u32),
    /// (0, offending value)
    #[error("value {1} is out of range")]
    DeviceStepRangeError(i64, i64),
    #[error("negative value for an output that only goes one way")]
    DeviceCommandSignError,
    #[error("message not supported: {0}")]
    MessageNotSupported(String),
    #[error("unhandled command: {0}")]
    UnhandledCommand(String),
    #[error("feature count mismatch: {0} vs {1}")]
    DeviceFeatureCountMismatch(u32, u32),
    #[error("feature mismatch: {0}")]
    DeviceFeatureMismatch(String),
    #[error("device configuration error: {0}")]
    DeviceConfigurationError(String),
    #[error("device connection error: {0}")]
    DeviceConnectionError(String),
    #[error("device communication error: {0}")]
    DeviceCommunicationError(String),
    #[error("invalid endpoint: {0}")]
    InvalidEndpoint(String),
    /// (protocol name, message)
    #[error("protocol {0} error: {1}")]
    ProtocolSpecificError(String, String),
    #[error("device has no outputs")]
    DeviceNoOutputError,
    #[error("output not supported: {0}")]
    OutputNotSupported(String),
    #[error("scanning already started")]
    DeviceScanningAlreadyStarted,
    #[error("no device communication managers")]
    NoDeviceCommManagers,
}

/// Unknown errors (code 0).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum UnknownError {
    #[error("device manager not running")]
    DeviceManagerNotRunning,
    #[error("unexpected type: {0}")]
    UnexpectedType(String),
    /// An internal failure (a panic caught in a task, a closed channel).
    #[error("internal error: {0}")]
    Internal(String),
}

/// Every error the server can send; its serde form is the `ErrorMessage` text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ButtplugError {
    #[error(transparent)]
    ButtplugHandshakeError(#[from] HandshakeError),
    #[error(transparent)]
    ButtplugPingError(#[from] PingError),
    #[error(transparent)]
    ButtplugMessageError(#[from] MessageError),
    #[error(transparent)]
    ButtplugDeviceError(#[from] DeviceError),
    #[error(transparent)]
    ButtplugUnknownError(#[from] UnknownError),
}

impl ButtplugError {
    /// The wire error code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ButtplugError::ButtplugHandshakeError(_) => ErrorCode::Init,
            ButtplugError::ButtplugPingError(_) => ErrorCode::Ping,
            ButtplugError::ButtplugMessageError(_) => ErrorCode::Message,
            ButtplugError::ButtplugDeviceError(_) => ErrorCode::Device,
            ButtplugError::ButtplugUnknownError(_) => ErrorCode::Unknown,
        }
    }

    /// The `ErrorMessage` string: the JSON form of this error, as the reference sends it.
    pub fn wire_message(&self) -> String {
        serde_json::to_string(self).unwrap_or_else(|_| self.to_string())
    }

    /// Parse an `ErrorMessage` string back into a typed error, if it is one of ours.
    pub fn from_wire_message(text: &str) -> Option<ButtplugError> {
        serde_json::from_str(text).ok()
    }

    /// Shorthand for a message-level (code 3) parse error.
    pub fn parse(text: impl Into<String>) -> ButtplugError {
        MessageError::MessageSerializationError(text.into()).into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_strings_match_the_reference() {
        let cases: Vec<(ButtplugError, &str, ErrorCode)> = vec![
            (
                HandshakeError::RequestServerInfoExpected.into(),
                r#"{"ButtplugHandshakeError":"RequestServerInfoExpected"}"#,
                ErrorCode::Init,
            ),
            (
                HandshakeError::HandshakeAlreadyHappened.into(),
                r#"{"ButtplugHandshakeError":"HandshakeAlreadyHappened"}"#,
                ErrorCode::Init,
            ),
            (
                HandshakeError::MessageSpecVersionMismatch(4, 5).into(),
                r#"{"ButtplugHandshakeError":{"MessageSpecVersionMismatch":[4,5]}}"#,
                ErrorCode::Init,
            ),
            (
                PingError::PingedOut.into(),
                r#"{"ButtplugPingError":"PingedOut"}"#,
                ErrorCode::Ping,
            ),
            (
                MessageError::UnexpectedMessageType("SensorReading".into()).into(),
                r#"{"ButtplugMessageError":{"UnexpectedMessageType":"SensorReading"}}"#,
                ErrorCode::Message,
            ),
            (
                DeviceError::DeviceNotAvailable(99).into(),
                r#"{"ButtplugDeviceError":{"DeviceNotAvailable":99}}"#,
                ErrorCode::Device,
            ),
            (
                DeviceError::DeviceFeatureIndexError(2, 9).into(),
                r#"{"ButtplugDeviceError":{"DeviceFeatureIndexError":[2,9]}}"#,
                ErrorCode::Device,
            ),
            (
                DeviceError::DeviceStepRangeError(0, 500).into(),
                r#"{"ButtplugDeviceError":{"DeviceStepRangeError":[0,500]}}"#,
                ErrorCode::Device,
            ),
            (
                DeviceError::DeviceCommandSignError.into(),
                r#"{"ButtplugDeviceError":"DeviceCommandSignError"}"#,
                ErrorCode::Device,
            ),
            (
                DeviceError::MessageNotSupported("OutputCmd".into()).into(),
                r#"{"ButtplugDeviceError":{"MessageNotSupported":"OutputCmd"}}"#,
                ErrorCode::Device,
            ),
        ];
        for (err, text, code) in cases {
            assert_eq!(err.wire_message(), text);
            assert_eq!(err.code(), code);
            assert_eq!(ButtplugError::from_wire_message(text), Some(err));
        }
    }
}
