//! Galaku pump (`galaku-pump`, Galaku Nebula): one obfuscated packet (see [`galaku_encode`])
//! `[5A 00 00 01 60 03 oscillate vibrate 00 00]` carrying both motors, written to `tx` with
//! response on every change.

use super::ProtocolHandler;
use super::shared::galaku::galaku_encode;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    // The slot follows the output type, not the feature index.
    Box::new(
        WholeDevice::new(
            &[OutputType::Oscillate, OutputType::Vibrate],
            |steps: &[i32; 2]| {
                let [oscillate, vibrate] = steps.map(byte);
                galaku_encode([
                    0x5A, 0x00, 0x00, 0x01, 0x60, 0x03, oscillate, vibrate, 0x00, 0x00,
                ])
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
    use crate::protocols::shared::galaku::galaku_frame;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, writes};
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Oscillate, 0, 100)]);
        let f1 = feature(1, &[(Vibrate, 0, 100)]);
        let mut p = create();
        assert_eq!(
            galaku_frame([0x5A, 0, 0, 1, 0x60, 3, 0, 0x32, 0, 0]).to_vec(),
            hex("23 5A 00 00 01 60 03 00 32 00 00 13")
        );
        let out = p.encode_output(&f1, cmd(Vibrate, 50)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(
                Endpoint::Tx,
                hex("23 81 BB AB D2 9B 44 33 ED 43 3B 44"),
                true
            )]
        );
        let out = p.encode_output(&f0, cmd(Oscillate, 75)).unwrap();
        assert_eq!(
            writes(&out)[0].1,
            hex("23 81 BB AB D2 9B 44 6A 25 43 3B 81")
        );
        p.encode_output(&f0, cmd(Oscillate, 0)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(
            writes(&out)[0].1,
            hex("23 81 BB AB D2 9B 44 33 BB A3 3B D2")
        );
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("galaku-pump") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
