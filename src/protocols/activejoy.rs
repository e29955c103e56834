//! ActiveJoy (`activejoy`, IntoYou Remote Egg): one 6-byte packet per vibrator on `tx`:
//! `[B0, 01 (vibration mode), 00, motor, on/off, intensity]`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |index, v| {
        let v = v.clamp(0, 255) as u8;
        [0xB0, 0x01, 0x00, index as u8, u8::from(v != 0), v]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, writes};
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 255)]);
        let mut p = create();
        let mut enc = |v| writes(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(
            enc(128),
            vec![(Endpoint::Tx, hex("B0 01 00 00 01 80"), false)]
        );
        assert_eq!(enc(192)[0].1, hex("B0 01 00 00 01 C0"));
        assert_eq!(enc(255)[0].1, hex("B0 01 00 00 01 FF"));
        // Stop: the on/off byte is 0 exactly when the intensity is.
        assert_eq!(enc(0)[0].1, hex("B0 01 00 00 00 00"));
        assert_eq!(enc(1)[0].1, hex("B0 01 00 00 01 01"));
        assert!(p.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("activejoy") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
