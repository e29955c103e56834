//! Fredorch Rotary (`fredorch-rotary`): a machine with no absolute speed command, only "one step
//! faster", "one step slower" and "stop" (`[55, 03, cmd, 03 + cmd, AA]` on `tx`). The handler
//! tracks the speed it believes the machine runs at and steps towards each commanded speed.

use std::time::Duration;

use async_trait::async_trait;

use super::shared::checksum::sum8;
use super::{
    CoalesceKey, DeviceIo, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output,
};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

/// Wait for a notification after each connect packet (a timeout is normal).
const ACK_TIMEOUT: Duration = Duration::from_millis(100);

const START: u8 = 0x99;
const POWER_UP: u8 = 0x1F;
const STOP: u8 = 0x24;
const FASTER: u8 = 0x01;
const SLOWER: u8 = 0x02;

#[derive(Default)]
pub struct FredorchRotary {
    /// The speed step the machine is believed to run at.
    current: i32,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(FredorchRotary::default())
}

/// `[55, LEN, CMD, payload…, SUM, AA]`; LEN counts the bytes after it, SUM is the 8-bit sum of
/// LEN, CMD and the payload.
fn frame(cmd: u8, payload: &[u8]) -> Vec<u8> {
    let mut body = vec![(payload.len() + 3) as u8, cmd];
    body.extend_from_slice(payload);
    let sum = sum8(&body);
    let mut out = vec![0x55];
    out.extend_from_slice(&body);
    out.extend_from_slice(&[sum, 0xAA]);
    out
}

fn init_frames() -> [Vec<u8>; 4] {
    [
        frame(START, &[]),
        frame(0x21, &[0; 6]), // password, all zero
        frame(POWER_UP, &[]),
        frame(STOP, &[]),
    ]
}

/// Choice: the reference feeds a background loop that writes one step at a time as fast as it
/// can. Every step is relative, so none may be lost: we write the whole run of steps at once,
/// in order, with a key that no later packet supersedes (the device sees the same sequence).
fn step(cmd: u8) -> HardwareCommand {
    HardwareCommand::write(Endpoint::Tx, frame(cmd, &[]), false, CoalesceKey(0))
}

#[async_trait]
impl ProtocolHandler for FredorchRotary {
    async fn initialize(
        &mut self,
        io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        io.subscribe(Endpoint::Rx).await?;
        for f in init_frames() {
            io.write(Endpoint::Tx, &f, false).await?;
            // The content is ignored and a timeout is expected; a disconnect aborts.
            io.next_notification(ACK_TIMEOUT).await?;
        }
        Ok(())
    }

    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Oscillate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let target = v.value.clamp(0, 255);
        if target == 0 {
            self.current = 0;
            return Ok(vec![step(STOP)]);
        }
        let cmd = if target > self.current {
            FASTER
        } else {
            SLOWER
        };
        let n = self.current.abs_diff(target) as usize;
        self.current = target;
        Ok(vec![step(cmd); n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{assert_encodes_all, db_definitions};
    use crate::protocols::shared::testing::{
        cmd, definition, drain, feature, hex, sim_io, write_op, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn frames() {
        let f = init_frames();
        assert_eq!(f[0], hex("55 03 99 9C AA"));
        assert_eq!(f[1], hex("55 09 21 00 00 00 00 00 00 2A AA"));
        assert_eq!(f[2], hex("55 03 1F 22 AA"));
        assert_eq!(f[3], hex("55 03 24 27 AA"));
        assert_eq!(frame(FASTER, &[]), hex("55 03 01 04 AA"));
        assert_eq!(frame(SLOWER, &[]), hex("55 03 02 05 AA"));
    }

    #[test]
    fn steps_towards_the_target() {
        let f = feature(0, &[(Oscillate, 0, 20)]);
        let mut p = FredorchRotary::default();
        let mut enc = |v| {
            let out = p.encode_output(&f, cmd(Oscillate, v)).unwrap();
            assert!(out.iter().all(|c| c.key == CoalesceKey(0)));
            writes(&out)
                .into_iter()
                .map(|(e, d, r)| {
                    assert_eq!((e, r), (Endpoint::Tx, false));
                    d
                })
                .collect::<Vec<_>>()
        };
        let up = hex("55 03 01 04 AA");
        let down = hex("55 03 02 05 AA");
        let stop = hex("55 03 24 27 AA");
        assert_eq!(enc(3), vec![up.clone(); 3]);
        assert_eq!(enc(1), vec![down.clone(); 2]);
        assert_eq!(enc(1), Vec::<Vec<u8>>::new());
        assert_eq!(enc(0), vec![stop.clone()]);
        assert_eq!(enc(2), vec![up.clone(); 2]);
        assert_eq!(enc(20), vec![up; 18]);
        assert_eq!(enc(0), vec![stop]);
        assert!(p.encode_output(&f, cmd(Vibrate, 1)).is_err());
    }

    #[tokio::test(start_paused = true)]
    async fn initialize_sequence() {
        let (_dev, mut io, mut ops) = sim_io(
            SimulatedDeviceSpec::new("M1_1234", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        let def = definition(vec![feature(0, &[(Oscillate, 0, 20)])]);
        FredorchRotary::default()
            .initialize(&mut io, &def)
            .await
            .unwrap();
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
    async fn disconnect_during_initialize_fails() {
        let (dev, mut io, _ops) = sim_io(
            SimulatedDeviceSpec::new("M1_1234", "a"),
            &[Endpoint::Tx, Endpoint::Rx],
        )
        .await;
        dev.disconnect();
        let def = definition(vec![feature(0, &[(Oscillate, 0, 20)])]);
        assert!(
            FredorchRotary::default()
                .initialize(&mut io, &def)
                .await
                .is_err()
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("fredorch-rotary") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
