//! Sensee Capsule protocol (`sensee-capsule`): vibrate `[55 AA F0 01 00 12 66 F9 F0|s]` and
//! suction `[55 AA F0 01 00 11 66 F2 F0|c 00 00]` to `tx`. No database entry uses this key (the
//! Capsule itself is served by `sensee-v2`), so no device reaches it; it is kept for user configs
//! and completeness, as the sheet allows.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<Vec<u8>> {
    match command {
        OutputCommand::Vibrate(v) => Some(vec![
            0x55,
            0xAA,
            0xF0,
            0x01,
            0x00,
            0x12,
            0x66,
            0xF9,
            nibble(v.value),
        ]),
        OutputCommand::Constrict(v) => Some(vec![
            0x55,
            0xAA,
            0xF0,
            0x01,
            0x00,
            0x11,
            0x66,
            0xF2,
            nibble(v.value),
            0x00,
            0x00,
        ]),
        _ => None,
    }
}

/// `0xF0 | level`. Choice: the reference ORs the raw level in, so a level above 15 corrupts the
/// high nibble; we clamp to 0..15, the only levels the format can carry.
fn nibble(level: i32) -> u8 {
    0xF0 | level.clamp(0, 15) as u8
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, feature, hex, only_write, writes};
    use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 15)]);
        let f1 = feature(1, &[(Constrict, 0, 15)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 AA F0 01 00 12 66 F9 F5"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(
            w(&f1, cmd(Constrict, 3)),
            hex("55 AA F0 01 00 11 66 F2 F3 00 00")
        );
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 AA F0 01 00 12 66 F9 F0"));
        assert_eq!(
            w(&f1, cmd(Constrict, 0)),
            hex("55 AA F0 01 00 11 66 F2 F0 00 00")
        );
        // Levels beyond the nibble stay in it.
        assert_eq!(w(&f0, cmd(Vibrate, 40)), hex("55 AA F0 01 00 12 66 F9 FF"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }
}
