//! Kizuna Smart (`kizuna`): a serial (19200 8N1) rotator; the speed digit then CR LF on `tx`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct Kizuna;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Kizuna)
}

impl ProtocolHandler for Kizuna {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Rotate(v) = command else {
            return Err(unsupported_output(&command));
        };
        // The database range is 0–9 (no direction); keep the byte a digit whatever comes in.
        let digit = b'0' + v.value.unsigned_abs().min(9) as u8;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [digit, b'\r', b'\n'],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Rotate;
    use crate::protocols::shared::testing::*;

    #[test]
    fn digits() {
        let def = definition(vec![feature(0, &[(Rotate, 0, 9)])]);
        let mut h = Kizuna;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Rotate, 5))),
            vec![(Endpoint::Tx, vec![0x35, 0x0D, 0x0A], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Rotate, 9))),
            vec![vec![0x39, 0x0D, 0x0A]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0x30, 0x0D, 0x0A]]
        );
    }
}
