//! iToys (`itoys`): vibrate `[A0 01 00 00 v FF]`, oscillate `[A0 06 on 00 on v]` on `tx`, one
//! packet per command.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct IToys;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(IToys)
}

impl ProtocolHandler for IToys {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let v = command.value().clamp(0, 255) as u8;
        let bytes = match command {
            OutputCommand::Vibrate(_) => [0xA0, 0x01, 0x00, 0x00, v, 0xFF],
            OutputCommand::Oscillate(_) => {
                let on = u8::from(v > 0);
                [0xA0, 0x06, on, 0x00, on, v]
            }
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            bytes,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Vibrate};
    use crate::protocols::shared::testing::*;

    #[test]
    fn seagull_and_twinkling_stars() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 3)]),
            feature(1, &[(Oscillate, 0, 255)]),
        ]);
        let mut h = IToys;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 2))),
            vec![(Endpoint::Tx, vec![0xA0, 1, 0, 0, 2, 0xFF], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Oscillate, 230))),
            vec![vec![0xA0, 6, 1, 0, 1, 0xE6]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0xA0, 1, 0, 0, 0, 0xFF], vec![0xA0, 6, 0, 0, 0, 0]]
        );
    }
}
