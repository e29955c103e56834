//! Pink Punch (`pink_punch`): one vibrator (0–100), `09 <step>` on `tx` with response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| [0x09, byte(v)]).with_response())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(b: [u8; 2]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), true)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 50))),
            vec![tx([0x09, 0x32])]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 75))),
            vec![tx([0x09, 0x4B])]
        );
        assert_eq!(writes(&stop(h.as_mut(), [&f])), vec![tx([0x09, 0x00])]);
    }
}
