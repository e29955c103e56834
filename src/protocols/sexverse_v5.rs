//! Sexverse v5 (`sexverse-v5`, Sexverse Heart): one vibrator, `[AA 03 03 s 00 00 00]` to `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        [0xAA, 0x03, 0x03, v.clamp(0, 255) as u8, 0x00, 0x00, 0x00]
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
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            w(50),
            vec![(Endpoint::Tx, hex("AA 03 03 32 00 00 00"), false)]
        );
        assert_eq!(w(75)[0].1, hex("AA 03 03 4B 00 00 00"));
        assert_eq!(w(0)[0].1, hex("AA 03 03 00 00 00 00"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-v5") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
