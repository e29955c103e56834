//! Realov (`realov`): one vibrator (0–50), `C5 55 <step> AA` on `tx`.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Realov;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Realov)
}

impl ProtocolHandler for Realov {
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
            [0xC5, 0x55, byte(v.value), 0xAA],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(b: [u8; 4]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 50)]);
        let mut h = Realov;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 25))),
            vec![tx([0xC5, 0x55, 0x19, 0xAA])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 50))),
            vec![tx([0xC5, 0x55, 0x32, 0xAA])]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx([0xC5, 0x55, 0x00, 0xAA])]
        );
    }
}
