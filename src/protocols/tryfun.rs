//! TryFun (`tryfun`): Yuan series (oscillate + rotate, `[AA, 02, 07|08, s, C]`) and Surge Pro
//! (vibrate, 9-byte packets). Every write goes to `tx` with response; the output type, not the
//! feature index, selects the packet.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use super::shared::tryfun::tryfun_checksum;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet).with_response())
}

/// The packet of a command; `None` for an output type without one.
fn packet(_index: u32, command: OutputCommand) -> Option<Vec<u8>> {
    match command {
        OutputCommand::Oscillate(v) => Some(yuan(0x07, v.value)),
        OutputCommand::Rotate(v) => Some(yuan(0x08, v.value)),
        OutputCommand::Vibrate(v) => Some(surge(v.value)),
        _ => None,
    }
}

/// `[AA, 02, cmd, value, C]`: the checksum covers the bytes after 0xAA.
fn yuan(cmd: u8, value: i32) -> Vec<u8> {
    let mut p = vec![0xAA, 0x02, cmd, value as u8];
    p.push(tryfun_checksum(&p[1..], 3));
    p
}

/// The Surge Pro packet; off uses other mode bytes.
fn surge(s: i32) -> Vec<u8> {
    if s > 0 {
        let s = s as u8;
        vec![
            0x00,
            0x02,
            0x00,
            0x05,
            0x02,
            s,
            0x01,
            0x00,
            0xFDu8.wrapping_sub(s),
        ]
    } else {
        vec![0x00, 0x02, 0x00, 0x05, 0x01, 0x02, 0x01, 0x01, 0xFC]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

    #[test]
    fn yuan_oscillate_rotate_and_stop() {
        let osc = feature(0, &[(Oscillate, 0, 9)]);
        let rot = feature(1, &[(Rotate, 0, 9)]);
        let w = writes(&create().encode_output(&osc, cmd(Oscillate, 5)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("AA 02 07 05 F4"), true)]);
        let out = create().encode_output(&osc, cmd(Oscillate, 1)).unwrap();
        assert_eq!(only_write(&out), hex("AA 02 07 01 F8"));
        let out = create().encode_output(&rot, cmd(Rotate, 5)).unwrap();
        assert_eq!(only_write(&out), hex("AA 02 08 05 F3"));
        let out = create().encode_output(&osc, cmd(Oscillate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("AA 02 07 00 F9"));
        let out = create().encode_output(&rot, cmd(Rotate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("AA 02 08 00 F8"));
    }

    #[test]
    fn surge_vibrate_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 4)]);
        let w = writes(&create().encode_output(&f, cmd(Vibrate, 2)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("00 02 00 05 02 02 01 00 FB"), true)]
        );
        let out = create().encode_output(&f, cmd(Vibrate, 4)).unwrap();
        assert_eq!(only_write(&out), hex("00 02 00 05 02 04 01 00 F9"));
        let out = create().encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 02 00 05 01 02 01 01 FC"));
        assert!(create().encode_output(&f, cmd(Constrict, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("tryfun") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
