//! The Handy, firmware 4+ (`thehandy-v3`, "Handy RPC"): protobuf `RpcMessage` requests written
//! to `tx` with response, replies notified on `rx`. The model comes from the BLE name
//! (`OHD_hw4_…` → `hw4`); strokers take HDSP position+time requests, The Oh! vibrates through HVP.
//! See docs/protocols/thehandy-v3.md.
//!
//! Adopted from buttplug_server 12: position requests no longer ask the device to stop on
//! reaching the target (`stop_on_target` false, so the field is left out and each request is 2
//! bytes shorter), the reference's fix for the stream of position targets Buttplug clients send,
//! where each target is followed by the next one.

use std::time::Duration;

use async_trait::async_trait;
use prost::Message as _;

use super::{
    DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// Message schemas of package `hdy_rpc` (only the members this protocol builds).
mod hdy_rpc {
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct RpcMessage {
        #[prost(int32, tag = "1")]
        pub r#type: i32,
        #[prost(oneof = "rpc_message::Message", tags = "2")]
        pub message: Option<rpc_message::Message>,
    }

    pub mod rpc_message {
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Message {
            #[prost(message, tag = "2")]
            Request(super::Request),
        }
    }

    /// `MessageType::REQUEST`.
    pub const REQUEST: i32 = 1;

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Request {
        #[prost(uint32, tag = "2")]
        pub id: u32,
        #[prost(oneof = "request::Params", tags = "710, 713, 744, 900, 901")]
        pub params: Option<request::Params>,
    }

    pub mod request {
        #[derive(Clone, PartialEq, prost::Oneof)]
        pub enum Params {
            #[prost(message, tag = "710")]
            BatteryGet(super::Empty),
            #[prost(message, tag = "713")]
            CapabilitiesGet(super::Empty),
            #[prost(message, tag = "744")]
            HdspXpTSet(super::HdspXpTSet),
            #[prost(message, tag = "900")]
            HvpSet(super::HvpSet),
            #[prost(message, tag = "901")]
            HvpStop(super::Empty),
        }
    }

    /// The parameterless requests (battery_get, capabilities_get, hvp_stop).
    #[derive(Clone, PartialEq, prost::Message)]
    pub struct Empty {}

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct HdspXpTSet {
        #[prost(float, tag = "1")]
        pub xp: f32,
        #[prost(uint32, tag = "2")]
        pub t: u32,
        #[prost(bool, tag = "3")]
        pub stop_on_target: bool,
    }

    #[derive(Clone, PartialEq, prost::Message)]
    pub struct HvpSet {
        #[prost(float, tag = "1")]
        pub amplitude: f32,
        #[prost(uint32, tag = "2")]
        pub frequency: u32,
        #[prost(float, tag = "3")]
        pub position: f32,
    }
}

use hdy_rpc::request::Params;

/// How long initialization waits for each (unused) reply; the reference waits forever.
const REPLY_TIMEOUT: Duration = Duration::from_secs(1);
/// HVP vibration frequency in Hz.
const HVP_FREQUENCY: u32 = 100;

pub struct TheHandyV3 {
    /// The next request id.
    next_id: u32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(TheHandyV3 { next_id: 1 })
}

/// `OHD_hw4_A1B2` → `hw4`; names with fewer than three `_` parts → `unknown`.
fn identifier_from_name(name: &str) -> String {
    let parts: Vec<&str> = name.split('_').collect();
    match parts.get(1) {
        Some(p) if parts.len() > 2 => (*p).to_string(),
        _ => "unknown".into(),
    }
}

/// An encoded `RpcMessage { type: REQUEST, request: Request { id, params } }`.
fn request(id: u32, params: Params) -> Vec<u8> {
    hdy_rpc::RpcMessage {
        r#type: hdy_rpc::REQUEST,
        message: Some(hdy_rpc::rpc_message::Message::Request(hdy_rpc::Request {
            id,
            params: Some(params),
        })),
    }
    .encode_to_vec()
}

impl TheHandyV3 {
    /// Choice: the reference's ids start at 0 and skip values nondeterministically (its
    /// keep-alive template consumes them). We number every request of the connection 1, 2, 3, …
    /// (initialization takes 1 and 2) and skip 0 on wrap-around, since an id of 0 is left out
    /// on the wire.
    fn take_id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id = self.next_id.wrapping_add(1).max(1);
        id
    }
}

