//! Svakom Ava Neo (`svakom-avaneo`): vibrator (feature 0) `[55 03 00 00 F s]`, and feature 1 as
//! oscillator `[55 08 00 00 s FF]` (or, addressed as a vibrator, `[55 09 00 00 s FF]`).

use super::shared::svakom::{byte, flag};
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SvakomAvaNeo;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomAvaNeo)
}

impl ProtocolHandler for SvakomAvaNeo {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        // Feature 0 takes the vibrator packet whatever the type; other features pick theirs by
        // type. The trailing 0xFF of the feature-1 packets stays when off.
        let packet = match (feature.index, &command) {
            (0, OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) => {
                let s = byte(v.value);
                [0x55, 0x03, 0x00, 0x00, flag(s), s]
            }
            (_, OutputCommand::Oscillate(v)) => [0x55, 0x08, 0x00, 0x00, byte(v.value), 0xFF],
            (_, OutputCommand::Vibrate(v)) => [0x55, 0x09, 0x00, 0x00, byte(v.value), 0xFF],
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Constrict, Oscillate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Oscillate, 0, 1)]);
        let mut p = SvakomAvaNeo;
        let out = p.encode_output(&f0, cmd(Vibrate, 7)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 01 07"), false)]
        );
        let out = p.encode_output(&f1, cmd(Oscillate, 1)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 08 00 00 01 FF"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 03 00 00 00 00"));
        let out = p.encode_output(&f1, cmd(Oscillate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 08 00 00 00 FF"));
        let out = p.encode_output(&f1, cmd(Vibrate, 1)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 09 00 00 01 FF"));
        assert!(p.encode_output(&f1, cmd(Constrict, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-avaneo") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
