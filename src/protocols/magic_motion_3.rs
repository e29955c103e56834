//! Magic Motion V3 (`magic-motion-3`, LoveLife Krush): one vibrator (0–77) driven by a 12-byte
//! packet on `tx`; battery from the standard BLE battery characteristic.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            [
                0x0B,
                0xFF,
                0x04,
                0x0A,
                0x46,
                0x46,
                0x00,
                0x04,
                0x08,
                byte(v),
                0x64,
                0x00,
            ]
        })
        .with_ble_battery(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::InputPlan;
    use crate::protocols::shared::testing::{battery, cmd, encode, feature, hex, stop, writes};
    use crate::wire::InputType;
    use crate::wire::OutputType::Vibrate;

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 77)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 39))),
            vec![tx("0B FF 04 0A 46 46 00 04 08 27 64 00")]
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 58))),
            vec![tx("0B FF 04 0A 46 46 00 04 08 3A 64 00")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx("0B FF 04 0A 46 46 00 04 08 00 64 00")]
        );
        assert!(matches!(
            h.read_input(&battery(1), InputType::Battery),
            Ok(InputPlan::Read {
                endpoint: Endpoint::RxBleBattery,
                ..
            })
        ));
    }
}
