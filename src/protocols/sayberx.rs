//! SayberX (`sayberx`): a stroker driven by ASCII `AT+SPD<d>0` (d = speed 0–4) on `tx`. The
//! X-Ring companion matches this key too but has no features, so nothing is ever written to it.
//! No reference handler exists; bytes from public capture notes.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        // Only multiples of ten were observed: the first digit carries the step.
        let digit = b'0' + v.clamp(0, 4) as u8;
        // The write type is undocumented: without response, as the sheet advises.
        [b'A', b'T', b'+', b'S', b'P', b'D', digit, b'0']
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
        let f = feature(0, &[(Vibrate, 0, 4)]);
        let mut p = create();
        let mut w = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            w(1),
            vec![(Endpoint::Tx, hex("41 54 2B 53 50 44 31 30"), false)]
        );
        assert_eq!(w(3)[0].1, hex("41 54 2B 53 50 44 33 30"));
        assert_eq!(w(4)[0].1, hex("41 54 2B 53 50 44 34 30"));
        assert_eq!(w(0)[0].1, b"AT+SPD00".to_vec());
        assert!(create().encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sayberx") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
