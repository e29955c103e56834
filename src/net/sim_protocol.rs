//! The JSON messages of the simulator control endpoint (`teleplug serve --simulator-port`): one
//! JSON object per text frame, externally tagged.
//!
//! To the server: `Advertise`, `Notify`, `ReadReply`, `Disconnect`.
//! From the server: `Connected`, `Write`, `Read`, `Subscribe`, `Unsubscribe`, `Disconnected`,
//! and `Error` for a control frame that could not be used.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::hardware::Endpoint;
use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};

/// `{"Advertise": {...}}`: a device appears, found while the server scans.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Advertise {
    /// The control connection's name for the device (unique per connection).
    pub id: String,
    /// Advertised name, matched against the device database (e.g. "LVS-Hush").
    pub name: String,
    /// Unique address.
    pub address: String,
    #[serde(default)]
    pub services: Vec<Uuid>,
    /// Company id (decimal or 0x-hex string) → payload bytes.
    #[serde(default)]
    pub manufacturer_data: BTreeMap<String, Vec<u8>>,
    /// The transport's message gap in milliseconds: the device task leaves at least this much
    /// time between two writes (as a BLE link needs ~75 ms). Default 0. A `message_gap_ms` of
    /// the device's definition (database or user config) takes precedence, as for real devices.
    #[serde(default)]
    pub message_gap_ms: Option<u32>,
}

/// Bytes from the device on an endpoint.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceData {
    pub id: String,
    pub endpoint: Endpoint,
    pub data: Vec<u8>,
}

/// Names a device.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceId {
    pub id: String,
}

/// A control frame to the server.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
pub enum ControlRequest {
    Advertise(Advertise),
    /// The device notifies bytes (delivered while the endpoint is subscribed).
    Notify(DeviceData),
    /// The answer to the device's next read.
    ReadReply(DeviceData),
    /// The device drops the link and stops advertising.
    Disconnect(DeviceId),
}

/// A frame from the server, in the order things happen.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub enum ControlEvent {
    Connected {
        id: String,
        protocol: String,
        name: String,
    },
    Write {
        id: String,
        endpoint: Endpoint,
        data: Vec<u8>,
        write_with_response: bool,
    },
    Read {
        id: String,
        endpoint: Endpoint,
    },
    Subscribe {
        id: String,
        endpoint: Endpoint,
    },
    Unsubscribe {
        id: String,
        endpoint: Endpoint,
    },
    Disconnected {
        id: String,
    },
    Error {
        message: String,
    },
}

impl ControlEvent {
    /// The event for a simulated device's op.
    pub fn from_op(id: &str, op: &SimOp) -> ControlEvent {
        let id = id.to_string();
        match op.clone() {
            SimOp::Connected { protocol, name } => ControlEvent::Connected { id, protocol, name },
            SimOp::Write {
                endpoint,
                data,
                write_with_response,
            } => ControlEvent::Write {
                id,
                endpoint,
                data,
                write_with_response,
            },
            SimOp::Read { endpoint } => ControlEvent::Read { id, endpoint },
            SimOp::Subscribe { endpoint } => ControlEvent::Subscribe { id, endpoint },
            SimOp::Unsubscribe { endpoint } => ControlEvent::Unsubscribe { id, endpoint },
            SimOp::Disconnected => ControlEvent::Disconnected { id },
        }
    }

    /// An error frame.
    pub fn error(message: impl Into<String>) -> ControlEvent {
        ControlEvent::Error {
            message: message.into(),
        }
    }

    /// The frame text.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self)
            .unwrap_or_else(|e| format!(r#"{{"Error":{{"message":"cannot encode event: {e}"}}}}"#))
    }
}

impl ControlRequest {
    /// Parse a control frame; the error text says what is wrong.
    pub fn parse(text: &str) -> Result<ControlRequest, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid control frame: {e}"))
    }
}

fn company_id(key: &str) -> Result<u16, String> {
    let k = key.trim();
    let parsed = match k.strip_prefix("0x").or_else(|| k.strip_prefix("0X")) {
        Some(hex) => u16::from_str_radix(hex, 16),
        None => k.parse::<u16>(),
    };
    parsed.map_err(|_| format!("manufacturer_data key {key:?} is not a company id (0–65535)"))
}

