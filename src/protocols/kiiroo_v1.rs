//! Kiiroo V1 (`kiiroo-v1`): first-generation Pearl (vibrator) and Onyx (stroker rings) over a
//! BLE UART service; every command is ASCII `"N,\n"` with N = 0–4 on `tx`. No reference handler:
//! built from docs/protocols/kiiroo-v1.md. The Onyx jumps to a ring position at once, so a move
//! "to v within D ms" is emulated by a 50 ms position loop (500 ms idle repeats).

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{OutputCommand, OutputType};

const FAST: Duration = Duration::from_millis(50);
const IDLE_REPEAT: Duration = Duration::from_millis(500);
const TOP: f64 = 4.0;

/// `"n,\n"`.
fn text(n: u8) -> Vec<u8> {
    vec![b'0' + n.min(4), b',', b'\n']
}

/// The Onyx's emulated ring position.
struct Onyx {
    /// Current device position (0–4, real-valued).
    current: f64,
    start: f64,
    target: f64,
    started: Instant,
    duration: Duration,
    moving: bool,
    last_written: u8,
    last_write: Instant,
}

impl Onyx {
    fn new(now: Instant) -> Onyx {
        Onyx {
            current: 0.0,
            start: 0.0,
            target: 0.0,
            started: now,
            duration: Duration::ZERO,
            moving: false,
            last_written: 0,
            last_write: now,
        }
    }

    /// A new move to Buttplug position `v` (0–4) over `duration`; the device is inverted.
    fn command(&mut self, v: i32, duration: Duration, now: Instant) {
        self.start = self.current;
        self.target = TOP - f64::from(v.clamp(0, 4));
        self.started = now;
        self.duration = duration;
        self.moving = true;
    }

    /// The position to write now, if any.
    fn step(&mut self, now: Instant) -> Option<u8> {
        if self.moving {
            let elapsed = now.saturating_duration_since(self.started);
            let fraction = if self.duration.is_zero() {
                1.0
            } else {
                (elapsed.as_secs_f64() / self.duration.as_secs_f64()).min(1.0)
            };
            self.current = self.start + (self.target - self.start) * fraction;
            if fraction >= 1.0 || (self.target - self.current).round_ties_even() == 0.0 {
                self.current = self.target;
                self.moving = false;
            }
            let n = self.current.round_ties_even() as u8;
            if n != self.last_written {
                return Some(self.wrote(n, now));
            }
            return None;
        }
        if now.saturating_duration_since(self.last_write) >= IDLE_REPEAT {
            let n = self.current.round_ties_even() as u8;
            return Some(self.wrote(n, now));
        }
        None
    }

    fn wrote(&mut self, n: u8, now: Instant) -> u8 {
        self.last_written = n;
        self.last_write = now;
        n
    }
}

#[derive(Default)]
pub struct KiirooV1 {
    /// Present for the Onyx (a position feature) once initialized.
    onyx: Option<Onyx>,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KiirooV1::default())
}

impl KiirooV1 {
    fn tick_at(&mut self, now: Instant) -> Vec<HardwareCommand> {
        let Some(n) = self.onyx.as_mut().and_then(|o| o.step(now)) else {
            return Vec::new();
        };
        vec![HardwareCommand::write(
            Endpoint::Tx,
            text(n),
            false,
            CoalesceKey(0),
        )]
    }
}

#[async_trait]
impl ProtocolHandler for KiirooV1 {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        io.write(Endpoint::Command, &[0x01, 0x00], true).await?;
        // Go to the start position; unlike every later command, no line feed.
        io.write(Endpoint::Tx, b"0,", true).await?;
        let stroker = def
            .features
            .iter()
            .any(|f| f.output(OutputType::HwPositionWithDuration).is_some());
        if stroker {
            self.onyx = Some(Onyx::new(Instant::now()));
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        match command {
            OutputCommand::Vibrate(v) => Ok(vec![HardwareCommand::feature_write(
                feature.index,
                Endpoint::Tx,
                text(v.value.clamp(0, 4) as u8),
                false,
            )]),
            OutputCommand::HwPositionWithDuration(p) => {
                let Some(onyx) = self.onyx.as_mut() else {
                    return Err(unsupported_output(&command));
                };
                onyx.command(
                    p.value,
                    Duration::from_millis(u64::from(p.duration)),
                    Instant::now(),
                );
                // The position loop writes the steps (the first one right away).
                Ok(self.tick_at(Instant::now()))
            }
            _ => Err(unsupported_output(&command)),
        }
    }

    fn keepalive(&self) -> Keepalive {
        if self.onyx.is_some() {
            Keepalive::Tick(FAST)
        } else {
            Keepalive::None
        }
    }

    fn tick(&mut self) -> Vec<HardwareCommand> {
        self.tick_at(Instant::now())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{HwPositionWithDuration, Vibrate};

    const ENDPOINTS: [Endpoint; 3] = [Endpoint::Tx, Endpoint::Rx, Endpoint::Command];

    async fn connect(def: &DeviceDefinition) -> KiirooV1 {
        let mut h = KiirooV1::default();
        let (_dev, mut io, mut ops) =
            sim_io(SimulatedDeviceSpec::new("PEARL", "a"), &ENDPOINTS).await;
        h.initialize(&mut io, def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Command, &[0x01, 0x00], true),
                write_op(Endpoint::Tx, &[0x30, 0x2C], true),
            ]
        );
        h
    }

    #[tokio::test]
    async fn pearl() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 4)])]);
        let mut h = connect(&def).await;
        assert_eq!(h.keepalive(), Keepalive::None);
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 2))),
            vec![(Endpoint::Tx, vec![0x32, 0x2C, 0x0A], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 4))),
            vec![vec![0x34, 0x2C, 0x0A]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0x30, 0x2C, 0x0A]]
        );
    }

    fn run(o: &mut Onyx, t0: Instant, until_ms: u64) -> Vec<(u64, u8)> {
        (0..=until_ms / 50)
            .map(|i| i * 50)
            .filter_map(|ms| o.step(t0 + Duration::from_millis(ms)).map(|n| (ms, n)))
            .collect()
    }

    #[test]
    fn onyx_steps_through_positions() {
        let t0 = Instant::now();
        let mut o = Onyx::new(t0);
        o.command(1, Duration::from_millis(500), t0);
        assert_eq!(
            run(&mut o, t0, 1500),
            vec![(100, 1), (250, 2), (450, 3), (950, 3), (1450, 3)]
        );
        // v = 2 over 400 ms → ring position 2, written once the interpolation passes 2.5.
        let t1 = t0 + Duration::from_millis(2000);
        o.command(2, Duration::from_millis(400), t1);
        assert_eq!(run(&mut o, t1, 450), vec![(200, 2)]);
        // v = 4 over 0 ms → position 0 at once.
        let t2 = t1 + Duration::from_millis(1000);
        o.command(4, Duration::ZERO, t2);
        assert_eq!(o.step(t2), Some(0));
    }

    #[tokio::test]
    async fn onyx_moves_are_loop_driven_and_not_stopped() {
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 4)])]);
        let mut h = connect(&def).await;
        assert_eq!(h.keepalive(), Keepalive::Tick(FAST));
        // A jump is written at once (inverted: Buttplug 0 = ring position 4).
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], position(0, 0))),
            vec![(Endpoint::Tx, vec![0x34, 0x2C, 0x0A], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], position(4, 0))),
            vec![vec![0x30, 0x2C, 0x0A]]
        );
        // Already there: nothing to write.
        assert!(encode(&mut h, &def.features[0], position(4, 0)).is_empty());
        assert!(stop(&mut h, &def.features).is_empty());
    }
}
