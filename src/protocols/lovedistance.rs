//! Love Distance (`lovedistance`): `[F3 00 00]`, `[F4 01]` at connect; vibrate `[F3 00 v]` on
//! `tx`.

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct LoveDistance;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LoveDistance)
}

#[async_trait]
impl ProtocolHandler for LoveDistance {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Tx, &[0xF3, 0x00, 0x00], false).await?;
        io.write(Endpoint::Tx, &[0xF4, 0x01], false).await
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
            [0xF3, 0x00, v.value.clamp(0, 255) as u8],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::*;

    #[tokio::test]
    async fn connect_vibrate_stop() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 121)])]);
        let mut h = LoveDistance;
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("REACH", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &[0xF3, 0, 0], false),
                write_op(Endpoint::Tx, &[0xF4, 1], false)
            ]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 61))),
            vec![(Endpoint::Tx, vec![0xF3, 0, 0x3D], false)]
        );
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![0xF3, 0, 0]]);
    }
}
