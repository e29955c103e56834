//! Honey Play Box (`honeyplaybox`): framed packets `02 A5 5A 55 AA F0 | CNT | TYPE CMD LEN DATA |
//! 03 | CRC-16/MODBUS (big-endian, over TYPE..DATA)`, all written to `tx` with response. A
//! challenge handshake yields a per-connection key that signs every motor packet (MD5 prefix).
//! One packet carries every motor's strength; the protocol re-sends it when idle for 500 ms.
//! Rotate is sent as its magnitude. See docs/protocols/honeyplaybox.md.
//!
//! Adopted from buttplug_server 12: Constrict (database v5's Kaipro suction) uses the same motor
//! packet with strength `v + 100` (0 stays 0), which tells the device a suction level from a
//! motor speed; without it the Kaipro's suction could not be driven.

use std::time::{Duration, Instant};

use async_trait::async_trait;

use super::shared::checksum::crc16_modbus;
use super::shared::cipher::md5;
use super::{
    CoalesceKey, DeviceIo, HardwareCommand, InputPlan, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::{InputType, OutputCommand};

const HEADER: [u8; 6] = [0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0];
const TYPE: u8 = 0xB1;
const CMD_HANDSHAKE: u8 = 0x01;
const CMD_VIBRATE: u8 = 0x03;
const SECRET: [u8; 16] = [
    0x8B, 0xE3, 0xFD, 0x04, 0x68, 0x35, 0x09, 0x86, 0x12, 0x1A, 0xBF, 0x03, 0x30, 0xE9, 0xE3, 0xC5,
];
const OK: u16 = 0x9000;
const TICK: Duration = Duration::from_millis(100);
const IDLE_REFRESH: Duration = Duration::from_millis(500);
const MAX_TIMEOUTS: u32 = 4;
const WAITS_PER_REQUEST: u32 = 3;

pub struct HoneyPlayBox {
    counter: u8,
    key: [u8; 16],
    /// (output feature index, strength), in feature order.
    motors: Vec<(u32, u8)>,
    last_sent: Instant,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(HoneyPlayBox {
        counter: 0,
        key: [0; 16],
        motors: Vec::new(),
        last_sent: Instant::now(),
    })
}

/// One frame with counter `cnt`.
fn frame(cnt: u8, cmd: u8, data: &[u8]) -> Vec<u8> {
    let len = u16::try_from(data.len()).unwrap_or(u16::MAX).to_be_bytes();
    let mut body = vec![TYPE, cmd, len[0], len[1]];
    body.extend_from_slice(data);
    let crc = crc16_modbus(&body).to_be_bytes();
    let mut out = HEADER.to_vec();
    out.push(cnt);
    out.extend(body);
    out.push(0x03);
    out.extend(crc);
    out
}

/// Reassembles frames from notifications (replies can span several).
#[derive(Default)]
struct Reassembler {
    buf: Vec<u8>,
}

impl Reassembler {
    /// Append `data` and take every complete frame.
    fn push(&mut self, data: &[u8]) -> Vec<Vec<u8>> {
        self.buf.extend_from_slice(data);
        let mut frames = Vec::new();
        loop {
            let Some(start) = self.buf.windows(HEADER.len()).position(|w| w == HEADER) else {
                self.buf.clear();
                return frames;
            };
            self.buf.drain(..start);
            if self.buf.len() < 11 {
                return frames;
            }
            let len = usize::from(u16::from_be_bytes([self.buf[9], self.buf[10]]));
            if self.buf.len() < 14 + len {
                return frames;
            }
            if self.buf[11 + len] != 0x03 {
                self.buf.drain(..1);
                continue;
            }
            frames.push(self.buf.drain(..14 + len).collect());
        }
    }
}

/// DATA of a complete frame.
fn frame_data(frame: &[u8]) -> &[u8] {
    frame.get(11..frame.len().saturating_sub(3)).unwrap_or(&[])
}

/// What a handshake reply frame says.
#[derive(Debug, PartialEq, Eq)]
enum Reply {
    Key([u8; 16]),
    Ignore,
    Failed(u16),
}

fn handshake_reply(frame: &[u8]) -> Reply {
    let data = frame_data(frame);
    let Some(code) = data.get(..2).map(|c| u16::from_be_bytes([c[0], c[1]])) else {
        return Reply::Ignore;
    };
    if code != OK {
        return Reply::Failed(code);
    }
    match data.get(2..18).and_then(|k| <[u8; 16]>::try_from(k).ok()) {
        Some(key) => Reply::Key(key),
        None => Reply::Ignore,
    }
}

impl HoneyPlayBox {
    fn next_counter(&mut self) -> u8 {
        self.counter = self.counter.wrapping_add(1);
        self.counter
    }

    /// The signed motor packet for the current strengths.
    fn motor_packet(&mut self, now: Instant) -> HardwareCommand {
        let mut groups = Vec::with_capacity(self.motors.len() * 8);
        for (m, (_, strength)) in self.motors.iter().enumerate() {
            let m = (m as u8) & 0x0F;
            groups.extend_from_slice(&[
                m << 4 | 0x01,
                0x00,
                0x05,
                0x00,
                0x3C,
                0x00,
                0x00,
                *strength,
            ]);
        }
        let len = u16::try_from(groups.len() + 8)
            .unwrap_or(u16::MAX)
            .to_be_bytes();
        let mut signed = vec![TYPE, CMD_VIBRATE, len[0], len[1]];
        signed.extend_from_slice(&groups);
        signed.extend_from_slice(&SECRET);
        signed.extend_from_slice(&self.key);
        groups.extend_from_slice(&md5(&signed)[..8]);
        let cnt = self.next_counter();
        self.last_sent = now;
        HardwareCommand::device_write(Endpoint::Tx, frame(cnt, CMD_VIBRATE, &groups), true)
    }

    fn tick_at(&mut self, now: Instant) -> Vec<HardwareCommand> {
        if now.saturating_duration_since(self.last_sent) < IDLE_REFRESH {
            return Vec::new();
        }
        let mut p = self.motor_packet(now);
        p.key = CoalesceKey(0);
        vec![p]
    }
}

#[async_trait]
impl ProtocolHandler for HoneyPlayBox {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        def: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        let mut c: u8 = 0;
        let request = |c: u8| frame(c, CMD_HANDSHAKE, &[0x00, 0x10]);
        io.write(Endpoint::Tx, &request(c), true).await?;
        c = c.wrapping_add(1);
        let mut rx = Reassembler::default();
        let (mut timeouts, mut waits) = (0u32, 0u32);
        let key = 'handshake: loop {
            let wait = Duration::from_secs(u64::from(timeouts) + 1);
            match io.next_notification(wait).await? {
                None => {
                    timeouts += 1;
                    if timeouts >= MAX_TIMEOUTS {
                        return Err(ProtocolError::InvalidReply(
                            "handshake failed: no reply".into(),
                        ));
                    }
                }
                Some((_, data)) => {
                    for f in rx.push(&data) {
                        match handshake_reply(&f) {
                            Reply::Key(k) => break 'handshake k,
                            Reply::Failed(code) => {
                                return Err(ProtocolError::InvalidReply(format!(
                                    "handshake failed, code={code:04X}"
                                )));
                            }
                            Reply::Ignore => {}
                        }
                    }
                }
            }
            waits += 1;
            if waits % WAITS_PER_REQUEST == 0 {
                io.write(Endpoint::Tx, &request(c), true).await?;
                c = c.wrapping_add(1);
            }
        };
        self.key = key;
        self.counter = c;
        self.motors = def
            .features
            .iter()
            .filter(|f| !f.outputs.is_empty())
            .map(|f| (f.index, 0))
            .collect();
        self.last_sent = Instant::now();
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let magnitude = command.value().unsigned_abs().min(255) as u8;
        let strength = match command {
            OutputCommand::Vibrate(_) | OutputCommand::Oscillate(_) | OutputCommand::Rotate(_) => {
                magnitude
            }
            OutputCommand::Constrict(_) if magnitude == 0 => 0,
            OutputCommand::Constrict(_) => magnitude.saturating_add(100),
            _ => return Err(unsupported_output(&command)),
        };
        let now = Instant::now();
        let Some(slot) = self.motors.iter_mut().find(|(i, _)| *i == feature.index) else {
            return Err(unsupported_output(&command));
        };
        if slot.1 == strength {
            // Nothing changed (e.g. the second motor of a stop): the state is already on the
            // device and the idle refresh keeps it there; a packet would only spend a counter.
            self.last_sent = now;
            return Ok(Vec::new());
        }
        slot.1 = strength;
        Ok(vec![self.motor_packet(now)])
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        InputPlan::ble_battery_only(input)
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(TICK)
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
    use crate::wire::OutputType::{Constrict, Oscillate, Rotate, Vibrate};

    const REQUEST: &str = "02 A5 5A 55 AA F0 00 B1 01 00 02 00 10 03 36 86";

    fn key_reply() -> Vec<u8> {
        let mut data = vec![0x90, 0x00];
        data.extend(1..=16u8);
        frame(0, CMD_HANDSHAKE, &data)
    }

    fn vibrosa() -> DeviceDefinition {
        definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
            battery(2),
        ])
    }

    async fn connected(def: &DeviceDefinition, replies: Vec<Vec<u8>>) -> HoneyPlayBox {
        let mut h = HoneyPlayBox {
            counter: 0,
            key: [0; 16],
            motors: Vec::new(),
            last_sent: Instant::now(),
        };
        let mut spec = SimulatedDeviceSpec::new("JXT002", "a");
        spec.subscribe_replies = replies.into_iter().map(|r| (Endpoint::Rx, r)).collect();
        let (_dev, mut io, mut ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        h.initialize(&mut io, def).await.unwrap();
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Tx, &hex(REQUEST), true)
            ]
        );
        h
    }

    #[test]
    fn frame_and_crc() {
        assert_eq!(frame(0, CMD_HANDSHAKE, &[0x00, 0x10]), hex(REQUEST));
    }

    #[test]
    fn reassembles_split_and_noisy_replies() {
        let reply = key_reply();
        let mut r = Reassembler::default();
        assert!(r.push(&[0xFF, 0x00]).is_empty());
        assert!(r.push(&reply[..7]).is_empty());
        let frames = r.push(&reply[7..]);
        assert_eq!(frames, vec![reply.clone()]);
        let mut k = [0u8; 16];
        k.iter_mut().zip(1..).for_each(|(b, v)| *b = v);
        assert_eq!(handshake_reply(&frames[0]), Reply::Key(k));
        assert_eq!(
            handshake_reply(&frame(0, 1, &[0x6A, 0x80])),
            Reply::Failed(0x6A80)
        );
        assert_eq!(handshake_reply(&frame(0, 1, &[0x90, 0x00])), Reply::Ignore);
        assert_eq!(handshake_reply(&frame(0, 1, &[])), Reply::Ignore);
        // A wrong end byte skips the false header.
        let mut bad = reply.clone();
        bad[11 + 18] = 0x00;
        assert!(Reassembler::default().push(&bad).is_empty());
    }

    #[tokio::test]
    async fn vibrosa_commands_are_signed_with_the_key() {
        let def = vibrosa();
        let mut h = connected(&def, vec![key_reply()]).await;
        let out = encode(&mut h, &def.features[0], cmd(Vibrate, 50));
        assert_eq!(
            writes(&out),
            vec![(
                Endpoint::Tx,
                hex(
                    "02 A5 5A 55 AA F0 02 B1 03 00 18 01 00 05 00 3C 00 00 32 11 00 05 00 3C 00 00 00 3C AB 13 93 4E 4C B8 57 03 32 91"
                ),
                true
            )]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![hex(
                "02 A5 5A 55 AA F0 03 B1 03 00 18 01 00 05 00 3C 00 00 00 11 00 05 00 3C 00 00 00 F8 2D C3 5B D6 08 32 E4 03 D6 75"
            )]
        );
    }

    #[tokio::test]
    async fn single_motor_and_other_output_types() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)]), battery(1)]);
        let mut h = connected(&def, vec![key_reply()]).await;
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 100))),
            vec![hex(
                "02 A5 5A 55 AA F0 02 B1 03 00 10 01 00 05 00 3C 00 00 64 38 B2 B6 4C 2C BD 48 CF 03 A7 71"
            )]
        );
        let def = definition(vec![
            feature(0, &[(Rotate, 0, 100)]),
            feature(1, &[(Oscillate, 0, 100)]),
        ]);
        let mut h = connected(&def, vec![key_reply()]).await;
        let a = data(&encode(&mut h, &def.features[0], cmd(Rotate, 40)));
        assert_eq!(a[0][18], 40);
        let b = data(&encode(&mut h, &def.features[1], cmd(Oscillate, 30)));
        assert_eq!((b[0][6], b[0][18], b[0][26]), (3, 40, 30));
    }

    #[tokio::test]
    async fn handshake_skips_short_ok_and_fails_on_error_code() {
        let def = vibrosa();
        let short = frame(0, CMD_HANDSHAKE, &[0x90, 0x00]);
        let h = connected(&def, vec![short, key_reply()]).await;
        assert_eq!(h.counter, 1);
        let mut spec = SimulatedDeviceSpec::new("JXT002", "a");
        spec.subscribe_replies = vec![(Endpoint::Rx, frame(0, 1, &[0x6A, 0x80]))];
        let (_dev, mut io, _ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        let mut h = create();
        let e = h.initialize(&mut io, &def).await.unwrap_err();
        assert_eq!(
            e,
            ProtocolError::InvalidReply("handshake failed, code=6A80".into())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn handshake_resends_then_gives_up_after_four_timeouts() {
        let def = vibrosa();
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("JXT002", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        let mut h = create();
        let t0 = tokio::time::Instant::now();
        let e = h.initialize(&mut io, &def).await.unwrap_err();
        assert_eq!(
            e,
            ProtocolError::InvalidReply("handshake failed: no reply".into())
        );
        // Waits of 1, 2, 3 and 4 s; the request goes out again (next counter) after three.
        assert_eq!(t0.elapsed(), Duration::from_secs(10));
        let mut second = hex(REQUEST);
        second[6] = 1;
        assert_eq!(
            drain(&mut ops),
            vec![
                SimOp::Subscribe {
                    endpoint: Endpoint::Rx
                },
                write_op(Endpoint::Tx, &hex(REQUEST), true),
                write_op(Endpoint::Tx, &second, true),
            ]
        );
    }

    #[tokio::test]
    async fn idle_refresh_every_500ms() {
        let def = vibrosa();
        let mut h = connected(&def, vec![key_reply()]).await;
        let t0 = Instant::now();
        encode(&mut h, &def.features[1], cmd(Vibrate, 20));
        assert!(h.tick_at(t0 + Duration::from_millis(300)).is_empty());
        let p = h.tick_at(h.last_sent + IDLE_REFRESH);
        assert_eq!(p.len(), 1);
        let d = &data(&p)[0];
        assert_eq!((d[6], d[18], d[26]), (3, 0, 20));
        assert!(p[0].op != HardwareCommand::subscribe(Endpoint::Rx).op);
        assert!(
            h.tick_at(h.last_sent + Duration::from_millis(100))
                .is_empty()
        );
    }

    /// The sheet's buttplug_server 12 examples (Kaipro: vibrate, constrict 0–4, battery).
    #[tokio::test]
    async fn kaipro_suction_is_strength_plus_100() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Constrict, 0, 4)]),
            battery(2),
        ]);
        let f = &def.features;
        let mut h = connected(&def, vec![key_reply()]).await;
        assert_eq!(
            data(&encode(&mut h, &f[1], cmd(Constrict, 2))),
            vec![hex(
                "02 A5 5A 55 AA F0 02 B1 03 00 18 01 00 05 00 3C 00 00 00 11 00 05 00 3C 00 00 66 D1 26 6B AD D5 B3 17 52 03 7C B4"
            )]
        );
        // Vibrate 50 + constrict 4 in one message: one packet with both strengths. Its two
        // entries take counters 3 and 4 (the sheet's example numbers it 3); the counter is
        // outside the signed and CRC-checked part.
        let mut want = hex(
            "02 A5 5A 55 AA F0 03 B1 03 00 18 01 00 05 00 3C 00 00 32 11 00 05 00 3C 00 00 68 D2 55 AE 56 71 CD 46 19 03 AF 85",
        );
        want[6] = 4;
        let both = message(
            &mut h,
            &[(&f[0], cmd(Vibrate, 50)), (&f[1], cmd(Constrict, 4))],
        );
        assert_eq!(data(&both), vec![want]);
        // A stop zeroes the suction (strength 0, not 100).
        let stopped = data(&stop(&mut h, f));
        let last = stopped.last().expect("a stop packet");
        assert_eq!((last[18], last[26]), (0, 0));
    }
}
