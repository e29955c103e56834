//! Fredorch (`fredorch`): a stroking machine behind a serial-over-BLE bridge, driven with
//! Modbus-RTU frames (unit 0x01, CRC-16/MODBUS low byte first). At connect it is put into
//! program mode and given a one-move program; each HwPositionWithDuration then reprograms the
//! move (registers 0x6B…: speed, speed, position, position, 1), with a speed looked up from the
//! distance and the duration. Position outputs have no stop.

use std::time::Duration;

use async_trait::async_trait;

use super::shared::checksum::crc16_modbus;
use super::{DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// Wait for the device's wake-up message and for each acknowledgement.
const ACK_TIMEOUT: Duration = Duration::from_millis(500);

/// Durations (ms) of a move per distance (rows 1–15) and speed (columns 1–20).
const SPEED_TABLE: [[u32; 20]; 15] = [
    [
        1000, 800, 400, 235, 200, 172, 155, 92, 60, 45, 38, 34, 32, 28, 27, 26, 25, 24, 23, 22,
    ],
    [
        1500, 1000, 800, 680, 600, 515, 425, 265, 165, 115, 80, 70, 50, 48, 45, 35, 34, 33, 32, 30,
    ],
    [
        2500, 2310, 1135, 925, 792, 695, 565, 380, 218, 155, 105, 82, 70, 68, 65, 60, 48, 45, 43,
        40,
    ],
    [
        3000, 2800, 1500, 1155, 965, 810, 690, 465, 260, 195, 140, 110, 85, 75, 74, 73, 70, 65, 60,
        55,
    ],
    [
        3400, 3232, 2305, 1380, 1200, 1165, 972, 565, 328, 235, 162, 132, 98, 78, 75, 74, 73, 72,
        71, 70,
    ],
    [
        3500, 3350, 2500, 1640, 1250, 1210, 1010, 645, 385, 275, 175, 160, 115, 95, 91, 90, 85, 80,
        77, 75,
    ],
    [
        3600, 3472, 2980, 2060, 1560, 1275, 1132, 738, 430, 310, 230, 170, 128, 122, 110, 108, 105,
        103, 101, 100,
    ],
    [
        3800, 3500, 3055, 2105, 1740, 1370, 1290, 830, 490, 355, 235, 195, 150, 140, 135, 132, 130,
        125, 120, 119,
    ],
    [
        3900, 3518, 3190, 2315, 2045, 1510, 1442, 1045, 552, 392, 280, 225, 172, 145, 140, 138,
        135, 134, 132, 130,
    ],
    [
        6000, 5755, 3240, 2530, 2135, 1605, 1500, 1200, 595, 425, 285, 245, 175, 170, 160, 155,
        150, 145, 142, 140,
    ],
    [
        6428, 5872, 3335, 2780, 2270, 1782, 1590, 1310, 648, 470, 315, 255, 182, 180, 175, 172,
        170, 162, 160, 155,
    ],
    [
        6730, 5950, 3490, 2995, 2395, 1890, 1650, 1350, 700, 500, 350, 290, 220, 190, 185, 180,
        175, 170, 165, 160,
    ],
    [
        6962, 6122, 3880, 3205, 2465, 1900, 1700, 1400, 835, 545, 375, 310, 228, 195, 190, 185,
        182, 181, 180, 175,
    ],
    [
        7945, 6365, 4130, 3470, 2505, 1910, 1755, 1510, 855, 580, 400, 330, 235, 210, 205, 200,
        195, 190, 185, 180,
    ],
    [
        8048, 7068, 4442, 3708, 2668, 1930, 1800, 1520, 878, 618, 428, 365, 260, 255, 250, 240,
        230, 220, 210, 200,
    ],
];

#[derive(Default)]
pub struct Fredorch {
    /// The last commanded position step (0–15).
    prev: i32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Fredorch::default())
}

/// A frame with its CRC appended, low byte first.
fn with_crc(mut frame: Vec<u8>) -> Vec<u8> {
    let crc = crc16_modbus(&frame);
    frame.extend_from_slice(&crc.to_le_bytes());
    frame
}

/// Function 0x06: write one register.
fn write_register(reg: u8, value: u8) -> Vec<u8> {
    with_crc(vec![0x01, 0x06, 0x00, reg, 0x00, value])
}

/// Function 0x10 at 0x6B: speed, speed, position, position, 1.
fn program(speed: u8, pos: u8) -> Vec<u8> {
    with_crc(vec![
        0x01, 0x10, 0x00, 0x6B, 0x00, 0x05, 0x0A, 0x00, speed, 0x00, speed, 0x00, pos, 0x00, pos,
        0x00, 0x01,
    ])
}

/// Speed 0–20 for a move over `distance` steps lasting `duration` ms: the first speed (1–19)
/// faster than the duration, else 20; 0 when not moving.
fn speed_for(distance: u32, duration: u32) -> u8 {
    if distance == 0 {
        return 0;
    }
    let Some(row) = SPEED_TABLE.get(distance as usize - 1) else {
        return 20;
    };
    row.iter()
        .take(19)
        .position(|&ms| ms < duration)
        .map_or(20, |i| i as u8 + 1)
}

