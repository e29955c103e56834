//! Bananasome (`bananasome`, Rocket X7): one packet `[A0, 03, f0, f1, f2]` carrying all three
//! motors (oscillate, vibrate, vibrate) is written to `tx` on every change.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct Bananasome {
    /// Last value of each feature (slot = feature index).
    slots: [u8; 3],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Bananasome::default())
}

impl ProtocolHandler for Bananasome {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let (OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) = command else {
            return Err(unsupported_output(&command));
        };
        let slot = self
            .slots
            .get_mut(feature.index as usize)
            .ok_or_else(|| unsupported_output(&command))?;
        *slot = v.value.clamp(0, 255) as u8;
        let [a, b, c] = self.slots;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            [0xA0, 0x03, a, b, c],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Vibrate};
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, only_write};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Oscillate, 0, 255)]);
        let f1 = feature(1, &[(Vibrate, 0, 255)]);
        let f2 = feature(2, &[(Vibrate, 0, 255)]);
        let mut p = Bananasome::default();
        let out = p.encode_output(&f1, cmd(Vibrate, 128)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("A0 03 00 80 00"));
        let out = p.encode_output(&f2, cmd(Vibrate, 128)).unwrap();
        assert_eq!(only_write(&out), hex("A0 03 00 80 80"));
        p.encode_output(&f0, cmd(Oscillate, 192)).unwrap();
        p.encode_output(&f1, cmd(Vibrate, 192)).unwrap();
        let out = p.encode_output(&f2, cmd(Vibrate, 64)).unwrap();
        assert_eq!(only_write(&out), hex("A0 03 C0 C0 40"));
        p.encode_output(&f0, cmd(Oscillate, 0)).unwrap();
        p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(&f2, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("A0 03 00 00 00"));
        assert!(
            p.encode_output(&feature(3, &[(Vibrate, 0, 255)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("bananasome") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
