//! Realov (`realov`): one vibrator (0–50), `C5 55 <step> AA` on `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| {
        [0xC5, 0x55, byte(v), 0xAA]
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 4]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 50)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 25))),
            vec![tx([0xC5, 0x55, 0x19, 0xAA])]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 50))),
            vec![tx([0xC5, 0x55, 0x32, 0xAA])]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx([0xC5, 0x55, 0x00, 0xAA])]
        );
    }
}
