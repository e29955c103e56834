//! Je Joue (`jejoue`): two motors, one `[mode, speed]` packet for the whole device: motor 1
//! alone `[02 s0]` whenever it runs, else motor 2 `[03 s1]`, else `[01 00]`.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(WholeDevice::new(
        &[OutputType::Vibrate],
        |steps: &[i32; 2]| {
            // As the reference (and the vector): with both motors set, motor 1's mode wins; mode 1
            // ("both") is only ever sent with speed 0.
            match steps.map(byte) {
                [s0, _] if s0 > 0 => [0x02, s0],
                [0, s1] if s1 > 0 => [0x03, s1],
                _ => [0x01, 0x00],
            }
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
    fn modes() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 5)]),
            feature(1, &[(Vibrate, 0, 5)]),
        ]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 3))),
            vec![(Endpoint::Tx, vec![2, 3], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 5))),
            vec![vec![2, 5]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[1], cmd(Vibrate, 4))),
            vec![vec![2, 5]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 0))),
            vec![vec![3, 4]]
        );
        assert_eq!(data(&stop(h.as_mut(), &def.features)), vec![vec![1, 0]]);
    }
}
