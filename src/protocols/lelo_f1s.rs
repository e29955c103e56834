//! Lelo F1s (`lelo-f1s`): subscribe `rx` at connect (button presses, ignored); both motors in
//! one packet `[01 v0 v1]` on `tx`. The same packets (with response) serve `lelo-f1sv2`.

use async_trait::async_trait;

use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

/// The two-motor packet state, shared with `lelo-f1sv2`.
#[derive(Default)]
pub(super) struct F1sMotors {
    speeds: [u8; 2],
    with_response: bool,
}

impl F1sMotors {
    pub(super) fn new(with_response: bool) -> F1sMotors {
        F1sMotors {
            speeds: [0; 2],
            with_response,
        }
    }

    pub(super) fn encode(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(slot) = self.speeds.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *slot = v.value.clamp(0, 255) as u8;
        let [v0, v1] = self.speeds;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            [0x01, v0, v1],
            self.with_response,
        )])
    }
}

#[derive(Default)]
pub struct LeloF1s {
    motors: F1sMotors,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LeloF1s::default())
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
        self.motors.encode(feature, command)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::*;

    #[tokio::test]
    async fn subscribe_then_shared_packets() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        ]);
        let mut h = LeloF1s::default();
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
