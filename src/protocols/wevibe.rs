//! WeVibe legacy 4-bit (`wevibe`): 8-byte packets on `tx` with response carrying both motors'
//! speeds as nibbles (internal high, external low); single-motor toys repeat the speed in both.
//! Connecting writes an "on" and an "off" packet.

use super::ProtocolHandler;
use super::shared::packets::Packets;
use super::shared::whole_device::WholeDevice;
use crate::wire::OutputType;

const INIT: [u8; 8] = [0x0F, 0x03, 0x00, 0x99, 0x00, 0x03, 0x00, 0x00];
const OFF: [u8; 8] = [0x0F, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00];

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(handler())
}

fn handler() -> Packets<WholeDevice<2>> {
    family(15, |int, ext| {
        [
            0x0F,
            0x03,
            0x00,
            (int << 4) | (ext & 0x0F),
            0x00,
            0x03,
            0x00,
            0x00,
        ]
    })
    .on_connect(INIT, true)
    .on_connect(OFF, true)
}

/// The WeVibe keys' handler (shared with `wevibe-8bit` and `wevibe-chorus`): 8-byte packets on
/// `tx` with response carrying the internal (feature 0) and external (feature 1) motors' steps,
/// each clamped to `max` (a one-vibrator toy repeats its speed in both); `OFF` when both are 0,
/// else `running(int, ext)`.
pub(super) fn family(max: i32, running: fn(u8, u8) -> [u8; 8]) -> Packets<WholeDevice<2>> {
    WholeDevice::new(&[OutputType::Vibrate], move |steps: &[i32; 2]| match steps
        .map(|s| s.clamp(0, max) as u8)
    {
        [0, 0] => OFF,
        [int, ext] => running(int, ext),
    })
    .with_response()
    .mirror_single_vibrator()
}

/// The status byte of `wevibe-8bit` and `wevibe-chorus`: bit 1 the external motor runs, bit 0
/// the internal one.
pub(super) fn status(int: u8, ext: u8) -> u8 {
    (if ext > 0 { 0x02 } else { 0 }) | (if int > 0 { 0x01 } else { 0 })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::Endpoint;
    use crate::hardware::simulated::SimulatedDeviceSpec;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, db_resolve, definition, drain, feature, hex,
        only_write, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn single_motor_repeats_the_speed() {
        let f = feature(0, &[(Vibrate, 0, 15)]);
        let mut p = handler();
        let w = writes(&p.encode_output(&f, cmd(Vibrate, 8)).unwrap());
        assert_eq!(
            w,
            vec![(Endpoint::Tx, hex("0F 03 00 88 00 03 00 00"), true)]
        );
        let out = p.encode_output(&f, cmd(Vibrate, 12)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 CC 00 03 00 00"));
        let out = p.encode_output(&f, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 00 00 00 00 00 00 00"));
        assert!(p.encode_output(&f, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn two_motors_in_nibbles() {
        let f0 = feature(0, &[(Vibrate, 0, 15)]);
        let f1 = feature(1, &[(Vibrate, 0, 15)]);
        let mut p = handler();
        p.setup(&definition(vec![f0.clone(), f1.clone()]));
        p.encode_output(&f0, cmd(Vibrate, 8)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 4)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(only_write(&out), hex("0F 03 00 84 00 03 00 00"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 04 00 03 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 8)).unwrap();
        assert_eq!(only_write(&out), hex("0F 03 00 08 00 03 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), OFF);
    }

    #[tokio::test]
    async fn initialize_writes_on_then_off() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("4plus", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        let mut p = handler();
        p.initialize(&mut io, &db_resolve("wevibe", Some("4plus")))
            .await
            .unwrap();
        assert!(!p.mirrored());
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &INIT, true),
                write_op(Endpoint::Tx, &OFF, true)
            ]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("wevibe") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
