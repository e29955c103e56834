//! Test helpers for protocol unit tests: hand-built definitions, packets as plain tuples, the
//! server's coalescing rule for one client message, and a simulated device link for identify and
//! initialize.

use std::collections::BTreeMap;

use tokio::sync::mpsc;
use uuid::Uuid;

use crate::device_config::{
    BtleSpecifier, CommunicationSpecifier, DeviceDefinition, FeatureDefinition, InputDefinition,
    OutputDefinition,
};
use crate::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec, SimulatedManager};
use crate::hardware::{Endpoint, HardwareManager, ManagerEvent};
use crate::protocol::{InputCommandType, InputType, OutputCommand, OutputType};
use crate::protocols::{DeviceIo, HardwareCommand, HardwareOp, ProtocolHandler};

/// A write as (endpoint, bytes, with response).
pub type Write = (Endpoint, Vec<u8>, bool);

/// A feature with these outputs `(type, min, max)`.
pub fn feature(index: u32, outputs: &[(OutputType, i32, i32)]) -> FeatureDefinition {
    FeatureDefinition {
        index,
        id: Uuid::nil(),
        description: String::new(),
        outputs: outputs
            .iter()
            .map(|(t, lo, hi)| OutputDefinition {
                output_type: *t,
                base_range: (*lo, *hi),
                user_range: None,
                duration_range: (*t == OutputType::HwPositionWithDuration).then_some((0, 100000)),
                disabled: false,
                reverse: false,
            })
            .collect(),
        inputs: Vec::new(),
        alt_protocol_index: None,
    }
}

/// A feature with one output of range `[0, max]`.
pub fn output(index: u32, t: OutputType, max: i32) -> FeatureDefinition {
    feature(index, &[(t, 0, max)])
}

/// A feature with one output of range `[-max, max]` (signed Rotate).
pub fn signed(index: u32, t: OutputType, max: i32) -> FeatureDefinition {
    feature(index, &[(t, -max, max)])
}

/// A battery input feature.
pub fn battery(index: u32) -> FeatureDefinition {
    let mut f = feature(index, &[]);
    f.inputs.push(InputDefinition {
        input_type: InputType::Battery,
        ranges: vec![(0, 100)],
        commands: vec![InputCommandType::Read],
    });
    f
}

/// A definition holding these features.
pub fn definition(identifier: &str, features: Vec<FeatureDefinition>) -> DeviceDefinition {
    DeviceDefinition {
        protocol: "test".into(),
        identifier: Some(identifier.into()),
        name: identifier.into(),
        display_name: None,
        id: Uuid::nil(),
        features,
        protocol_variant: None,
        message_gap_ms: None,
        user_index: None,
    }
}

