//! Svakom v2 (`svakom-v2`): vibrator `[55 03 03 00 F s]` (a second vibrator, unused by the
//! database, would be `[55 06 01 00 s s]`), written to `tx` with response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |index, v| {
            let s = byte(v);
            if index == 1 {
                [0x55, 0x06, 0x01, 0x00, s, s]
            } else {
                [0x55, 0x03, 0x03, 0x00, flag(s), s]
            }
        })
        .with_response(),
    )
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
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 03 00 01 05"), true)]
        );
        let mut w = |f, v| only_write(&p.encode_output(f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(&f0, 8), hex("55 03 03 00 01 08"));
        assert_eq!(w(&f0, 0), hex("55 03 03 00 00 00"));
        assert_eq!(
            w(&feature(1, &[(Vibrate, 0, 10)]), 4),
            hex("55 06 01 00 04 04")
        );
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
