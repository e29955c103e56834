//! Je Joue (`jejoue`): two motors, one `[mode, speed]` packet for the whole device: motor 1
//! alone `[02 s0]` whenever it runs, else motor 2 `[03 s1]`, else `[01 00]`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct JeJoue {
    speeds: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(JeJoue::default())
}

impl ProtocolHandler for JeJoue {
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
        *slot = v.value.clamp(0, 255) as u8;
        // As the reference (and the vector): with both motors set, motor 1's mode wins; mode 1
        // ("both") is only ever sent with speed 0.
        let packet = match self.speeds {
            [s0, _] if s0 > 0 => [0x02, s0],
            [0, s1] if s1 > 0 => [0x03, s1],
            _ => [0x01, 0x00],
        };
        Ok(vec![HardwareCommand::device_write(
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
    use crate::protocols::shared::testing::*;

    #[test]
    fn modes() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 5)]),
            feature(1, &[(Vibrate, 0, 5)]),
        ]);
        let mut h = JeJoue::default();
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 3))),
            vec![(Endpoint::Tx, vec![2, 3], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 5))),
            vec![vec![2, 5]]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Vibrate, 4))),
            vec![vec![2, 5]]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 0))),
            vec![vec![3, 4]]
        );
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![1, 0]]);
    }
}
