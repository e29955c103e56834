//! ManNuo (`mannuo`): one vibrator (steps 0–3). A 9-byte `AA 55` packet on `tx`, with response,
//! ending in the XOR of the bytes before it.

use super::shared::checksum::xor8;
use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct ManNuo;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(ManNuo)
}

impl ProtocolHandler for ManNuo {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let mut packet = vec![0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, byte(v.value), 0xFA];
        packet.push(xor8(&packet));
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), true)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut h = ManNuo;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 1))),
            vec![tx("AA 55 06 01 01 01 01 FA 03")]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 3))),
            vec![tx("AA 55 06 01 01 01 03 FA 01")]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx("AA 55 06 01 01 01 00 FA 02")]
        );
    }
}
