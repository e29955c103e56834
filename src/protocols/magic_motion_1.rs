//! Magic Motion V1 (`magic-motion-1`): one motor (vibrate, or oscillate on the Xone) driven by a
//! 12-byte packet on `tx`; battery from the standard BLE battery characteristic.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::values::byte;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet).with_ble_battery())
}

/// The packet of a vibrate (or, on the Xone, oscillate) command.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 12]> {
    let (OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) = command else {
        return None;
    };
    Some([
        0x0B,
        0xFF,
        0x04,
        0x0A,
        0x32,
        0x32,
        0x00,
        0x04,
        0x08,
        byte(v.value),
        0x64,
        0x00,
    ])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::InputPlan;
    use crate::protocols::shared::testing::{battery, cmd, encode, feature, hex, stop, writes};
    use crate::wire::InputType;
    use crate::wire::OutputType::{Oscillate, Vibrate};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 50))),
            vec![tx("0B FF 04 0A 32 32 00 04 08 32 64 00")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&f])),
            vec![tx("0B FF 04 0A 32 32 00 04 08 00 64 00")]
        );
        // Xone: oscillate gives the same packet.
        let xone = feature(0, &[(Oscillate, 0, 100)]);
        assert_eq!(
            writes(&encode(h.as_mut(), &xone, cmd(Oscillate, 100))),
            vec![tx("0B FF 04 0A 32 32 00 04 08 64 64 00")]
        );
    }

    #[test]
    fn battery_reads_one_byte() {
        let mut h = create();
        let Ok(InputPlan::Read {
            endpoint,
            max_len,
            mut parse,
            ..
        }) = h.read_input(&battery(1), InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!((endpoint, max_len), (Endpoint::RxBleBattery, 1));
        assert_eq!(parse(endpoint, &[87]), Some(87));
        assert_eq!(parse(endpoint, &[]), None);
        assert!(h.read_input(&battery(1), InputType::Pressure).is_err());
    }
}
