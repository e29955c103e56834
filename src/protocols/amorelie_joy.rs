//! Amorelie Joy (`amorelie-joy`): `[03]` once at connect, then `[01, 01 (steady pattern), v]`
//! on `tx` for the single vibrator.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(
        PerFeature::of(OutputType::Vibrate, |_, v| {
            [0x01, 0x01, v.clamp(0, 255) as u8]
        })
        .on_connect([0x03], false),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, only_write, sim_io, write_op,
    };
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut p = create();
        let mut enc = |v| only_write(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(enc(50), [0x01, 0x01, 0x32]);
        assert_eq!(enc(100), [0x01, 0x01, 0x64]);
        assert_eq!(enc(0), [0x01, 0x01, 0x00]);
    }

    #[tokio::test]
    async fn initialize_writes_03() {
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("4D01", "a"), &[Endpoint::Tx]).await;
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        create().initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0x03], false)]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("amorelie-joy") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
