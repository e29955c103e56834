//! Mizz Zee (`mizzzee`, first generation): one vibrator (0–68), `69 96 03 01 <on> <step>` on `tx`.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct MizzZee;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MizzZee)
}

impl ProtocolHandler for MizzZee {
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
            [0x69, 0x96, 0x03, 0x01, u8::from(s != 0), s],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(b: [u8; 6]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 68)]);
        let mut h = MizzZee;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 34))),
            vec![tx([0x69, 0x96, 0x03, 0x01, 0x01, 0x22])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 68))),
            vec![tx([0x69, 0x96, 0x03, 0x01, 0x01, 0x44])]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx([0x69, 0x96, 0x03, 0x01, 0x00, 0x00])]
        );
    }
}
