//! Libo Elle (`libo-elle`): feature 0 is one byte `[v]` on `txmode`; a second motor (in the
//! protocol, not in the database) packs mode and speed into one byte on `tx`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct LiboElle;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LiboElle)
}

/// The second motor's byte: 0 off, 1–7 `((v-1) << 4) | 1`, 8+ `((v-8) << 4) | 4`.
fn second_motor(v: u32) -> u8 {
    match v {
        0 => 0x00,
        1..=7 => (((v - 1) << 4) as u8) | 0x01,
        _ => (((v - 8) << 4) as u8) | 0x04,
    }
}

impl ProtocolHandler for LiboElle {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let (endpoint, byte) = if feature.index == 0 {
            (Endpoint::TxMode, v.value.clamp(0, 255) as u8)
        } else {
            (Endpoint::Tx, second_motor(v.value.unsigned_abs()))
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            endpoint,
            [byte],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn txmode_for_the_motor() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 3)]),
            feature(1, &[(Vibrate, 0, 15)]),
        ]);
        let mut h = LiboElle;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 2))),
            vec![(Endpoint::TxMode, vec![0x02], false)]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[1], cmd(Vibrate, 3))),
            vec![(Endpoint::Tx, vec![0x21], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Vibrate, 9))),
            vec![vec![0x14]]
        );
        let def = definition(vec![feature(0, &[(Vibrate, 0, 3)])]);
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![(Endpoint::TxMode, vec![0], false)]
        );
        assert_eq!(second_motor(0), 0);
        assert_eq!(second_motor(7), 0x61);
        assert_eq!(second_motor(30), 0x64);
    }
}
