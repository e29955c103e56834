//! Svakom Jordan (`svakom-jordan`): vibrator `[55 03 00 00 F s 00]` and oscillator
//! `[55 08 00 00 F s 00]` to `tx`; the output type picks the packet.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 7]> {
    let (mode, s) = match command {
        OutputCommand::Vibrate(v) => (0x03, byte(v.value)),
        OutputCommand::Oscillate(v) => (0x08, byte(v.value)),
        _ => return None,
    };
    Some([0x55, mode, 0x00, 0x00, flag(s), s, 0x00])
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
        let f1 = feature(1, &[(Oscillate, 0, 5)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 6)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 01 06 00"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f1, cmd(Oscillate, 5)), hex("55 08 00 00 01 05 00"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 00 00 00 00 00"));
        assert_eq!(w(&f1, cmd(Oscillate, 0)), hex("55 08 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-jordan") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
