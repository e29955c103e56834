//! Love Nuts (`lovenuts`): one vibrator (0–15). A 16-byte packet: ASCII `EVOL`, ten copies of the
//! level in both nibbles, then `00 FF`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |_, v| packet(byte(v))))
}

fn packet(level: u8) -> Vec<u8> {
    let level = level.min(15);
    let mut p = b"EVOL".to_vec();
    p.extend([(level << 4) | level; 10]);
    p.extend([0x00, 0xFF]);
    p
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, hex, stop, writes};
    use crate::wire::OutputCommand;
    use crate::wire::OutputType;

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(OutputType::Vibrate, 0, 15)]);
        let mut h = create();
        let p = |s: &str| (Endpoint::Tx, hex(s), false);
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(OutputType::Vibrate, 8))),
            vec![p("45 56 4F 4C 88 88 88 88 88 88 88 88 88 88 00 FF")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(OutputType::Vibrate, 15))),
            vec![p("45 56 4F 4C FF FF FF FF FF FF FF FF FF FF 00 FF")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![p("45 56 4F 4C 00 00 00 00 00 00 00 00 00 00 00 FF")]
        );
        assert!(
            h.encode_output(&f, OutputCommand::new(OutputType::Rotate, 1, 0))
                .is_err()
        );
    }
}
