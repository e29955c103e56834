//! Libo Shark (`libo-shark`): both motors (0–3) in one byte `[(v0 << 4) | v1]` on `tx`.

use super::ProtocolHandler;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(WholeDevice::new(
        &[OutputType::Vibrate],
        |steps: &[i32; 2]| {
            let [v0, v1] = steps.map(|s| s.clamp(0, 15) as u8);
            [v0 << 4 | v1]
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
    fn one_byte_two_motors() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 3)]),
            feature(1, &[(Vibrate, 0, 3)]),
        ]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 2))),
            vec![(Endpoint::Tx, vec![0x20], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[1], cmd(Vibrate, 3))),
            vec![vec![0x23]]
        );
        assert_eq!(data(&stop(h.as_mut(), &def.features)), vec![vec![0x00]]);
    }
}
