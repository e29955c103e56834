//! MysteryVibe (`mysteryvibe`): up to six motors. A mode write on `txmode` at connect, then every
//! packet on `txvibrate` carries all motor speeds (one byte each), repeated every 93 ms of
//! idleness because the device expects a continuous stream. `mysteryvibe-v2` differs only in
//! the mode packet.

use std::time::Duration;

use async_trait::async_trait;

use super::shared::values::OutputState;
use super::{
    DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const KEEPALIVE: Duration = Duration::from_millis(93);
/// The mode packet of the first generation.
pub const MODE_V1: [u8; 3] = [0x43, 0x02, 0x00];
/// The mode packet of the second generation (`mysteryvibe-v2`).
pub const MODE_V2: [u8; 3] = [0x03, 0x02, 0x40];

pub struct MysteryVibe {
    mode: [u8; 3],
    motors: OutputState,
}

impl MysteryVibe {
    pub fn new(mode: [u8; 3]) -> MysteryVibe {
        MysteryVibe {
            mode,
            motors: OutputState::default(),
        }
    }
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MysteryVibe::new(MODE_V1))
}

#[async_trait]
impl ProtocolHandler for MysteryVibe {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::TxMode, &self.mode, true).await?;
        self.motors = OutputState::from_definition(definition);
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
        if !self.motors.set(feature.index, v.value) {
            return Err(unsupported_output(&command));
        }
        Ok(vec![HardwareCommand::device_write(
            Endpoint::TxVibrate,
            self.motors.bytes(),
            false,
        )])
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::RepeatLast(KEEPALIVE)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        definition, drain, feature, message, sim_io, stop, write_op, writes,
    };
    use crate::wire::OutputType::Vibrate;

    fn vib(b: &[u8]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::TxVibrate, b.to_vec(), false)
    }

    #[tokio::test]
    async fn crescendo() {
        let motors: Vec<FeatureDefinition> =
            (0..6).map(|i| feature(i, &[(Vibrate, 0, 56)])).collect();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("MV Crescendo", "a"),
            &[Endpoint::TxMode, Endpoint::TxVibrate],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(motors.clone()))
            .await
            .unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![write_op(Endpoint::TxMode, &[0x43, 0x02, 0x00], true)]
        );
        assert!(h.stop_on_connect());
        assert_eq!(
            h.keepalive(),
            Keepalive::RepeatLast(Duration::from_millis(93))
        );
        assert_eq!(writes(&stop(h.as_mut(), &motors)), vec![vib(&[0; 6])]);
        let both = writes(&message(
            h.as_mut(),
            &[
                (&motors[0], OutputCommand::new(Vibrate, 28, 0)),
                (&motors[5], OutputCommand::new(Vibrate, 56, 0)),
            ],
        ));
        assert_eq!(both, vec![vib(&[0x1C, 0, 0, 0, 0, 0x38])]);
        assert_eq!(writes(&stop(h.as_mut(), &motors)), vec![vib(&[0; 6])]);
    }
}
