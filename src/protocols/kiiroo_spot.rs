//! Kiiroo Spot (`kiiroo-spot`): `[00 FF 00 00 00 v]` on `tx`; battery from `rxblebattery`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            let v = v.clamp(0, 255) as u8;
            [0x00, 0xFF, 0x00, 0x00, 0x00, v]
        })
        .with_ble_battery(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::*;
    use crate::wire::InputType;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn vibrate_and_stop() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)]), battery(1)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![0, 0xFF, 0, 0, 0, 0x32], false)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 100))),
            vec![vec![0, 0xFF, 0, 0, 0, 0x64]]
        );
        assert_eq!(
            data(&stop(h.as_mut(), &def.features)),
            vec![vec![0, 0xFF, 0, 0, 0, 0]]
        );
        assert!(
            h.read_input(def.feature(1).unwrap(), InputType::Pressure)
                .is_err()
        );
    }
}
