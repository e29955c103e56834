//! Fox (`fox`): vibrator packet `[03, 01, 01, FE, v]` on `tx` (levels 0–3).

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Fox;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Fox)
}

impl ProtocolHandler for Fox {
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
            [0x03, 0x01, 0x01, 0xFE, v.value.clamp(0, 255) as u8],
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
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = Fox;
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(enc(2), vec![(Endpoint::Tx, hex("03 01 01 FE 02"), false)]);
        assert_eq!(enc(3)[0].1, hex("03 01 01 FE 03"));
        assert_eq!(enc(0)[0].1, hex("03 01 01 FE 00"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("fox") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
