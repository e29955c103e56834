//! MaxPro (`maxpro`, MaxPro 2): one vibrator (0–100). A 10-byte `55 04 07` packet on `tx` with the
//! speed twice and an 8-bit additive checksum.

use super::shared::checksum::sum8;
use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct MaxPro;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MaxPro)
}

impl ProtocolHandler for MaxPro {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let s = byte(v.value);
        let mut packet = vec![0x55, 0x04, 0x07, 0xFF, 0xFF, 0x3F, s, 0x5F, s];
        packet.push(sum8(&packet));
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
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = MaxPro;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 50))),
            vec![tx("55 04 07 FF FF 3F 32 5F 32 60")]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 100))),
            vec![tx("55 04 07 FF FF 3F 64 5F 64 C4")]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx("55 04 07 FF FF 3F 00 5F 00 FC")]
        );
    }
}
