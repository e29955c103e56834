//! The test kit of protocol unit tests: hand-built features and definitions, command shorthands,
//! the writes of encoded commands, a client message (and a stop) coalesced like the server does,
//! a simulated device reachable through a [`DeviceIo`] for identify and initialize, the server's
//! own device task driving a handler ([`served`]: what a device really receives, de-duplication and
//! coalescing included), and the embedded database's definitions. Tests that need a whole server
//! (database matching) are integration tests: tests/protocol_through_server.rs.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::device_config::{
    BtleSpecifier, CommunicationSpecifier, DeviceConfig, DeviceDefinition, DeviceIdentity,
    FeatureDefinition, InputDefinition, OutputDefinition,
};
use crate::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec, SimulatedManager};
use crate::hardware::{Endpoint, HardwareManager, ManagerEvent};
use crate::protocols::{DeviceIo, HardwareCommand, HardwareOp, ProtocolHandler};
use crate::server::device::{DeviceTask, DeviceTaskEvents, SubscriptionReading};
use crate::server::request::{BatchItem, BatchItems, DeviceRequest, DeviceSender};
use crate::wire::{InputCommandType, InputType, OutputCommand, OutputType};

/// Bytes from hex text; whitespace is ignored (`"B0 01 FF"`).
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<char> = s.chars().filter(|c| !c.is_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(&p.iter().collect::<String>(), 16).expect("hex digits"))
        .collect()
}

/// A feature with these outputs `(type, min, max)`.
pub fn feature(index: u32, outputs: &[(OutputType, i32, i32)]) -> FeatureDefinition {
    FeatureDefinition {
        index,
        id: Uuid::nil(),
        description: String::new(),
        outputs: outputs
            .iter()
            .map(|&(output_type, lo, hi)| OutputDefinition {
                output_type,
                base_range: (lo, hi),
                user_range: None,
                duration_range: (output_type == OutputType::HwPositionWithDuration)
                    .then_some((0, 100_000)),
                disabled: false,
                reverse: false,
            })
            .collect(),
        inputs: Vec::new(),
        alt_protocol_index: None,
    }
}

/// A feature with a readable battery (0–100).
pub fn battery(index: u32) -> FeatureDefinition {
    let mut f = feature(index, &[]);
    f.inputs.push(InputDefinition {
        input_type: InputType::Battery,
        ranges: vec![(0, 100)],
        commands: vec![InputCommandType::Read],
    });
    f
}

/// A definition with these features.
pub fn definition(features: Vec<FeatureDefinition>) -> DeviceDefinition {
    DeviceDefinition {
        protocol: "test".into(),
        identifier: None,
        name: "test device".into(),
        display_name: None,
        id: Uuid::nil(),
        features,
        protocol_variant: None,
        message_gap_ms: None,
        user_index: None,
    }
}

/// An output command of `t` at step `v`.
pub fn cmd(t: OutputType, v: i32) -> OutputCommand {
    OutputCommand::new(t, v, 0)
}

/// A HwPositionWithDuration command.
pub fn position(v: i32, duration: u32) -> OutputCommand {
    OutputCommand::new(OutputType::HwPositionWithDuration, v, duration)
}

/// A write as (endpoint, bytes, with response).
pub type Write = (Endpoint, Vec<u8>, bool);

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

/// The bytes of the writes among hardware commands.
pub fn data(cmds: &[HardwareCommand]) -> Vec<Vec<u8>> {
    writes(cmds).into_iter().map(|w| w.1).collect()
}

/// The bytes of the only write among `cmds` (panics otherwise).
pub fn only_write(cmds: &[HardwareCommand]) -> Vec<u8> {
    let w = writes(cmds);
    assert_eq!(w.len(), 1, "expected exactly one write, got {w:02x?}");
    w.into_iter().next().map(|w| w.1).unwrap_or_default()
}

/// Encode one command on a feature (panics on an encoding error).
pub fn encode(
    h: &mut dyn ProtocolHandler,
    f: &FeatureDefinition,
    command: OutputCommand,
) -> Vec<HardwareCommand> {
    h.encode_output(f, command).expect("encodes")
}

