//! The API's errors: every failure is an HTTP status with a JSON body `{"error": "...", "code":
//! "..."}` naming the problem. Bad input is a 4xx; a Buttplug error from the server is mapped by
//! its kind (unknown device or feature 404, bad value 400, the device failing 502).

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::wire::{ButtplugError, DeviceError, ErrorMsg};

/// An API error: a status, a short machine-readable code and a sentence for people.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn no_device(index: u32) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_device",
            format!("device index {index} does not refer to a connected device"),
        )
    }

    pub fn no_feature(index: u32, feature: u32) -> ApiError {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "unknown_feature",
            format!("device {index} has no feature {feature}"),
        )
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    pub fn unavailable(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::SERVICE_UNAVAILABLE, "unavailable", message)
    }

    /// The server answered a request with a Buttplug `Error`.
    pub fn from_buttplug(e: &ErrorMsg) -> ApiError {
        let status = match e.typed() {
            Some(ButtplugError::ButtplugDeviceError(d)) => match d {
                DeviceError::DeviceNotAvailable(_) | DeviceError::DeviceFeatureIndexError(..) => {
                    StatusCode::NOT_FOUND
                }
                DeviceError::DeviceConnectionError(_)
                | DeviceError::DeviceCommunicationError(_)
                | DeviceError::ProtocolSpecificError(..) => StatusCode::BAD_GATEWAY,
                _ => StatusCode::BAD_REQUEST,
            },
            Some(ButtplugError::ButtplugMessageError(_)) => StatusCode::BAD_REQUEST,
            _ => StatusCode::CONFLICT,
        };
        let message = match e.typed() {
            Some(t) => t.to_string(),
            None => e.error_message.clone(),
        };
        ApiError::new(status, "buttplug_error", message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (
            self.status,
            Json(json!({"error": self.message, "code": self.code})),
        )
            .into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::{MessageError, UnknownError};

    fn status_of(e: ButtplugError) -> StatusCode {
        ApiError::from_buttplug(&ErrorMsg::from_error(3, &e)).status
    }

    #[test]
    fn buttplug_errors_map_to_client_errors_by_kind() {
        assert_eq!(
            status_of(DeviceError::DeviceNotAvailable(4).into()),
            StatusCode::NOT_FOUND
        );
        assert_eq!(
            status_of(DeviceError::DeviceStepRangeError(0, 20).into()),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(MessageError::InvalidMessageContents("x".into()).into()),
            StatusCode::BAD_REQUEST
        );
        assert_eq!(
            status_of(DeviceError::DeviceCommunicationError("gone".into()).into()),
            StatusCode::BAD_GATEWAY
        );
        assert_eq!(
            status_of(UnknownError::DeviceManagerNotRunning.into()),
            StatusCode::CONFLICT
        );
    }
}
