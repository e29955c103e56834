//! Svakom v6 (`svakom-v6`): vibrators 0 and 1 share one packet
//! `[55 03 SEL 00 ON max(a, b) 00]`; a third vibrator (Iker Neo) has its own
//! `[55 07 00 00 F c 00]`; suction (constrict) is `[55 09 00 00 v 00 00]` and rotation
//! `[55 14 00 00 F |v| 00]` (Klitty). See docs/protocols/svakom-v6.md.
//!
//! Adopted from buttplug_server 12: the constrict and rotate packets, which database v5's Svakom
//! Klitty uses; without them its suction and rotation could not be driven (nor stopped).

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::svakom::{SharedSpeedVibrators, flag};
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<SharedSpeedVibrators> {
    SharedSpeedVibrators::new(0x01)
        .with_other_vibrators(|s| [0x55, 0x07, 0x00, 0x00, flag(s), s, 0x00])
        .with_other_outputs(other_output)
}

/// The packets of suction and rotation (the magnitude of the step).
fn other_output(command: OutputCommand) -> Option<[u8; 7]> {
    match command {
        OutputCommand::Constrict(c) => Some([0x55, 0x09, 0x00, 0x00, byte(c.value), 0x00, 0x00]),
        OutputCommand::Rotate(r) => {
            let s = byte(r.value.saturating_abs());
            Some([0x55, 0x14, 0x00, 0x00, flag(s), s, 0x00])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::DeviceDefinition;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, data, db_definitions, db_resolve, definition, feature, hex,
        only_write, stop, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

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
        assert!(p.encode_output(f0, cmd(Oscillate, 1)).is_err());
    }

    /// The sheet's buttplug_server 12 examples (Svakom Klitty: vibrate 0–10, constrict 0–3,
    /// rotate 0–10); its stop zeroes all three.
    #[test]
    fn klitty_suction_and_rotation() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(Constrict, 0, 3)]),
            feature(2, &[(Rotate, 0, 10)]),
        ]);
        let f = &def.features;
        let mut p = handler();
        p.setup(&def);
        let out = p.encode_output(&f[1], cmd(Constrict, 2)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 09 00 00 02 00 00"), false)]
        );
        assert_eq!(out[0].key, crate::protocols::CoalesceKey::feature(1));
        let out = p.encode_output(&f[2], cmd(Rotate, 10)).unwrap();
        assert_eq!(only_write(&out), hex("55 14 00 00 01 0A 00"));
        assert_eq!(out[0].key, crate::protocols::CoalesceKey::feature(2));
        let out = p.encode_output(&f[0], cmd(Vibrate, 4)).unwrap();
        assert_eq!(
            only_write(&out),
            hex("55 03 00 00 01 04 00"),
            "one vibrator"
        );
        // Keyed by the vibrator alone: the suction's packets never supersede it.
        assert_eq!(out[0].key, crate::protocols::CoalesceKey::feature(0));
        assert_eq!(
            data(&stop(&mut p, f)),
            vec![
                hex("55 03 00 00 00 00 00"),
                hex("55 09 00 00 00 00 00"),
                hex("55 14 00 00 00 00 00"),
            ]
        );
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

    /// The database's Klitty: its stop zeroes the vibrator, the suction and the rotation.
    #[test]
    fn database_klitty() {
        let def = db_resolve("svakom-v6", Some("ST462A"));
        assert_eq!(def.name, "Svakom Klitty");
        let mut p = handler();
        p.setup(&def);
        assert_eq!(data(&stop(&mut p, &def.features)).len(), 3);
    }
}
