//! WeVibe 8-bit (`wevibe-8bit`): 8-byte packets on `tx` with response carrying both motors'
//! speeds offset by 3 (external first) and a status byte of running motors.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::whole_device::WholeDevice;
use super::wevibe::{family, status};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<WholeDevice<2>> {
    family(0xFC, |int, ext| {
        let (e, i) = (ext.wrapping_add(3), int.wrapping_add(3));
        [0x0F, 0x03, 0x00, e, i, status(int, ext), 0x00, 0x00]
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, definition, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn moxie_single_motor() {
        let f = feature(0, &[(Vibrate, 0, 12)]);
        let mut p = handler();
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 6)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("0F 03 00 09 09 03 00 00"), true)]
        );
        let out = p.encode_output(&f, cmd(Vibrate, 9)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 0C 0C 03 00 00"));
        let out = p.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 00 00 00 00 00 00 00"));
        assert!(p.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn vector_two_motors() {
        let f0 = feature(0, &[(Vibrate, 0, 12)]);
        let f1 = feature(1, &[(Vibrate, 0, 12)]);
        let mut p = handler();
        p.setup(&definition(vec![f0.clone(), f1.clone()]));
        p.encode_output(&f0, cmd(Vibrate, 6)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 3)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("0F 03 00 06 09 03 00 00"));
        p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 6)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 09 03 02 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 00 00 00 00 00 00 00"));
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 1)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("wevibe-8bit") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
