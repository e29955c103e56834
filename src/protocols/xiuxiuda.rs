//! Xiuxiuda (`xiuxiuda`): 9-byte vibrate packets `[00 00 00 00 65 3A 30 s 64]` on `tx` without
//! response.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Xiuxiuda;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Xiuxiuda)
}

impl ProtocolHandler for Xiuxiuda {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = v.value.clamp(0, 255) as u8;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x00, 0x00, 0x00, 0x00, 0x65, 0x3A, 0x30, s, 0x64],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };

    #[test]
    fn vibrate_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 19)]);
        let w = writes(&Xiuxiuda.encode_output(&f, cmd(Vibrate, 10)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("00 00 00 00 65 3A 30 0A 64"), false)]
        );
        let out = Xiuxiuda.encode_output(&f, cmd(Vibrate, 15)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 65 3A 30 0F 64"));
        let out = Xiuxiuda.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00 65 3A 30 00 64"));
        assert!(Xiuxiuda.encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("xiuxiuda") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
