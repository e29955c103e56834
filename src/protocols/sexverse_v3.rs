//! Sexverse v3 (`sexverse-v3`): `[A1 04 s motor]` per feature (motor = feature index + 1) to `tx`
//! with response; the device stops unless the last packet is repeated every 100 ms.

use std::time::Duration;

use super::shared::per_feature::PerFeature;
use super::{Keepalive, ProtocolHandler};
use crate::wire::OutputCommand;

const KEEPALIVE: Duration = Duration::from_millis(100);

pub fn create() -> Box<dyn ProtocolHandler> {
    // Only the single most recent packet is repeated, as the reference does.
    Box::new(
        PerFeature::new(packet)
            .with_response()
            .with_keepalive(Keepalive::RepeatLast(KEEPALIVE)),
    )
}

/// The packet of a command on feature `index`; `None` for an output type without one.
fn packet(index: u32, command: OutputCommand) -> Option<[u8; 4]> {
    // Choice: the reference has no Oscillate encoding, so the Zeus (TA-S001A, feature 1
    // Oscillate) fails its connect-time stop and cannot connect at all. We encode Oscillate
    // like Vibrate, addressed by motor number, so the Zeus connects and strokes.
    // (Unverified on hardware.)
    let (OutputCommand::Vibrate(v) | OutputCommand::Rotate(v) | OutputCommand::Oscillate(v)) =
        command
    else {
        return None;
    };
    let motor = (index as u8).wrapping_add(1);
    Some([0xA1, 0x04, v.value.clamp(0, 255) as u8, motor])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Constrict, Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 20)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, hex("A1 04 00 01"), true)]);
        let mut w = |v| only_write(&p.encode_output(&f0, cmd(Vibrate, v)).unwrap());
        assert_eq!(w(10), hex("A1 04 0A 01"));
        assert_eq!(w(20), hex("A1 04 14 01"));
        assert!(p.encode_output(&f0, cmd(Constrict, 1)).is_err());
        assert_eq!(
            p.keepalive(),
            Keepalive::RepeatLast(Duration::from_millis(100))
        );
        assert!(p.stop_on_connect());
    }

    #[test]
    fn zeus_oscillates_on_motor_2() {
        let def = db_resolve("sexverse-v3", Some("TA-S001A"));
        let mut p = create();
        let out = p
            .encode_output(&def.features[1], cmd(Oscillate, 7))
            .unwrap();
        assert_eq!(only_write(&out), hex("A1 04 07 02"));
        let out = p
            .encode_output(&def.features[1], cmd(Oscillate, 0))
            .unwrap();
        assert_eq!(only_write(&out), hex("A1 04 00 02"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-v3") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
