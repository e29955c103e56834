//! Picobong (`picobong`): one vibrator (0–10), `01 <mode> <step>` on `tx`; mode `FF` means off.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct Picobong;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Picobong)
}

impl ProtocolHandler for Picobong {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = byte(v.value);
        let mode = if s == 0 { 0xFF } else { 0x01 };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x01, mode, s],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(b: [u8; 3]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut h = Picobong;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 7))),
            vec![tx([0x01, 0x01, 0x07])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 10))),
            vec![tx([0x01, 0x01, 0x0A])]
        );
        assert_eq!(writes(&stop(&mut h, [&f])), vec![tx([0x01, 0xFF, 0x00])]);
    }
}
