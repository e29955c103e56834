//! MyMuse Link Plus (`mymuselinkplus`): one vibrator (0–3), 8-byte `AA 55 06` packets on `tx`;
//! 0 has its own `AA` opcode.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| match byte(v) {
        0 => [0xAA, 0x55, 0x06, 0xAA, 0x00, 0x00, 0x00, 0x00],
        s => [0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, s, 0xFF],
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 2))),
            vec![tx("AA 55 06 01 01 01 02 FF")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 3))),
            vec![tx("AA 55 06 01 01 01 03 FF")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx("AA 55 06 AA 00 00 00 00")]
        );
    }
}
