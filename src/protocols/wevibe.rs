//! WeVibe legacy 4-bit (`wevibe`): 8-byte packets on `tx` with response carrying both motors'
//! speeds as nibbles (internal high, external low); single-motor toys repeat the speed in both.
//! Connecting writes an "on" and an "off" packet.

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::{OutputCommand, OutputType};

const INIT: [u8; 8] = [0x0F, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00];
const OFF: [u8; 8] = [0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

#[derive(Default)]
pub struct WeVibe {
    /// Whether the toy has a second (external) motor.
    dual: bool,
    motors: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(WeVibe::default())
}

/// Whether a definition has more than one vibrator (shared by the WeVibe keys).
pub(super) fn has_two_vibrators(definition: &DeviceDefinition) -> bool {
    definition
        .features
        .iter()
        .filter(|f| f.output(OutputType::Vibrate).is_some())
        .count()
        > 1
}

impl WeVibe {
    fn packet(&self) -> [u8; 8] {
        let int = self.motors[0];
        let ext = if self.dual { self.motors[1] } else { int };
        if int == 0 && ext == 0 {
            return OFF;
        }
        [
            0x0F,
            0x03,
            0x00,
            (int << 4) | (ext & 0x0F),
            0x00,
            0x03,
            0x00,
            0x00,
        ]
    }
}

#[async_trait]
impl ProtocolHandler for WeVibe {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.dual = has_two_vibrators(definition);
        io.write(Endpoint::Tx, &INIT, true).await?;
        io.write(Endpoint::Tx, &OFF, true).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(motor) = self.motors.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *motor = v.value.clamp(0, 15) as u8;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            self.packet(),
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, feature, hex, only_write,
        sim_io, write_op, writes,
    };

    #[test]
    fn single_motor_repeats_the_speed() {
        let f = feature(0, &[(Vibrate, 0, 15)]);
        let mut p = WeVibe::default();
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 8)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("0F 03 00 88 00 03 00 00"), true)]
        );
        let out = p.encode_output(&f, cmd(Vibrate, 12)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 CC 00 03 00 00"));
        let out = p.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 00 00 00 00 00 00 00"));
        assert!(p.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn two_motors_in_nibbles() {
        let f0 = feature(0, &[(Vibrate, 0, 15)]);
        let f1 = feature(1, &[(Vibrate, 0, 15)]);
        let mut p = WeVibe {
            dual: true,
            ..WeVibe::default()
        };
        p.encode_output(&f0, cmd(Vibrate, 8)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 4)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("0F 03 00 84 00 03 00 00"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 04 00 03 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 8)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 08 00 03 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), OFF);
    }

    #[tokio::test]
    async fn initialize_writes_on_then_off() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("4plus", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        let mut p = WeVibe::default();
        p.initialize(&mut io, &db_resolve("wevibe", Some("4plus")))
            .await
            .unwrap();
        assert!(p.dual);
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &INIT, true),
                write_op(Endpoint::Tx, &OFF, true)
            ]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("wevibe") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
