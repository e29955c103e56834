//! Nintendo Joy-Con / Pro Controller (`nintendo-joycon`, HID): one rumble "vibrator" (0–1000).
//! Initialization enables vibration (sub-command 0x48); from then on a rumble-only report (0x10)
//! at the current level is written every 15 ms, so Vibrate commands only store the level.
//! The HID transport that reaches the device is not part of this module.

use std::time::Duration;

use async_trait::async_trait;

use super::{
    CoalesceKey, DeviceIo, HardwareCommand, Keepalive, ProtocolError, ProtocolHandler,
    unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const REPORT_LEN: usize = 64;
const RUMBLE_PERIOD: Duration = Duration::from_millis(15);
const RUMBLE_HZ: f32 = 200.0;
const MAX_STEP: i32 = 1000;

pub struct NintendoJoycon {
    step: i32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(NintendoJoycon { step: 0 })
}

/// A 64-byte report: `head`, then zeros.
fn report(head: &[u8]) -> Vec<u8> {
    let mut r = head.to_vec();
    r.resize(REPORT_LEN, 0);
    r
}

/// Report 0x01, counter 0, empty rumble, sub-command 0x48 ("enable vibration") with argument 1.
fn enable_vibration() -> Vec<u8> {
    report(&[0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01])
}

/// The 4 rumble bytes for frequency `freq` Hz and amplitude `amp` (0–1.799), computed like the
/// reference in 32-bit floats with saturating float → byte conversions.
fn rumble(freq: f32, amp: f32) -> [u8; 4] {
    let freq = freq.clamp(0.0, 1252.0);
    let amp = amp.clamp(0.0, 1.799);
    let ef = ((freq / 10.0).log2() * 32.0).round() as u8;
    let hf_freq = u16::from(ef.saturating_sub(0x60)) * 4;
    let lf_freq = u16::from(ef.saturating_sub(0x41)) + 1;
    let ea = if amp > 0.23 {
        ((amp * 8.7).log2() * 32.0).round() as u8
    } else if amp > 0.12 {
        ((amp * 17.0).log2() * 16.0).round() as u8
    } else {
        ((amp.log2() * 32.0 - 96.0) / (4.0 - 2.0 * amp)).round() as u8
    };
    let hf_amp = (u16::from(ea) * 2).min(0x1FC);
    let lf_amp = (u16::from(ea) / 2 + 0x40).min(0x7F);
    [
        hf_freq.to_le_bytes()[0],
        (hf_amp + (hf_freq >> 8)).to_le_bytes()[0],
        // Quirk kept from the reference: the whole lf_amp is added here, not lf_amp >> 8.
        (lf_freq + lf_amp).min(255).to_le_bytes()[0],
        lf_amp.to_le_bytes()[0],
    ]
}

/// The rumble report for a step: 200 Hz at `step / 1000`, or the stop rumble at (nearly) zero.
fn rumble_report(step: i32) -> Vec<u8> {
    let amp = step.clamp(0, MAX_STEP) as f32 / MAX_STEP as f32;
    let r = if amp > 0.001 {
        rumble(RUMBLE_HZ, amp)
    } else {
        rumble(0.0, 0.0)
    };
    report(&[
        0x10, 0x01, r[0], r[1], r[2], r[3], r[0], r[1], r[2], r[3], 0x00,
    ])
}

#[async_trait]
impl ProtocolHandler for NintendoJoycon {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.write(Endpoint::Tx, &enable_vibration(), false).await
    }

    /// Only stores the level; the rumble loop ([`Self::tick`]) writes it.
    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        self.step = v.value;
        Ok(Vec::new())
    }

    fn keepalive(&self) -> Keepalive {
        Keepalive::Tick(RUMBLE_PERIOD)
    }

    fn tick(&mut self) -> Vec<HardwareCommand> {
        vec![HardwareCommand::write(
            Endpoint::Tx,
            rumble_report(self.step),
            false,
            CoalesceKey::device(),
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::shared::testing::{
        cmd, definition, drain, encode, feature, hex, sim_io, stop, write_op, writes,
    };
    use crate::wire::OutputType::Vibrate;

    /// (first step, last step, R0 R1 R2 R3) rows of the sheet's table.
    const TABLE: [(i32, i32, &str); 12] = [
        (0, 1, "00 00 41 40"),
        (2, 120, "A8 00 8A 40"),
        (121, 125, "A8 22 92 48"),
        (126, 131, "A8 24 93 49"),
        (231, 232, "A8 40 9A 50"),
        (233, 237, "A8 42 9A 50"),
        (496, 506, "A8 88 AC 62"),
        (507, 517, "A8 8A AC 62"),
        (644, 657, "A8 A0 B2 68"),
        (910, 929, "A8 C0 BA 70"),
        (971, 991, "A8 C6 BB 71"),
        (992, 1000, "A8 C8 BC 72"),
    ];

    fn rumble_bytes(step: i32) -> Vec<u8> {
        rumble_report(step)[2..6].to_vec()
    }

    #[test]
    fn rumble_table() {
        for (lo, hi, bytes) in TABLE {
            for s in [lo, hi] {
                assert_eq!(rumble_bytes(s), hex(bytes), "step {s}");
            }
        }
        // Table boundaries: the neighbours fall in other rows.
        assert_ne!(rumble_bytes(120), rumble_bytes(121));
        assert_ne!(rumble_bytes(506), rumble_bytes(507));
    }

    #[test]
    fn f64_math_gives_the_same_bytes() {
        fn ea64(a: f64) -> u8 {
            if a > 0.23 {
                ((a * 8.7).log2() * 32.0).round() as u8
            } else if a > 0.12 {
                ((a * 17.0).log2() * 16.0).round() as u8
            } else {
                0
            }
        }
        for s in 2..=1000 {
            let ea = ea64(f64::from(s) / 1000.0);
            assert_eq!(rumble_bytes(s)[1], ea * 2, "step {s}");
        }
    }

    #[tokio::test]
    async fn init_then_rumble_loop() {
        let f = feature(0, &[(Vibrate, 0, 1000)]);
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("Joy-Con (R)", "a"),
            &[Endpoint::Tx],
        )
        .await;
        let mut h = create();
        h.initialize(&mut io, &definition(vec![f.clone()]))
            .await
            .unwrap();
        let mut init = vec![0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01];
        init.resize(64, 0);
        assert_eq!(drain(&mut ops), vec![write_op(Endpoint::Tx, &init, false)]);
        assert_eq!(h.keepalive(), Keepalive::Tick(Duration::from_millis(15)));
        assert!(!h.stop_on_connect());

        let mut idle = hex("10 01 00 00 41 40 00 00 41 40 00");
        idle.resize(64, 0);
        assert_eq!(writes(&h.tick()), vec![(Endpoint::Tx, idle.clone(), false)]);
        assert!(writes(&encode(h.as_mut(), &f, cmd(Vibrate, 1000))).is_empty());
        let mut full = hex("10 01 A8 C8 BC 72 A8 C8 BC 72 00");
        full.resize(64, 0);
        assert_eq!(writes(&h.tick()), vec![(Endpoint::Tx, full, false)]);
        assert!(writes(&encode(h.as_mut(), &f, cmd(Vibrate, 500))).is_empty());
        assert_eq!(
            &writes(&h.tick())[0].1[..10],
            &hex("10 01 A8 88 AC 62 A8 88 AC 62")[..]
        );
        assert!(writes(&stop(h.as_mut(), [&f])).is_empty());
        assert_eq!(writes(&h.tick()), vec![(Endpoint::Tx, idle, false)]);
    }
}