/// The writes among hardware commands.
pub fn writes(cmds: &[HardwareCommand]) -> Vec<Write> {
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

/// Encode one command and return its writes (panics on an encoding error).
pub fn encode(
    h: &mut dyn ProtocolHandler,
    f: &FeatureDefinition,
    t: OutputType,
    v: i32,
) -> Vec<Write> {
    writes(
        &h.encode_output(f, OutputCommand::new(t, v, 0))
            .expect("encodes"),
    )
}

/// Encode the entries of one client message (ascending feature index) and coalesce their packets
/// the way the server does: a later entry's packet drops earlier packets whose key overlaps.
pub fn message(
    h: &mut dyn ProtocolHandler,
    entries: &[(&FeatureDefinition, OutputCommand)],
) -> Vec<Write> {
    let mut entries: Vec<_> = entries.to_vec();
    entries.sort_by_key(|(f, _)| f.index);
    let mut queue: Vec<(usize, HardwareCommand)> = Vec::new();
    for (n, (f, c)) in entries.into_iter().enumerate() {
        for cmd in h.encode_output(f, c).expect("encodes") {
            queue.retain(|(e, q)| *e == n || !q.key.overlaps(cmd.key));
            queue.push((n, cmd));
        }
    }
    writes(&queue.into_iter().map(|(_, c)| c).collect::<Vec<_>>())
}

/// A stop of these features: a zero of each one's first stoppable output, as one message.
pub fn stop(h: &mut dyn ProtocolHandler, features: &[&FeatureDefinition]) -> Vec<Write> {
    let entries: Vec<(&FeatureDefinition, OutputCommand)> = features
        .iter()
        .filter_map(|f| {
            f.outputs
                .iter()
                .find(|o| o.output_type.is_stoppable())
                .map(|o| (*f, OutputCommand::new(o.output_type, 0, 0)))
        })
        .collect();
    message(h, &entries)
}

/// A simulated device named `name` exposing `endpoints`, connected: the device handle, the
/// link a protocol's identify/initialize steps use, and the ops the device sees.
pub async fn link(
    name: &str,
    endpoints: &[Endpoint],
) -> (SimulatedDevice, DeviceIo, mpsc::UnboundedReceiver<SimOp>) {
    let (tx, mut rx) = mpsc::unbounded_channel();
    let manager = SimulatedManager::new(tx);
    let device = SimulatedDevice::new(SimulatedDeviceSpec::new(name, format!("addr-{name}")));
    let ops = device.op_receiver();
    manager.advertise(device.clone());
    manager.start_scanning().await.expect("scan");
    let Some(ManagerEvent::DeviceFound(candidate)) = rx.recv().await else {
        panic!("simulated device not found");
    };
    let service: BTreeMap<Endpoint, Uuid> = endpoints.iter().map(|e| (*e, Uuid::nil())).collect();
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
    let io = DeviceIo::new(transport, events, candidate.advertisement.clone());
    (device, io, ops)
}

/// The ops seen so far (reads and writes), without waiting.
pub fn seen(ops: &mut mpsc::UnboundedReceiver<SimOp>) -> Vec<SimOp> {
    let mut v = Vec::new();
    while let Ok(op) = ops.try_recv() {
        v.push(op);
    }
    v
}

/// A write op as the simulated device reports it.
pub fn write_op(endpoint: Endpoint, data: &[u8], write_with_response: bool) -> SimOp {
    SimOp::Write {
        endpoint,
        data: data.to_vec(),
        write_with_response,
    }
}

/// Bytes from hex text; whitespace is ignored (`"45 56 4F"`).
pub fn hex(s: &str) -> Vec<u8> {
    let s: String = s.chars().filter(|c| !c.is_whitespace()).collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

/// A simulated device connected through a whole server (database matching, identify,
/// definition lookup, initialize, device task).
pub struct Served {
    pub server: crate::server::Server,
    pub device: SimulatedDevice,
    /// Ops before the server added the device (identify and initialize).
    pub setup: Vec<SimOp>,
    /// (protocol key, device name) the server chose.
    pub chosen: (String, String),
    /// Ops from then on.
    pub ops: mpsc::UnboundedReceiver<SimOp>,
}

/// Advertise a device named `name` (answering `reads` in order) to a fresh server and wait
/// until it is added.
pub async fn serve(name: &str, reads: &[(Endpoint, &[u8])]) -> Served {
    use crate::server::{Server, ServerOptions, Transports};
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let device = SimulatedDevice::new(SimulatedDeviceSpec::new(name, format!("addr-{name}")));
    for (endpoint, data) in reads {
        device.queue_read(*endpoint, data.to_vec());
    }
    let mut ops = device.op_receiver();
    server.advertise(device.clone());
    server.start_scanning().await;
    let mut setup = Vec::new();
    let chosen = tokio::time::timeout(std::time::Duration::from_secs(5), async {
        loop {
            match ops.recv().await.expect("device ops") {
                SimOp::Connected { protocol, name } => return (protocol, name),
                op => setup.push(op),
            }
        }
    })
    .await
    .expect("device never connected");
    Served {
        server,
        device,
        setup,
        chosen,
        ops,
    }
}

/// The next op within a second, if any.
pub async fn next_op(ops: &mut mpsc::UnboundedReceiver<SimOp>) -> Option<SimOp> {
    tokio::time::timeout(std::time::Duration::from_secs(1), ops.recv())
        .await
        .ok()
        .flatten()
}

#[cfg(test)]
mod robustness {
    use super::*;

    /// Keys whose handlers must survive any command value, feature index and notification.
    const KEYS: [&str; 31] = [
        "lovense-connect-service",
        "lovenuts",
        "luvmazer",
        "magic-motion-1",
        "magic-motion-2",
        "magic-motion-3",
        "magic-motion-4",
        "mannuo",
        "maxpro",
        "meese",
        "mizzzee",
        "mizzzee-v2",
        "mizzzee-v3",
        "monsterpub",
        "motorbunny",
        "muse",
        "mymuselinkplus",
        "mysteryvibe",
        "mysteryvibe-v2",
        "nextlevelracing",
        "nexus-revo",
        "nintendo-joycon",
        "nobra",
        "omobo",
        "patoo",
        "picobong",
        "pink_punch",
        "prettylove",
        "raw",
        "realov",
        "realtouch",
    ];

    #[test]
    fn no_panics_on_extreme_commands() {
        let types = [
            OutputType::Vibrate,
            OutputType::Rotate,
            OutputType::Oscillate,
            OutputType::Constrict,
            OutputType::Temperature,
            OutputType::Led,
            OutputType::Spray,
            OutputType::Position,
            OutputType::HwPositionWithDuration,
        ];
        for key in KEYS {
            let spec = crate::protocols::lookup(key).unwrap_or_else(|| panic!("{key} registered"));
            let mut h = (spec.create)();
            for index in [0, 1, 2, 7, 47, 48, u32::MAX] {
                for t in types {
                    let f = feature(index, &[(t, -1000, 1000)]);
                    for v in [i32::MIN, -1000, -1, 0, 1, 2, 99, 255, 256, 1000, i32::MAX] {
                        for d in [0, 1, u32::MAX] {
                            let _ = h.encode_output(&f, OutputCommand::new(t, v, d));
                        }
                    }
                    let _ = h.stop_positional(&f);
                }
                for input in [InputType::Battery, InputType::Pressure] {
                    if let Ok(crate::protocols::InputPlan::Read { mut parse, .. }) =
                        h.read_input(&battery(index), input)
                    {
                        let _ = parse(Endpoint::Tx, &[]);
                        let _ = parse(Endpoint::Tx, &[0xFF; 64]);
                    }
                }
            }
            let _ = h.tick();
            let _ = h.parse_notification(Endpoint::Rx, &[]);
            let _ = h.parse_notification(Endpoint::Rx, &[0xFF; 300]);
        }
    }

    /// Every definition of these keys in the shipped database initializes, encodes every output
    /// type it lists (top of range, zero, and the bottom of signed ranges) and plans its inputs.
    #[tokio::test(start_paused = true)]
    async fn every_database_definition_is_served() {
        let endpoints = [
            Endpoint::Tx,
            Endpoint::Rx,
            Endpoint::TxMode,
            Endpoint::TxVibrate,
            Endpoint::Generic(0),
            Endpoint::RxBleModel,
            Endpoint::RxBleBattery,
        ];
        let mut checked = 0;
        for def in crate::device_config::DeviceConfig::embedded().all_definitions() {
            if !KEYS.contains(&def.protocol.as_str()) {
                continue;
            }
            let (device, mut io, _ops) = link(&def.name, &endpoints).await;
            if def.protocol == "monsterpub" {
                device.queue_read(Endpoint::Rx, vec![0; 16]);
            }
            let spec = crate::protocols::lookup(&def.protocol).expect("registered");
            let mut h = (spec.create)();
            h.initialize(&mut io, &def)
                .await
                .unwrap_or_else(|e| panic!("{} {}: {e}", def.protocol, def.name));
            for f in &def.features {
                for o in &f.outputs {
                    let (lo, hi) = o.base_range;
                    for v in [hi, 0, lo] {
                        let c = OutputCommand::new(o.output_type, v, 500);
                        if let Err(e) = h.encode_output(f, c) {
                            panic!(
                                "{} {} feature {}: {c:?}: {e}",
                                def.protocol, def.name, f.index
                            );
                        }
                    }
                }
                for i in &f.inputs {
                    assert!(
                        h.read_input(f, i.input_type).is_ok(),
                        "{} {} input {:?}",
                        def.protocol,
                        def.name,
                        i.input_type
                    );
                }
            }
            checked += 1;
        }
        // Every key but `raw` (no database entry) has definitions.
        assert!(checked >= KEYS.len() - 1, "only {checked} definitions");
    }
}
