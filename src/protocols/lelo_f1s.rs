//! Lelo F1s (`lelo-f1s`): subscribe `rx` at connect (button presses, ignored); both motors in
//! one packet `[01 v0 v1]` on `tx`. The same packets (with response) serve `lelo-f1sv2`.

use async_trait::async_trait;

use super::shared::packets::Packets;
use super::shared::values::byte;
use super::shared::whole_device::WholeDevice;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

/// The two-motor packets `[01 v0 v1]`, shared with `lelo-f1sv2` (which writes them with
/// response).
pub(super) fn f1s_motors() -> Packets<WholeDevice<2>> {
    WholeDevice::new(&[OutputType::Vibrate], |steps: &[i32; 2]| {
        let [v0, v1] = steps.map(byte);
        [0x01, v0, v1]
    })
}

pub struct LeloF1s {
    motors: Packets<WholeDevice<2>>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LeloF1s {
        motors: f1s_motors(),
    })
}

#[async_trait]
impl ProtocolHandler for LeloF1s {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        // The toy takes commands only after its power button is pressed once; the reference
        // does not wait for that, nor do we.
        io.subscribe(Endpoint::Rx).await
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        self.motors.encode_output(feature, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[tokio::test]
    async fn subscribe_then_shared_packets() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ]);
        let mut h = LeloF1s {
            motors: f1s_motors(),
        };
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("F1s", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        h.initialize(&mut io, &def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![1, 0x32, 0], false)]
        );
        let m = message(
            &mut h,
            &[
                (&def.features[0], cmd(Vibrate, 75)),
                (&def.features[1], cmd(Vibrate, 50)),
            ],
        );
        assert_eq!(data(&m), vec![vec![1, 0x4B, 0x32]]);
        assert_eq!(data(&stop(&mut h, &def.features)), vec![vec![1, 0, 0]]);
    }
}
