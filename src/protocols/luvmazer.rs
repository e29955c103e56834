//! Luvmazer (`luvmazer`): vibrate, rotate, oscillate and suction (constrict) motors, each driven
//! by its own 6-byte `A0 …` packet on `tx` (no shared state). See docs/protocols/luvmazer.md.
//!
//! Adopted from buttplug_server 12: a vibrator at feature index 2 is driven by the "tap" command
//! `[A0 0C 00 00 64 v]` (database v5's Rose Finger Vibe, vibrators at 0 and 2); the generic
//! `[A0 01 00 02 64 v]` would not reach it. No model before v5 has a vibrator at index 2.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command on feature `index`; `None` for an output type without one.
fn packet(index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    let v = command.value();
    Some(match command {
        OutputCommand::Vibrate(_) if index == 2 => [0xA0, 0x0C, 0x00, 0x00, 0x64, byte(v)],
        OutputCommand::Vibrate(_) => [0xA0, 0x01, 0x00, byte(index as i32), 0x64, byte(v)],
        // The value byte is the low byte of the (non-negative) step; the feature index is not
        // encoded.
        OutputCommand::Rotate(_) => [0xA0, 0x0F, 0x00, 0x00, 0x64, v.to_le_bytes()[0]],
        OutputCommand::Oscillate(_) => [0xA0, 0x06, 0x01, 0x00, 0x64, byte(v)],
        OutputCommand::Constrict(_) => [
            0xA0,
            0x0D,
            0x00,
            0x00,
            if v == 0 { 0x00 } else { 0x14 },
            byte(v),
        ],
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, message, stop, writes};
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

    fn tx(b: &[u8]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn finger_magic() {
        let (vib, rot) = (
            feature(0, &[(Vibrate, 0, 255)]),
            feature(1, &[(Rotate, 0, 255)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &vib, cmd(Vibrate, 128))),
            vec![tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x80])]
        );
        let both = writes(&message(
            h.as_mut(),
            &[
                (&vib, OutputCommand::new(Vibrate, 26, 0)),
                (&rot, OutputCommand::new(Rotate, 128, 0)),
            ],
        ));
        assert_eq!(
            both,
            vec![
                tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x1A]),
                tx(&[0xA0, 0x0F, 0x00, 0x00, 0x64, 0x80])
            ]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&vib, &rot])),
            vec![
                tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                tx(&[0xA0, 0x0F, 0x00, 0x00, 0x64, 0x00])
            ]
        );
    }

    #[test]
    fn other_models() {
        let mut h = create();
        // Cock Ring: the second vibrator carries its index.
        assert_eq!(
            writes(&encode(
                h.as_mut(),
                &feature(1, &[(Vibrate, 0, 255)]),
                cmd(Vibrate, 5)
            )),
            vec![tx(&[0xA0, 0x01, 0x00, 0x01, 0x64, 0x05])]
        );
        let osc = feature(1, &[(Oscillate, 0, 255)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &osc, cmd(Oscillate, 200))),
            vec![tx(&[0xA0, 0x06, 0x01, 0x00, 0x64, 0xC8])]
        );
        let suck = feature(2, &[(Constrict, 0, 54)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &suck, cmd(Constrict, 20))),
            vec![tx(&[0xA0, 0x0D, 0x00, 0x00, 0x14, 0x14])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&osc, &suck])),
            vec![
                tx(&[0xA0, 0x06, 0x01, 0x00, 0x64, 0x00]),
                tx(&[0xA0, 0x0D, 0x00, 0x00, 0x00, 0x00])
            ]
        );
    }

    /// The sheet's buttplug_server 12 examples.
    #[test]
    fn rose_finger_vibe_taps_on_feature_2() {
        let (vib, tap) = (
            feature(0, &[(Vibrate, 0, 255)]),
            feature(2, &[(Vibrate, 0, 255)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &tap, cmd(Vibrate, 200))),
            vec![tx(&[0xA0, 0x0C, 0x00, 0x00, 0x64, 0xC8])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&vib, &tap])),
            vec![
                tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                tx(&[0xA0, 0x0C, 0x00, 0x00, 0x64, 0x00])
            ]
        );
        // Fantasy Nova's suction at 255.
        let suck = feature(2, &[(Constrict, 0, 255)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &suck, cmd(Constrict, 255))),
            vec![tx(&[0xA0, 0x0D, 0x00, 0x00, 0x14, 0xFF])]
        );
    }

    /// The database's Rose Finger Vibe: vibrators at 0 and 2, the second one tapping.
    #[test]
    fn database_rose_finger_vibe() {
        let def = crate::protocols::shared::testing::db_resolve("luvmazer", Some("TKLM-C001-BT"));
        assert_eq!(def.name, "Luvmazer Rose Finger Vibe");
        let indexes: Vec<u32> = def.features.iter().map(|f| f.index).collect();
        assert_eq!(indexes, vec![0, 2]);
        let mut h = create();
        assert_eq!(
            writes(&stop(h.as_mut(), &def.features)),
            vec![
                tx(&[0xA0, 0x01, 0x00, 0x00, 0x64, 0x00]),
                tx(&[0xA0, 0x0C, 0x00, 0x00, 0x64, 0x00])
            ]
        );
    }
}
