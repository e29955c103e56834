//! Zemalia Dice for Love (`svakom-dice`): one vibrator, `[55 04 00 00 01 s AA]` to `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        // Byte 4 stays 0x01 when stopping; only the speed goes to 0.
        [0x55, 0x04, 0x00, 0x00, 0x01, byte(v), 0xAA]
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
        let f = feature(0, &[(Vibrate, 0, 255)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            w(128),
            vec![(Endpoint::Tx, hex("55 04 00 00 01 80 AA"), false)]
        );
        assert_eq!(w(255)[0].1, hex("55 04 00 00 01 FF AA"));
        assert_eq!(w(0)[0].1, hex("55 04 00 00 01 00 AA"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-dice") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
