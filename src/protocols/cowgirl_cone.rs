//! The Cowgirl Cone (`cowgirl-cone`): `[AA 56 00 00]` at connect followed by a 3 s pause the
//! device needs, then `[F1, 01, v, 00]` on `tx` for the vibrator.

use std::time::Duration;

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// The device ignores commands until this long after the init packet.
const INIT_PAUSE: Duration = Duration::from_secs(3);

pub struct CowgirlCone;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(CowgirlCone)
}

#[async_trait]
impl ProtocolHandler for CowgirlCone {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Tx, &[0xAA, 0x56, 0x00, 0x00], false)
            .await?;
        tokio::time::sleep(INIT_PAUSE).await;
        Ok(())
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
            [0xF1, 0x01, v.value.clamp(0, 255) as u8, 0x00],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, only_write, sim_io, write_op,
    };
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn sheet_examples() {
        // The current 0–128 range (the vector's speed bytes predate it).
        let f = feature(0, &[(Vibrate, 0, 128)]);
        let mut p = CowgirlCone;
        let mut enc = |v| only_write(&p.encode_output(&f, cmd(Vibrate, v)).unwrap());
        assert_eq!(enc(64), [0xF1, 0x01, 0x40, 0x00]);
        assert_eq!(enc(128), [0xF1, 0x01, 0x80, 0x00]);
        assert_eq!(enc(0), [0xF1, 0x01, 0x00, 0x00]);
    }

    #[tokio::test(start_paused = true)]
    async fn initialize_writes_then_pauses_three_seconds() {
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("CG-CONE", "a"), &[Endpoint::Tx]).await;
        let def = definition(vec![feature(0, &[(Vibrate, 0, 128)])]);
        let start = tokio::time::Instant::now();
        CowgirlCone.initialize(&mut io, &def).await.unwrap();
        assert!(start.elapsed() >= INIT_PAUSE);
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Tx, &[0xAA, 0x56, 0x00, 0x00], false)]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("cowgirl-cone") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