impl Advertise {
    /// The simulated device this advertisement describes.
    pub fn to_spec(&self) -> Result<SimulatedDeviceSpec, String> {
        if self.id.is_empty() {
            return Err("Advertise: id must not be empty".into());
        }
        if self.name.is_empty() || self.address.is_empty() {
            return Err("Advertise: name and address must not be empty".into());
        }
        let mut spec = SimulatedDeviceSpec::new(self.name.clone(), self.address.clone());
        spec.services = self.services.clone();
        spec.manufacturer_data = self
            .manufacturer_data
            .iter()
            .map(|(k, v)| company_id(k).map(|c| (c, v.clone())))
            .collect::<Result<_, _>>()?;
        if let Some(ms) = self.message_gap_ms {
            spec.message_gap = std::time::Duration::from_millis(u64::from(ms));
        }
        Ok(spec)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_every_request() {
        let a = ControlRequest::parse(
            r#"{"Advertise":{"id":"d1","name":"LVS-Hush","address":"AA:BB","services":["0000fff0-0000-1000-8000-00805f9b34fb"],"manufacturer_data":{"0x0F":[1,2],"7":[3]}}}"#,
        )
        .unwrap();
        let ControlRequest::Advertise(a) = a else {
            panic!("not an Advertise")
        };
        let spec = a.to_spec().unwrap();
        assert_eq!(spec.services.len(), 1);
        assert_eq!(spec.manufacturer_data, vec![(15, vec![1, 2]), (7, vec![3])]);
        assert_eq!(
            ControlRequest::parse(r#"{"Notify":{"id":"d1","endpoint":"rx","data":[1]}}"#).unwrap(),
            ControlRequest::Notify(DeviceData {
                id: "d1".into(),
                endpoint: Endpoint::Rx,
                data: vec![1]
            })
        );
        assert!(
            ControlRequest::parse(r#"{"ReadReply":{"id":"d1","endpoint":"rx","data":[]}}"#).is_ok()
        );
        assert!(ControlRequest::parse(r#"{"Disconnect":{"id":"d1"}}"#).is_ok());
    }

    #[test]
    fn rejects_bad_frames() {
        for bad in [
            "",
            "[]",
            r#"{"Nope":{}}"#,
            r#"{"Notify":{"id":"d1","endpoint":"nowhere","data":[1]}}"#,
            r#"{"Notify":{"id":"d1","endpoint":"rx","data":[300]}}"#,
        ] {
            assert!(ControlRequest::parse(bad).is_err(), "{bad}");
        }
        let a = Advertise {
            id: "x".into(),
            name: "n".into(),
            address: "a".into(),
            services: vec![],
            manufacturer_data: [("zz".to_string(), vec![])].into(),
            message_gap_ms: None,
        };
        assert!(a.to_spec().is_err());
        assert!(
            ControlRequest::parse(
                r#"{"Advertise":{"id":"d","name":"n","address":"a","message_gap_ms":-1}}"#
            )
            .is_err()
        );
        assert!(
            ControlRequest::parse(
                r#"{"Advertise":{"id":"d","name":"n","address":"a","message_gap_ms":"75"}}"#
            )
            .is_err()
        );
    }

    #[test]
    fn message_gap_is_optional() {
        let parse = |text: &str| match ControlRequest::parse(text).unwrap() {
            ControlRequest::Advertise(a) => a.to_spec().unwrap(),
            other => panic!("not an Advertise: {other:?}"),
        };
        let spec = parse(r#"{"Advertise":{"id":"d","name":"LVS-Hush","address":"a"}}"#);
        assert_eq!(spec.message_gap, std::time::Duration::ZERO);
        let spec = parse(
            r#"{"Advertise":{"id":"d","name":"LVS-Hush","address":"a","message_gap_ms":250}}"#,
        );
        assert_eq!(spec.message_gap, std::time::Duration::from_millis(250));
    }

    #[test]
    fn events_have_the_documented_shape() {
        let e = ControlEvent::from_op(
            "d1",
            &SimOp::Write {
                endpoint: Endpoint::Tx,
                data: b"Vibrate:1;".to_vec(),
                write_with_response: false,
            },
        );
        let v: serde_json::Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"Write":{"id":"d1","endpoint":"tx","data":b"Vibrate:1;".to_vec(),"write_with_response":false}})
        );
        let v: serde_json::Value =
            serde_json::from_str(&ControlEvent::from_op("d1", &SimOp::Disconnected).to_json())
                .unwrap();
        assert_eq!(v, serde_json::json!({"Disconnected":{"id":"d1"}}));
    }
}
