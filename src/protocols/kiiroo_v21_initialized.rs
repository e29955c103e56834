//! Kiiroo V2.1 Initialized (`kiiroo-v21-initialized`; Onyx 2.1, Onyx+, Keon): the `kiiroo-v21`
//! packets plus two warm-up moves at connect (`[03 00 64 19]`, `[03 00 64 00]`, with response).

use super::ProtocolHandler;
use super::kiiroo_v21::{Flavor, with_flavor};

pub fn create() -> Box<dyn ProtocolHandler> {
    with_flavor(Flavor::Initialized)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::HwPositionWithDuration;

    #[tokio::test]
    async fn warm_up_then_moves() {
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 99)])]);
        let mut h = create();
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("KEON", "a"), &[Endpoint::Tx]).await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x19], true),
                write_op(Endpoint::Tx, &[0x03, 0x00, 0x64, 0x00], true),
            ]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(99, 500))),
            vec![vec![3, 0, 0x28, 0x63]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(0, 1000))),
            vec![vec![3, 0, 0x13, 0]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(50, 200))),
            vec![vec![3, 0, 0x33, 0x32]]
        );
        assert!(stop(h.as_mut(), &def.features).is_empty());
    }
}
