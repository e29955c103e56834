//! Coleur Dor DT250A (`svakom-dt250a`): `[55 MODE 00 00 s FLAG]` to `tx` per feature; MODE 0x03
//! for vibrator 0, 0x08 for the other vibrator, 0x09 for suction (whose flag is always 0).

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
            Some([0x55, 0x03, 0x00, 0x00, s, flag(s)])
        }
        (_, OutputCommand::Vibrate(v)) => {
            let s = byte(v.value);
            Some([0x55, 0x08, 0x00, 0x00, s, flag(s)])
        }
        (_, OutputCommand::Constrict(v)) => Some([0x55, 0x09, 0x00, 0x00, byte(v.value), 0x00]),
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
    use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 3)]);
        let f1 = feature(1, &[(Vibrate, 0, 3)]);
        let f2 = feature(2, &[(Constrict, 0, 2)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 2)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 02 01"), false)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f1, cmd(Vibrate, 3)), hex("55 08 00 00 03 01"));
        assert_eq!(w(&f2, cmd(Constrict, 2)), hex("55 09 00 00 02 00"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("55 03 00 00 00 00"));
        assert_eq!(w(&f1, cmd(Vibrate, 0)), hex("55 08 00 00 00 00"));
        assert_eq!(w(&f2, cmd(Constrict, 0)), hex("55 09 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-dt250a") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
