//! Amorelie Joy (`amorelie-joy`): `[03]` once at connect, then `[01, 01 (steady pattern), v]`
//! on `tx` for the single vibrator.

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

pub struct AmorelieJoy;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(AmorelieJoy)
}

#[async_trait]
impl ProtocolHandler for AmorelieJoy {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Tx, &[0x03], false).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x01, 0x01, v.value.clamp(0, 255) as u8],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, only_write, sim_io, write_op,
    };

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut p = AmorelieJoy;
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
        AmorelieJoy.initialize(&mut io, &def).await.unwrap();
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
