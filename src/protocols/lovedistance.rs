//! Love Distance (`lovedistance`): `[F3 00 00]`, `[F4 01]` at connect; vibrate `[F3 00 v]` on
//! `tx`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            [0xF3, 0x00, v.clamp(0, 255) as u8]
        })
        .on_connect([0xF3, 0x00, 0x00], false)
        .on_connect([0xF4, 0x01], false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[tokio::test]
    async fn connect_vibrate_stop() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 121)])]);
        let mut h = create();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("REACH", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &[0xF3, 0, 0], false),
                write_op(Endpoint::Tx, &[0xF4, 1], false)
            ]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 61))),
            vec![(Endpoint::Tx, vec![0xF3, 0, 0x3D], false)]
        );
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0xF3, 0, 0]]
        );
    }
}
