//! The Cowgirl (`cowgirl`, also The Unicorn): one packet `[00, 01, vibrate, rotate]` carrying
//! both motors, written to `tx` with response on every change.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    // The slot follows the output type, not the feature index. Rotation has no direction.
    Box::new(
        WholeDevice::new(
            &[OutputType::Vibrate, OutputType::Rotate],
            |&[vibrate, rotate]: &[i32; 2]| {
                [
                    0x00,
                    0x01,
                    byte(vibrate),
                    rotate.unsigned_abs().min(255) as u8,
                ]
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
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, writes};
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 255)]);
        let f1 = feature(1, &[(Rotate, 0, 255)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 128)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, vec![0, 1, 0x80, 0], true)]
        );
        p.encode_output(&f0, cmd(Vibrate, 192)).unwrap();
        let out = p.encode_output(&f1, cmd(Rotate, 128)).unwrap();
        assert_eq!(writes(&out)[0].1, [0x00, 0x01, 0xC0, 0x80]);
        p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(&f1, cmd(Rotate, 0)).unwrap();
        assert_eq!(writes(&out)[0].1, [0x00, 0x01, 0x00, 0x00]);
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("cowgirl") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
