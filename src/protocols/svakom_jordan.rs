//! Svakom Jordan (`svakom-jordan`): vibrator `[55 03 00 00 F s 00]` and oscillator
//! `[55 08 00 00 F s 00]` to `tx`; the output type picks the packet.

use super::shared::svakom::{byte, flag};
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SvakomJordan;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomJordan)
}

impl ProtocolHandler for SvakomJordan {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let (mode, s) = match command {
            OutputCommand::Vibrate(v) => (0x03, byte(v.value)),
            OutputCommand::Oscillate(v) => (0x08, byte(v.value)),
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x55, mode, 0x00, 0x00, flag(s), s, 0x00],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Rotate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Oscillate, 0, 5)]);
        let mut p = SvakomJordan;
        let out = p.encode_output(&f0, cmd(Vibrate, 6)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 01 06 00"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f1, cmd(Oscillate, 5)), hex("55 08 00 00 01 05 00"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 00 00 00 00 00"));
        assert_eq!(w(&f1, cmd(Oscillate, 0)), hex("55 08 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-jordan") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
