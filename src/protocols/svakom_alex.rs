//! Svakom Alex Neo (`svakom-alex`): one vibrator, `[12 01 03 00 X 00]` to `tx` where X is the
//! step (0–3), and 0xFF means off.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        let x = if s == 0 { 0xFF } else { s };
        [0x12, 0x01, 0x03, 0x00, x, 0x00]
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
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut p = create();
        let w =
            |p: &mut dyn ProtocolHandler, v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            w(p.as_mut(), 2),
            vec![(Endpoint::Tx, hex("12 01 03 00 02 00"), false)]
        );
        assert_eq!(w(p.as_mut(), 3)[0].1, hex("12 01 03 00 03 00"));
        assert_eq!(w(p.as_mut(), 0)[0].1, hex("12 01 03 00 FF 00"));
        assert!(p.encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-alex") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
