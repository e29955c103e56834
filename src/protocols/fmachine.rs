//! F-Machine (`fmachine`: Gigolo BT-R, Tremblr BT-R, Alpha): the machine has no speed command,
//! so the host presses the buttons of its remote (on/off, speed up, speed down) and tracks the
//! speed itself. A press is two 18-byte packets on `tx`, both written with response: the press,
//! then its release. See docs/protocols/fmachine.md.
//!
//! Connecting presses "speed down" 55 times (60 ms apart), which brings any remembered speed
//! down to 1: 3.3 s plus 110 writes with response, within the server's 15 s setup bound while
//! the link answers a write in under 100 ms. An Oscillate command stores the target speed
//! (0–28); a control loop (the protocol's tick, every 200 ms) then presses on/off when the
//! machine must start or stop and one speed button per tick until the tracked speed reaches the
//! target. The tracked speed follows the reference's algorithm as written (the sheet's quirk:
//! starting above 1 likely ends one step high; unverified on hardware).
//!
//! Choice: the reference's stop only sets the target to 0 and leaves the on/off press to its
//! loop. A stop here presses on/off itself when the machine runs: it is written by the stop (so
//! also when the device is let go, after which no tick runs); the ticks then walk the tracked
//! speed down as the reference does. Button presses overlap no coalescing key: a press is an
//! event, never superseded by a later one.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// The control loop's period: the machine takes about one speed step per 200 ms.
const PERIOD: Duration = Duration::from_millis(200);
/// "Speed down" presses at connect: enough to bring any speed down to 1.
const NORMALISING_PRESSES: usize = 55;
/// Pause after each of them.
const NORMALISING_PAUSE: Duration = Duration::from_millis(60);

/// A button of the remote: the packet pressing it and the one releasing it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Button {
    Power,
    Up,
    Down,
}

impl Button {
    fn codes(self) -> [u8; 2] {
        match self {
            Button::Power => [0x01, 0x02],
            Button::Up => [0x05, 0x03],
            Button::Down => [0x06, 0x03],
        }
    }

    /// Press and release, with response, never coalesced away.
    fn press(self) -> [HardwareCommand; 2] {
        self.codes()
            .map(|code| HardwareCommand::write(Endpoint::Tx, packet(code), true, CoalesceKey(0)))
    }
}

/// `[cmd, 64, 00 × 4, "1234", 00 × 7, checksum]`.
fn packet(command: u8) -> Vec<u8> {
    let mut p = vec![command, 0x64, 0, 0, 0, 0, b'1', b'2', b'3', b'4'];
    p.resize(17, 0);
    p.push(checksum(&p));
    p
}

/// From the number `b` of set bits: `222 − b`, `b / 2 + 111` or `b / 3 + 177` as `b mod 3` is
/// 0, 1 or 2.
fn checksum(bytes: &[u8]) -> u8 {
    let b: u32 = bytes.iter().map(|x| x.count_ones()).sum();
    let c = match b % 3 {
        0 => 222u32.saturating_sub(b),
        1 => b / 2 + 111,
        _ => b / 3 + 177,
    };
    u8::try_from(c).unwrap_or(u8::MAX)
}

#[derive(Default)]
pub struct FMachine {
    running: bool,
    /// The speed the host believes the machine has.
    current: i32,
    target: i32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(FMachine::default())
}

