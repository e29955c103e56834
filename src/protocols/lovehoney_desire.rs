//! Lovehoney Desire (`lovehoney-desire`): `[F3 motor v]` on `tx` with response. One-motor toys
//! use motor 0 ("all"); two-motor toys send `[F3 00 v]` when both motors match, else motor 1
//! then motor 2, each packet carrying the current value.

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct LovehoneyDesire {
    two_motors: bool,
    speeds: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LovehoneyDesire::default())
}

fn write(motor: u8, v: u8, key: CoalesceKey) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, [0xF3, motor, v], true, key)
}

#[async_trait]
impl ProtocolHandler for LovehoneyDesire {
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        self.two_motors = def
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .count()
            >= 2;
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
        let v = v.value.clamp(0, 255) as u8;
        if !self.two_motors {
            return Ok(vec![write(0x00, v, CoalesceKey::feature(feature.index))]);
        }
        let Some(slot) = self.speeds.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *slot = v;
        let (m1, m2) = (CoalesceKey::feature(0), CoalesceKey::feature(1));
        Ok(match self.speeds {
            [v0, v1] if v0 == v1 => vec![write(0x00, v0, CoalesceKey(m1.0 | m2.0))],
            [v0, v1] => vec![write(0x01, v0, m1), write(0x02, v1, m2)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    async fn connected(def: &DeviceDefinition) -> LovehoneyDesire {
        let mut h = LovehoneyDesire::default();
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("LOVE EGG", "a"), &[Endpoint::Tx]).await;
        h.initialize(&mut io, def).await.unwrap();
        assert!(drain(&mut ops).is_empty());
        h
    }

    #[tokio::test]
    async fn love_egg() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 127)])]);
        let mut h = connected(&def).await;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 64))),
            vec![(Endpoint::Tx, vec![0xF3, 0, 0x40], true)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 13))),
            vec![vec![0xF3, 0, 0x0D]]
        );
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![0xF3, 0, 0]]);
    }

    #[tokio::test]
    async fn prostate_vibe() {
        let v = |i| feature(i, &[(Vibrate, 0, 127)]);
        let def = definition(vec![v(0), v(1)]);
        let mut h = connected(&def).await;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 64))),
            vec![
                (Endpoint::Tx, vec![0xF3, 1, 0x40], true),
                (Endpoint::Tx, vec![0xF3, 2, 0], true)
            ]
        );
        let m = message(
            &mut h,
            &[
                (&def.features[0], cmd(Vibrate, 13)),
                (&def.features[1], cmd(Vibrate, 64)),
            ],
        );
        assert_eq!(data(&m), vec![vec![0xF3, 1, 0x0D], vec![0xF3, 2, 0x40]]);
        let m = message(
            &mut h,
            &[
                (&def.features[0], cmd(Vibrate, 30)),
                (&def.features[1], cmd(Vibrate, 30)),
            ],
        );
        assert_eq!(data(&m), vec![vec![0xF3, 0, 0x1E]]);
        message(
            &mut h,
            &[
                (&def.features[0], cmd(Vibrate, 30)),
                (&def.features[1], cmd(Vibrate, 10)),
            ],
        );
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![0xF3, 0, 0]]);
    }
}
