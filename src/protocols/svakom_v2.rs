//! Svakom v2 (`svakom-v2`): vibrator `[55 03 03 00 F s]` (a second vibrator, unused by the
//! database, would be `[55 06 01 00 s s]`), written to `tx` with response.

use super::shared::svakom::{byte, flag};
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SvakomV2;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomV2)
}

impl ProtocolHandler for SvakomV2 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = byte(v.value);
        let packet = if feature.index == 1 {
            [0x55, 0x06, 0x01, 0x00, s, s]
        } else {
            [0x55, 0x03, 0x03, 0x00, flag(s), s]
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let mut p = SvakomV2;
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 03 00 01 05"), true)]
        );
        let mut w = |f, v| only_write(&p.encode_output(f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(&f0, 8), hex("55 03 03 00 01 08"));
        assert_eq!(w(&f0, 0), hex("55 03 03 00 00 00"));
        assert_eq!(
            w(&feature(1, &[(Vibrate, 0, 10)]), 4),
            hex("55 06 01 00 04 04")
        );
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
