//! Zalo (`zalo`): `[mode, a, b]` on `tx` with response, carrying both motors: mode 0x02 when
//! everything is off, else 0x01; a stopped motor is sent as 0x01.

use super::ProtocolHandler;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    // Choice: the reference keys this packet by the commanded feature; it carries both motors,
    // so we key it by the whole device (one write when a message sets both, e.g. a stop writes
    // `02 01 01` once).
    Box::new(
        WholeDevice::new(&[OutputType::Vibrate], |steps: &[i32; 2]| {
            let [a, b] = steps.map(byte);
            let mode = if a == 0 && b == 0 { 0x02 } else { 0x01 };
            [mode, a.max(1), b.max(1)]
        })
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
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn two_motors_and_stop() {
        let f0 = feature(0, &[(Vibrate, 0, 8)]);
        let f1 = feature(1, &[(Vibrate, 0, 8)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(writes(&out), vec![(Endpoint::Tx, hex("01 05 01"), true)]);
        assert_eq!(
            only_write(&p.encode_output(&f1, cmd(Vibrate, 8)).unwrap()),
            hex("01 05 08")
        );
        assert_eq!(
            only_write(&p.encode_output(&f0, cmd(Vibrate, 0)).unwrap()),
            hex("01 01 08")
        );
        assert_eq!(
            only_write(&p.encode_output(&f1, cmd(Vibrate, 0)).unwrap()),
            hex("02 01 01")
        );
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 8)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn single_motor() {
        let f = feature(0, &[(Vibrate, 0, 8)]);
        let mut p = create();
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Vibrate, 3)).unwrap()),
            hex("01 03 01")
        );
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Vibrate, 0)).unwrap()),
            hex("02 01 01")
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("zalo") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
