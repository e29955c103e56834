//! Fantasy Cup Barnard (`svakom-barnard`): vibrator `[55 03 00 00 s F]` and oscillator
//! `[55 08 00 00 s G]` to `tx`; the output type picks the packet, the flag follows the step.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    // Here the step comes before the flag.
    match command {
        OutputCommand::Vibrate(v) => {
            let s = byte(v.value);
            Some([0x55, 0x03, 0x00, 0x00, s, flag(s)])
        }
        OutputCommand::Oscillate(v) => {
            let s = byte(v.value);
            Some([0x55, 0x08, 0x00, 0x00, s, if s > 0 { 0xFF } else { 0x00 }])
        }
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
        let f0 = feature(0, &[(Vibrate, 0, 3)]);
        let f1 = feature(1, &[(Oscillate, 0, 3)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 2)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 02 01"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f0, cmd(Vibrate, 3)), hex("55 03 00 00 03 01"));
        assert_eq!(w(&f1, cmd(Oscillate, 2)), hex("55 08 00 00 02 FF"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 00 00 00 00"));
        assert_eq!(w(&f1, cmd(Oscillate, 0)), hex("55 08 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-barnard") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
