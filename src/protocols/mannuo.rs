//! ManNuo (`mannuo`): one vibrator (steps 0–3). A 9-byte `AA 55` packet on `tx`, with response,
//! ending in the XOR of the bytes before it.

use super::ProtocolHandler;
use super::shared::checksum::xor8;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            let mut packet = vec![0xAA, 0x55, 0x06, 0x01, 0x01, 0x01, byte(v), 0xFA];
            packet.push(xor8(&packet));
            packet
        })
        .with_response(),
    )
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
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 1))),
            vec![tx("AA 55 06 01 01 01 01 FA 03")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 3))),
            vec![tx("AA 55 06 01 01 01 03 FA 01")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx("AA 55 06 01 01 01 00 FA 02")]
        );
    }
}