/// Encode the entries of one client message and coalesce their packets the way the server does
/// (vectors README §3.4): entries run in ascending feature index, and a later entry's packet
/// drops earlier queued packets whose key overlaps its own.
pub fn message(
    h: &mut dyn ProtocolHandler,
    entries: &[(&FeatureDefinition, OutputCommand)],
) -> Vec<HardwareCommand> {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|(f, _)| f.index);
    let mut queue: Vec<(usize, HardwareCommand)> = Vec::new();
    for (n, (f, command)) in entries.into_iter().enumerate() {
        for c in encode(h, f, command) {
            queue.retain(|(e, q)| *e == n || !q.key.overlaps(c.key));
            queue.push((n, c));
        }
    }
    queue.into_iter().map(|(_, c)| c).collect()
}

/// A stop of these features as the server sends it: a zero of each one's first stoppable output,
/// as one message (without the server's de-duplication).
pub fn stop<'a>(
    h: &mut dyn ProtocolHandler,
    features: impl IntoIterator<Item = &'a FeatureDefinition>,
) -> Vec<HardwareCommand> {
    let entries: Vec<(&FeatureDefinition, OutputCommand)> = features
        .into_iter()
        .filter_map(|f| {
            f.outputs
                .iter()
                .find(|o| o.output_type.is_stoppable())
                .map(|o| (f, OutputCommand::new(o.output_type, 0, 0)))
        })
        .collect();
    message(h, &entries)
}

