//! iToys (`itoys`): vibrate `[A0 01 00 00 v FF]`, oscillate `[A0 06 on 00 on v]` on `tx`, one
//! packet per command.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    let v = command.value().clamp(0, 255) as u8;
    match command {
        OutputCommand::Vibrate(_) => Some([0xA0, 0x01, 0x00, 0x00, v, 0xFF]),
        OutputCommand::Oscillate(_) => {
            let on = u8::from(v > 0);
            Some([0xA0, 0x06, on, 0x00, on, v])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn seagull_and_twinkling_stars() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 3)]),
            feature(1, &[(Oscillate, 0, 255)]),
        ]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 2))),
            vec![(Endpoint::Tx, vec![0xA0, 1, 0, 0, 2, 0xFF], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[1], cmd(Oscillate, 230))),
            vec![vec![0xA0, 6, 1, 0, 1, 0xE6]]
        );
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0xA0, 1, 0, 0, 0, 0xFF], vec![0xA0, 6, 0, 0, 0, 0]]
        );
    }
}
