//! Sexverse v2 (`sexverse-v2`): `[AA 04]` at connect, then `[AA 03 01 motor 64 s]` per feature
//! (motor = feature index + 1, whatever the output type), all to `tx` with response.

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct SexverseV2;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SexverseV2)
}

#[async_trait]
impl ProtocolHandler for SexverseV2 {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Tx, &[0xAA, 0x04], true).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let (OutputCommand::Vibrate(v) | OutputCommand::Oscillate(v)) = command else {
            return Err(unsupported_output(&command));
        };
        let motor = (feature.index as u8).wrapping_add(1);
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0xAA, 0x03, 0x01, motor, 0x64, v.value.clamp(0, 255) as u8],
            true,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::{Oscillate, Rotate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, drain, feature, hex, only_write,
        sim_io, write_op, writes,
    };

    #[tokio::test]
    async fn connect_writes_the_handshake() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("LY272A01", "nolan"),
            &[Endpoint::Tx],
        )
        .await;
        let def = db_resolve("sexverse-v2", Some("LY272A01"));
        SexverseV2.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0xAA, 0x04], true)]
        );
    }

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 20)]);
        let f1 = feature(1, &[(Oscillate, 0, 20)]);
        let mut p = SexverseV2;
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
        let mut p = SexverseV2;
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