/// A simulated device connected with `endpoints`, the [`DeviceIo`] a protocol's identify and
/// initialize steps get, and the ops the device sees.
pub async fn sim_io(
    spec: SimulatedDeviceSpec,
    endpoints: &[Endpoint],
) -> (SimulatedDevice, DeviceIo, mpsc::UnboundedReceiver<SimOp>) {
    let device = SimulatedDevice::new(spec);
    let ops = device.op_receiver();
    let (tx, mut rx) = mpsc::unbounded_channel();
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

/// Every op reported so far, without waiting.
pub fn drain(ops: &mut mpsc::UnboundedReceiver<SimOp>) -> Vec<SimOp> {
    let mut out = Vec::new();
    while let Ok(op) = ops.try_recv() {
        out.push(op);
    }
    out
}

/// The next op within a second, if any.
pub async fn next_op(ops: &mut mpsc::UnboundedReceiver<SimOp>) -> Option<SimOp> {
    tokio::time::timeout(Duration::from_secs(1), ops.recv())
        .await
        .ok()
        .flatten()
}

/// A write op as the simulated device reports it.
pub fn write_op(endpoint: Endpoint, data: &[u8], with_response: bool) -> SimOp {
    SimOp::Write {
        endpoint,
        data: data.to_vec(),
        write_with_response: with_response,
    }
}

/// A handler driven by the server's device task (src/server/device.rs) over a simulated device.
pub struct Served {
    requests: DeviceSender,
    ops: mpsc::UnboundedReceiver<SimOp>,
    /// The simulated device (to queue reads or notify).
    pub device: SimulatedDevice,
}

/// Reports nothing: these tests look at the bytes.
struct Unreported;

impl DeviceTaskEvents for Unreported {
    fn reading(&self, _device_index: u32, _reading: SubscriptionReading) {}
    fn stop_failed(&self, _device_index: u32, _message: String) {}
}

/// Identify (its answer unused: the definition is given) and initialize `handler` for
/// `definition` on a simulated device `spec` with `endpoints`, then hand both to a device task
/// with message gap `gap`. The ops of identify and initialize are dropped.
pub async fn served(
    mut handler: Box<dyn ProtocolHandler>,
    definition: DeviceDefinition,
    spec: SimulatedDeviceSpec,
    endpoints: &[Endpoint],
    gap: Duration,
) -> Served {
    let (device, mut io, mut ops) = sim_io(spec, endpoints).await;
    let _ = handler.identify(&mut io).await;
    handler
        .initialize(&mut io, &definition)
        .await
        .expect("initialize");
    drain(&mut ops);
    let (transport, events, _) = io.into_parts();
    let (requests, receiver) = mpsc::unbounded_channel();
    let task = DeviceTask {
        index: 0,
        protocol: definition.protocol.clone(),
        definition: Arc::new(definition),
        handler,
        transport,
        events,
        requests: receiver,
        gap,
        reporter: Arc::new(Unreported),
    };
    tokio::spawn(task.run());
    Served {
        requests,
        ops,
        device,
    }
}

impl Served {
    /// Send one client message's entries `(feature, command)` and wait until it is answered
    /// (written, or accepted while the message gap runs); the writes made so far.
    pub async fn message(&mut self, entries: &[(u32, OutputCommand)]) -> Vec<SimOp> {
        let mut acks = Vec::new();
        let items = entries
            .iter()
            .map(|&(feature, command)| {
                let (ack, acked) = oneshot::channel();
                acks.push(acked);
                BatchItem::Output {
                    feature,
                    command,
                    ack: Some(ack),
                }
            })
            .collect();
        self.send(BatchItems::Many(items), acks).await
    }

    /// Stop every output of the device and wait until the stop is written; the writes made
    /// so far.
    pub async fn stop(&mut self) -> Vec<SimOp> {
        let (ack, acked) = oneshot::channel();
        let stop = BatchItem::Stop {
            feature: None,
            outputs: true,
            inputs: true,
            ack: Some(ack),
        };
        self.send(stop.into(), vec![acked]).await
    }

    /// Read input `input` of `feature`; the answer, within the server's bound.
    pub fn read(
        &mut self,
        feature: u32,
        input: InputType,
    ) -> impl std::future::Future<Output = Result<Option<i32>, crate::wire::ButtplugError>> + use<>
    {
        let (reply, answer) = oneshot::channel();
        let request = DeviceRequest::Input {
            feature,
            input,
            command: InputCommandType::Read,
            reply,
        };
        assert!(self.requests.send(request).is_ok());
        async move { answer.await.expect("the device task answers") }
    }

    /// Every op reported so far, without waiting.
    pub fn ops(&mut self) -> Vec<SimOp> {
        drain(&mut self.ops)
    }

    async fn send(
        &mut self,
        items: BatchItems,
        acks: Vec<oneshot::Receiver<Result<(), crate::wire::ButtplugError>>>,
    ) -> Vec<SimOp> {
        assert!(self.requests.send(DeviceRequest::Batch(items)).is_ok());
        for acked in acks {
            let answer = tokio::time::timeout(Duration::from_secs(5), acked).await;
            assert!(matches!(answer, Ok(Ok(Ok(())))), "answered {answer:?}");
        }
        self.ops()
    }
}

/// The (endpoint, bytes) of the writes among ops.
pub fn written(ops: &[SimOp]) -> Vec<(Endpoint, Vec<u8>)> {
    ops.iter()
        .filter_map(|op| match op {
            SimOp::Write { endpoint, data, .. } => Some((*endpoint, data.clone())),
            _ => None,
        })
        .collect()
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::{InputPlan, lookup, supported_protocols};
    use crate::wire::InputCommandType;

    /// Keys whose every database definition is served below (the other keys check their
    /// definitions in their own files, with `assert_encodes_all`): a range of keys, and every
    /// key new in database v5.
    const SERVED_KEYS: [&str; 72] = [
        "aneros",
        "fmachine",
        "hgod",
        "hismith",
        "hismith-mini",
        "honeyplaybox",
        "htk_bm",
        "itoys",
        "jejoue",
        "joyhub",
        "kgoal-boost",
        "kiiroo-powershot",
        "kiiroo-prowand",
        "kiiroo-spot",
        "kiiroo-spot-v2",
        "kiiroo-v1",
        "kiiroo-v2",
        "kiiroo-v2-vibrator",
        "kiiroo-v21",
        "kiiroo-v21-initialized",
        "kiiroo-v3",
        "kizuna",
        "lelo-f1s",
        "lelo-f1sv2",
        "lelo-harmony",
        "leten",
        "libo-elle",
        "libo-shark",
        "libo-vibes",
        "lioness",
        "loob",
        "lovedistance",
        "lovehoney-desire",
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
        "ossm",
        "patoo",
        "picobong",
        "pink_punch",
        "prettylove",
        "raw",
        "realov",
        "realtouch",
        "sexverse-v6",
        "simulated",
        "svakom-fatima",
        "umove",
        "utimi",
        "vibio",
        "yiciyuan",
    ];

    /// Keys without a database entry.
    const NOT_IN_DATABASE: &[&str] = &["raw"];

    /// Battery features the database lists but the protocol cannot read (see the sheets).
    const UNREADABLE_BATTERY: &[&str] = &["kiiroo-v3"];

    /// The HoneyPlayBox handshake answer: `02 A5 5A 55 AA F0 | 00 | B1 01 00 12 | 90 00` and 16
    /// key bytes, `03`, CRC (unchecked).
    fn honeyplaybox_key_reply() -> Vec<u8> {
        let mut f = hex("02 A5 5A 55 AA F0 00 B1 01 00 12 90 00");
        f.extend(1..=16u8);
        f.extend([0x03, 0x00, 0x00]);
        f
    }

    /// A simulated device for `def`, answering what its protocol's initialize waits for.
    async fn device_for(def: &DeviceDefinition) -> DeviceIo {
        let endpoints = [
            Endpoint::Tx,
            Endpoint::Rx,
            Endpoint::TxMode,
            Endpoint::TxVibrate,
            Endpoint::Whitelist,
            Endpoint::Generic(0),
            Endpoint::Command,
            Endpoint::Firmware,
            Endpoint::RxBleModel,
            Endpoint::RxBleBattery,
        ];
        let mut spec = SimulatedDeviceSpec::new(def.name.clone(), "a");
        match def.protocol.as_str() {
            "honeyplaybox" => {
                spec.subscribe_replies = vec![(Endpoint::Rx, honeyplaybox_key_reply())]
            }
            "lelo-f1s" | "lelo-f1sv2" | "lelo-harmony" => {
                spec.subscribe_replies = vec![(Endpoint::Whitelist, vec![1, 0, 0, 0, 0, 0, 0, 0])]
            }
            "vibio" => {
                spec.auto_replies = vec![crate::hardware::simulated::AutoReply {
                    on_write: Vec::new(),
                    endpoint: Endpoint::Rx,
                    reply: crate::protocols::vibio::SCHEME.encrypt("OK;"),
                }]
            }
            _ => {}
        }
        let (device, io, _ops) = sim_io(spec, &endpoints).await;
        if def.protocol == "monsterpub" {
            device.queue_read(Endpoint::Rx, vec![0; 16]);
        }
        io
    }

    /// Every handler survives any command value, feature index and notification.
    #[test]
    fn no_panics_on_extreme_commands() {
        for key in supported_protocols() {
            let spec = lookup(key).unwrap_or_else(|| panic!("{key} registered"));
            let mut h = (spec.create)();
            for index in [0, 1, 2, 7, 47, 48, u32::MAX] {
                for t in OutputType::ALL {
                    let f = feature(index, &[(t, -1000, 1000)]);
                    for v in [i32::MIN, -1000, -1, 0, 1, 2, 99, 255, 256, 1000, i32::MAX] {
                        for d in [0, 1, u32::MAX] {
                            let _ = h.encode_output(&f, OutputCommand::new(t, v, d));
                        }
                    }
                    let _ = h.stop_positional(&f);
                }
                for input in [InputType::Battery, InputType::Pressure] {
                    if let Ok(InputPlan::Read { mut parse, .. }) =
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
    /// type it lists (top of range, zero and bottom of range) and plans its inputs.
    #[tokio::test(start_paused = true)]
    async fn every_database_definition_is_served() {
        let mut checked: BTreeMap<&str, usize> = BTreeMap::new();
        for def in DeviceConfig::embedded().all_definitions() {
            let Some(key) = SERVED_KEYS.iter().find(|k| **k == def.protocol) else {
                continue;
            };
            let mut io = device_for(&def).await;
            let spec = lookup(key).expect("registered");
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
                // Inputs the database lists as readable (kgoal-boost's pressure is subscribe-only).
                let readable = f
                    .inputs
                    .iter()
                    .filter(|i| i.commands.contains(&InputCommandType::Read));
                for i in readable {
                    let ok = h.read_input(f, i.input_type).is_ok();
                    let expected = !UNREADABLE_BATTERY.contains(key);
                    assert_eq!(
                        ok, expected,
                        "{} {} input {:?}",
                        def.protocol, def.name, i.input_type
                    );
                }
            }
            *checked.entry(key).or_default() += 1;
        }
        for key in SERVED_KEYS {
            assert_eq!(
                checked.contains_key(key),
                !NOT_IN_DATABASE.contains(&key),
                "definitions of {key}"
            );
        }
        assert!(
            checked.values().sum::<usize>() > SERVED_KEYS.len(),
            "only {checked:?} definitions checked"
        );
    }
}
