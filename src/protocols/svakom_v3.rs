//! Svakom v3 (`svakom-v3`): vibrator 0 `[55 03 03 00 F s]`, another vibrator
//! `[55 09 00 00 F s]`, rotator `[55 08 00 00 r FF]`, to `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command on feature `index`; `None` for an output type without one.
fn packet(index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    match (index, command) {
        (0, OutputCommand::Vibrate(v)) => {
            let s = byte(v.value);
            Some([0x55, 0x03, 0x03, 0x00, flag(s), s])
        }
        (_, OutputCommand::Vibrate(v)) => {
            let s = byte(v.value);
            Some([0x55, 0x09, 0x00, 0x00, flag(s), s])
        }
        // The rotation range is 0..1 (no direction); the 0xFF stays when stopping.
        (_, OutputCommand::Rotate(v)) => Some([0x55, 0x08, 0x00, 0x00, byte(v.value), 0xFF]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let rot = feature(1, &[(Rotate, 0, 1)]);
        let vib1 = feature(1, &[(Vibrate, 0, 1)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 03 00 01 05"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f0, cmd(Vibrate, 8)), hex("55 03 03 00 01 08"));
        assert_eq!(w(&rot, cmd(Rotate, 1)), hex("55 08 00 00 01 FF"));
        assert_eq!(w(&vib1, cmd(Vibrate, 1)), hex("55 09 00 00 01 01"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 03 00 00 00"));
        assert_eq!(w(&rot, cmd(Rotate, 0)), hex("55 08 00 00 00 FF"));
        assert_eq!(w(&vib1, cmd(Vibrate, 0)), hex("55 09 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v3") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