#[async_trait]
impl ProtocolHandler for TheHandyV3 {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification::identifier(identifier_from_name(
            &io.advertisement().name,
        )))
    }

    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        let battery = Params::BatteryGet(hdy_rpc::Empty {});
        let capabilities = Params::CapabilitiesGet(hdy_rpc::Empty {});
        for params in [battery, capabilities] {
            let packet = request(self.take_id(), params);
            io.write(Endpoint::Tx, &packet, false).await?;
            // The replies are not used; a missing one does not stop the connection.
            match io.next_notification(REPLY_TIMEOUT).await? {
                Some((_, data)) => tracing::debug!("thehandy-v3 init reply: {data:02x?}"),
                None => tracing::debug!("thehandy-v3: no init reply"),
            }
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let params = match command {
            OutputCommand::HwPositionWithDuration(p) => Params::HdspXpTSet(hdy_rpc::HdspXpTSet {
                xp: p.value as f32 / 100.0,
                t: p.duration,
                stop_on_target: false,
            }),
            OutputCommand::Vibrate(v) if v.value > 0 => Params::HvpSet(hdy_rpc::HvpSet {
                amplitude: v.value as f32 / 100.0,
                frequency: HVP_FREQUENCY,
                position: 0.0,
            }),
            OutputCommand::Vibrate(_) => Params::HvpStop(hdy_rpc::Empty {}),
            _ => return Err(unsupported_output(&command)),
        };
        // Keep-alive: the reference sends one only where the host's BLE stack requires traffic
        // (iOS background), and then as a bare `Request` the firmware likely rejects; none here.
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            request(self.take_id(), params),
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{AutoReply, SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, definition, drain, feature, hex,
        position, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{HwPositionWithDuration, Rotate, Vibrate};

    fn handler(next_id: u32) -> TheHandyV3 {
        TheHandyV3 { next_id }
    }

    #[test]
    fn identifiers() {
        assert_eq!(identifier_from_name("OHD_hw4_A1B2"), "hw4");
        assert_eq!(identifier_from_name("OHD_hw1_"), "hw1");
        assert_eq!(identifier_from_name("OHD_hw4"), "unknown");
        assert_eq!(identifier_from_name(""), "unknown");
        assert_eq!(db_resolve("thehandy-v3", Some("hw1")).name, "The Oh!");
    }

    /// The sheet's buttplug_server 12 examples: no `stop_on_target` (`18 01`) any more.
    #[test]
    fn stroke_requests() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 100)]);
        let w = writes(&handler(3).encode_output(&f, position(50, 500)).unwrap());
        let bytes = hex("08 01 12 0D 10 03 C2 2E 08 0D 00 00 00 3F 10 F4 03");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, true)]);
        let w = writes(&handler(7).encode_output(&f, position(33, 250)).unwrap());
        let bytes = hex("08 01 12 0D 10 07 C2 2E 08 0D C3 F5 A8 3E 10 FA 01");
        assert_eq!(w[0].1, bytes);
        let xp = |stop_on_target| {
            Params::HdspXpTSet(hdy_rpc::HdspXpTSet {
                xp: 0.5,
                t: 500,
                stop_on_target,
            })
        };
        let bytes = hex("08 01 12 0B C2 2E 08 0D 00 00 00 3F 10 F4 03");
        assert_eq!(request(0, xp(false)), bytes);
        // What v10 wrote.
        let bytes = hex("08 01 12 0D C2 2E 0A 0D 00 00 00 3F 10 F4 03 18 01");
        assert_eq!(request(0, xp(true)), bytes);
    }

    #[test]
    fn vibrate_and_stop_with_increasing_ids() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut p = handler(4);
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 50)).unwrap());
        let bytes = hex("08 01 12 0C 10 04 A2 38 07 0D 00 00 00 3F 10 64");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, true)]);
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 0)).unwrap());
        assert_eq!(w[0].1, hex("08 01 12 05 10 05 AA 38 00"));
        assert!(p.encode_output(&f, cmd(Rotate, 1)).is_err());
        let mut p = handler(u32::MAX);
        assert_eq!(p.take_id(), u32::MAX);
        assert_eq!(p.take_id(), 1);
    }

    #[tokio::test]
    async fn identify_and_initialize() {
        let battery_request = hex("08 01 12 05 10 01 B2 2C 00");
        let mut spec = SimulatedDeviceSpec::new("OHD_hw3_1234", "a");
        spec.auto_replies = vec![AutoReply {
            on_write: battery_request.clone(),
            endpoint: Endpoint::Rx,
            reply: hex("08 03 22 0B 08 01 B2 2C 06 0A 04 08 55 10 01"),
        }];
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        let mut p = handler(1);
        let id = p.identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("hw3"));
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 100)])]);
        // No reply to the capabilities request: initialization still completes.
        p.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Tx, &battery_request, false),
                write_op(Endpoint::Tx, &hex("08 01 12 05 10 02 CA 2C 00"), false),
            ]
        );
        let out = p
            .encode_output(&def.features[0], position(50, 500))
            .unwrap();
        assert_eq!(writes(&out)[0].1[5], 3, "ids continue after initialization");
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("thehandy-v3") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
