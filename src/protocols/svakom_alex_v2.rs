//! Svakom Alex Neo 2 (`svakom-alex-v2`): one vibrator, `[55 03 03 00 s s+5]` to `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        // The last byte is the step plus 5, also when off (0x05).
        [0x55, 0x03, 0x03, 0x00, s, s.wrapping_add(5)]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(2), vec![(Endpoint::Tx, hex("55 03 03 00 02 07"), false)]);
        assert_eq!(w(3)[0].1, hex("55 03 03 00 03 08"));
        assert_eq!(w(0)[0].1, hex("55 03 03 00 00 05"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-alex-v2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