/// The connect sequence: program mode on, record, one move to 0 at speed 5, run, repeat.
fn init_frames() -> [Vec<u8>; 5] {
    [
        write_register(0x64, 1),
        write_register(0x69, 0),
        program(5, 0),
        write_register(0x69, 1),
        write_register(0x6A, 1),
    ]
}

#[async_trait]
impl ProtocolHandler for Fredorch {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        // The wake-up message is optional.
        io.next_notification(ACK_TIMEOUT).await?;
        for frame in init_frames() {
            io.write(Endpoint::Tx, &frame, false).await?;
            if io.next_notification(ACK_TIMEOUT).await?.is_none() {
                return Err(ProtocolError::InvalidReply(
                    "no acknowledgement from the device".into(),
                ));
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
        let target = p.value.clamp(0, 15);
        let speed = speed_for(self.prev.abs_diff(target), p.duration);
        self.prev = target;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            program(speed, (target * 10) as u8),
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{AutoReply, SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, hex, only_write, position, sim_io, write_op,
    };
    use crate::wire::OutputType::{HwPositionWithDuration, Oscillate};

    #[test]
    fn init_frames_and_crcs() {
        let f = init_frames();
        assert_eq!(f[0], hex("01 06 00 64 00 01 09 D5"));
        assert_eq!(f[1], hex("01 06 00 69 00 00 59 D6"));
        assert_eq!(
            f[2],
            hex("01 10 00 6B 00 05 0A 00 05 00 05 00 00 00 00 00 01 C0 C3")
        );
        assert_eq!(f[3], hex("01 06 00 69 00 01 98 16"));
        assert_eq!(f[4], hex("01 06 00 6A 00 01 68 16"));
    }

    #[test]
    fn speeds() {
        assert_eq!(speed_for(7, 200), 12);
        assert_eq!(speed_for(8, 50), 20);
        assert_eq!(speed_for(0, 1000), 0);
        assert_eq!(speed_for(15, 3000), 5);
        assert_eq!(speed_for(1, 100_000), 1);
        // The speed-20 column is never compared: 22 ms at distance 1 still gives 20.
        assert_eq!(speed_for(1, 23), 20);
        assert_eq!(speed_for(1, 24), 19);
        assert_eq!(speed_for(99, 10), 20);
    }

    #[test]
    fn sheet_moves() {
        let f = feature(0, &[(HwPositionWithDuration, 0, 15)]);
        let mut p = Fredorch::default();
        let mut enc = |v, d| only_write(&p.encode_output(&f, position(v, d)).unwrap());
        assert_eq!(
            enc(7, 200),
            hex("01 10 00 6B 00 05 0A 00 0C 00 0C 00 46 00 46 00 01 5B 89")
        );
        assert_eq!(
            enc(15, 50),
            hex("01 10 00 6B 00 05 0A 00 14 00 14 00 96 00 96 00 01 A9 A3")
        );
        assert_eq!(
            enc(15, 1000),
            hex("01 10 00 6B 00 05 0A 00 00 00 00 00 96 00 96 00 01 02 A2")
        );
        assert_eq!(
            enc(0, 3000),
            hex("01 10 00 6B 00 05 0A 00 05 00 05 00 00 00 00 00 01 C0 C3")
        );
        assert!(p.encode_output(&f, cmd(Oscillate, 1)).is_err());
    }

    fn echoing_device() -> SimulatedDeviceSpec {
        let mut spec = SimulatedDeviceSpec::new("YXlinksSPP", "a");
        spec.auto_replies = init_frames()
            .into_iter()
            .map(|f| AutoReply {
                on_write: f.clone(),
                endpoint: Endpoint::Rx,
                reply: f,
            })
            .collect();
        spec
    }

    #[tokio::test(start_paused = true)]
    async fn initialize_waits_for_each_echo() {
        let (dev, mut io, mut ops) = sim_io(echoing_device(), &[Endpoint::Tx, Endpoint::Rx]).await;
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 15)])]);
        let mut p = Fredorch::default();
        let init = p.initialize(&mut io, &def);
        let wake = async {
            tokio::task::yield_now().await;
            dev.notify(Endpoint::Rx, hex("00 01 00 01 01"));
        };
        let (r, ()) = tokio::join!(init, wake);
        r.unwrap();
        let mut expected = vec![SimOp::Subscribe {
            endpoint: Endpoint::Rx,
        }];
        expected.extend(
            init_frames()
                .iter()
                .map(|f| write_op(Endpoint::Tx, f, false)),
        );
        assert_eq!(drain(&mut ops), expected);
    }

    #[tokio::test(start_paused = true)]
    async fn missing_acknowledgement_fails() {
        let spec = SimulatedDeviceSpec::new("YXlinksSPP", "a");
        let (_dev, mut io, _ops) = sim_io(spec, &[Endpoint::Tx, Endpoint::Rx]).await;
        let def = definition(vec![feature(0, &[(HwPositionWithDuration, 0, 15)])]);
        assert!(Fredorch::default().initialize(&mut io, &def).await.is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("fredorch") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
