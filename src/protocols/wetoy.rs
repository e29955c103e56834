//! WeToy (`wetoy`): `[B2, s - 1]` on `tx` with response, `[80, 03]` for off (also written once
//! at connect).

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

const OFF: [u8; 2] = [0x80, 0x03];

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| packet(v))
            .with_response()
            .on_connect(OFF, true),
    )
}

/// The device's levels are 0-2 for steps 1-3.
fn packet(s: i32) -> [u8; 2] {
    if s > 0 {
        [0xB2, (s - 1).clamp(0, 255) as u8]
    } else {
        OFF
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, definition, drain, feature, hex, only_write,
        sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn vibrate_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 3)]);
        let w = writes(&create().encode_output(&f, cmd(Vibrate, 2)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("B2 01"), true)]);
        assert_eq!(
            only_write(&create().encode_output(&f, cmd(Vibrate, 3)).unwrap()),
            hex("B2 02")
        );
        assert_eq!(
            only_write(&create().encode_output(&f, cmd(Vibrate, 1)).unwrap()),
            hex("B2 00")
        );
        assert_eq!(
            only_write(&create().encode_output(&f, cmd(Vibrate, 0)).unwrap()),
            hex("80 03")
        );
        assert!(create().encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[tokio::test]
    async fn initialize_writes_off() {
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("create()", "a"), &[Endpoint::Tx]).await;
        let def = definition(vec![feature(0, &[(Vibrate, 0, 3)])]);
        create().initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &hex("80 03"), true)]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("wetoy") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
