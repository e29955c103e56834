//! Love Nuts (`lovenuts`): one vibrator (0–15). A 16-byte packet: ASCII `EVOL`, ten copies of the
//! level in both nibbles, then `00 FF`.

use super::shared::values::byte;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct LoveNuts;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LoveNuts)
}

fn packet(level: u8) -> Vec<u8> {
    let level = level.min(15);
    let mut p = b"EVOL".to_vec();
    p.extend([(level << 4) | level; 10]);
    p.extend([0x00, 0xFF]);
    p
}

impl ProtocolHandler for LoveNuts {
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
            packet(byte(v.value)),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(OutputType::Vibrate, 0, 15)]);
        let mut h = LoveNuts;
        let p = |s: &str| (Endpoint::Tx, hex(s), false);
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(OutputType::Vibrate, 8))),
            vec![p("45 56 4F 4C 88 88 88 88 88 88 88 88 88 88 00 FF")]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(OutputType::Vibrate, 15))),
            vec![p("45 56 4F 4C FF FF FF FF FF FF FF FF FF FF 00 FF")]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![p("45 56 4F 4C 00 00 00 00 00 00 00 00 00 00 00 FF")]
        );
        assert!(
            h.encode_output(&f, OutputCommand::new(OutputType::Rotate, 1, 0))
                .is_err()
        );
    }
}
