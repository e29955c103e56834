//! MaxPro (`maxpro`, MaxPro 2): one vibrator (0–100). A 10-byte `55 04 07` packet on `tx` with the
//! speed twice and an 8-bit additive checksum.

use super::ProtocolHandler;
use super::shared::checksum::sum8;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        let s = byte(v);
        let mut packet = vec![0x55, 0x04, 0x07, 0xFF, 0xFF, 0x3F, s, 0x5F, s];
        packet.push(sum8(&packet));
        packet
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
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 50))),
            vec![tx("55 04 07 FF FF 3F 32 5F 32 60")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 100))),
            vec![tx("55 04 07 FF FF 3F 64 5F 64 C4")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx("55 04 07 FF FF 3F 00 5F 00 FC")]
        );
    }
}
