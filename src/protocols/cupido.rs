//! Cupido (`cupido`): vibrator packet `[B0, 03, 00, 00, 00, v, AA]` on `tx`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Cupido;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Cupido)
}

impl ProtocolHandler for Cupido {
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
                0xB0,
                0x03,
                0x00,
                0x00,
                0x00,
                v.value.clamp(0, 255) as u8,
                0xAA,
            ],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, writes};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 255)]);
        let mut p = Cupido;
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            enc(128),
            vec![(Endpoint::Tx, hex("B0 03 00 00 00 80 AA"), false)]
        );
        assert_eq!(enc(192)[0].1, hex("B0 03 00 00 00 C0 AA"));
        assert_eq!(enc(0)[0].1, hex("B0 03 00 00 00 00 AA"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("cupido") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
