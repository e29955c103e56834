//! TryFun Black Hole (`tryfun-blackhole`): `[n, 02, 00, 03, cmd, s, C]` on `tx` without
//! response, `n` an 8-bit packet counter shared by all outputs, `cmd` 0x0C oscillate / 0x09
//! vibrate, `C` the TryFun checksum of the bytes after the counter.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::per_feature::PerFeature;
use super::shared::tryfun::CountedPackets;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler(0))
}

/// The handler, its packet counter at `counter`.
fn handler(counter: u8) -> Packets<PerFeature> {
    let mut packets = CountedPackets::new(counter, 6);
    PerFeature::new(move |_, command| {
        let (cmd, v) = match command {
            OutputCommand::Oscillate(v) => (0x0C, v.value),
            OutputCommand::Vibrate(v) => (0x09, v.value),
            _ => return None,
        };
        Some(packets.next(&[0x02, 0x00, 0x03, cmd, v as u8]))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[test]
    fn sheet_sequence_with_counter() {
        let osc = feature(0, &[(Oscillate, 0, 100)]);
        let vib = feature(1, &[(Vibrate, 0, 100)]);
        let mut p = create();
        let w = writes(&p.encode_output(&osc, cmd(Oscillate, 100)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("00 02 00 03 0C 64 90"), false)]);
        let mut next = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(next(&vib, cmd(Vibrate, 100)), hex("01 02 00 03 09 64 93"));
        assert_eq!(next(&osc, cmd(Oscillate, 50)), hex("02 02 00 03 0C 32 C2"));
        assert_eq!(next(&vib, cmd(Vibrate, 50)), hex("03 02 00 03 09 32 C5"));
        assert_eq!(next(&osc, cmd(Oscillate, 0)), hex("04 02 00 03 0C 00 F4"));
        assert_eq!(next(&vib, cmd(Vibrate, 0)), hex("05 02 00 03 09 00 F7"));
        assert!(p.encode_output(&osc, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn counter_wraps() {
        let vib = feature(0, &[(Vibrate, 0, 50)]);
        let mut p = handler(0xFF);
        let out = p.encode_output(&vib, cmd(Vibrate, 1)).unwrap();
        assert_eq!(only_write(&out), hex("FF 02 00 03 09 01 F6"));
        let out = p.encode_output(&vib, cmd(Vibrate, 1)).unwrap();
        assert_eq!(only_write(&out)[0], 0x00);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("tryfun-blackhole") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
