//! Rends/Vorze Cyclone X10 (`vorze-cyclone-x`): a USB HID rotating sleeve (no reference
//! handler; low confidence). Each command is one 16-byte output report on `tx`: report id 0,
//! then the ASCII-framed `<0152` frame with the speed in byte 7 and the direction in byte 9.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

/// Highest speed digit (`0x3A`); on battery the toy limits itself to 5.
const MAX_SPEED: u8 = 10;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Rotate, |_, r| report(r)))
}

/// The report for signed step `r` (positive = clockwise = forwards).
///
/// Choice: the sources disagree on byte positions. We follow the protocol write-up (speed in
/// byte 7, direction/mode in byte 9) rather than the earlier Buttplug server (direction in
/// byte 7, speed in byte 8), as the sheet recommends. Stop is the zero-speed forwards frame, not
/// the paused frame (byte 6 = `0x31`).
fn report(r: i32) -> [u8; 16] {
    let speed = r.unsigned_abs().min(u32::from(MAX_SPEED)) as u8;
    let mode = if r < 0 { 0x31 } else { 0x30 };
    [
        0x00,
        0x3C,
        0x30,
        0x31,
        0x35,
        0x32,
        0x30,
        0x30 + speed,
        0x30,
        mode,
        0x30,
        0x01,
        0x02,
        0x03,
        0x68,
        0x3E,
    ]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn rotate_and_stop() {
        let f = feature(0, &[(Rotate, -10, 10)]);
        let w = writes(&create().encode_output(&f, cmd(Rotate, 10)).unwrap());
        let bytes = hex("00 3C 30 31 35 32 30 3A 30 30 30 01 02 03 68 3E");
        assert_eq!(w, vec![(Endpoint::Tx, bytes, false)]);
        let enc = |v| only_write(&create().encode_output(&f, cmd(Rotate, v)).unwrap());
        assert_eq!(
            enc(5),
            hex("00 3C 30 31 35 32 30 35 30 30 30 01 02 03 68 3E")
        );
        assert_eq!(
            enc(-5),
            hex("00 3C 30 31 35 32 30 35 30 31 30 01 02 03 68 3E")
        );
        assert_eq!(
            enc(0),
            hex("00 3C 30 31 35 32 30 30 30 30 30 01 02 03 68 3E")
        );
        // Out-of-range steps are capped, never a non-digit byte.
        assert_eq!(enc(-99)[7], 0x3A);
        assert!(create().encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("vorze-cyclone-x") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
