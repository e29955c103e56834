//! Test support for protocol unit tests: hand-built feature definitions, command shorthands, a
//! stop that coalesces like the server does, and a scripted transport for identify/initialize.

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::device_config::{
    DeviceDefinition, FeatureDefinition, InputDefinition, OutputDefinition,
};
use crate::hardware::{Advertisement, Endpoint, HardwareError, HardwareEvent, Transport};
use crate::protocol::{InputCommandType, InputType, OutputCommand, OutputType};
use crate::protocols::{DeviceIo, HardwareCommand, HardwareOp, ProtocolHandler};

/// A feature with the given outputs `(type, min, max)`.
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
                duration_range: None,
                disabled: false,
                reverse: false,
            })
            .collect(),
        inputs: Vec::new(),
        alt_protocol_index: None,
    }
}

/// A battery-read feature.
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
        protocol: String::new(),
        identifier: None,
        name: String::new(),
        display_name: None,
        id: Uuid::nil(),
        features,
        protocol_variant: None,
        message_gap_ms: None,
        user_index: None,
    }
}

/// A one-value command.
pub fn cmd(t: OutputType, value: i32) -> OutputCommand {
    OutputCommand::new(t, value, 0)
}

/// A HwPositionWithDuration command.
pub fn pos(value: i32, duration: u32) -> OutputCommand {
    OutputCommand::new(OutputType::HwPositionWithDuration, value, duration)
}

/// The writes among `cmds` as (endpoint, bytes, with response).
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

/// The bytes of the writes among `cmds`.
pub fn data(cmds: &[HardwareCommand]) -> Vec<Vec<u8>> {
    writes(cmds).into_iter().map(|w| w.1).collect()
}

/// Encode one command on feature `index` of `def`, panicking on an encoding error.
pub fn encode(
    h: &mut dyn ProtocolHandler,
    def: &DeviceDefinition,
    index: u32,
    command: OutputCommand,
) -> Vec<HardwareCommand> {
    let f = def.feature(index).expect("feature exists");
    h.encode_output(f, command).expect("encodes")
}

/// Encode several commands as one client message, coalesced like the server does (ascending
/// feature index; a later entry's packet drops earlier queued packets it overlaps).
pub fn message(
    h: &mut dyn ProtocolHandler,
    def: &DeviceDefinition,
    entries: &[(u32, OutputCommand)],
) -> Vec<HardwareCommand> {
    let mut entries = entries.to_vec();
    entries.sort_by_key(|(f, _)| *f);
    let mut queue: Vec<(usize, HardwareCommand)> = Vec::new();
    for (n, (index, command)) in entries.into_iter().enumerate() {
        for c in encode(h, def, index, command) {
            queue.retain(|(e, q)| *e == n || !q.key.overlaps(c.key));
            queue.push((n, c));
        }
    }
    queue.into_iter().map(|(_, c)| c).collect()
}

/// A stop of the whole device, coalesced like the server does (without de-duplication).
pub fn stop(h: &mut dyn ProtocolHandler, def: &DeviceDefinition) -> Vec<HardwareCommand> {
    let entries: Vec<(u32, OutputCommand)> = def
        .features
        .iter()
        .filter_map(|f| {
            f.outputs
                .iter()
                .find(|o| o.output_type.is_stoppable())
                .map(|o| (f.index, OutputCommand::new(o.output_type, 0, 0)))
        })
        .collect();
    message(h, def, &entries)
}

/// An operation the scripted transport saw.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    Write(Endpoint, Vec<u8>, bool),
    Read(Endpoint),
    Subscribe(Endpoint),
    Unsubscribe(Endpoint),
}

/// A transport with scripted read answers and notifications queued up front.
pub struct Scripted {
    endpoints: Vec<Endpoint>,
    ops: Arc<Mutex<Vec<Op>>>,
    reads: Mutex<Vec<(Endpoint, Vec<u8>)>>,
    /// Kept so the event stream stays open after the scripted notifications.
    _events: mpsc::Sender<HardwareEvent>,
}

