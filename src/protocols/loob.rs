//! Joyroid Loob (`loob`): moves are `[pos_hi pos_lo time_hi time_lo]` (big-endian u16s) on `tx`;
//! position 0 is sent as 1, duration 0 as 1 ms. Connect moves to position 1 over 500 ms.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::new(|_, command| match command {
            OutputCommand::HwPositionWithDuration(p) => Some(packet(p.value, p.duration)),
            _ => None,
        })
        .on_connect(packet(1, 500), true),
    )
}

fn packet(position: i32, duration: u32) -> [u8; 4] {
    let p = (position.clamp(1, 1000) as u16).to_be_bytes();
    // As the reference: the duration wraps to its low 16 bits, then 0 becomes 1.
    let t = ((duration & 0xFFFF) as u16).max(1).to_be_bytes();
    [p[0], p[1], t[0], t[1]]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::HwPositionWithDuration;

    #[tokio::test]
    async fn moves() {
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 1000)])]);
        let mut h = create();
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("LOOB", "a"), &[Endpoint::Tx]).await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0, 1, 1, 0xF4], true)]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], position(510, 200))),
            vec![(Endpoint::Tx, vec![0x01, 0xFE, 0x00, 0xC8], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(1000, 50))),
            vec![vec![3, 0xE8, 0, 0x32]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(0, 500))),
            vec![vec![0, 1, 1, 0xF4]]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], position(500, 0))),
            vec![vec![1, 0xF4, 0, 1]]
        );
        assert_eq!(
            data(&encode(
                h.as_mut(),
                &def.features[0],
                position(500, 65536 + 7)
            )),
            vec![vec![1, 0xF4, 0, 7]]
        );
        assert!(stop(h.as_mut(), &def.features).is_empty());
    }
}
