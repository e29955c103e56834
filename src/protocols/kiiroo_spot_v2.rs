//! Kiiroo Spot 2 (`kiiroo-spot-v2`, advertised as `SPOT W2`): vibrate `[01 v v 03 E8 FF]` on `tx`,
//! written with response; battery from `rxblebattery`. See docs/protocols/kiiroo-spot-v2.md.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            let v = byte(v);
            [0x01, v, v, 0x03, 0xE8, 0xFF]
        })
        .with_response()
        .with_ble_battery(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::InputPlan;
    use crate::protocols::shared::testing::*;
    use crate::wire::InputType;
    use crate::wire::OutputType::{Rotate, Vibrate};

    /// The sheet's worked examples.
    #[test]
    fn vibrate_stop_and_battery() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)]), battery(1)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, hex("01 32 32 03 E8 FF"), true)]
        );
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 100))),
            vec![hex("01 64 64 03 E8 FF")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), &def.features)),
            vec![(Endpoint::Tx, hex("01 00 00 03 E8 FF"), true)]
        );
        assert!(h.encode_output(&def.features[0], cmd(Rotate, 1)).is_err());
        let Ok(InputPlan::Read {
            endpoint,
            mut parse,
            ..
        }) = h.read_input(&def.features[1], InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!(endpoint, Endpoint::RxBleBattery);
        assert_eq!(parse(endpoint, &[0x4B]), Some(75));
    }

    /// The database's Spot 2 (defaults only).
    #[test]
    fn database_model() {
        let def = db_resolve("kiiroo-spot-v2", None);
        assert_eq!(def.name, "Kiiroo Spot 2");
        let mut h = create();
        assert_eq!(
            data(&encode(h.as_mut(), &def.features[0], cmd(Vibrate, 100))),
            vec![hex("01 64 64 03 E8 FF")]
        );
        assert!(h.read_input(&def.features[1], InputType::Battery).is_ok());
    }
}
