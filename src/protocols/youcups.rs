//! Youcups (`youcups`): the ASCII text `$SYS,<step>?` on `tx` without response.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Youcups;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Youcups)
}

impl ProtocolHandler for Youcups {
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
            format!("$SYS,{}?", v.value).into_bytes(),
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
        let f = feature(0, &[(Vibrate, 0, 8)]);
        let w = writes(&Youcups.encode_output(&f, cmd(Vibrate, 4)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("24 53 59 53 2C 34 3F"), false)]);
        let out = Youcups.encode_output(&f, cmd(Vibrate, 8)).unwrap();
        assert_eq!(only_write(&out), hex("24 53 59 53 2C 38 3F"));
        let out = Youcups.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("24 53 59 53 2C 30 3F"));
        assert!(Youcups.encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("youcups") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
