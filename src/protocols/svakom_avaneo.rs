//! Svakom Ava Neo (`svakom-avaneo`): vibrator (feature 0) `[55 03 00 00 F s]`, and feature 1 as
//! oscillator `[55 08 00 00 s FF]` (or, addressed as a vibrator, `[55 09 00 00 s FF]`).

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
    // Feature 0 takes the vibrator packet whatever the type; other features pick theirs by
    // type. The trailing 0xFF of the feature-1 packets stays when off.
    match (index, command) {
        (0, OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) => {
            let s = byte(v.value);
            Some([0x55, 0x03, 0x00, 0x00, flag(s), s])
        }
        (_, OutputCommand::Oscillate(v)) => Some([0x55, 0x08, 0x00, 0x00, byte(v.value), 0xFF]),
        (_, OutputCommand::Vibrate(v)) => Some([0x55, 0x09, 0x00, 0x00, byte(v.value), 0xFF]),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Oscillate, 0, 1)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 7)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 01 07"), false)]
        );
        let out = p.encode_output(&f1, cmd(Oscillate, 1)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 08 00 00 01 FF"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 03 00 00 00 00"));
        let out = p.encode_output(&f1, cmd(Oscillate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 08 00 00 00 FF"));
        let out = p.encode_output(&f1, cmd(Vibrate, 1)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("55 09 00 00 01 FF"));
        assert!(p.encode_output(&f1, cmd(Constrict, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-avaneo") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