/// A device link for identify/initialize tests: `reads` answer reads in order (a read of another
/// endpoint fails), `notifications` are delivered in order. Returns the link and its op log.
pub fn scripted_io(
    name: &str,
    endpoints: &[Endpoint],
    reads: Vec<(Endpoint, Vec<u8>)>,
    notifications: Vec<(Endpoint, Vec<u8>)>,
) -> (DeviceIo, Arc<Mutex<Vec<Op>>>) {
    let (tx, rx) = mpsc::channel(64 + notifications.len());
    for (endpoint, data) in notifications {
        tx.try_send(HardwareEvent::Notification { endpoint, data })
            .expect("room for notifications");
    }
    let ops = Arc::new(Mutex::new(Vec::new()));
    let mut reads = reads;
    reads.reverse();
    let transport = Arc::new(Scripted {
        endpoints: endpoints.to_vec(),
        ops: ops.clone(),
        reads: Mutex::new(reads),
        _events: tx,
    });
    let io = DeviceIo::new(transport, rx, Advertisement::btle(name, "test"));
    (io, ops)
}

impl Scripted {
    fn check(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        if self.endpoints.contains(&endpoint) {
            Ok(())
        } else {
            Err(HardwareError::InvalidEndpoint(endpoint))
        }
    }
}

#[async_trait]
impl Transport for Scripted {
    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.clone()
    }

    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), HardwareError> {
        self.check(endpoint)?;
        self.ops
            .lock()
            .push(Op::Write(endpoint, data.to_vec(), with_response));
        Ok(())
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        _max_len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        self.check(endpoint)?;
        self.ops.lock().push(Op::Read(endpoint));
        match self.reads.lock().pop() {
            Some((e, d)) if e == endpoint => Ok(d),
            Some(_) => Err(HardwareError::Io("read of another endpoint".into())),
            None => Err(HardwareError::Timeout),
        }
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.check(endpoint)?;
        self.ops.lock().push(Op::Subscribe(endpoint));
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.check(endpoint)?;
        self.ops.lock().push(Op::Unsubscribe(endpoint));
        Ok(())
    }

    async fn disconnect(&self) {}

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::DeviceConfig;
    use crate::protocols::lookup;

    /// Keys whose every database definition is checked below.
    const KEYS: &[&str] = &[
        "hgod",
        "hismith",
        "hismith-mini",
        "honeyplaybox",
        "htk_bm",
        "itoys",
        "jejoue",
        "joyhub",
        "kiiroo-powershot",
        "kiiroo-prowand",
        "kiiroo-spot",
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
    ];

    /// Battery features the database lists but the protocol cannot read (see the sheets).
    const UNREADABLE_BATTERY: &[&str] = &["kiiroo-v3"];

    fn honeyplaybox_key_reply() -> Vec<u8> {
        // 02 A5 5A 55 AA F0 | 00 | B1 01 00 12 | 90 00 + 16 key bytes | 03 | CRC (unchecked)
        let mut f = vec![
            0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x12,
        ];
        f.extend([0x90, 0x00]);
        f.extend(1..=16u8);
        f.extend([0x03, 0x00, 0x00]);
        f
    }

    /// Every definition of these keys in the shipped database initializes, encodes every output
    /// type it lists (top of range, bottom for signed ranges, and zero) and plans every input.
    #[tokio::test(start_paused = true)]
    async fn every_database_definition_is_served() {
        let db = DeviceConfig::embedded();
        let endpoints = [
            Endpoint::Tx,
            Endpoint::Rx,
            Endpoint::TxMode,
            Endpoint::Whitelist,
            Endpoint::Generic(0),
            Endpoint::Command,
            Endpoint::Firmware,
            Endpoint::RxBleModel,
            Endpoint::RxBleBattery,
        ];
        let mut checked = 0;
        for def in db.all_definitions() {
            if !KEYS.contains(&def.protocol.as_str()) {
                continue;
            }
            let spec = lookup(&def.protocol).expect("registered");
            let mut h = (spec.create)();
            let notes = vec![
                (Endpoint::Whitelist, vec![1, 0, 0, 0, 0, 0, 0, 0]),
                (Endpoint::Rx, honeyplaybox_key_reply()),
            ];
            let (mut io, _) = scripted_io(&def.name, &endpoints, vec![], notes);
            h.initialize(&mut io, &def)
                .await
                .unwrap_or_else(|e| panic!("{} {}: {e}", def.protocol, def.name));
            for f in &def.features {
                for o in &f.outputs {
                    let (lo, hi) = o.base_range;
                    let mut values = vec![hi, 0];
                    if lo < 0 {
                        values.push(lo);
                    }
                    for v in values {
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
                    let ok = h.read_input(f, i.input_type).is_ok();
                    let expected = !UNREADABLE_BATTERY.contains(&def.protocol.as_str());
                    assert_eq!(
                        ok, expected,
                        "{} {} input {:?}",
                        def.protocol, def.name, i.input_type
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > KEYS.len(), "only {checked} definitions checked");
    }
}