#[async_trait]
impl ProtocolHandler for FMachine {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        for _ in 0..NORMALISING_PRESSES {
            io.perform(&Button::Down.press()).await?;
            tokio::time::sleep(NORMALISING_PAUSE).await;
        }
        *self = FMachine::default();
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Oscillate(v) = command else {
            return Err(unsupported_output(&command));
        };
        // Only the primary speed is driven; other features are accepted and ignored.
        if feature.index != 0 {
            return Ok(Vec::new());
        }
        self.target = v.value.max(0);
        if self.target == 0 && self.running {
            self.running = false;
            return Ok(Button::Power.press().to_vec());
        }
        Ok(Vec::new())
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(PERIOD)
    }

    /// One turn of the control loop: at most one on/off press and one speed press.
    fn tick(&mut self) -> Vec<HardwareCommand> {
        let (t, c) = (self.target, self.current);
        let mut out = Vec::new();
        if self.running == (t == 0) {
            out.extend(Button::Power.press());
            self.running = !self.running;
        }
        if t != c {
            // Between 0 and 1 the on/off press does it.
            if t > 1 || c > 1 {
                out.extend(if t > c { Button::Up } else { Button::Down }.press());
            }
            self.current += (t - c).signum();
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{Oscillate, Vibrate};

    const POWER: &str = "01 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 B6";
    const POWER_UP: &str = "02 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 B6";
    const SPEED_UP: &str = "03 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 CC";
    const UP: &str = "05 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 CC";
    const DOWN: &str = "06 64 00 00 00 00 31 32 33 34 00 00 00 00 00 00 00 CC";

    fn hexes(list: &[&str]) -> Vec<Vec<u8>> {
        list.iter().map(|h| hex(h)).collect()
    }

    /// The sheet's five packets.
    #[test]
    fn packets_and_checksum() {
        assert_eq!(packet(0x01), hex(POWER));
        assert_eq!(packet(0x02), hex(POWER_UP));
        assert_eq!(packet(0x03), hex(SPEED_UP));
        assert_eq!(packet(0x05), hex(UP));
        assert_eq!(packet(0x06), hex(DOWN));
        // The three branches of the rule: b = 18, 17 and 19 set bits.
        assert_eq!(checksum(&[0xFF, 0xFF, 0x03]), 204);
        assert_eq!(checksum(&[0xFF, 0xFF, 0x01]), 182);
        assert_eq!(checksum(&[0xFF, 0xFF, 0x07]), 120);
        for c in [Button::Power, Button::Up, Button::Down] {
            assert!(c.press().iter().all(|p| p.key == CoalesceKey(0)));
            assert!(writes(&c.press()).iter().all(|w| w.2), "with response");
        }
    }

    fn osc() -> FeatureDefinition {
        feature(0, &[(Oscillate, 0, 28)])
    }

    /// Oscillate 3 from rest, then a stop: the sheet's worked examples, one tick at a time.
    #[test]
    fn ramp_up_and_stop() {
        let mut h = FMachine::default();
        assert!(encode(&mut h, &osc(), cmd(Oscillate, 3)).is_empty());
        assert_eq!(data(&h.tick()), hexes(&[POWER, POWER_UP, UP, SPEED_UP]));
        assert_eq!(data(&h.tick()), hexes(&[UP, SPEED_UP]));
        assert_eq!(data(&h.tick()), hexes(&[UP, SPEED_UP]));
        assert_eq!(h.current, 3);
        assert!(h.tick().is_empty());
        // The stop presses on/off itself; the ticks walk the speed down.
        assert_eq!(data(&stop(&mut h, [&osc()])), hexes(&[POWER, POWER_UP]));
        assert_eq!(data(&h.tick()), hexes(&[DOWN, SPEED_UP]));
        assert_eq!(data(&h.tick()), hexes(&[DOWN, SPEED_UP]));
        assert!(h.tick().is_empty(), "1 → 0 needs no button");
        assert_eq!(h.current, 0);
        assert!(h.tick().is_empty());
        // A second stop of a machine at rest presses nothing.
        assert!(stop(&mut h, [&osc()]).is_empty());
    }

    #[test]
    fn speed_one_and_other_features() {
        let mut h = FMachine::default();
        encode(&mut h, &osc(), cmd(Oscillate, 1));
        assert_eq!(data(&h.tick()), hexes(&[POWER, POWER_UP]));
        assert_eq!(h.current, 1);
        assert!(h.tick().is_empty());
        // Going down while running presses speed down without touching on/off.
        encode(&mut h, &osc(), cmd(Oscillate, 5));
        let _ = (0..4).flat_map(|_| h.tick()).count();
        encode(&mut h, &osc(), cmd(Oscillate, 4));
        assert_eq!(data(&h.tick()), hexes(&[DOWN, SPEED_UP]));
        let other = feature(1, &[(Oscillate, 0, 28)]);
        assert!(encode(&mut h, &other, cmd(Oscillate, 9)).is_empty());
        assert!(h.tick().is_empty(), "feature 1 is ignored");
        assert!(h.encode_output(&osc(), cmd(Vibrate, 1)).is_err());
        assert_eq!(h.keepalive(), Keepalive::Tick(PERIOD));
    }

    /// A stop before the loop started the machine presses nothing, and the machine never starts.
    #[test]
    fn stop_before_the_machine_started() {
        let mut h = FMachine::default();
        encode(&mut h, &osc(), cmd(Oscillate, 10));
        assert!(stop(&mut h, [&osc()]).is_empty());
        assert!(h.tick().is_empty());
    }

    #[tokio::test(start_paused = true)]
    async fn connect_normalises_the_speed() {
        let spec = SimulatedDeviceSpec::new("FM-G", "a");
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        let mut h = create();
        let t0 = tokio::time::Instant::now();
        h.initialize(&mut io, &definition(vec![osc()]))
            .await
            .unwrap();
        assert_eq!(t0.elapsed(), NORMALISING_PAUSE * 55);
        let ops = drain(&mut ops);
        assert_eq!(
            ops[0],
            SimOp::Subscribe {
                endpoint: Endpoint::Rx
            }
        );
        let presses: Vec<SimOp> = (0..55)
            .flat_map(|_| {
                [
                    write_op(Endpoint::Tx, &hex(DOWN), true),
                    write_op(Endpoint::Tx, &hex(SPEED_UP), true),
                ]
            })
            .collect();
        assert_eq!(ops[1..], presses[..]);
    }

    /// Through the server's device task: the ticks drive the machine, and the stop's on/off
    /// press is written at once (no tick needed).
    #[tokio::test(start_paused = true)]
    async fn through_the_device_task() {
        let def = definition(vec![osc()]);
        let spec = SimulatedDeviceSpec::new("FM-A", "a");
        let endpoints = [Endpoint::Tx, Endpoint::Rx];
        let mut d = served(create(), def, spec, &endpoints, Duration::ZERO).await;
        assert!(d.message(&[(0, cmd(Oscillate, 2))]).await.is_empty());
        tokio::time::sleep(PERIOD * 3).await;
        assert_eq!(
            written(&d.ops())
                .into_iter()
                .map(|w| w.1)
                .collect::<Vec<_>>(),
            hexes(&[POWER, POWER_UP, UP, SPEED_UP, UP, SPEED_UP])
        );
        // The stop's press comes first (a tick may follow before the ops are read).
        let stopped: Vec<Vec<u8>> = written(&d.stop().await).into_iter().map(|w| w.1).collect();
        assert_eq!(stopped[..2], hexes(&[POWER, POWER_UP]));
    }

    /// The database's models inherit the defaults' one oscillating feature, 0–28.
    #[test]
    fn database_models() {
        for (id, name) in [
            ("FM-G", "F-Machine Gigolo BT-R"),
            ("FM-T", "F-Machine Tremblr BT-R"),
            ("FM-A", "F-Machine Alpha"),
        ] {
            let def = db_resolve("fmachine", Some(id));
            assert_eq!(def.name, name);
            let range = def.features[0].output(Oscillate).map(|o| o.base_range);
            assert_eq!(range, Some((0, 28)));
        }
        assert_eq!(
            db_resolve("fmachine", Some("FM-X")).name,
            "F-Machine Device"
        );
    }
}
