//! ServeU (`serveu`): moves `[01 position speed]` to `tx`, where the speed byte encodes units per
//! second from the distance to the previous position and the requested duration.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct ServeU {
    /// The last commanded position (0 at connection).
    last: i32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(ServeU::default())
}

/// The speed byte for a move of `distance` steps over `duration_ms`.
fn speed(distance: i32, duration_ms: u32) -> u8 {
    let t = (f64::from(distance.unsigned_abs()) / (f64::from(duration_ms) / 1000.0)).ceil();
    // 0/0 (no move, no time) is NaN: every comparison fails and it falls through to 250, as
    // does an instant move (infinity).
    if t <= 0.00001 {
        0
    } else if t <= 50.0 {
        (t / 2.0).ceil() as u8
    } else if t <= 750.0 {
        ((t - 50.0) / 4.0).ceil() as u8 + 25
    } else if t <= 2000.0 {
        ((t - 750.0) / 25.0).ceil() as u8 + 200
    } else {
        250
    }
}

impl ProtocolHandler for ServeU {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::HwPositionWithDuration(p) = command else {
            return Err(unsupported_output(&command));
        };
        let position = p.value.clamp(0, 255);
        let speed = speed(position - self.last, p.duration);
        self.last = position;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x01, position as u8, speed],
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, position, writes,
    };
    use crate::wire::OutputType::{HwPositionWithDuration, Vibrate};

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 100)]);
        let mut p = ServeU::default();
        let out = p.encode_output(&f, position(30, 1000)).unwrap();
        assert_eq!(writes(&out), vec![(Endpoint::Tx, hex("01 1E 0F"), false)]);
        let mut w = |v, d| only_write(&p.encode_output(&f, position(v, d)).unwrap());
        assert_eq!(w(80, 200), hex("01 50 4B"));
        assert_eq!(w(100, 10), hex("01 64 FA"));
        assert_eq!(w(0, 500), hex("01 00 3F"));
        assert_eq!(w(0, 500), hex("01 00 00"));
        assert_eq!(w(0, 0), hex("01 00 FA"));
        assert_eq!(w(10, 0), hex("01 0A FA"));
        assert!(p.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[test]
    fn speed_bands() {
        assert_eq!(speed(1, 1000), 1);
        assert_eq!(speed(50, 1000), 25);
        assert_eq!(speed(51, 1000), 26);
        assert_eq!(speed(100, 100), 210);
        assert_eq!(speed(-100, 200), 138);
        assert_eq!(speed(100, 100_000), 1);
        assert_eq!(speed(100, 10), 250);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("serveu") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
