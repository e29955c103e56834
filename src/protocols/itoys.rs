//! iToys (`itoys`): vibrate `[A0 01 00 00 v FF]`, oscillate `[A0 06 on 00 on v]`, rotate
//! `[A0 08 on 00 |v| FF]` and constrict `[A0 0D 00 00 v 64]` on `tx` (the trailing byte 00 when
//! the step is 0), one packet per command. See docs/protocols/itoys.md.
//!
//! Adopted from buttplug_server 12: rotate (Bestvibe Rotational Vibration) and constrict (iToys
//! Lach), the outputs its database v5 gives these models; without them they could only vibrate.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    let v = byte(command.value());
    match command {
        OutputCommand::Vibrate(_) => Some([0xA0, 0x01, 0x00, 0x00, v, 0xFF]),
        OutputCommand::Oscillate(_) => {
            let on = u8::from(v > 0);
            Some([0xA0, 0x06, on, 0x00, on, v])
        }
        OutputCommand::Rotate(r) => {
            let speed = byte(r.value.saturating_abs());
            let on = u8::from(speed > 0);
            Some([
                0xA0,
                0x08,
                on,
                0x00,
                speed,
                if on > 0 { 0xFF } else { 0x00 },
            ])
        }
        OutputCommand::Constrict(_) => {
            Some([0xA0, 0x0D, 0x00, 0x00, v, if v > 0 { 0x64 } else { 0x00 }])
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

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

    /// The sheet's buttplug_server 12 examples.
    #[test]
    fn bestvibe_rotation_and_lach_suction() {
        let bestvibe = definition(vec![
            feature(0, &[(Vibrate, 0, 3)]),
            feature(1, &[(Rotate, 0, 3)]),
        ]);
        let mut h = create();
        let f = &bestvibe.features;
        assert_eq!(
            writes(&encode(h.as_mut(), &f[1], cmd(Rotate, 2))),
            vec![(Endpoint::Tx, hex("A0 08 01 00 02 FF"), false)]
        );
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[1], cmd(Rotate, -3))),
            hex("A0 08 01 00 03 FF"),
            "the magnitude is used"
        );
        assert_eq!(
            data(&stop(h.as_mut(), f)),
            vec![hex("A0 01 00 00 00 FF"), hex("A0 08 00 00 00 00")]
        );
        let lach = definition(vec![
            feature(0, &[(Vibrate, 0, 255)]),
            feature(1, &[(Constrict, 0, 1)]),
        ]);
        let f = &lach.features;
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[1], cmd(Constrict, 1))),
            hex("A0 0D 00 00 01 64")
        );
        assert_eq!(
            only_write(&encode(h.as_mut(), &f[0], cmd(Vibrate, 255))),
            hex("A0 01 00 00 FF FF")
        );
        assert_eq!(
            data(&stop(h.as_mut(), f)),
            vec![hex("A0 01 00 00 00 FF"), hex("A0 0D 00 00 00 00")]
        );
    }

    /// The database's Bestvibe (rotate 0–3) and Lach (constrict 0–1) encode every output.
    #[test]
    fn database_models() {
        for (id, t) in [("IJVB-W10-BT-RX", Rotate), ("YSSY-073-BT", Constrict)] {
            let def = db_resolve("itoys", Some(id));
            assert!(def.features[1].output(t).is_some(), "{}", def.name);
            assert_encodes_all(create().as_mut(), &def);
        }
    }
}
