//! Mutufun Barney (`svakom-barney`): two vibrators sharing one packet
//! `[55 03 SEL 00 ON max(a, b) 00]` (ON = 0x03 while running), whole-state coalesced.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::svakom::SharedSpeedVibrators;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<SharedSpeedVibrators> {
    SharedSpeedVibrators::new(0x03)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::svakom::SharedSpeed;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, definition, feature, hex, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Vibrate, 0, 10)]);
        let mut p = handler();
        p.setup(&definition(vec![f0.clone(), f1.clone()]));
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(out[0].key, SharedSpeed::key());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 01 00 03 05 00"), false)]
        );
        let mut w = |f, v| {
            writes(&p.encode_output(f, cmd(Vibrate, v)).unwrap())[0]
                .1
                .clone()
        };
        assert_eq!(w(&f1, 8), hex("55 03 00 00 03 08 00"));
        assert_eq!(w(&f0, 0), hex("55 03 02 00 03 08 00"));
        assert_eq!(w(&f1, 0), hex("55 03 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 10)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-barney") {
            let mut p = handler();
            p.setup(&def);
            assert_encodes_all(&mut p, &def);
        }
    }
}
