//! Meese (`meese`): up to two vibrators, one 4-byte packet per motor on `tx` with response:
//! `01 80 <motor = feature + 1> <step>`.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Meese;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Meese)
}

impl ProtocolHandler for Meese {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let motor = byte(
            i32::try_from(feature.index)
                .unwrap_or(i32::MAX)
                .saturating_add(1),
        );
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x01, 0x80, motor, byte(v.value)],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, message, stop, writes};

    fn tx(b: [u8; 4]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[test]
    fn tera() {
        let (m0, m1) = (
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(Vibrate, 0, 3)]),
        );
        let mut h = Meese;
        assert_eq!(
            writes(&encode(&mut h, &m0, cmd(Vibrate, 5))),
            vec![tx([0x01, 0x80, 0x01, 0x05])]
        );
        let both = writes(&message(
            &mut h,
            &[
                (&m0, OutputCommand::new(Vibrate, 1, 0)),
                (&m1, OutputCommand::new(Vibrate, 2, 0)),
            ],
        ));
        assert_eq!(
            both,
            vec![tx([0x01, 0x80, 0x01, 0x01]), tx([0x01, 0x80, 0x02, 0x02])]
        );
        assert_eq!(
            writes(&stop(&mut h, [&m0, &m1])),
            vec![tx([0x01, 0x80, 0x01, 0x00]), tx([0x01, 0x80, 0x02, 0x00])]
        );
    }
}
