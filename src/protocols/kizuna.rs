//! Kizuna Smart (`kizuna`): a serial (19200 8N1) rotator; the speed digit then CR LF on `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Rotate, |_, v| {
        // The database range is 0–9 (no direction); keep the byte a digit whatever comes in.
        let digit = b'0' + v.unsigned_abs().min(9) as u8;
        [digit, b'\r', b'\n']
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Rotate;

    #[test]
    fn digits() {
        let def = definition(vec![feature(0, &[(Rotate, 0, 9)])]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Rotate, 5))),
            vec![(Endpoint::Tx, vec![0x35, 0x0D, 0x0A], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Rotate, 9))),
            vec![vec![0x39, 0x0D, 0x0A]]
        );
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0x30, 0x0D, 0x0A]]
        );
    }
}
