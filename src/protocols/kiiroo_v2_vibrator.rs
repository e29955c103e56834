//! Kiiroo V2 vibrators (`kiiroo-v2-vibrator`; Pearl 2, Fuse, Titan, PornHub toys): every packet
//! carries all three motor slots `[v0 v1 v2]` on `tx`, tagged with the commanded feature.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        WholeDevice::new(&[OutputType::Vibrate], |steps: &[i32; 3]| steps.map(byte))
            .keyed_by_feature(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn all_slots_in_every_packet() {
        let v = |i| feature(i, &[(Vibrate, 0, 100)]);
        let def = definition(vec![v(0), v(1), v(2)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 20))),
            vec![(Endpoint::Tx, vec![0x14, 0, 0], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[2], cmd(Vibrate, 100))),
            vec![vec![0x14, 0, 0x64]]
        );
        // Fuse stop: one packet per feature, the last one all zero.
        let def = definition(vec![v(0), v(1)]);
        let mut h = create();
        message(
            h.as_mut(),
            &[
                (&def.features[0], cmd(Vibrate, 30)),
                (&def.features[1], cmd(Vibrate, 40)),
            ],
        );
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0, 0x28, 0], vec![0, 0, 0]]
        );
    }
}
