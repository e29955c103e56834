//! TryFun Meta 2 (`tryfun-meta2`): `[n, 02, 00, 05, 21, 05, cmd, val, C]` on `tx` without
//! response, `n` an 8-bit packet counter shared by all outputs, `cmd` 0x0B oscillate / 0x08
//! vibrate / 0x0E rotate (signed, sent as `-(r + 1)` clockwise and `-r` counter-clockwise).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::tryfun::CountedPackets;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    let mut packets = CountedPackets::new(0, 8);
    Box::new(PerFeature::new(move |_, command| {
        let (cmd, value) = match command {
            OutputCommand::Oscillate(v) => (0x0B, v.value as u8),
            OutputCommand::Vibrate(v) => (0x08, v.value as u8),
            OutputCommand::Rotate(v) => (0x0E, rotation_byte(v.value)),
            _ => return None,
        };
        Some(packets.next(&[0x02, 0x00, 0x05, 0x21, 0x05, cmd, value]))
    }))
}

/// The rotation byte: clockwise steps become negative numbers offset by one (so a stop is
/// 0xFF), counter-clockwise steps their magnitude.
fn rotation_byte(r: i32) -> u8 {
    let v = if r >= 0 {
        r.wrapping_add(1).wrapping_neg()
    } else {
        r.wrapping_neg()
    };
    v as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Spray, Vibrate};

    #[test]
    fn sheet_sequence_with_counter() {
        let osc = feature(0, &[(Oscillate, 0, 100)]);
        let vib = feature(1, &[(Vibrate, 0, 100)]);
        let rot = feature(2, &[(Rotate, -100, 100)]);
        let mut p = create();
        let w = writes(&p.encode_output(&osc, cmd(Oscillate, 100)).unwrap());
        let first = hex("00 02 00 05 21 05 0B 64 6B");
        assert_eq!(w, vec![(Endpoint::Tx, first, false)]);
        let mut next = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(
            next(&vib, cmd(Vibrate, 100)),
            hex("01 02 00 05 21 05 08 64 6E")
        );
        assert_eq!(
            next(&rot, cmd(Rotate, 100)),
            hex("02 02 00 05 21 05 0E 9B 31")
        );
        assert_eq!(
            next(&rot, cmd(Rotate, -100)),
            hex("03 02 00 05 21 05 0E 64 68")
        );
        assert_eq!(
            next(&rot, cmd(Rotate, -50)),
            hex("04 02 00 05 21 05 0E 32 9A")
        );
        assert_eq!(
            next(&osc, cmd(Oscillate, 50)),
            hex("05 02 00 05 21 05 0B 32 9D")
        );
        assert_eq!(
            next(&vib, cmd(Vibrate, 50)),
            hex("06 02 00 05 21 05 08 32 A0")
        );
        assert_eq!(
            next(&osc, cmd(Oscillate, 0)),
            hex("07 02 00 05 21 05 0B 00 CF")
        );
        assert_eq!(
            next(&vib, cmd(Vibrate, 0)),
            hex("08 02 00 05 21 05 08 00 D2")
        );
        assert_eq!(
            next(&rot, cmd(Rotate, 0)),
            hex("09 02 00 05 21 05 0E FF CD")
        );
        assert!(p.encode_output(&osc, cmd(Spray, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("tryfun-meta2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
