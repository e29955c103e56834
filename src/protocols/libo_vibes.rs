//! Libo Vibes (`libo-vibes`): the main motor is `[v]` on `tx` (plus `[00]` on `txmode` when it
//! stops); a second motor/mode channel is `[v]` on `txmode`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct LiboVibes;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LiboVibes)
}

impl ProtocolHandler for LiboVibes {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let v = v.value.clamp(0, 255) as u8;
        let w = |e: Endpoint, b: u8| HardwareCommand::feature_write(feature.index, e, [b], false);
        // Choice: the reference gives every write one coalescing identity, so a later `txmode`
        // write can swallow the `tx` stop byte. The writes go to different endpoints and both
        // are needed: each is keyed by its own feature.
        Ok(match (feature.index, v) {
            (0, 0) => vec![w(Endpoint::Tx, 0), w(Endpoint::TxMode, 0)],
            (0, v) => vec![w(Endpoint::Tx, v)],
            (_, v) => vec![w(Endpoint::TxMode, v)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn main_motor_and_mode_channel() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 3)]),
        ]);
        let mut h = LiboVibes;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![0x32], false)]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[1], cmd(Vibrate, 2))),
            vec![(Endpoint::TxMode, vec![0x02], false)]
        );
        // Every stop byte is written, on both endpoints.
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false),
                (Endpoint::TxMode, vec![0], false)
            ]
        );
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false)
            ]
        );
    }
}
