//! FeelingSo (`feelingso`, Flair Feel): one packet `[AA, 40, 03, vibrate, oscillate, 14, 19]`
//! carrying both motors, written to `tx` on every change.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    // The slot follows the output type, not the feature index. The last two bytes are constants
    // of unclear meaning, always sent as-is.
    Box::new(
        WholeDevice::new(
            &[OutputType::Vibrate, OutputType::Oscillate],
            |steps: &[i32; 2]| {
                let [vibrate, oscillate] = steps.map(byte);
                [0xAA, 0x40, 0x03, vibrate, oscillate, 0x14, 0x19]
            },
        )
        .slots_by_output_type(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, writes};
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 19)]);
        let f1 = feature(1, &[(Oscillate, 0, 19)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 10)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("AA 40 03 0A 00 14 19"), false)]
        );
        p.encode_output(&f0, cmd(Vibrate, 15)).unwrap();
        let out = p.encode_output(&f1, cmd(Oscillate, 10)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("AA 40 03 0F 0A 14 19"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("AA 40 03 00 0A 14 19"));
        let out = p.encode_output(&f1, cmd(Oscillate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, hex("AA 40 03 00 00 14 19"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("feelingso") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
