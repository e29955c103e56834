//! Libo Vibes (`libo-vibes`): the main motor is `[v]` on `tx` (plus `[00]` on `txmode` when it
//! stops); a second motor/mode channel is `[v]` on `txmode`. See docs/protocols/libo-vibes.md.
//!
//! Stops: buttplug_server 12 coalesces a stop's packets so that only `[00]` on `txmode` is
//! written and the main motor's `[00]` on `tx` is dropped. Teleplug writes every stop.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct LiboVibes;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(LiboVibes)
}

impl ProtocolHandler for LiboVibes {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let v = v.value.clamp(0, 255) as u8;
        let w = |e: Endpoint, b: u8| HardwareCommand::feature_write(feature.index, e, [b], false);
        // Choice: the reference gives every write one coalescing identity, so a later `txmode`
        // write can swallow the `tx` stop byte. The writes go to different endpoints and both
        // are needed: each is keyed by its own feature.
        Ok(match (feature.index, v) {
            (0, 0) => vec![w(Endpoint::Tx, 0), w(Endpoint::TxMode, 0)],
            (0, v) => vec![w(Endpoint::Tx, v)],
            (_, v) => vec![w(Endpoint::TxMode, v)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn main_motor_and_mode_channel() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 3)]),
        ]);
        let mut h = LiboVibes;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![0x32], false)]
        );
        assert_eq!(
            writes(&encode(&mut h, &def.features[1], cmd(Vibrate, 2))),
            vec![(Endpoint::TxMode, vec![0x02], false)]
        );
        // Every stop byte is written, on both endpoints.
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false),
                (Endpoint::TxMode, vec![0], false)
            ]
        );
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![
                (Endpoint::Tx, vec![0], false),
                (Endpoint::TxMode, vec![0], false)
            ]
        );
    }

    /// Through the server's device task (BLE message gap, the stop landing while the gap after
    /// a command runs): the main motor's `[00]` on `tx` is written, which buttplug_server 12
    /// drops.
    #[tokio::test(start_paused = true)]
    async fn a_stop_writes_a_zero_for_every_motor() {
        use crate::hardware::simulated::SimulatedDeviceSpec;
        use std::time::Duration;
        let endpoints = [Endpoint::Tx, Endpoint::TxMode];
        let gap = Duration::from_millis(75);
        let one = definition(vec![feature(0, &[(Vibrate, 0, 100)])]);
        let spec = SimulatedDeviceSpec::new("Libo", "a");
        let mut d = served(create(), one, spec, &endpoints, gap).await;
        d.message(&[(0, cmd(Vibrate, 50))]).await;
        assert_eq!(
            written(&d.stop().await),
            vec![(Endpoint::Tx, vec![0]), (Endpoint::TxMode, vec![0])]
        );
        let two = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 3)]),
        ]);
        let spec = SimulatedDeviceSpec::new("LaLa", "b");
        let mut d = served(create(), two, spec, &endpoints, gap).await;
        d.message(&[(0, cmd(Vibrate, 50)), (1, cmd(Vibrate, 2))])
            .await;
        assert_eq!(
            written(&d.stop().await),
            vec![
                (Endpoint::Tx, vec![0]),
                (Endpoint::TxMode, vec![0]),
                (Endpoint::TxMode, vec![0])
            ]
        );
    }
}
