//! HTK breast massager (`htk_bm`): two on/off vibrators driven by one byte written to the
//! standard Alert Level characteristic (`tx`): both 0x0B, left 0x0C, right 0x0D, off 0x0F.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct HtkBm {
    /// Left (feature 0) and right (feature 1) on/off.
    on: [bool; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(HtkBm::default())
}

impl ProtocolHandler for HtkBm {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(slot) = self.on.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *slot = v.value != 0;
        let byte = match self.on {
            [true, true] => 0x0B,
            [true, false] => 0x0C,
            [false, true] => 0x0D,
            [false, false] => 0x0F,
        };
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            [byte],
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
    fn left_right_both_off() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 1)]),
            feature(1, &[(Vibrate, 0, 1)]),
        ]);
        let mut h = HtkBm::default();
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 1))),
            vec![(Endpoint::Tx, vec![0x0C], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Vibrate, 1))),
            vec![vec![0x0B]]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 0))),
            vec![vec![0x0D]]
        );
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![0x0F]]);
    }
}
