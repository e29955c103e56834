//! Fleshy Thrust (`fleshy-thrust`, Fleshy Thrust Sync): a stroker moved by 3-byte packets
//! `[position 0–180, duration ms (16-bit big-endian)]` on `tx`. Position outputs have no stop.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::new(packet))
}

/// The move packet.
fn packet(_index: u32, command: OutputCommand) -> Option<[u8; 3]> {
    let OutputCommand::HwPositionWithDuration(p) = command else {
        return None;
    };
    // Choice: the database allows durations up to 100 000 ms but the packet holds 16 bits.
    // The reference keeps the low 16 bits (70 000 ms becomes 4 464 ms, a much faster move
    // than asked); we send the longest duration the device can express instead.
    let duration = u16::try_from(p.duration).unwrap_or(u16::MAX);
    let [hi, lo] = duration.to_be_bytes();
    Some([p.value.clamp(0, 255) as u8, hi, lo])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{cmd, feature, hex, position, writes};
    use crate::wire::OutputType::{HwPositionWithDuration, Vibrate};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 180)]);
        let mut p = create();
        let mut enc = |v, d| writes(&p.encode_output(&f, position(v, d)).unwrap());
        assert_eq!(enc(54, 1000), vec![(Endpoint::Tx, hex("36 03 E8"), false)]);
        assert_eq!(enc(180, 300)[0].1, hex("B4 01 2C"));
        assert_eq!(enc(0, 65535)[0].1, hex("00 FF FF"));
        // Longer than 16 bits: clamped, not wrapped to 0x1170.
        assert_eq!(enc(90, 70_000)[0].1, hex("5A FF FF"));
        assert!(p.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("fleshy-thrust") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
