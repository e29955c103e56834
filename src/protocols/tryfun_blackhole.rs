//! TryFun Black Hole (`tryfun-blackhole`): `[n, 02, 00, 03, cmd, s, C]` on `tx` without
//! response, `n` an 8-bit packet counter shared by all outputs, `cmd` 0x0C oscillate / 0x09
//! vibrate, `C` the TryFun checksum of the bytes after the counter.

use super::shared::tryfun::tryfun_checksum;
use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct TryFunBlackHole {
    counter: u8,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(TryFunBlackHole::default())
}

impl TryFunBlackHole {
    /// The next packet; the counter advances for every packet built (even one superseded later).
    fn packet(&mut self, cmd: u8, value: i32) -> Vec<u8> {
        let mut p = vec![self.counter, 0x02, 0x00, 0x03, cmd, value as u8];
        p.push(tryfun_checksum(&p[1..], 6));
        self.counter = self.counter.wrapping_add(1);
        p
    }
}

impl ProtocolHandler for TryFunBlackHole {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let data = match command {
            OutputCommand::Oscillate(v) => self.packet(0x0C, v.value),
            OutputCommand::Vibrate(v) => self.packet(0x09, v.value),
            _ => return Err(unsupported_output(&command)),
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            data,
            false,
        )])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::{Oscillate, Rotate, Vibrate};
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, db_definitions, feature, hex, only_write, writes,
    };

    #[test]
    fn sheet_sequence_with_counter() {
        let osc = feature(0, &[(Oscillate, 0, 100)]);
        let vib = feature(1, &[(Vibrate, 0, 100)]);
        let mut p = TryFunBlackHole::default();
        let w = writes(&p.encode_output(&osc, cmd(Oscillate, 100)).unwrap());
        assert_eq!(w, vec![(Endpoint::Tx, hex("00 02 00 03 0C 64 90"), false)]);
        let mut next = |f, c| only_write(&p.encode_output(f, c).unwrap());
        assert_eq!(next(&vib, cmd(Vibrate, 100)), hex("01 02 00 03 09 64 93"));
        assert_eq!(next(&osc, cmd(Oscillate, 50)), hex("02 02 00 03 0C 32 C2"));
        assert_eq!(next(&vib, cmd(Vibrate, 50)), hex("03 02 00 03 09 32 C5"));
        assert_eq!(next(&osc, cmd(Oscillate, 0)), hex("04 02 00 03 0C 00 F4"));
        assert_eq!(next(&vib, cmd(Vibrate, 0)), hex("05 02 00 03 09 00 F7"));
        assert!(p.encode_output(&osc, cmd(Rotate, 1)).is_err());
    }

    #[test]
    fn counter_wraps() {
        let vib = feature(0, &[(Vibrate, 0, 50)]);
        let mut p = TryFunBlackHole { counter: 0xFF };
        let out = p.encode_output(&vib, cmd(Vibrate, 1)).unwrap();
        assert_eq!(only_write(&out), hex("FF 02 00 03 09 01 F6"));
        let out = p.encode_output(&vib, cmd(Vibrate, 1)).unwrap();
        assert_eq!(only_write(&out)[0], 0x00);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("tryfun-blackhole") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
