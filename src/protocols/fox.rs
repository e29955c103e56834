//! Fox (`fox`): vibrator packet `[03, 01, 01, FE, v]` on `tx` (levels 0–3).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        [0x03, 0x01, 0x01, 0xFE, v.clamp(0, 255) as u8]
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
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = create();
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(enc(2), vec![(Endpoint::Tx, hex("03 01 01 FE 02"), false)]);
        assert_eq!(enc(3)[0].1, hex("03 01 01 FE 03"));
        assert_eq!(enc(0)[0].1, hex("03 01 01 FE 00"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("fox") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
