//! Svakom Alex Neo (`svakom-alex`): one vibrator, `[12 01 03 00 X 00]` to `tx` where X is the
//! step (0–3), and 0xFF means off.

use super::shared::svakom::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SvakomAlex;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomAlex)
}

impl ProtocolHandler for SvakomAlex {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = byte(v.value);
        let x = if s == 0 { 0xFF } else { s };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x12, 0x01, 0x03, 0x00, x, 0x00],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = SvakomAlex;
        let w = |p: &mut SvakomAlex, v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            w(&mut p, 2),
            vec![(Endpoint::Tx, hex("12 01 03 00 02 00"), false)]
        );
        assert_eq!(w(&mut p, 3)[0].1, hex("12 01 03 00 03 00"));
        assert_eq!(w(&mut p, 0)[0].1, hex("12 01 03 00 FF 00"));
        assert!(p.encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-alex") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
