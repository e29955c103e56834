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
    use crate::protocol::OutputType::HwPositionWithDuration;
    use crate::protocols::shared::test_kit::*;

    #[tokio::test]
    async fn warm_up_then_moves() {
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 99)])]);
        let mut h = create();
        let (mut io, ops) = scripted_io("KEON", &[Endpoint::Tx], vec![], vec![]);
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            *ops.lock(),
            vec![
                Op::Write(Endpoint::Tx, vec![0x03, 0x00, 0x64, 0x19], true),
                Op::Write(Endpoint::Tx, vec![0x03, 0x00, 0x64, 0x00], true),
            ]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def, 0, pos(99, 500))),
            vec![vec![3, 0, 0x28, 0x63]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def, 0, pos(0, 1000))),
            vec![vec![3, 0, 0x13, 0]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def, 0, pos(50, 200))),
            vec![vec![3, 0, 0x33, 0x32]]
        );
        assert!(stop(h.as_mut(), &def).is_empty());
    }
}
