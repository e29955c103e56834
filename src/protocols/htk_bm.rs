//! HTK breast massager (`htk_bm`): two on/off vibrators driven by one byte written to the
//! standard Alert Level characteristic (`tx`): both 0x0B, left 0x0C, right 0x0D, off 0x0F.

use super::ProtocolHandler;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    // Left (feature 0) and right (feature 1) on/off.
    Box::new(WholeDevice::new(
        &[OutputType::Vibrate],
        |steps: &[i32; 2]| match steps.map(|s| s != 0) {
            [true, true] => [0x0B],
            [true, false] => [0x0C],
            [false, true] => [0x0D],
            [false, false] => [0x0F],
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn left_right_both_off() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 1)]),
            feature(1, &[(Vibrate, 0, 1)]),
        ]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 1))),
            vec![(Endpoint::Tx, vec![0x0C], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[1], cmd(Vibrate, 1))),
            vec![vec![0x0B]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 0))),
            vec![vec![0x0D]]
        );
        assert_eq!(data(&stop(h.as_mut(), &def.features)), vec![vec![0x0F]]);
    }
}
