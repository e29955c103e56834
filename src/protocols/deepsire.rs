//! DeepSire (`deepsire`, Kuirkish Imp 3): vibrator packet `[55, 04, 01, 00, 00, v, AA]` on `tx`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct DeepSire;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(DeepSire)
}

impl ProtocolHandler for DeepSire {
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
                0x55,
                0x04,
                0x01,
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
        let mut p = DeepSire;
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            enc(128),
            vec![(Endpoint::Tx, hex("55 04 01 00 00 80 AA"), false)]
        );
        assert_eq!(enc(255)[0].1, hex("55 04 01 00 00 FF AA"));
        assert_eq!(enc(0)[0].1, hex("55 04 01 00 00 00 AA"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("deepsire") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
