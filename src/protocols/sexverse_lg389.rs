//! Sexverse LG389 (`sexverse-lg389`): vibrator and stroker in one packet
//! `[AA 05 v 14 anchor 00 range 00 o 00]`, written to `tx` with response.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        WholeDevice::new(
            &[OutputType::Vibrate, OutputType::Oscillate],
            |steps: &[i32; 2]| {
                let [v, o] = steps.map(byte);
                // While stroking: anchor to the base (0x01) over the full range (0x04).
                let (anchor, range) = if o != 0 { (0x01, 0x04) } else { (0x00, 0x00) };
                [0xAA, 0x05, v, 0x14, anchor, 0x00, range, 0x00, o, 0x00]
            },
        )
        .slots_by_output_type()
        .with_response(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 3)]);
        let f1 = feature(1, &[(Oscillate, 0, 10)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 2)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("AA 05 02 14 00 00 00 00 00 00"), true)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        w(&f0, cmd(Vibrate, 3));
        assert_eq!(
            w(&f1, cmd(Oscillate, 8)),
            hex("AA 05 03 14 01 00 04 00 08 00")
        );
        w(&f0, cmd(Vibrate, 0));
        assert_eq!(
            w(&f1, cmd(Oscillate, 0)),
            hex("AA 05 00 14 00 00 00 00 00 00")
        );
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-lg389") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
