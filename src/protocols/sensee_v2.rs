//! Sensee v2 (`sensee-v2`): every motor in one packet
//! `[55 AA F0 02 00 L dt F1, groups…, 00 00]` to `tx`, grouped vibrate / thrust (oscillate) /
//! suck (constrict); the device type byte `dt` is read from `tx` at connection.

use std::time::Duration;

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

const READ_TIMEOUT: Duration = Duration::from_millis(500);
const DEFAULT_DEVICE_TYPE: u8 = 0x65;
/// Group order in the packet, with each group's type code.
const GROUPS: [(OutputType, u8); 3] = [
    (OutputType::Vibrate, 0x00),
    (OutputType::Oscillate, 0x01),
    (OutputType::Constrict, 0x02),
];

pub struct SenseeV2 {
    device_type: u8,
    /// Per group (in [`GROUPS`] order): (feature index, level), in ascending feature index.
    groups: [Vec<(u32, u8)>; 3],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SenseeV2 {
        device_type: DEFAULT_DEVICE_TYPE,
        groups: Default::default(),
    })
}

/// The device type from the `tx` read: byte 6 when present and non-zero. (The reference checks
/// for 6 bytes before reading the seventh, and so crashes on a 6-byte reply; we need 7.)
fn device_type(reply: &[u8]) -> u8 {
    reply
        .get(6)
        .copied()
        .filter(|b| *b != 0)
        .unwrap_or(DEFAULT_DEVICE_TYPE)
}

impl SenseeV2 {
    fn setup(&mut self, def: &DeviceDefinition) {
        for (group, (t, _)) in self.groups.iter_mut().zip(GROUPS) {
            *group = def
                .features
                .iter()
                .filter(|f| f.output(t).is_some())
                .map(|f| (f.index, 0))
                .collect();
        }
    }

    fn packet(&self) -> Vec<u8> {
        let mut payload = vec![self.groups.iter().filter(|g| !g.is_empty()).count() as u8];
        for (group, (_, code)) in self.groups.iter().zip(GROUPS) {
            if group.is_empty() {
                continue;
            }
            payload.extend([code, group.len() as u8]);
            for (sub, (_, level)) in group.iter().enumerate() {
                payload.extend([(sub as u8).wrapping_add(1), *level]);
            }
        }
        let len = (payload.len() as u8).wrapping_add(4);
        let mut p = vec![0x55, 0xAA, 0xF0, 0x02, 0x00, len, self.device_type, 0xF1];
        p.extend(payload);
        // A checksum field that is never computed.
        p.extend([0x00, 0x00]);
        p
    }
}

#[async_trait]
impl ProtocolHandler for SenseeV2 {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        let reply = io.read(Endpoint::Tx, 128, READ_TIMEOUT).await?;
        self.device_type = device_type(&reply);
        self.setup(def);
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let t = command.output_type();
        let slot = GROUPS
            .iter()
            .position(|(g, _)| *g == t)
            .and_then(|g| self.groups.get_mut(g))
            .and_then(|g| g.iter_mut().find(|(i, _)| *i == feature.index));
        let Some(slot) = slot else {
            return Err(unsupported_output(&command));
        };
        slot.1 = command.value().clamp(0, 255) as u8;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            self.packet(),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, hex, only_write, sim_io,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

    fn setup(id: &str, dt: u8) -> (SenseeV2, DeviceDefinition) {
        let def = db_resolve("sensee-v2", Some(id));
        let mut p = SenseeV2 {
            device_type: dt,
            groups: Default::default(),
        };
        p.setup(&def);
        (p, def)
    }

    #[test]
    fn capsule() {
        let (mut p, def) = setup("CCPA10S2", 0x66);
        let (v, c) = (&def.features[0], &def.features[1]);
        let out = p.encode_output(v, cmd(Vibrate, 50)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            only_write(&out),
            hex("55 AA F0 02 00 0D 66 F1 02 00 01 01 32 02 01 01 00 00 00")
        );
        p.encode_output(v, cmd(Vibrate, 90)).unwrap();
        let out = p.encode_output(c, cmd(Constrict, 50)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("55 AA F0 02 00 0D 66 F1 02 00 01 01 5A 02 01 01 32 00 00")
        );
        p.encode_output(v, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(c, cmd(Constrict, 0)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("55 AA F0 02 00 0D 66 F1 02 00 01 01 00 02 01 01 00 00 00")
        );
        assert!(p.encode_output(v, cmd(Rotate, 1)).is_err());
        assert!(p.encode_output(v, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn groups_go_by_type() {
        let (mut p, def) = setup("CTY916S4", 0x66);
        p.encode_output(&def.features[0], cmd(Oscillate, 70))
            .unwrap();
        let out = p.encode_output(&def.features[1], cmd(Vibrate, 40)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("55 AA F0 02 00 0D 66 F1 02 00 01 01 28 01 01 01 46 00 00")
        );
        let (mut p, def) = setup("CCPB22S5", 0x66);
        p.encode_output(&def.features[0], cmd(Vibrate, 10)).unwrap();
        p.encode_output(&def.features[1], cmd(Oscillate, 20))
            .unwrap();
        let out = p
            .encode_output(&def.features[2], cmd(Constrict, 30))
            .unwrap();
        assert_eq!(
            only_write(&out),
            hex("55 AA F0 02 00 11 66 F1 03 00 01 01 0A 01 01 01 14 02 01 01 1E 00 00")
        );
        let (mut p, def) = setup("qingnan#16", 0x65);
        let out = p
            .encode_output(&def.features[0], cmd(Constrict, 100))
            .unwrap();
        assert_eq!(
            only_write(&out),
            hex("55 AA F0 02 00 09 65 F1 01 02 01 01 64 00 00")
        );
    }

    #[test]
    fn device_type_byte() {
        let reply = hex("55 AA F0 02 01 0A 66 FA 01 00 00 01 FF 05 A6");
        assert_eq!(device_type(&reply), 0x66);
        assert_eq!(device_type(&hex("55 AA F0 02 01 0A 00")), 0x65);
        assert_eq!(device_type(&hex("55 AA F0 02 01 0A")), 0x65);
        assert_eq!(device_type(&[]), 0x65);
    }

    #[tokio::test]
    async fn initialize_reads_the_device_type() {
        let (dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("CCPA10S2", "capsule"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        dev.queue_read(
            Endpoint::Tx,
            hex("55 AA F0 02 01 0A 66 FA 01 00 00 01 FF 05 A6"),
        );
        let def = db_resolve("sensee-v2", Some("CCPA10S2"));
        let mut p = create();
        p.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![SimOp::Read {
                endpoint: Endpoint::Tx
            }]
        );
        let out = p.encode_output(&def.features[0], cmd(Vibrate, 50)).unwrap();
        assert_eq!(only_write(&out).get(6), Some(&0x66));
    }

    #[tokio::test]
    async fn initialize_fails_without_a_reply() {
        let (_dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("CCPA10S2", "capsule"),
            &[Endpoint::Rx],
        )
        .await;
        let def = db_resolve("sensee-v2", Some("CCPA10S2"));
        assert!(create().initialize(&mut io, &def).await.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sensee-v2") {
            let mut p = SenseeV2 {
                device_type: 0x65,
                groups: Default::default(),
            };
            p.setup(&def);
            assert_encodes_all(&mut p, &def);
        }
    }
}
