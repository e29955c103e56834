//! Xuanhuan (`xuanhuan`): `[03, 02, 00, s]` on `tx` with response. The toy needs its speed
//! re-sent continuously: while running, the last speed is repeated every 300 ms.

use std::time::Duration;

use tokio::time::Instant;

use super::{
    CoalesceKey, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// How long the toy may go without hearing its speed.
const REFRESH: Duration = Duration::from_millis(300);
/// How often the refresh is checked.
const CHECK: Duration = Duration::from_millis(50);

pub struct Xuanhuan {
    speed: u8,
    /// When the speed was last sent (by a command or a refresh).
    last_sent: Instant,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Xuanhuan {
        speed: 0,
        last_sent: Instant::now(),
    })
}

fn packet(speed: u8) -> [u8; 4] {
    [0x03, 0x02, 0x00, speed]
}

impl ProtocolHandler for Xuanhuan {
    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        self.speed = v.value.clamp(0, 255) as u8;
        self.last_sent = Instant::now();
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            packet(self.speed),
            true,
        )])
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(CHECK)
    }

    fn stop_on_connect(&self) -> bool {
        false
    }

    /// Choice: the reference re-sends on a fixed 300 ms clock whatever else was written, so a
    /// refresh can land right after a command with the same bytes. We re-send 300 ms after the
    /// speed was last sent instead (checked every 50 ms): the toy still hears it at least every
    /// 350 ms, and never twice in a row without a pause. Nothing is sent while stopped.
    fn tick(&mut self) -> Vec<HardwareCommand> {
        if self.speed == 0 || self.last_sent.elapsed() < REFRESH {
            return Vec::new();
        }
        self.last_sent = Instant::now();
        vec![HardwareCommand::write(
            Endpoint::Tx,
            packet(self.speed),
            true,
            CoalesceKey::device(),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn vibrate_and_stop() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut p = create();
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 5)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("03 02 00 05"), true)]);
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Vibrate, 1)).unwrap()),
            hex("03 02 00 01")
        );
        assert_eq!(
            only_write(&p.encode_output(&f, cmd(Vibrate, 0)).unwrap()),
            hex("03 02 00 00")
        );
        assert!(p.encode_output(&f, cmd(Rotate, 1)).is_err());
        assert_eq!(p.keepalive(), Keepalive::Tick(CHECK));
        assert!(!p.stop_on_connect());
    }

    #[tokio::test(start_paused = true)]
    async fn refresh_while_running() {
        let f = feature(0, &[(Vibrate, 0, 10)]);
        let mut p = create();
        assert!(
            p.tick().is_empty(),
            "stopped at connect: nothing to refresh"
        );
        p.encode_output(&f, cmd(Vibrate, 5)).unwrap();
        tokio::time::advance(Duration::from_millis(250)).await;
        assert!(p.tick().is_empty(), "sent 250 ms ago");
        tokio::time::advance(Duration::from_millis(50)).await;
        assert_eq!(only_write(&p.tick()), hex("03 02 00 05"));
        tokio::time::advance(Duration::from_millis(50)).await;
        assert!(p.tick().is_empty(), "just refreshed");
        tokio::time::advance(Duration::from_millis(250)).await;
        assert_eq!(only_write(&p.tick()), hex("03 02 00 05"));
        p.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        tokio::time::advance(Duration::from_secs(1)).await;
        assert!(p.tick().is_empty(), "silent when stopped");
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("xuanhuan") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
