//! Sexverse v1 (`sexverse-v1`): every motor in one packet
//! `[23 07 3n, (80|k) type level ×n, xor]` to `tx`; motor k = feature k, type 0x03 vibrate,
//! 0x04 pump (oscillate or constrict), 0x06 rotate.

use async_trait::async_trait;

use super::shared::checksum::xor8;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

/// One motor: the feature it belongs to, its type code and its level.
struct Motor {
    feature: u32,
    output: OutputType,
    code: u8,
    level: u8,
}

#[derive(Default)]
pub struct SexverseV1 {
    motors: Vec<Motor>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SexverseV1::default())
}

fn type_code(t: OutputType) -> u8 {
    match t {
        OutputType::Rotate => 0x06,
        OutputType::Constrict | OutputType::Oscillate => 0x04,
        _ => 0x03,
    }
}

impl SexverseV1 {
    /// One motor per output of each feature, in feature order.
    fn setup(&mut self, def: &DeviceDefinition) {
        self.motors = def
            .features
            .iter()
            .flat_map(|f| {
                f.outputs.iter().map(|o| Motor {
                    feature: f.index,
                    output: o.output_type,
                    code: type_code(o.output_type),
                    level: 0,
                })
            })
            .collect();
    }

    fn packet(&self) -> Vec<u8> {
        let n = self.motors.len() as u8;
        let mut p = vec![0x23, 0x07, n.wrapping_mul(3)];
        for (k, m) in self.motors.iter().enumerate() {
            p.extend([0x80 | (k as u8).wrapping_add(1), m.code, m.level]);
        }
        p.push(xor8(&p));
        p
    }
}

#[async_trait]
impl ProtocolHandler for SexverseV1 {
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.setup(def);
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        if !matches!(
            command,
            OutputCommand::Vibrate(_)
                | OutputCommand::Oscillate(_)
                | OutputCommand::Rotate(_)
                | OutputCommand::Constrict(_)
        ) {
            return Err(unsupported_output(&command));
        }
        // Choice: the reference stores the level at list position `feature index`, which is
        // only right while every feature has one output; we look the motor up by feature and
        // type, which gives the same bytes for every shipped device.
        let Some(motor) = self
            .motors
            .iter_mut()
            .find(|m| m.feature == feature.index && m.output == command.output_type())
        else {
            return Err(unsupported_output(&command));
        };
        // Rotation has no direction here; levels are one byte.
        motor.level = command.value().clamp(0, 255) as u8;
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
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, hex, only_write,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

    fn setup(id: &str) -> (SexverseV1, DeviceDefinition) {
        let def = db_resolve("sexverse-v1", Some(id));
        let mut p = SexverseV1::default();
        p.setup(&def);
        (p, def)
    }

    #[test]
    fn rex() {
        let (mut p, def) = setup("Rex");
        let f = &def.features[0];
        let out = p.encode_output(f, cmd(Vibrate, 128)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("23 07 03 81 03 80 25"));
        let out = p.encode_output(f, cmd(Vibrate, 192)).unwrap();
        assert_eq!(only_write(&out), hex("23 07 03 81 03 C0 65"));
        let out = p.encode_output(f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("23 07 03 81 03 00 A5"));
        assert!(p.encode_output(f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn cali_olis_bucue() {
        let (mut p, def) = setup("Cali");
        p.encode_output(&def.features[0], cmd(Vibrate, 192))
            .unwrap();
        let out = p
            .encode_output(&def.features[1], cmd(Constrict, 128))
            .unwrap();
        assert_eq!(only_write(&out), hex("23 07 06 81 03 C0 82 04 80 66"));
        p.encode_output(&def.features[0], cmd(Vibrate, 0)).unwrap();
        let out = p
            .encode_output(&def.features[1], cmd(Constrict, 0))
            .unwrap();
        assert_eq!(only_write(&out), hex("23 07 06 81 03 00 82 04 00 26"));

        let (mut p, def) = setup("Olis");
        let out = p.encode_output(&def.features[2], cmd(Rotate, 128)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("23 07 09 81 03 00 82 03 00 83 06 80 2B")
        );

        let (mut p, def) = setup("LY213A01");
        p.encode_output(&def.features[0], cmd(Oscillate, 100))
            .unwrap();
        let out = p
            .encode_output(&def.features[1], cmd(Vibrate, 200))
            .unwrap();
        assert_eq!(only_write(&out), hex("23 07 06 81 04 64 82 03 C8 8A"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-v1") {
            let mut p = SexverseV1::default();
            p.setup(&def);
            assert_encodes_all(&mut p, &def);
        }
    }
}
