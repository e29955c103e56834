//! Svakom Alex Neo 2 (`svakom-alex-v2`): one vibrator, `[55 03 03 00 s s+5]` to `tx`.

use super::shared::svakom::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SvakomAlexV2;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomAlexV2)
}

impl ProtocolHandler for SvakomAlexV2 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = byte(v.value);
        // The last byte is the step plus 5, also when off (0x05).
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x55, 0x03, 0x03, 0x00, s, s.wrapping_add(5)],
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
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = SvakomAlexV2;
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(2), vec![(Endpoint::Tx, hex("55 03 03 00 02 07"), false)]);
        assert_eq!(w(3)[0].1, hex("55 03 03 00 03 08"));
        assert_eq!(w(0)[0].1, hex("55 03 03 00 00 05"));
        assert!(SvakomAlexV2.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-alex-v2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
