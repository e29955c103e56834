//! Cachito (`cachito`): two vibrators, one packet per feature `i` on `tx`:
//! `[02 + i, 01 + i, v, 00]`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |index, v| {
        let i = index as u8;
        [
            0x02u8.wrapping_add(i),
            0x01u8.wrapping_add(i),
            v.clamp(0, 255) as u8,
            0x00,
        ]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, writes};
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 5)]);
        let f1 = feature(1, &[(Vibrate, 0, 100)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 3)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::feature(0));
        assert_eq!(writes(&out), vec![(Endpoint::Tx, vec![2, 1, 3, 0], false)]);
        let mut enc = |f, v| {
            writes(&p.encode_output(f, cmd(Vibrate, v)).unwrap())[0]
                .1
                .clone()
        };
        assert_eq!(enc(&f0, 1), [0x02, 0x01, 0x01, 0x00]);
        assert_eq!(enc(&f1, 50), [0x03, 0x02, 0x32, 0x00]);
        assert_eq!(enc(&f1, 90), [0x03, 0x02, 0x5A, 0x00]);
        assert_eq!(enc(&f0, 0), [0x02, 0x01, 0x00, 0x00]);
        assert_eq!(enc(&f1, 0), [0x03, 0x02, 0x00, 0x00]);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("cachito") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
