//! Svakom Iker (`svakom-iker`): two vibrators. Motor 0 `[55 03 03 00 01 a]`, motor 1
//! `[55 07 00 00 b 00]`, and `[55 07 00 00 00 00]` alone once both are off.

use super::shared::values::byte;
use super::{CoalesceKey, HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::OutputCommand;

#[derive(Default)]
pub struct SvakomIker {
    a: u8,
    b: u8,
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(SvakomIker::default())
}

impl ProtocolHandler for SvakomIker {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        match feature.index {
            0 => self.a = byte(v.value),
            1 => self.b = byte(v.value),
            _ => return Err(unsupported_output(&command)),
        }
        // Choice: the reference keys both packets with the commanded feature, so within one
        // client message the motor-0 packet recomputed for a motor-1 command would be sent twice.
        // Keying each packet by the motor it describes (and the all-off packet by the whole
        // device) gives what the sheet's examples show: one current packet per motor.
        if self.a == 0 && self.b == 0 {
            return Ok(vec![HardwareCommand::device_write(
                Endpoint::Tx,
                [0x55, 0x07, 0x00, 0x00, 0x00, 0x00],
                false,
            )]);
        }
        // Motor 0 keeps its 0x01 "on" byte even at speed 0 while motor 1 runs.
        let mut out = vec![HardwareCommand::feature_write(
            0,
            Endpoint::Tx,
            [0x55, 0x03, 0x03, 0x00, 0x01, self.a],
            false,
        )];
        if self.b > 0 {
            out.push(HardwareCommand::write(
                Endpoint::Tx,
                [0x55, 0x07, 0x00, 0x00, self.b, 0x00],
                false,
                CoalesceKey::feature(1),
            ));
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{
        assert_encodes_all, cmd, data, db_definitions, feature, hex, message, stop, writes,
    };
    use crate::wire::OutputType::{Oscillate, Vibrate};

    #[test]
    fn sheet_examples() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Vibrate, 0, 5)]);
        let mut p = SvakomIker::default();
        let out = p.encode_output(&f0, cmd(Vibrate, 5)).unwrap();
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("55 03 03 00 01 05"), false)]
        );
        p.encode_output(&f0, cmd(Vibrate, 8)).unwrap();
        let out = p.encode_output(&f1, cmd(Vibrate, 3)).unwrap();
        assert_eq!(
            data(&out),
            vec![hex("55 03 03 00 01 08"), hex("55 07 00 00 03 00")]
        );
        // The recomputed motor-0 packet supersedes the one of the first command.
        assert_eq!(out[0].key, CoalesceKey::feature(0));
        assert_eq!(out[1].key, CoalesceKey::feature(1));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(
            data(&out),
            vec![hex("55 03 03 00 01 00"), hex("55 07 00 00 03 00")]
        );
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(data(&out), vec![hex("55 07 00 00 00 00")]);
        assert_eq!(out[0].key, CoalesceKey::device());
        assert!(p.encode_output(&f0, cmd(Oscillate, 1)).is_err());
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 5)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn one_message_gives_one_packet_per_motor() {
        let f0 = feature(0, &[(Vibrate, 0, 10)]);
        let f1 = feature(1, &[(Vibrate, 0, 5)]);
        let mut p = SvakomIker::default();
        let out = message(&mut p, &[(&f0, cmd(Vibrate, 8)), (&f1, cmd(Vibrate, 3))]);
        assert_eq!(
            data(&out),
            vec![hex("55 03 03 00 01 08"), hex("55 07 00 00 03 00")]
        );
        // Stopping both: only the all-off packet remains.
        let out = stop(&mut p, [&f0, &f1]);
        assert_eq!(data(&out), vec![hex("55 07 00 00 00 00")]);
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-iker") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
