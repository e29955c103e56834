//! AEBN RealTouch (`realtouch`, USB HID): a sleeve with two belts. Position moves are emulated by
//! running both belts in or out for the move's duration at a magnitude from the Fleshlight speed
//! formula; a stop halts every component. Reports are 64 bytes without report ID, written as
//! `00` + payload. No reference implementation; documented protocol (docs/protocols/realtouch.md).
//! The HID transport that reaches the device is not part of this module.

use std::time::Duration;

use async_trait::async_trait;
use tracing::{debug, warn};

use super::shared::fleshlight;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

const REPORT_LEN: usize = 64;
const REPLY_TIMEOUT: Duration = Duration::from_millis(500);
const CMD_VERSION: u8 = 0x00;
const CMD_SERIAL: u8 = 0x0A;
const CMD_STOP: u8 = 0x01;
const CMD_VECTOR: u8 = 0x02;
const COMPONENT_ALL: u8 = 0x60;
const BOTH_BELTS_IN: u8 = 0x20;
const DIRECTION_OUT: u8 = 0x80;
/// Below this magnitude the belts barely move.
const MIN_MAGNITUDE: f64 = 40.0;

pub struct RealTouch {
    /// The previous commanded position (steps 0–99).
    prev: i32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(RealTouch { prev: 0 })
}

/// The write for a payload: no report ID (`00`), then the payload zero-filled to 64 bytes.
fn report(payload: &[u8]) -> Vec<u8> {
    let mut r = vec![0x00];
    r.extend(payload);
    r.resize(REPORT_LEN + 1, 0);
    r
}

/// The vector-movement payload for a move from `prev` to `position` over `duration` ms.
fn vector(prev: i32, position: i32, duration: u32) -> [u8; 11] {
    let distance = f64::from(position.abs_diff(prev)) / 99.0;
    let speed = fleshlight::speed(distance, duration);
    let magnitude = (MIN_MAGNITUDE + (255.0 - MIN_MAGNITUDE) * speed.min(1.0)) as u8;
    let axis = if position > prev {
        BOTH_BELTS_IN
    } else {
        BOTH_BELTS_IN | DIRECTION_OUT
    };
    let [lo, hi] = u16::try_from(duration).unwrap_or(u16::MAX).to_le_bytes();
    [CMD_VECTOR, axis, magnitude, lo, hi, 0, 0, 0, 0, 0, 0]
}

#[async_trait]
impl ProtocolHandler for RealTouch {
    /// Ask for the firmware version and serial number, as the vendor's software does first. The
    /// answers are informational: a missing one does not fail the connection.
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        if io.advertisement().name.contains("v1") {
            warn!(
                product = %io.advertisement().name,
                "RealTouch on v1 firmware: these commands are not known to work until it is updated"
            );
        }
        for cmd in [CMD_VERSION, CMD_SERIAL] {
            io.write(Endpoint::Tx, &report(&[cmd]), false).await?;
            match io.read(Endpoint::Rx, REPORT_LEN, REPLY_TIMEOUT).await {
                Ok(reply) => debug!("RealTouch reply to {cmd:#04x}: {reply:02x?}"),
                Err(e) => debug!("RealTouch gave no reply to {cmd:#04x}: {e}"),
            }
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::HwPositionWithDuration(p) = command else {
            return Err(unsupported_output(&command));
        };
        let position = p.value.clamp(0, 99);
        if position == self.prev {
            return Ok(Vec::new());
        }
        let payload = vector(self.prev, position, p.duration);
        self.prev = position;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            report(&payload),
            false,
        )])
    }

    /// A belt move can run for up to 65 s, so a device stop halts every component.
    fn stop_positional(&mut self, feature: &FeatureDefinition) -> Vec<HardwareCommand> {
        vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            report(&[CMD_STOP, COMPONENT_ALL]),
            false,
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{
        definition, drain, feature, hex, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::HwPositionWithDuration;

    fn move_to(h: &mut dyn ProtocolHandler, position: i32, duration: u32) -> Vec<Vec<u8>> {
        let f = feature(0, &[(HwPositionWithDuration, 0, 99)]);
        let cmd = OutputCommand::new(HwPositionWithDuration, position, duration);
        writes(&h.encode_output(&f, cmd).unwrap())
            .into_iter()
            .map(|(e, d, r)| {
                assert_eq!((e, r), (Endpoint::Tx, false));
                assert_eq!((d.len(), d[0]), (65, 0x00));
                assert!(d[12..].iter().all(|b| *b == 0));
                d[1..12].to_vec()
            })
            .collect()
    }

    #[test]
    fn sheet_examples() {
        let mut h = create();
        assert_eq!(
            move_to(h.as_mut(), 99, 1000),
            vec![hex("02 20 52 E8 03 00 00 00 00 00 00")]
        );
        assert_eq!(
            move_to(h.as_mut(), 0, 500),
            vec![hex("02 A0 80 F4 01 00 00 00 00 00 00")]
        );
        assert_eq!(
            move_to(h.as_mut(), 50, 300),
            vec![hex("02 20 71 2C 01 00 00 00 00 00 00")]
        );
        assert_eq!(
            move_to(h.as_mut(), 60, 2000),
            vec![hex("02 20 29 D0 07 00 00 00 00 00 00")]
        );
        // No movement: nothing written.
        assert!(move_to(h.as_mut(), 60, 700).is_empty());
        let mut h = create();
        assert_eq!(
            move_to(h.as_mut(), 99, 100),
            vec![hex("02 20 FF 64 00 00 00 00 00 00 00")]
        );
        // Zero duration saturates; long durations are capped at 65535 ms.
        assert_eq!(
            move_to(h.as_mut(), 0, 0),
            vec![hex("02 A0 FF 00 00 00 00 00 00 00 00")]
        );
        assert_eq!(move_to(h.as_mut(), 1, 100000)[0][3..5], [0xFF, 0xFF]);
    }

    #[test]
    fn stop_halts_everything() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 99)]);
        let mut expected = hex("00 01 60");
        expected.resize(65, 0);
        assert_eq!(
            writes(&create().stop_positional(&f)),
            vec![(Endpoint::Tx, expected, false)]
        );
    }

    #[tokio::test]
    async fn initialization_queries_version_and_serial() {
        let (dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("RealTouch", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        dev.queue_read(Endpoint::Rx, hex("00 02 01"));
        dev.queue_read(Endpoint::Rx, hex("0A 12 34"));
        let f = feature(0, &[(HwPositionWithDuration, 0, 99)]);
        let mut h = create();
        h.initialize(&mut io, &definition(vec![f])).await.unwrap();
        let query = |cmd: u8| {
            let mut r = vec![0x00, cmd];
            r.resize(65, 0);
            write_op(Endpoint::Tx, &r, false)
        };
        let read = SimOp::Read {
            endpoint: Endpoint::Rx,
        };
        assert_eq!(
            drain(&mut ops),
            vec![query(0x00), read.clone(), query(0x0A), read]
        );
    }

    #[tokio::test(start_paused = true)]
    async fn silent_device_still_connects() {
        let (_dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("RealTouch", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 99)])]);
        assert!(create().initialize(&mut io, &def).await.is_ok());
    }
}
