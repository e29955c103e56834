//! Sensee Diandou Rabbit (`sensee`): one vibrator,
//! `[55 AA F0 01 01 0B 65 F7 01 01 s]` to `tx` (no checksum).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = v.clamp(0, 255) as u8;
        [
            0x55, 0xAA, 0xF0, 0x01, 0x01, 0x0B, 0x65, 0xF7, 0x01, 0x01, s,
        ]
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
            vec![(Endpoint::Tx, hex("55 AA F0 01 01 0B 65 F7 01 01 32"), false)]
        );
        assert_eq!(w(75)[0].1, hex("55 AA F0 01 01 0B 65 F7 01 01 4B"));
        assert_eq!(w(0)[0].1, hex("55 AA F0 01 01 0B 65 F7 01 01 00"));
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sensee") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
