//! Kiiroo V2 vibrators (`kiiroo-v2-vibrator`; Pearl 2, Fuse, Titan, PornHub toys): every packet
//! carries all three motor slots `[v0 v1 v2]` on `tx`, tagged with the commanded feature.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct KiirooV2Vibrator {
    speeds: [u8; 3],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KiirooV2Vibrator::default())
}

impl ProtocolHandler for KiirooV2Vibrator {
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
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            self.speeds,
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
    fn all_slots_in_every_packet() {
        let v = |i| feature(i, &[(Vibrate, 0, 100)]);
        let def = definition(vec![v(0), v(1), v(2)]);
        let mut h = KiirooV2Vibrator::default();
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 20))),
            vec![(Endpoint::Tx, vec![0x14, 0, 0], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[2], cmd(Vibrate, 100))),
            vec![vec![0x14, 0, 0x64]]
        );
        // Fuse stop: one packet per feature, the last one all zero.
        let def = definition(vec![v(0), v(1)]);
        let mut h = KiirooV2Vibrator::default();
        message(
            &mut h,
            &[
                (&def.features[0], cmd(Vibrate, 30)),
                (&def.features[1], cmd(Vibrate, 40)),
            ],
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0, 0x28, 0], vec![0, 0, 0]]
        );
    }
}
