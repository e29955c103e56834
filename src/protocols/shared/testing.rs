//! Test helpers for protocol unit tests: hand-built feature definitions, output commands, the
//! bytes of encoded writes, and a simulated device reachable through a [`DeviceIo`] for testing
//! identify and initialize exchanges.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::device_config::{
    BtleSpecifier, CommunicationSpecifier, DeviceConfig, DeviceDefinition, DeviceIdentity,
    FeatureDefinition, InputDefinition, OutputDefinition,
};
use crate::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec, SimulatedManager};
use crate::hardware::{Endpoint, HardwareManager, ManagerEvent};
use crate::protocol::{InputCommandType, InputType, OutputCommand, OutputType};
use crate::protocols::{DeviceIo, HardwareCommand, HardwareOp, ProtocolHandler};

/// Bytes from a hex string; spaces are ignored (`"B0 01 FF"`).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(&p.iter().collect::<String>(), 16).expect("hex digits"))
        .collect()
}

fn output(t: OutputType, range: (i32, i32)) -> OutputDefinition {
    OutputDefinition {
        output_type: t,
        base_range: range,
        user_range: None,
        duration_range: (t == OutputType::HwPositionWithDuration).then_some((0, 100_000)),
        disabled: false,
        reverse: false,
    }
}

/// A feature with one output type.
pub fn feature(index: u32, t: OutputType, range: (i32, i32)) -> FeatureDefinition {
    FeatureDefinition {
        index,
        id: Uuid::nil(),
        description: String::new(),
        outputs: vec![output(t, range)],
        inputs: Vec::new(),
        alt_protocol_index: None,
    }
}

/// A feature with one readable input (e.g. battery 0–100).
pub fn input_feature(index: u32, t: InputType, range: (i32, i32)) -> FeatureDefinition {
    FeatureDefinition {
        index,
        id: Uuid::nil(),
        description: String::new(),
        outputs: Vec::new(),
        inputs: vec![InputDefinition {
            input_type: t,
            ranges: vec![range],
            commands: vec![InputCommandType::Read],
        }],
        alt_protocol_index: None,
    }
}

/// A definition with these features.
pub fn definition(protocol: &str, features: Vec<FeatureDefinition>) -> DeviceDefinition {
    DeviceDefinition {
        protocol: protocol.into(),
        identifier: None,
        name: format!("{protocol} test device"),
        display_name: None,
        id: Uuid::nil(),
        features,
        protocol_variant: None,
        message_gap_ms: None,
        user_index: None,
    }
}

/// An output command of `t` at step `v` (duration only for HwPositionWithDuration).
pub fn cmd(t: OutputType, v: i32) -> OutputCommand {
    OutputCommand::new(t, v, 0)
}

/// A HwPositionWithDuration command.
pub fn position(v: i32, duration: u32) -> OutputCommand {
    OutputCommand::new(OutputType::HwPositionWithDuration, v, duration)
}

/// The writes among hardware commands: (endpoint, bytes, with response).
pub fn writes(cmds: &[HardwareCommand]) -> Vec<(Endpoint, Vec<u8>, bool)> {
    cmds.iter()
        .filter_map(|c| match &c.op {
            HardwareOp::Write {
                endpoint,
                data,
                with_response,
            } => Some((*endpoint, data.clone(), *with_response)),
            _ => None,
        })
        .collect()
}

/// The bytes of the only write among `cmds` (panics otherwise).
pub fn only_write(cmds: &[HardwareCommand]) -> Vec<u8> {
    let w = writes(cmds);
    assert_eq!(w.len(), 1, "expected exactly one write, got {w:02x?}");
    w.into_iter().next().map(|w| w.1).unwrap_or_default()
}

/// A simulated device connected with `endpoints`, and the [`DeviceIo`] a protocol's identify
/// and initialize steps would get.
pub async fn sim_io(
    spec: SimulatedDeviceSpec,
    endpoints: &[Endpoint],
) -> (
    SimulatedDevice,
    DeviceIo,
    tokio::sync::mpsc::UnboundedReceiver<SimOp>,
) {
    let device = SimulatedDevice::new(spec);
    let ops = device.op_receiver();
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let manager = SimulatedManager::new(tx);
    manager.advertise(device.clone());
    manager.start_scanning().await.expect("scan");
    let Some(ManagerEvent::DeviceFound(candidate)) = rx.recv().await else {
        panic!("simulated device not found");
    };
    let service: BTreeMap<Endpoint, Uuid> = endpoints
        .iter()
        .enumerate()
        .map(|(i, e)| (*e, Uuid::from_u128(i as u128 + 1)))
        .collect();
    let specifier = CommunicationSpecifier::Btle(BtleSpecifier {
        services: BTreeMap::from([(Uuid::nil(), service)]),
        ..BtleSpecifier::default()
    });
    let transport = candidate
        .connector
        .connect(&specifier)
        .await
        .expect("connect");
    let events = transport.take_events().expect("events");
    let io = DeviceIo::new(transport, events, candidate.advertisement);
    (device, io, ops)
}

/// Every op reported so far.
pub fn drain(ops: &mut tokio::sync::mpsc::UnboundedReceiver<SimOp>) -> Vec<SimOp> {
    let mut out = Vec::new();
    while let Ok(op) = ops.try_recv() {
        out.push(op);
    }
    out
}

/// A write op as the simulated device reports it.
pub fn write_op(endpoint: Endpoint, data: &[u8], with_response: bool) -> SimOp {
    SimOp::Write {
        endpoint,
        data: data.to_vec(),
        write_with_response: with_response,
    }
}

/// Every definition (defaults and configurations) of a protocol key in the embedded database.
pub fn db_definitions(protocol: &str) -> Vec<DeviceDefinition> {
    let defs: Vec<DeviceDefinition> = DeviceConfig::embedded()
        .all_definitions()
        .into_iter()
        .filter(|d| d.protocol == protocol)
        .collect();
    assert!(!defs.is_empty(), "no definitions for {protocol}");
    defs
}

/// The embedded database's definition for a protocol key and identifier.
pub fn db_resolve(protocol: &str, identifier: Option<&str>) -> DeviceDefinition {
    DeviceConfig::embedded()
        .resolve(&DeviceIdentity {
            address: "test".into(),
            protocol: protocol.into(),
            identifier: identifier.map(String::from),
        })
        .expect("known protocol")
}

/// Encode every output type of every feature of `def` at its maximum, its minimum and 0: each
/// must be accepted, and the maximum must produce at least one operation.
pub fn assert_encodes_all(handler: &mut dyn ProtocolHandler, def: &DeviceDefinition) {
    for f in &def.features {
        for o in &f.outputs {
            let (min, max) = o.base_range;
            for (v, must_write) in [(max, true), (min, false), (0, false)] {
                let command = OutputCommand::new(o.output_type, v, 500);
                let out = handler.encode_output(f, command);
                let Ok(out) = out else {
                    panic!(
                        "{}: {command:?} on feature {} failed: {out:?}",
                        def.name, f.index
                    );
                };
                assert!(
                    !must_write || !out.is_empty(),
                    "{}: {command:?} wrote nothing",
                    def.name
                );
            }
        }
    }
}
