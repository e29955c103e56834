//! Pink Punch (`pink_punch`): one vibrator (0–100), `09 <step>` on `tx` with response.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct PinkPunch;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PinkPunch)
}

impl ProtocolHandler for PinkPunch {
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
            [0x09, byte(v.value)],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(b: [u8; 2]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = PinkPunch;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 50))),
            vec![tx([0x09, 0x32])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 75))),
            vec![tx([0x09, 0x4B])]
        );
        assert_eq!(writes(&stop(&mut h, [&f])), vec![tx([0x09, 0x00])]);
    }
}
