//! Sexverse v2 (`sexverse-v2`): `[AA 04]` at connect, then `[AA 03 01 motor 64 s]` per feature
//! (motor = feature index + 1, whatever the output type), all to `tx` with response.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputCommand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::new(packet)
            .with_response()
            .on_connect([0xAA, 0x04], true),
    )
}

/// The packet of a vibrate or oscillate command on feature `index`.
fn packet(index: u32, command: OutputCommand) -> Option<[u8; 6]> {
    let (OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) = command else {
        return None;
    };
    let motor = (index as u8).wrapping_add(1);
    Some([0xAA, 0x03, 0x01, motor, 0x64, v.value.clamp(0, 255) as u8])
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, feature, hex, only_write,
        sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{Oscillate, Rotate, Vibrate};

    #[tokio::test]
    async fn connect_writes_the_handshake() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("LY272A01", "nolan"),
            &[Endpoint::Tx],
        )
        .await;
        let def = db_resolve("sexverse-v2", Some("LY272A01"));
        create().initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0xAA, 0x04], true)]
        );
    }

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 20)]);
        let f1 = feature(1, &[(Oscillate, 0, 20)]);
        let mut p = create();
        let out = p.encode_output(&f0, cmd(Vibrate, 10)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("AA 03 01 01 64 0A"), true)]
        );
        let mut w = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(w(&f0, cmd(Vibrate, 15)), hex("AA 03 01 01 64 0F"));
        assert_eq!(w(&f1, cmd(Oscillate, 10)), hex("AA 03 01 02 64 0A"));
        assert_eq!(w(&f0, cmd(Vibrate, 0)), hex("AA 03 01 01 64 00"));
        assert_eq!(w(&f1, cmd(Oscillate, 0)), hex("AA 03 01 02 64 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn saphette_motors_stay_distinct() {
        let def = db_resolve("sexverse-v2", Some("NBQ-B619RX"));
        let mut p = create();
        let out = p.encode_output(&def.features[2], cmd(Vibrate, 5)).unwrap();
        assert_eq!(only_write(&out), hex("AA 03 01 03 64 05"));
        let out = p
            .encode_output(&def.features[0], cmd(Oscillate, 5))
            .unwrap();
        assert_eq!(only_write(&out), hex("AA 03 01 01 64 05"));
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("sexverse-v2") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
