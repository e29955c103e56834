//! The Cowgirl (`cowgirl`, also The Unicorn): one packet `[00, 01, vibrate, rotate]` carrying
//! both motors, written to `tx` with response on every change.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct Cowgirl {
    vibrate: u8,
    rotate: u8,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Cowgirl::default())
}

impl ProtocolHandler for Cowgirl {
    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        // The slot follows the output type, not the feature index. Rotation has no direction.
        match command {
            OutputCommand::Vibrate(v) => self.vibrate = v.value.clamp(0, 255) as u8,
            OutputCommand::Rotate(v) => self.rotate = v.value.unsigned_abs().min(255) as u8,
            _ => return Err(unsupported_output(&command)),
        }
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            [0x00, 0x01, self.vibrate, self.rotate],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Rotate, Vibrate};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, writes};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 255)]);
        let f1 = feature(1, &[(Rotate, 0, 255)]);
        let mut p = Cowgirl::default();
        let out = p.encode_output(&f0, cmd(Vibrate, 128)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, vec![0, 1, 0x80, 0], true)]
        );
        p.encode_output(&f0, cmd(Vibrate, 192)).unwrap();
        let out = p.encode_output(&f1, cmd(Rotate, 128)).unwrap();
        assert_eq!(writes(&out)[0].1, [0x00, 0x01, 0xC0, 0x80]);
        p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(&f1, cmd(Rotate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, [0x00, 0x01, 0x00, 0x00]);
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("cowgirl") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
