//! Svakom Magic Suitcase (`svakom-suitcase`): feature 0 (0–30) is split into an intensity band
//! and a speed, `[55 03 00 00 intensity speed]`; the other vibrator is `[55 09 00 00 s 00]`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |index, v| {
        let s = byte(v);
        if index == 0 {
            let (intensity, speed) = intensity_speed(s);
            [0x55, 0x03, 0x00, 0x00, intensity, speed]
        } else {
            [0x55, 0x09, 0x00, 0x00, s, 0x00]
        }
    }))
}

/// Step 0–30 → (intensity 1–3, speed 1–10); (0, 0) when off.
fn intensity_speed(v: u8) -> (u8, u8) {
    let mut speed = v % 10;
    let mut intensity = if v == 0 { 0 } else { v / 10 + 1 };
    if speed == 0 && intensity != 0 {
        speed = 10;
        intensity -= 1;
    }
    (intensity, speed)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 30)]);
        let f1 = feature(1, &[(Vibrate, 0, 1)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 1)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 00 00 01 01"), false)]
        );
        let mut w = |f, v| only_write(&p.encode_output(f, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(&f0, 10), hex("55 03 00 00 01 0A"));
        assert_eq!(w(&f0, 15), hex("55 03 00 00 02 05"));
        assert_eq!(w(&f0, 30), hex("55 03 00 00 03 0A"));
        assert_eq!(w(&f0, 21), hex("55 03 00 00 03 01"));
        assert_eq!(w(&f1, 1), hex("55 09 00 00 01 00"));
        assert_eq!(w(&f0, 0), hex("55 03 00 00 00 00"));
        assert_eq!(w(&f1, 0), hex("55 09 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-suitcase") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
