//! Mu Se / Love Spouse (`muse`): one vibrator (0–9). `[v, 01]` on `tx` runs the motor at speed
//! `v` for about one second, `[00, 00]` stops it, so the last packet is repeated every 500 ms.
//! No reference implementation; documented protocol (docs/protocols/muse.md).

use std::time::Duration;

use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use super::{Keepalive, ProtocolHandler};
use crate::wire::OutputType;

/// Well inside the device's ~1 s hold time.
const KEEPALIVE: Duration = Duration::from_millis(500);

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        // `[v, 00]` would select built-in pattern `v`: a speed always has a non-zero second byte.
        PerFeature::of(OutputType::Vibrate, |_, v| match byte(v) {
            0 => [0x00, 0x00],
            s => [s, 0x01],
        })
        .with_keepalive(Keepalive::RepeatLast(KEEPALIVE)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 2]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 9)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 5))),
            vec![tx([0x05, 0x01])]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 9))),
            vec![tx([0x09, 0x01])]
        );
        assert_eq!(writes(&stop(h.as_mut(), [&f])), vec![tx([0x00, 0x00])]);
        assert_eq!(
            h.keepalive(),
            Keepalive::RepeatLast(Duration::from_millis(500))
        );
    }
}
