//! Sexverse v5 (`sexverse-v5`, Sexverse Heart): one vibrator, `[AA 03 03 s 00 00 00]` to `tx`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SexverseV5;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SexverseV5)
}

impl ProtocolHandler for SexverseV5 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [
                0xAA,
                0x03,
                0x03,
                v.value.clamp(0, 255) as u8,
                0x00,
                0x00,
                0x00,
            ],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Rotate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut p = SexverseV5;
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            w(50),
            vec![(Endpoint::Tx, hex("AA 03 03 32 00 00 00"), false)]
        );
        assert_eq!(w(75)[0].1, hex("AA 03 03 4B 00 00 00"));
        assert_eq!(w(0)[0].1, hex("AA 03 03 00 00 00 00"));
        assert!(SexverseV5.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-v5") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
