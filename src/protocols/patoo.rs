//! Patoo (`patoo`): one or two vibrators of which the device runs one at a time. Each command
//! writes the running motor's speed to `tx`, then a mode byte to `txmode` (04 = main motor,
//! 80 = second motor, 00 = off), both with response. The model is the advertised name up to its
//! first digit (`PBT01` → `PBT`).

use async_trait::async_trait;

use super::shared::values::{OutputState, byte};
use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Identification, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// Coalescing identities: a newer speed write supersedes an older one, and likewise for mode
/// writes, so a coalesced message still writes speed then mode, once each.
const KEY_SPEED: u8 = 0;
const KEY_MODE: u8 = 1;

pub struct Patoo {
    motors: OutputState,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Patoo {
        motors: OutputState::with_features(2),
    })
}

/// The model prefix: the name cut at its first ASCII digit.
fn model(name: &str) -> &str {
    name.find(|c: char| c.is_ascii_digit())
        .map_or(name, |i| &name[..i])
}

#[async_trait]
impl ProtocolHandler for Patoo {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification::identifier(model(&io.advertisement().name)))
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
        // Motor 0 wins while it runs.
        let (speed, mode) = match (self.motors.get(0), self.motors.get(1)) {
            (0, 0) => (0, 0x00),
            (0, s) => (s, 0x80),
            (s, _) => (s, 0x04),
        };
        Ok(vec![
            HardwareCommand::write(
                Endpoint::Tx,
                [byte(speed)],
                true,
                CoalesceKey::custom(KEY_SPEED),
            ),
            HardwareCommand::write(
                Endpoint::TxMode,
                [mode],
                true,
                CoalesceKey::custom(KEY_MODE),
            ),
        ])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        cmd, drain, encode, feature, message, sim_io, stop, writes,
    };
    use crate::wire::OutputType::Vibrate;

    fn pair(speed: u8, mode: u8) -> Vec<(Endpoint, Vec<u8>, bool)> {
        vec![
            (Endpoint::Tx, vec![speed], true),
            (Endpoint::TxMode, vec![mode], true),
        ]
    }

    #[test]
    fn model_prefix() {
        assert_eq!(model("PTVEA3"), "PTVEA");
        assert_eq!(model("PBT01"), "PBT");
        assert_eq!(model("PCS"), "PCS");
        assert_eq!(model("7PHT"), "");
    }

    #[tokio::test]
    async fn identifies_by_prefix() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("PBT123", "a"),
            &[Endpoint::Tx, Endpoint::TxMode],
        )
        .await;
        let id = create().identify(&mut io).await.unwrap();
        assert_eq!(id, Identification::identifier("PBT"));
        assert!(drain(&mut ops).is_empty());
    }

    #[test]
    fn single_motor() {
        let f = feature(0, &[(Vibrate, 0, 100)]);
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &f, cmd(Vibrate, 50))),
            pair(0x32, 0x04)
        );
        assert_eq!(writes(&stop(h.as_mut(), [&f])), pair(0x00, 0x00));
    }

    #[test]
    fn devil_runs_one_motor_at_a_time() {
        let (m0, m1) = (
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
        );
        let mut h = create();
        assert_eq!(
            writes(&encode(h.as_mut(), &m1, cmd(Vibrate, 75))),
            pair(0x4B, 0x80)
        );
        assert_eq!(
            writes(&encode(h.as_mut(), &m0, cmd(Vibrate, 20))),
            pair(0x14, 0x04)
        );
        // One message changing both: one speed write then one mode write.
        let both = writes(&message(
            h.as_mut(),
            &[
                (&m0, OutputCommand::new(Vibrate, 0, 0)),
                (&m1, OutputCommand::new(Vibrate, 60, 0)),
            ],
        ));
        assert_eq!(both, pair(0x3C, 0x80));
        assert_eq!(writes(&stop(h.as_mut(), [&m0, &m1])), pair(0x00, 0x00));
    }
}
