//! Mizz Zee v2 (`mizzzee-v2`): one vibrator (0–68), `69 96 04 02 <step> 2C <step>` on `tx`.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct MizzZeeV2;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MizzZeeV2)
}

impl ProtocolHandler for MizzZeeV2 {
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
            [0x69, 0x96, 0x04, 0x02, s, 0x2C, s],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(b: [u8; 7]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 68)]);
        let mut h = MizzZeeV2;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 34))),
            vec![tx([0x69, 0x96, 0x04, 0x02, 0x22, 0x2C, 0x22])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 68))),
            vec![tx([0x69, 0x96, 0x04, 0x02, 0x44, 0x2C, 0x44])]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx([0x69, 0x96, 0x04, 0x02, 0x00, 0x2C, 0x00])]
        );
    }
}
