//! Kiiroo V2 (`kiiroo-v2`): Fleshlight Launch / Onyx 2. `[00]` to `firmware` (with response)
//! enters command mode; moves are `[pos, speed]` on `tx` with the Launch speed formula.

use async_trait::async_trait;

use super::shared::fleshlight::LaunchSpeed;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct KiirooV2 {
    speed: LaunchSpeed,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KiirooV2::default())
}

#[async_trait]
impl ProtocolHandler for KiirooV2 {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Firmware, &[0x00], true).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::HwPositionWithDuration(p) = command else {
            return Err(unsupported_output(&command));
        };
        let position = p.value.clamp(0, 99);
        let speed = self.speed.next(position, p.duration);
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [position as u8, speed],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::HwPositionWithDuration;

    #[tokio::test]
    async fn launch() {
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 99)])]);
        let mut h = KiirooV2::default();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("Launch", "a"),
            &[Endpoint::Tx, Endpoint::Firmware],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::Firmware, &[0], true)]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], position(99, 500))),
            vec![(Endpoint::Tx, vec![0x63, 0x28], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], position(0, 1000))),
            vec![vec![0x00, 0x13]]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], position(50, 200))),
            vec![vec![0x32, 0x33]]
        );
        let mut h = KiirooV2::default();
        assert_eq!(
            data(&encode(&mut h, &def.features[0], position(99, 100))),
            vec![vec![0x63, 0xDB]]
        );
        assert!(stop(&mut h, &def.features).is_empty());
    }
}
