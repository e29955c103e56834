//! Svakom v6 (`svakom-v6`): vibrators 0 and 1 share one packet
//! `[55 03 SEL 00 ON max(a, b) 00]`; a third vibrator (Iker Neo) has its own
//! `[55 07 00 00 F c 00]`.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::svakom::{SharedSpeedVibrators, flag};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<SharedSpeedVibrators> {
    SharedSpeedVibrators::new(0x01)
        .with_other_vibrators(|s| [0x55, 0x07, 0x00, 0x00, flag(s), s, 0x00])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::DeviceDefinition;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Constrict, Vibrate};

    fn setup(id: &str) -> (Packets<SharedSpeedVibrators>, DeviceDefinition) {
        let def = db_resolve("svakom-v6", Some(id));
        let mut p = handler();
        p.setup(&def);
        (p, def)
    }

    #[test]
    fn coco_pro_single_motor() {
        let (mut p, def) = setup("CocoPro");
        let f0 = &def.features[0];
        let out = p.encode_output(f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 01 05 00"), false)]
        );
        let mut w = |v| only_write(&p.encode_output(f0, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(8), hex("55 03 00 00 01 08 00"));
        assert_eq!(w(0), hex("55 03 00 00 00 00 00"));
        assert!(p.encode_output(f0, cmd(Constrict, 1)).is_err());
    }

    #[test]
    fn vick_neo_2_and_iker_neo() {
        let (mut p, def) = setup("Vick Neo 2");
        let out = p.encode_output(&def.features[1], cmd(Vibrate, 6)).unwrap();
        assert_eq!(only_write(&out), hex("55 03 02 00 01 06 00"));
        let (mut p, def) = setup("Iker Neo");
        let out = p.encode_output(&def.features[2], cmd(Vibrate, 3)).unwrap();
        assert_eq!(out[0].key, crate::protocols::CoalesceKey::feature(2));
        assert_eq!(only_write(&out), hex("55 07 00 00 01 03 00"));
        let out = p.encode_output(&def.features[0], cmd(Vibrate, 2)).unwrap();
        assert_eq!(only_write(&out), hex("55 03 01 00 01 02 00"));
        let out = p.encode_output(&def.features[2], cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("55 07 00 00 00 00 00"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v6") {
            let mut p = handler();
            p.setup(&def);
            assert_encodes_all(&mut p, &def);
        }
    }
}
