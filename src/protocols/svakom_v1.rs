//! Svakom v1 (`svakom-v1`): one vibrator, `[55 04 03 00 F s]` to `tx`.

use super::shared::svakom::{byte, flag};
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SvakomV1;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomV1)
}

impl ProtocolHandler for SvakomV1 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = byte(v.value);
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x55, 0x04, 0x03, 0x00, flag(s), s],
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
        let f = feature(0, &[(Vibrate, 0, 19)]);
        let mut p = SvakomV1;
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(10), vec![(Endpoint::Tx, hex("55 04 03 00 01 0A"), false)]);
        assert_eq!(w(15)[0].1, hex("55 04 03 00 01 0F"));
        assert_eq!(w(0)[0].1, hex("55 04 03 00 00 00"));
        assert!(SvakomV1.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v1") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
