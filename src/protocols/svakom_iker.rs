//! Svakom Iker (`svakom-iker`): two vibrators. Motor 0 `[55 03 03 00 01 a]`, motor 1
//! `[55 07 00 00 b 00]`, and `[55 07 00 00 00 00]` alone once both are off. See
//! docs/protocols/svakom-iker.md.
//!
//! Stops: buttplug_server 12 coalesces a stop's packets so that, with both motors running, motor
//! 0's zero (`55 03 03 00 01 00`) is dropped and only motor 1's packets are written. Teleplug
//! writes every stop: motor 0's zero, then the all-off packet.

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
        // Keying each motor packet by the motor it describes gives what the sheet's examples
        // show: one current packet per motor. The all-off packet keeps the commanded feature's
        // key, so in a stop it does not drop motor 0's zero written just before it.
        if self.a == 0 && self.b == 0 {
            return Ok(vec![HardwareCommand::feature_write(
                feature.index,
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
        assert_eq!(out[0].key, CoalesceKey::feature(1));
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
        // Stopping both: motor 0's zero, then the all-off packet (the stale motor-1 packet of
        // the first entry is superseded).
        let out = stop(&mut p, [&f0, &f1]);
        assert_eq!(
            data(&out),
            vec![hex("55 03 03 00 01 00"), hex("55 07 00 00 00 00")]
        );
    }

    /// Through the server's device task (BLE message gap, the stop landing while the gap after
    /// a command runs): buttplug_server 12 would write `55 07 00 00 03 00`, `55 07 00 00 00 00`
    /// (motor 0's zero dropped); Teleplug writes a zero for each motor.
    #[tokio::test(start_paused = true)]
    async fn a_stop_writes_a_zero_for_every_motor() {
        use crate::hardware::simulated::SimulatedDeviceSpec;
        use crate::protocols::shared::testing::{definition, served, written};
        use std::time::Duration;
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(Vibrate, 0, 5)]),
        ]);
        let spec = SimulatedDeviceSpec::new("Iker", "a");
        let gap = Duration::from_millis(75);
        let mut d = served(create(), def, spec, &[Endpoint::Tx], gap).await;
        let sent = d
            .message(&[(0, cmd(Vibrate, 5)), (1, cmd(Vibrate, 3))])
            .await;
        assert_eq!(
            written(&sent),
            vec![
                (Endpoint::Tx, hex("55 03 03 00 01 05")),
                (Endpoint::Tx, hex("55 07 00 00 03 00"))
            ]
        );
        assert_eq!(
            written(&d.stop().await),
            vec![
                (Endpoint::Tx, hex("55 03 03 00 01 00")),
                (Endpoint::Tx, hex("55 07 00 00 00 00"))
            ]
        );
        // Motor 1 alone: its zero is the all-off packet.
        tokio::time::sleep(gap * 2).await;
        d.message(&[(1, cmd(Vibrate, 2))]).await;
        assert_eq!(
            written(&d.stop().await),
            vec![(Endpoint::Tx, hex("55 07 00 00 00 00"))]
        );
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("svakom-iker") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
