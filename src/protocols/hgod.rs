//! Hgod (`hgod`): the device vibrates only ~100 ms per packet, so a protocol-owned loop re-sends
//! `[55 04 00 00 00 s]` every 100 ms while the speed is non-zero. Commands only store the speed;
//! stop = speed 0 = the loop stops writing (no stop packet exists).

use std::time::Duration;

use super::{
    CoalesceKey, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const PERIOD: Duration = Duration::from_millis(100);

#[derive(Default)]
pub struct Hgod {
    speed: u8,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Hgod::default())
}

impl ProtocolHandler for Hgod {
    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        self.speed = v.value.clamp(0, 255) as u8;
        Ok(Vec::new())
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(PERIOD)
    }

    fn tick(&mut self) -> Vec<HardwareCommand> {
        if self.speed == 0 {
            return Vec::new();
        }
        vec![HardwareCommand::write(
            Endpoint::Tx,
            [0x55, 0x04, 0x00, 0x00, 0x00, self.speed],
            false,
            CoalesceKey(0),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::Vibrate;

    #[test]
    fn refresh_loop_carries_the_speed() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 10)])]);
        let mut h = Hgod::default();
        assert!(h.tick().is_empty());
        assert!(encode(&mut h, &def.features[0], cmd(Vibrate, 5)).is_empty());
        assert_eq!(data(&h.tick()), vec![vec![0x55, 4, 0, 0, 0, 5]]);
        assert_eq!(data(&h.tick()), vec![vec![0x55, 4, 0, 0, 0, 5]]);
        encode(&mut h, &def.features[0], cmd(Vibrate, 10));
        assert_eq!(
            writes(&h.tick()),
            vec![(Endpoint::Tx, vec![0x55, 4, 0, 0, 0, 0x0A], false)]
        );
        // Stop: nothing is written, now or later.
        assert!(stop(&mut h, &def.features).is_empty());
        assert!(h.tick().is_empty());
        assert!(!h.stop_on_connect());
        assert_eq!(h.keepalive(), Keepalive::Tick(PERIOD));
    }
}
