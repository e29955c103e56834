//! The Handy, firmware 3 (`thehandy`, "handyplug"): each stroke command is a protobuf
//! `Payload { Message { LinearCmd } }` written to `tx` with response. Position goes as a double in
//! 0.0-1.0, duration in ms; the message id is always 2.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// Message schemas of package `handyplug` (only the members this protocol builds).
mod handyplug {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Payload {
        #[prost(message, repeated, tag = "1")]
        pub messages: Vec<Message>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Message {
        #[prost(oneof = "message::Message", tags = "102, 403")]
        pub message: Option<message::Message>,
    }

    pub mod message {
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Message {
            #[prost(message, tag = "102")]
            Ping(super::Ping),
            #[prost(message, tag = "403")]
            LinearCmd(super::LinearCmd),
        }
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Ping {
        #[prost(uint32, tag = "1")]
        pub id: u32,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct LinearCmd {
        #[prost(uint32, tag = "1")]
        pub id: u32,
        #[prost(uint32, tag = "2")]
        pub device_index: u32,
        #[prost(message, repeated, tag = "3")]
        pub vectors: Vec<Vector>,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Vector {
        #[prost(uint32, tag = "1")]
        pub index: u32,
        #[prost(uint32, tag = "2")]
        pub duration: u32,
        #[prost(double, tag = "3")]
        pub position: f64,
    }
}

use handyplug::{LinearCmd, Message, Payload, Vector, message};
use prost::Message as _;

/// The id the reference gives every LinearCmd.
const LINEAR_CMD_ID: u32 = 2;

pub struct TheHandy;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(TheHandy)
}

fn payload(message: message::Message) -> Vec<u8> {
    Payload {
        messages: vec![Message {
            message: Some(message),
        }],
    }
    .encode_to_vec()
}

/// The stroke packet: position step 0-100, duration in ms.
fn linear(position: i32, duration: u32) -> Vec<u8> {
    payload(message::Message::LinearCmd(LinearCmd {
        id: LINEAR_CMD_ID,
        device_index: 0,
        vectors: vec![Vector {
            index: 0,
            duration,
            position: f64::from(position) / 100.0,
        }],
    }))
}

impl ProtocolHandler for TheHandy {
    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::HwPositionWithDuration(p) = command else {
            return Err(unsupported_output(&command));
        };
        // Keep-alive: the reference pings (`Ping { Id: 999 }`) only where the host's BLE stack
        // requires traffic (iOS background), so none here.
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            linear(p.value, p.duration),
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, position, writes,
    };
    use crate::wire::OutputType::{HwPositionWithDuration, Vibrate};

    #[test]
    fn linear_commands() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 100)]);
        let w = writes(&TheHandy.encode_output(&f, position(50, 500)).unwrap());
        let bytes = hex("0A 13 9A 19 10 08 02 1A 0C 10 F4 03 19 00 00 00 00 00 00 E0 3F");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, true)]);
        assert_eq!(
            linear(100, 1000),
            hex("0A 13 9A 19 10 08 02 1A 0C 10 E8 07 19 00 00 00 00 00 00 F0 3F")
        );
        assert_eq!(
            linear(33, 250),
            hex("0A 13 9A 19 10 08 02 1A 0C 10 FA 01 19 1F 85 EB 51 B8 1E D5 3F")
        );
        assert_eq!(linear(0, 0), hex("0A 07 9A 19 04 08 02 1A 00"));
        assert!(TheHandy.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn ping_schema() {
        let ping = payload(message::Message::Ping(handyplug::Ping { id: 999 }));
        assert_eq!(ping, hex("0A 06 B2 06 03 08 E7 07"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("thehandy") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
