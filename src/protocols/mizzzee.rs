//! Mizz Zee (`mizzzee`, first generation): one vibrator (0–68), `69 96 03 01 <on> <step>` on `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        [0x69, 0x96, 0x03, 0x01, u8::from(s != 0), s]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 6]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 68)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 34))),
            vec![tx([0x69, 0x96, 0x03, 0x01, 0x01, 0x22])]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 68))),
            vec![tx([0x69, 0x96, 0x03, 0x01, 0x01, 0x44])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx([0x69, 0x96, 0x03, 0x01, 0x00, 0x00])]
        );
    }
}
