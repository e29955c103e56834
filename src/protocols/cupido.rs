//! Cupido (`cupido`): vibrator packet `[B0, 03, 00, 00, 00, v, AA]` on `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        [0xB0, 0x03, 0x00, 0x00, 0x00, v.clamp(0, 255) as u8, 0xAA]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, writes};
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 255)]);
        let mut p = create();
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            enc(128),
            vec![(Endpoint::Tx, hex("B0 03 00 00 00 80 AA"), false)]
        );
        assert_eq!(enc(192)[0].1, hex("B0 03 00 00 00 C0 AA"));
        assert_eq!(enc(0)[0].1, hex("B0 03 00 00 00 00 AA"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("cupido") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
