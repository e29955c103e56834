//! Nobra's Silicone Dreams (`nobra`, BLE or serial): one vibrator (0–15) driven by single bytes
//! on `tx`: `0x60 + step` while running, `0x70` for off (also written once at connect).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

const OFF: u8 = 0x70;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| match byte(v) {
            0 => [OFF],
            s => [0x60 + s.min(15)],
        })
        .on_connect([OFF], false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        cmd, definition, drain, encode, feature, sim_io, stop, write_op, writes,
    };
    use crate::wire::OutputType::Vibrate;

    #[tokio::test]
    async fn connect_then_sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 15)]);
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("NobraController  ", "a"),
            &[Endpoint::Tx],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(vec![f.clone()]))
            .await
            .unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0x70], false)]
        );
        let mut one = |s| {
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, s)))[0]
                .1
                .clone()
        };
        assert_eq!(one(8), vec![0x68]);
        assert_eq!(one(12), vec![0x6C]);
        assert_eq!(one(15), vec![0x6F]);
        assert_eq!(one(1), vec![0x61]);
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![(Endpoint::Tx, vec![0x70], false)]
        );
    }
}
