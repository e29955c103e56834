//! Magic Motion V2 (`magic-motion-2`): a 17-byte packet on `tx` carrying two motor slots (feature
//! 0 and feature 1), so the handler keeps both values and every packet covers the whole device.
//! Battery from the standard BLE battery characteristic.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    // Choice: the FunTown Jive (`CBT001`) declares its second motor as Oscillate, which the
    // reference rejects (so it can be neither driven nor stopped). Its oscillating motor is
    // taken to be the second slot, so Oscillate drives that slot like Vibrate does.
    Box::new(
        WholeDevice::new(
            &[OutputType::Vibrate, OutputType::Oscillate],
            |steps: &[i32; 2]| {
                let [a, b] = steps.map(byte);
                [
                    0x10, 0xFF, 0x04, 0x0A, 0x32, 0x0A, 0x00, 0x04, 0x08, a, 0x64, 0x00, 0x04,
                    0x08, b, 0x64, 0x01,
                ]
            },
        )
        .with_ble_battery(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        battery, cmd, encode, feature, hex, message, stop, writes,
    };
    use crate::wire::InputType;
    use crate::wire::OutputCommand;
    use crate::wire::OutputType::{Oscillate, Vibrate};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn eidolon_two_motors() {
        let (m0, m1) = (
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        );
        let mut h = create();
        let both = writes(&message(
            h.as_mut(),
            &[
                (&m0, OutputCommand::new(Vibrate, 50, 0)),
                (&m1, OutputCommand::new(Vibrate, 25, 0)),
            ],
        ));
        assert_eq!(
            both,
            vec![tx("10 FF 04 0A 32 0A 00 04 08 32 64 00 04 08 19 64 01")]
        );
        // Motor 1 alone keeps motor 0's value.
        assert_eq!(
            writes(&encode(h.as_mut(), &m1, cmd(Vibrate, 10))),
            vec![tx("10 FF 04 0A 32 0A 00 04 08 32 64 00 04 08 0A 64 01")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&m0, &m1])),
            vec![tx("10 FF 04 0A 32 0A 00 04 08 00 64 00 04 08 00 64 01")]
        );
    }

    #[test]
    fn equinox_one_motor() {
        let m0 = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &m0, cmd(Vibrate, 75))),
            vec![tx("10 FF 04 0A 32 0A 00 04 08 4B 64 00 04 08 00 64 01")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&m0])),
            vec![tx("10 FF 04 0A 32 0A 00 04 08 00 64 00 04 08 00 64 01")]
        );
    }

    #[test]
    fn jive_oscillate_drives_the_second_slot() {
        let (m0, m1) = (
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Oscillate, 0, 100)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &m1, cmd(Oscillate, 40))),
            vec![tx("10 FF 04 0A 32 0A 00 04 08 00 64 00 04 08 28 64 01")]
        );
        assert_eq!(
            writes(&stop(h.as_mut(), [&m0, &m1])),
            vec![tx("10 FF 04 0A 32 0A 00 04 08 00 64 00 04 08 00 64 01")]
        );
        assert!(h.read_input(&battery(2), InputType::Battery).is_ok());
    }
}
