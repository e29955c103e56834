//! Umove (`umove`: Mira, Vero, Nexo): 16-byte main packets
//! `5A A5 55 00 | vibrate u16 LE | 01 00 | packet id u32 LE | position u32 LE` and 14-byte
//! temperature packets `5A A5 55 06 FF FF 00 00 FF FF FF FF t FF` on `tx`. The model is
//! characters 3–4 of the advertised name (`UMMiB…` → `Mi`). Every main packet takes the next
//! packet id. See docs/protocols/umove.md.
//!
//! A move (HwPositionWithDuration) is walked by a movement loop, the protocol's tick every
//! 50 ms: `duration / 100` steps (at least one), one main packet per tick until the goal; a
//! Position command jumps at once. The device needs traffic: after 500 ms without a packet, the
//! last one is written again, byte for byte; so a stop is sent right after connecting (Mira: the
//! vibrate-0 main packet, then heat off).
//!
//! Choices where the reference differs:
//! - a Vibrate command always writes its main packet (carrying the position the loop last
//!   wrote); the reference leaves it to the next loop packet while a move runs, so a stop during
//!   a move would be written by no one once the device is let go;
//! - one position is tracked: a Position command moves the loop's position too, so no second,
//!   identical packet follows it;
//! - the keep-alive repeats the last packet written, the loop's included; the reference repeats
//!   the last packet of the command queue, which after a move carries an older position.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Identification, Keepalive, ProtocolError,
    ProtocolHandler, unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// The movement loop's period.
const TICK: Duration = Duration::from_millis(50);
/// Ticks without a packet before the last one is repeated (500 ms).
const KEEPALIVE_TICKS: u32 = 10;
/// The coalescing identity every main packet shares.
const KEY_MAIN: u8 = 0;

#[derive(Default)]
pub struct Umove {
    packet_id: u32,
    vibrate: u16,
    /// The position last written.
    position: i32,
    goal: i32,
    duration: u32,
    /// The goal the loop's step was computed for.
    planned: i32,
    step: i32,
    /// The last packet written, for the keep-alive.
    last: Option<Vec<u8>>,
    idle_ticks: u32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Umove::default())
}

/// The model of a name: its bytes 2–3 (`UMMiB…` → `Mi`).
fn model(name: &str) -> Option<&str> {
    name.get(2..4)
}

impl Umove {
    /// The main packet of the current state; takes a packet id.
    fn main_packet(&mut self) -> Vec<u8> {
        let mut p = vec![0x5A, 0xA5, 0x55, 0x00];
        p.extend(self.vibrate.to_le_bytes());
        p.extend([0x01, 0x00]);
        p.extend(self.packet_id.to_le_bytes());
        p.extend(u32::try_from(self.position).unwrap_or(0).to_le_bytes());
        self.packet_id = self.packet_id.wrapping_add(1);
        p
    }

    /// Remember a packet about to be written.
    fn sent(&mut self, packet: Vec<u8>) -> Vec<u8> {
        self.last = Some(packet.clone());
        self.idle_ticks = 0;
        packet
    }

    fn main(&mut self) -> HardwareCommand {
        let p = self.main_packet();
        let p = self.sent(p);
        HardwareCommand::write(Endpoint::Tx, p, false, CoalesceKey::custom(KEY_MAIN))
    }
}

