//! WeVibe Chorus (`wevibe-chorus`): 8-byte packets on `tx` with response carrying both motors'
//! speeds (internal first, no offset) and a status byte of running motors.

use async_trait::async_trait;

use super::wevibe::has_two_vibrators;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct WeVibeChorus {
    dual: bool,
    motors: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(WeVibeChorus::default())
}

impl WeVibeChorus {
    fn packet(&self) -> [u8; 8] {
        let int = self.motors[0];
        let ext = if self.dual { self.motors[1] } else { int };
        if int == 0 && ext == 0 {
            return [0x0F, 0, 0, 0, 0, 0, 0, 0];
        }
        let status = (if ext > 0 { 0x02 } else { 0 }) | (if int > 0 { 0x01 } else { 0 });
        [0x0F, 0x03, 0x00, int, ext, status, 0x00, 0x00]
    }
}

#[async_trait]
impl ProtocolHandler for WeVibeChorus {
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.dual = has_two_vibrators(definition);
        Ok(())
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
        *motor = v.value.clamp(0, 255) as u8;
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
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };

    #[test]
    fn two_motors_and_stop() {
        let f0 = feature(0, &[(Vibrate, 0, 30)]);
        let f1 = feature(1, &[(Vibrate, 0, 30)]);
        let mut p = WeVibeChorus {
            dual: true,
            ..WeVibeChorus::default()
        };
        p.encode_output(&f0, cmd(Vibrate, 15)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 8)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        let w = writes(&out);
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("0F 03 00 0F 08 03 00 00"), true)]
        );
        p.encode_output(&f0, cmd(Vibrate, 23)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 15)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 17 0F 03 00 00"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 00 0F 02 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 00 00 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn single_motor_fills_both_slots() {
        let f = feature(0, &[(Vibrate, 0, 30)]);
        let mut p = WeVibeChorus::default();
        let out = p.encode_output(&f, cmd(Vibrate, 10)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 0A 0A 03 00 00"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("wevibe-chorus") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
