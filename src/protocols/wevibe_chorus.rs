//! WeVibe Chorus (`wevibe-chorus`): 8-byte packets on `tx` with response carrying both motors'
//! speeds (internal first, no offset) and a status byte of running motors.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::whole_device::WholeDevice;
use super::wevibe::{family, status};

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<WholeDevice<2>> {
    family(255, |int, ext| {
        [0x0F, 0x03, 0x00, int, ext, status(int, ext), 0x00, 0x00]
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
    fn two_motors_and_stop() {
        let f0 = feature(0, &[(Vibrate, 0, 30)]);
        let f1 = feature(1, &[(Vibrate, 0, 30)]);
        let mut p = handler();
        p.setup(&definition(vec![f0.clone(), f1.clone()]));
        p.encode_output(&f0, cmd(Vibrate, 15)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 8)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        let w = writes(&out);
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("0F 03 00 0F 08 03 00 00"), true)]
        );
        p.encode_output(&f0, cmd(Vibrate, 23)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 15)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 17 0F 03 00 00"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 00 0F 02 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 00 00 00 00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn single_motor_fills_both_slots() {
        let f = feature(0, &[(Vibrate, 0, 30)]);
        let mut p = handler();
        let out = p.encode_output(&f, cmd(Vibrate, 10)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 0A 0A 03 00 00"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("wevibe-chorus") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