#[async_trait]
impl ProtocolHandler for Umove {
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification {
            identifier: model(&io.advertisement().name).map(String::from),
            switch_to: None,
        })
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        Ok(match command {
            OutputCommand::Vibrate(v) => {
                self.vibrate = u16::try_from(v.value.clamp(0, 0xFFFF)).unwrap_or(0);
                vec![self.main()]
            }
            OutputCommand::Position(p) => {
                self.goal = p.value.max(0);
                self.position = self.goal;
                self.duration = 0;
                vec![self.main()]
            }
            OutputCommand::HwPositionWithDuration(p) => {
                self.goal = p.value.max(0);
                self.duration = p.duration;
                Vec::new()
            }
            OutputCommand::Temperature(t) => {
                let t = u8::try_from(t.value.clamp(0, 255)).unwrap_or(0);
                let p = self.sent(vec![
                    0x5A, 0xA5, 0x55, 0x06, 0xFF, 0xFF, 0x00, 0x00, 0xFF, 0xFF, 0xFF, 0xFF, t, 0xFF,
                ]);
                vec![HardwareCommand::feature_write(
                    feature.index,
                    Endpoint::Tx,
                    p,
                    false,
                )]
            }
            _ => return Err(unsupported_output(&command)),
        })
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(TICK)
    }

    fn stop_on_connect(&self) -> bool {
        true
    }

    /// One turn of the movement loop, or the keep-alive when idle.
    fn tick(&mut self) -> Vec<HardwareCommand> {
        if self.goal != self.planned {
            self.planned = self.goal;
            let steps = i32::try_from((self.duration / 100).max(1)).unwrap_or(i32::MAX);
            self.step = (self.goal - self.position) / steps;
            if self.step == 0 {
                self.step = (self.goal - self.position).signum();
            }
        }
        if self.position == self.planned {
            self.idle_ticks += 1;
            if self.idle_ticks < KEEPALIVE_TICKS {
                return Vec::new();
            }
            self.idle_ticks = 0;
            return self
                .last
                .clone()
                .map(|p| HardwareCommand::write(Endpoint::Tx, p, false, CoalesceKey(0)))
                .into_iter()
                .collect();
        }
        let next = self.position + self.step;
        self.position = if self.step > 0 {
            next.min(self.planned)
        } else {
            next.max(self.planned)
        };
        vec![self.main()]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::*;
    use crate::wire::OutputType::{HwPositionWithDuration, Position, Rotate, Temperature, Vibrate};

    const HEAT_OFF: &str = "5A A5 55 06 FF FF 00 00 FF FF FF FF 00 FF";

    fn mira() -> crate::device_config::DeviceDefinition {
        definition(vec![
            feature(0, &[(Vibrate, 0, 10000)]),
            feature(1, &[(HwPositionWithDuration, 0, 632), (Position, 0, 632)]),
            feature(2, &[(Temperature, 0, 42)]),
        ])
    }

    fn main_hex(vibrate: &str, id: u8, position: &str) -> Vec<u8> {
        hex(&format!(
            "5A A5 55 00 {vibrate} 01 00 {id:02X} 00 00 00 {position} 00 00"
        ))
    }

    #[test]
    fn models_from_names() {
        assert_eq!(model("UMMiB12"), Some("Mi"));
        assert_eq!(model("ALVxB"), Some("Vx"));
        assert_eq!(model("UMNxB9"), Some("Nx"));
        assert_eq!(model("UMM"), None);
        assert_eq!(model("UMxé"), None, "not a character boundary");
    }

    /// The sheet's worked example (Mira): connect stop, vibrate, a move, temperature.
    #[test]
    fn mira_example() {
        let def = mira();
        let f = &def.features;
        let mut h = Umove::default();
        assert!(h.stop_on_connect());
        assert_eq!(
            data(&stop(&mut h, f)),
            vec![main_hex("00 00", 0, "00 00"), hex(HEAT_OFF)]
        );
        assert_eq!(
            only_write(&encode(&mut h, &f[0], cmd(Vibrate, 5000))),
            main_hex("88 13", 1, "00 00")
        );
        assert!(encode(&mut h, &f[1], position(632, 500)).is_empty());
        let moves: Vec<Vec<u8>> = (0..7).flat_map(|_| data(&h.tick())).collect();
        assert_eq!(
            moves,
            vec![
                main_hex("88 13", 2, "7E 00"),
                main_hex("88 13", 3, "FC 00"),
                main_hex("88 13", 4, "7A 01"),
                main_hex("88 13", 5, "F8 01"),
                main_hex("88 13", 6, "76 02"),
                main_hex("88 13", 7, "78 02"),
            ]
        );
        assert_eq!(
            only_write(&encode(&mut h, &f[2], cmd(Temperature, 40))),
            hex("5A A5 55 06 FF FF 00 00 FF FF FF FF 28 FF")
        );
        assert!(h.encode_output(&f[0], cmd(Rotate, 1)).is_err());
    }

    /// Idle for 500 ms (ten ticks), the last packet is written again, byte for byte: after a
    /// move, the loop's last packet (the reference would repeat an older position).
    #[test]
    fn keepalive_repeats_the_last_packet() {
        let def = mira();
        let f = &def.features;
        let mut h = Umove::default();
        assert!(encode(&mut h, &f[1], position(10, 100)).is_empty());
        let first = data(&h.tick());
        assert_eq!(first, vec![main_hex("00 00", 0, "0A 00")]);
        for _ in 0..KEEPALIVE_TICKS - 1 {
            assert!(h.tick().is_empty());
        }
        let repeat = h.tick();
        assert_eq!(data(&repeat), first);
        assert_eq!(repeat[0].key, CoalesceKey(0));
        assert!(h.tick().is_empty());
        // A new packet restarts the count.
        for _ in 0..KEEPALIVE_TICKS - 2 {
            h.tick();
        }
        encode(&mut h, &f[2], cmd(Temperature, 38));
        assert!(h.tick().is_empty());
        // Nothing written yet, nothing repeated.
        let mut quiet = Umove::default();
        assert!((0..30).all(|_| quiet.tick().is_empty()));
    }

    /// A vibrate command during a move writes at once (a stop must not wait for the loop),
    /// carrying the position the loop last wrote.
    #[test]
    fn vibrate_during_a_move() {
        let def = mira();
        let f = &def.features;
        let mut h = Umove::default();
        encode(&mut h, &f[1], position(300, 300));
        assert_eq!(data(&h.tick()), vec![main_hex("00 00", 0, "64 00")]);
        assert_eq!(
            data(&stop(&mut h, f)),
            vec![main_hex("00 00", 1, "64 00"), hex(HEAT_OFF)]
        );
        encode(&mut h, &f[0], cmd(Vibrate, 1));
        assert_eq!(data(&h.tick()), vec![main_hex("01 00", 3, "C8 00")]);
    }

    /// A Position command jumps at once, with one packet; a small move still arrives.
    #[test]
    fn position_jumps_and_small_moves() {
        let def = mira();
        let f = &def.features;
        let mut h = Umove::default();
        assert_eq!(
            only_write(&encode(&mut h, &f[1], cmd(Position, 500))),
            main_hex("00 00", 0, "F4 01")
        );
        assert!(h.tick().is_empty(), "no second packet for the jump");
        encode(&mut h, &f[1], position(498, 1000));
        let moves: Vec<Vec<u8>> = (0..4).flat_map(|_| data(&h.tick())).collect();
        assert_eq!(
            moves,
            vec![main_hex("00 00", 1, "F3 01"), main_hex("00 00", 2, "F2 01")]
        );
    }

    /// Through the server's device task: a stop at connect, then the keep-alive every 500 ms.
    #[tokio::test(start_paused = true)]
    async fn connect_stop_and_keepalive_through_the_device_task() {
        let spec = SimulatedDeviceSpec::new("UMMiB01", "a");
        let mut d = served(
            create(),
            mira(),
            spec,
            &[Endpoint::Tx, Endpoint::Rx],
            Duration::ZERO,
        )
        .await;
        tokio::time::sleep(Duration::from_millis(10)).await;
        let at_connect: Vec<Vec<u8>> = written(&d.ops()).into_iter().map(|w| w.1).collect();
        assert_eq!(
            at_connect,
            vec![main_hex("00 00", 0, "00 00"), hex(HEAT_OFF)]
        );
        tokio::time::sleep(Duration::from_millis(1040)).await;
        let repeats: Vec<Vec<u8>> = written(&d.ops()).into_iter().map(|w| w.1).collect();
        assert_eq!(repeats, vec![hex(HEAT_OFF), hex(HEAT_OFF)]);
    }

    /// The database's models: the model from the name, Mira with the sheet's ranges (heat read
    /// as 0–42), Vero and Nexo with one positional feature at index 1 and nothing to stop.
    #[test]
    fn database_models() {
        let mira = db_resolve("umove", model("UMMiB01"));
        assert_eq!(mira.name, "Umove Mira");
        let ranges: Vec<(i32, i32)> = mira
            .features
            .iter()
            .map(|f| f.outputs[0].base_range)
            .collect();
        assert_eq!(ranges, vec![(0, 10000), (0, 632), (0, 42)]);
        for (name, top) in [("ALVxB7", 732), ("UMNxB2", 1232)] {
            let def = db_resolve("umove", model(name));
            assert_eq!(def.features.len(), 1);
            let f = &def.features[0];
            assert_eq!(f.index, 1);
            assert_eq!(f.output(Position).map(|o| o.base_range), Some((0, top)));
            let mut h = Umove::default();
            assert!(stop(&mut h, &def.features).is_empty(), "{}", def.name);
            assert_eq!(data(&encode(&mut h, f, cmd(Position, top))).len(), 1);
        }
    }
}
