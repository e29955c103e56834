//! Next Level Racing HF8 (`nextlevelracing`): a haptic gaming pad with eight motors on a serial
//! line. Each motor gets its own ASCII line `M<index><speed>\r`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |index, v| {
        format!("M{index}{}\r", v.clamp(0, 255))
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::FeatureDefinition;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{cmd, encode, feature, stop, writes};
    use crate::wire::OutputType::Vibrate;

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, s.as_bytes().to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let mut h = create();
        let motors: Vec<FeatureDefinition> =
            (0..8).map(|i| feature(i, &[(Vibrate, 0, 255)])).collect();
        assert_eq!(
            writes(&encode(h.as_mut(), &motors[0], cmd(Vibrate, 128))),
            vec![(
                Endpoint::Tx,
                vec![0x4D, 0x30, 0x31, 0x32, 0x38, 0x0D],
                false
            )]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &motors[7], cmd(Vibrate, 0))),
            vec![tx("M70\r")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &motors[3], cmd(Vibrate, 5))),
            vec![tx("M35\r")]
        );
        let expected: Vec<_> = (0..8).map(|i| tx(&format!("M{i}0\r"))).collect();
        assert_eq!(writes(&stop(h.as_mut(), &motors)), expected);
    }
}
