//! Mu Se / Love Spouse (`muse`): one vibrator (0–9). `[v, 01]` on `tx` runs the motor at speed
//! `v` for about one second, `[00, 00]` stops it, so the last packet is repeated every 500 ms.
//! No reference implementation; documented protocol (protocols/muse.md).

use std::time::Duration;

use super::shared::values::byte;
use super::{HardwareCommand, Keepalive, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

/// Well inside the device's ~1 s hold time.
const KEEPALIVE: Duration = Duration::from_millis(500);

pub struct Muse;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Muse)
}

impl ProtocolHandler for Muse {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        // `[v, 00]` would select built-in pattern `v`: a speed always has a non-zero second byte.
        let packet = match byte(v.value) {
            0 => [0x00, 0x00],
            s => [s, 0x01],
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
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
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{cmd, encode, feature, next_op, serve, stop, writes};

    fn tx(b: [u8; 2]) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, b.to_vec(), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 9)]);
        let mut h = Muse;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 5))),
            vec![tx([0x05, 0x01])]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 9))),
            vec![tx([0x09, 0x01])]
        );
        assert_eq!(writes(&stop(&mut h, [&f])), vec![tx([0x00, 0x00])]);
        assert_eq!(
            h.keepalive(),
            Keepalive::RepeatLast(Duration::from_millis(500))
        );
    }

    #[tokio::test]
    async fn connect_stops_and_keeps_alive() {
        let mut s = serve("WB-TDD", &[]).await;
        assert_eq!(s.chosen, ("muse".into(), "Galaku Panty Vib".into()));
        let off = crate::protocols::shared::testing::write_op(Endpoint::Tx, &[0, 0], false);
        assert_eq!(next_op(&mut s.ops).await, Some(off.clone()));
        assert_eq!(next_op(&mut s.ops).await, Some(off));
    }
}
