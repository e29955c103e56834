//! ToyCod Tara X (`svakom-tarax`): motor 0 `[55 03 00 00 s 02]` (off is `01 01`), the other motor
//! `[55 09 00 00 s 00]`, to `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |index, v| {
        let s = byte(v);
        match (index, s) {
            (0, 0) => [0x55, 0x03, 0x00, 0x00, 0x01, 0x01],
            (0, s) => [0x55, 0x03, 0x00, 0x00, s, 0x02],
            (_, s) => [0x55, 0x09, 0x00, 0x00, s, 0x00],
        }
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 3)]);
        let f1 = feature(1, &[(Vibrate, 0, 3)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 2)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 02 02"), false)]
        );
        let mut w = |f, v| only_write(&p.encode_output(f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(&f1, 3), hex("55 09 00 00 03 00"));
        assert_eq!(w(&f0, 0), hex("55 03 00 00 01 01"));
        assert_eq!(w(&f1, 0), hex("55 09 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-tarax") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
