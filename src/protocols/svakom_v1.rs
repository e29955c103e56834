//! Svakom v1 (`svakom-v1`): one vibrator, `[55 04 03 00 F s]` to `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        [0x55, 0x04, 0x03, 0x00, flag(s), s]
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
        let f = feature(0, &[(Vibrate, 0, 19)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(10), vec![(Endpoint::Tx, hex("55 04 03 00 01 0A"), false)]);
        assert_eq!(w(15)[0].1, hex("55 04 03 00 01 0F"));
        assert_eq!(w(0)[0].1, hex("55 04 03 00 00 00"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-v1") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
