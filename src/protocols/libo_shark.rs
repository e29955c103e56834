//! Libo Shark (`libo-shark`): both motors (0–3) in one byte `[(v0 << 4) | v1]` on `tx`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct LiboShark {
    speeds: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LiboShark::default())
}

impl ProtocolHandler for LiboShark {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(slot) = self.speeds.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *slot = v.value.clamp(0, 15) as u8;
        let [v0, v1] = self.speeds;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            [v0 << 4 | v1],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::*;

    #[test]
    fn one_byte_two_motors() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 3)]),
            feature(1, &[(Vibrate, 0, 3)]),
        ]);
        let mut h = LiboShark::default();
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 2))),
            vec![(Endpoint::Tx, vec![0x20], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Vibrate, 3))),
            vec![vec![0x23]]
        );
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![0x00]]);
    }
}
