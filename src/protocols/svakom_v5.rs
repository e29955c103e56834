//! Svakom v5 (`svakom-v5`): vibrators 0 and 1 share one 6-byte packet
//! `[55 03 SEL 00 ON max(a, b)]`; the oscillator (Mora Neo, Trysta Neo) has `[55 09 00 00 s 00]`.

use super::shared::svakom::SharedSpeed;
use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct SvakomV5 {
    motors: SharedSpeed,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomV5::default())
}

impl ProtocolHandler for SvakomV5 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        match command {
            // No one-motor case here: Mini Emma Neo gets SEL = 1 while it runs.
            OutputCommand::Vibrate(v) if self.motors.set(feature.index, byte(v.value)) => {
                Ok(vec![HardwareCommand::write(
                    Endpoint::Tx,
                    self.motors.packet(false, 0x01),
                    false,
                    SharedSpeed::key(),
                )])
            }
            OutputCommand::Oscillate(v) => Ok(vec![HardwareCommand::feature_write(
                feature.index,
                Endpoint::Tx,
                [0x55, 0x09, 0x00, 0x00, byte(v.value), 0x00],
                false,
            )]),
            _ => Err(unsupported_output(&command)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Vibrate, 0, 10)]);
        let f2 = feature(2, &[(Oscillate, 0, 3)]);
        let mut p = SvakomV5::default();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(out[0].key, SharedSpeed::key());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 01 00 01 05"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f0, cmd(Vibrate, 8)), hex("55 03 01 00 01 08"));
        assert_eq!(w(&f1, cmd(Vibrate, 8)), hex("55 03 00 00 01 08"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 02 00 01 08"));
        assert_eq!(w(&f1, cmd(Vibrate, 10)), hex("55 03 02 00 01 0A"));
        assert_eq!(w(&f2, cmd(Oscillate, 2)), hex("55 09 00 00 02 00"));
        assert_eq!(w(&f1, cmd(Vibrate, 0)), hex("55 03 00 00 00 00"));
        assert_eq!(w(&f2, cmd(Oscillate, 0)), hex("55 09 00 00 00 00"));
        let out = p.encode_output(&f2, cmd(Oscillate, 1)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::feature(2));
        assert!(!out[0].key.overlaps(SharedSpeed::key()));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
        assert!(p.encode_output(&f2, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn single_motor_still_selects() {
        let mut p = SvakomV5::default();
        let out = p
            .encode_output(&feature(0, &[(Vibrate, 0, 10)]), cmd(Vibrate, 3))
            .unwrap();
        assert_eq!(only_write(&out), hex("55 03 01 00 01 03"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v5") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
