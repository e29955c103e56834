//! Svakom v4 (`svakom-v4`): one or two vibrators sharing one packet
//! `[55 03 SEL 00 ON max(a, b) 00]` (ON = 0x01 while running), whole-state coalesced.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::svakom::SharedSpeedVibrators;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<SharedSpeedVibrators> {
    SharedSpeedVibrators::new(0x01)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::svakom::SharedSpeed;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, definition, feature, hex, only_write,
        writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Vibrate, 0, 10)]);
        let mut p = handler();
        p.setup(&definition(vec![f0.clone(), f1.clone()]));
        let out = p.encode_output(&f0, cmd(Vibrate, 4)).unwrap();
        assert_eq!(out[0].key, SharedSpeed::key());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 01 00 01 04 00"), false)]
        );
        let mut w = |f, v| only_write(&p.encode_output(f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(&f1, 7), hex("55 03 00 00 01 07 00"));
        assert_eq!(w(&f0, 0), hex("55 03 02 00 01 07 00"));
        assert_eq!(w(&f1, 0), hex("55 03 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn clara_has_one_motor() {
        let def = db_resolve("svakom-v4", Some("VV468A"));
        let mut p = handler();
        p.setup(&def);
        let out = p.encode_output(&def.features[0], cmd(Vibrate, 6)).unwrap();
        assert_eq!(only_write(&out), hex("55 03 00 00 01 06 00"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v4") {
            let mut p = handler();
            p.setup(&def);
            assert_encodes_all(&mut p, &def);
        }
    }
}
