//! Picobong (`picobong`): one vibrator (0–10), `01 <mode> <step>` on `tx`; mode `FF` means off.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        let mode = if s == 0 { 0xFF } else { 0x01 };
        [0x01, mode, s]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 3]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 7))),
            vec![tx([0x01, 0x01, 0x07])]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 10))),
            vec![tx([0x01, 0x01, 0x0A])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx([0x01, 0xFF, 0x00])]
        );
    }
}
