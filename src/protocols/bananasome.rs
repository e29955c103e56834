//! Bananasome (`bananasome`, Rocket X7): one packet `[A0, 03, f0, f1, f2]` carrying all three
//! motors (oscillate, vibrate, vibrate) is written to `tx` on every change.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(WholeDevice::new(
        &[OutputType::Vibrate, OutputType::Oscillate],
        |steps: &[i32; 3]| {
            let [a, b, c] = steps.map(byte);
            [0xA0, 0x03, a, b, c]
        },
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, only_write};
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Oscillate, 0, 255)]);
        let f1 = feature(1, &[(Vibrate, 0, 255)]);
        let f2 = feature(2, &[(Vibrate, 0, 255)]);
        let mut p = create();
        let out = p.encode_output(&f1, cmd(Vibrate, 128)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("A0 03 00 80 00"));
        let out = p.encode_output(&f2, cmd(Vibrate, 128)).unwrap();
        assert_eq!(only_write(&out), hex("A0 03 00 80 80"));
        p.encode_output(&f0, cmd(Oscillate, 192)).unwrap();
        p.encode_output(&f1, cmd(Vibrate, 192)).unwrap();
        let out = p.encode_output(&f2, cmd(Vibrate, 64)).unwrap();
        assert_eq!(only_write(&out), hex("A0 03 C0 C0 40"));
        p.encode_output(&f0, cmd(Oscillate, 0)).unwrap();
        p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(&f2, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("A0 03 00 00 00"));
        assert!(
            p.encode_output(&feature(3, &[(Vibrate, 0, 255)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("bananasome") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
