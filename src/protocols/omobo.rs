//! Omobo ViVegg (`omobo`): one vibrator (0–100), `A1 04 04 01 <step> FF 55` on `tx` with response.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Omobo;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Omobo)
}

impl ProtocolHandler for Omobo {
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
            [0xA1, 0x04, 0x04, 0x01, byte(v.value), 0xFF, 0x55],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(b: [u8; 7]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = Omobo;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 50))),
            vec![tx([0xA1, 0x04, 0x04, 0x01, 0x32, 0xFF, 0x55])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 100))),
            vec![tx([0xA1, 0x04, 0x04, 0x01, 0x64, 0xFF, 0x55])]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx([0xA1, 0x04, 0x04, 0x01, 0x00, 0xFF, 0x55])]
        );
    }
}
