//! Kiiroo V2.1 Initialized (`kiiroo-v21-initialized`; Onyx 2.1, Onyx+, Keon): the `kiiroo-v21`
//! packets plus two warm-up moves at connect (`[03 00 64 19]`, `[03 00 64 00]`, with response).
//! See docs/protocols/kiiroo-v21-initialized.md.
//!
//! Adopted from buttplug_server 12: a keep-alive on every platform, the last packet written again
//! after 2 s without one (a repeat of the last move, where the toy already is), which keeps these
//! toys from dropping an idle link. The warm-up moves are written directly and never repeated;
//! the stop the server then sends at connect writes nothing (position outputs have no stop).

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

    /// Through the server's device task: nothing at connect, then the last move again after
    /// every 2 s without a packet.
    #[tokio::test(start_paused = true)]
    async fn repeats_the_last_move_after_2_s_idle() {
        use super::super::kiiroo_v21::INITIALIZED_KEEPALIVE;
        use crate::protocols::Keepalive;
        use std::time::Duration;
        let h = create();
        assert_eq!(h.keepalive(), Keepalive::RepeatLast(INITIALIZED_KEEPALIVE));
        assert_eq!(INITIALIZED_KEEPALIVE, Duration::from_secs(2));
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 99)])]);
        let spec = SimulatedDeviceSpec::new("KEON", "a");
        let mut d = served(h, def, spec, &[Endpoint::Tx], Duration::ZERO).await;
        tokio::time::sleep(Duration::from_secs(5)).await;
        assert!(d.ops().is_empty(), "no packet yet: nothing to repeat");
        let moved = written(&d.message(&[(0, position(99, 500))]).await);
        assert_eq!(moved, vec![(Endpoint::Tx, vec![3, 0, 0x28, 0x63])]);
        tokio::time::sleep(Duration::from_millis(1999)).await;
        assert!(d.ops().is_empty());
        tokio::time::sleep(Duration::from_millis(2002)).await;
        assert_eq!(
            written(&d.ops()),
            vec![(Endpoint::Tx, vec![3, 0, 0x28, 0x63]); 2]
        );
    }
}
