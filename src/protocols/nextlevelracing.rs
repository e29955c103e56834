//! Next Level Racing HF8 (`nextlevelracing`): a haptic gaming pad with eight motors on a serial
//! line. Each motor gets its own ASCII line `M<index><speed>\r`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct NextLevelRacing;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(NextLevelRacing)
}

impl ProtocolHandler for NextLevelRacing {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let line = format!("M{}{}\r", feature.index, v.value.clamp(0, 255));
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            line.into_bytes(),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, s.as_bytes().to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let mut h = NextLevelRacing;
        let motors: Vec<FeatureDefinition> =
            (0..8).map(|i| feature(i, &[(Vibrate, 0, 255)])).collect();
        assert_eq!(
            writes(&encode(&mut h, &motors[0], cmd(Vibrate, 128))),
            vec![(
                Endpoint::Tx,
                vec![0x4D, 0x30, 0x31, 0x32, 0x38, 0x0D],
                false
            )]
        );
        assert_eq!(
            writes(&encode(&mut h, &motors[7], cmd(Vibrate, 0))),
            vec![tx("M70\r")]
        );
        assert_eq!(
            writes(&encode(&mut h, &motors[3], cmd(Vibrate, 5))),
            vec![tx("M35\r")]
        );
        let expected: Vec<_> = (0..8).map(|i| tx(&format!("M{i}0\r"))).collect();
        assert_eq!(writes(&stop(&mut h, &motors)), expected);
    }
}
