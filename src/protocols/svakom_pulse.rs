//! Svakom Pulse (`svakom-pulse`): one vibrator, `[55 03 03 00 F s+1]` to `tx` (the speed byte is
//! the step plus one, 1 when off).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::svakom::flag;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        [0x55, 0x03, 0x03, 0x00, flag(s), s.saturating_add(1)]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 9)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(5), vec![(Endpoint::Tx, hex("55 03 03 00 01 06"), false)]);
        assert_eq!(w(7)[0].1, hex("55 03 03 00 01 08"));
        assert_eq!(w(0)[0].1, hex("55 03 03 00 00 01"));
        assert!(create().encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-pulse") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
