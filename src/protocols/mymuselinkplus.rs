//! MyMuse Link Plus (`mymuselinkplus`): one vibrator (0–3), 8-byte `AA 55 06` packets on `tx`;
//! 0 has its own `AA` opcode.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct MyMuseLinkPlus;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MyMuseLinkPlus)
}

impl ProtocolHandler for MyMuseLinkPlus {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let packet = match byte(v.value) {
            0 => [0xAA, 0x55, 0x06, 0xAA, 0x00, 0x00, 0x00, 0x00],
            s => [0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, s, 0xFF],
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut h = MyMuseLinkPlus;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 2))),
            vec![tx("AA 55 06 01 01 01 02 FF")]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 3))),
            vec![tx("AA 55 06 01 01 01 03 FF")]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx("AA 55 06 AA 00 00 00 00")]
        );
    }
}
