//! Leten (`leten`): `[04 01]` at connect, vibrate `[02 v]` on `tx`, all with response. The
//! device stops without traffic, so the last packet is repeated after 1 s of idleness (and a stop
//! is sent right after connecting to seed it).

use std::time::Duration;

use super::shared::per_feature::PerFeature;
use super::{Keepalive, ProtocolHandler};
use crate::wire::OutputType;

const KEEPALIVE: Duration = Duration::from_millis(1000);

pub fn create() -> Box<dyn ProtocolHandler> {
    // The vendor app sometimes sends [04 00] and waits for [01] first; the reference skips
    // that, and the device works without it.
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| [0x02, v.clamp(0, 255) as u8])
            .with_response()
            .on_connect([0x04, 0x01], true)
            .with_keepalive(Keepalive::RepeatLast(KEEPALIVE)),
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
        let def = definition(vec![feature(0, &[(Vibrate, 0, 25)])]);
        let mut h = create();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("T528-LT", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(drain(&mut ops), vec![write_op(Endpoint::Tx, &[4, 1], true)]);
        assert!(h.stop_on_connect());
        assert_eq!(h.keepalive(), Keepalive::RepeatLast(KEEPALIVE));
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 13))),
            vec![(Endpoint::Tx, vec![2, 0x0D], true)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 19))),
            vec![vec![2, 0x13]]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), &def.features)),
            vec![(Endpoint::Tx, vec![2, 0], true)]
        );
    }
}
