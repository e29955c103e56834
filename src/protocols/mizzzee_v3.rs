//! Mizz Zee v3 (`mizzzee-v3`): one vibrator (0–1000) driven by a 20-byte packet on `tx` (with
//! response) holding a 10-bit motor level that never drops below 30 % while running. The device
//! needs the packet repeated every 200 ms of idleness, and gets a stop at connect.

use std::time::Duration;

use super::shared::per_feature::PerFeature;
use super::{Keepalive, ProtocolHandler};
use crate::wire::OutputType;

const KEEPALIVE: Duration = Duration::from_millis(200);

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| packet(v))
            .with_response()
            .with_keepalive(Keepalive::RepeatLast(KEEPALIVE)),
    )
}

/// The 16-bit level word for a step 1–1000: `trunc((s/1000 × 0.7 + 0.3) × 1023) << 6 | 0x3C`,
/// in 32-bit floats like the reference.
fn level_word(step: i32) -> u16 {
    let f = step.clamp(0, 1000) as f32 / 1000.0;
    let v = ((f * 0.7 + 0.3) * 1023.0) as u16;
    (v.min(1023) << 6) | 0x3C
}

fn packet(step: i32) -> Vec<u8> {
    let mut p = vec![0x03, 0x12];
    if step <= 0 {
        p.resize(20, 0);
        return p;
    }
    let [lo, hi] = level_word(step).to_le_bytes();
    p.push(0xF3);
    for _ in 0..2 {
        p.extend([0x00, 0xFC, 0x00, 0xFE, 0x40, 0x01, lo, hi]);
    }
    p.push(0x00);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), true)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 1000)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 500))),
            vec![tx(
                "03 12 F3 00 FC 00 FE 40 01 3C A6 00 FC 00 FE 40 01 3C A6 00"
            )]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 1000))),
            vec![tx(
                "03 12 F3 00 FC 00 FE 40 01 FC FF 00 FC 00 FE 40 01 FC FF 00"
            )]
        );
        assert_eq!(level_word(250), 0x797C);
        assert_eq!(level_word(1), 0x4CFC);
        let mut zero = vec![0x03, 0x12];
        zero.resize(20, 0);
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![(Endpoint::Tx, zero, true)]
        );
    }

    #[test]
    fn f32_and_f64_agree_on_every_step() {
        for s in 1..=1000 {
            let v64 = ((f64::from(s) / 1000.0 * 0.7 + 0.3) * 1023.0) as u16;
            assert_eq!(level_word(s) >> 6, v64, "step {s}");
        }
    }

    #[test]
    fn keeps_alive_every_200_ms_and_stops_at_connect() {
        assert_eq!(
            create().keepalive(),
            Keepalive::RepeatLast(Duration::from_millis(200))
        );
        assert!(create().stop_on_connect());
    }
}
