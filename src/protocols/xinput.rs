//! XInput gamepads (`xinput`): the hardware layer turns a 4-byte `tx` write into
//! `XInputSetState(left, right)` (two little-endian u16) and a 1-byte `rx` read into the battery
//! level enum. Feature 1 drives the left (heavy) motor, feature 0 the right (light) one. XInput
//! is a Windows API: no transport reaches this protocol on other systems.

use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::{InputCommandType, InputType, OutputCommand};

#[derive(Default)]
pub struct XInput {
    /// Feature 0 and feature 1 speeds.
    motors: [u16; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(XInput::default())
}

/// Battery percent from the XInput battery level (empty, low, medium, full).
fn battery_percent(data: &[u8]) -> Option<i32> {
    match data.first()? {
        0 => Some(0),
        1 => Some(33),
        2 => Some(66),
        3 => Some(100),
        _ => None,
    }
}

impl ProtocolHandler for XInput {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(motor) = self.motors.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *motor = v.value.clamp(0, i32::from(u16::MAX)) as u16;
        let [right, left] = self.motors;
        let mut data = left.to_le_bytes().to_vec();
        data.extend_from_slice(&right.to_le_bytes());
        // Choice: the reference keys this packet by the commanded feature; it carries both
        // motors, so we key it by the whole device (one write when a message sets both).
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            data,
            false,
        )])
    }

    /// Reachable only through a user config adding a battery input (the database has none).
    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        if input != InputType::Battery {
            return Err(unsupported_input(input, InputCommandType::Read));
        }
        Ok(InputPlan::Read {
            before: Vec::new(),
            endpoint: Endpoint::Rx,
            max_len: 1,
            parse: Box::new(|_, data| battery_percent(data)),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::CoalesceKey;
    use crate::protocols::shared::testing::{
        assert_encodes_all, battery, cmd, db_definitions, feature, hex, only_write, writes,
    };
    use crate::wire::OutputType::{Rotate, Vibrate};

    #[test]
    fn motors_in_reverse_order() {
        let f0 = feature(0, &[(Vibrate, 0, 65535)]);
        let f1 = feature(1, &[(Vibrate, 0, 65535)]);
        let mut p = XInput::default();
        let out = p.encode_output(&f0, cmd(Vibrate, 65535)).unwrap();
        assert_eq!(out[0].key, CoalesceKey::device());
        assert_eq!(
            writes(&out),
            vec![(Endpoint::Tx, hex("00 00 FF FF"), false)]
        );
        let out = p.encode_output(&f1, cmd(Vibrate, 32768)).unwrap();
        assert_eq!(only_write(&out), hex("00 80 FF FF"));
        let out = p.encode_output(&f0, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 80 00 00"));
        let out = p.encode_output(&f1, cmd(Vibrate, 0)).unwrap();
        assert_eq!(only_write(&out), hex("00 00 00 00"));
        assert!(p.encode_output(&f0, cmd(Rotate, 1)).is_err());
        assert!(
            p.encode_output(&feature(2, &[(Vibrate, 0, 1)]), cmd(Vibrate, 1))
                .is_err()
        );
    }

    #[test]
    fn battery_levels() {
        assert_eq!(battery_percent(&[0]), Some(0));
        assert_eq!(battery_percent(&[1]), Some(33));
        assert_eq!(battery_percent(&[2]), Some(66));
        assert_eq!(battery_percent(&[3]), Some(100));
        assert_eq!(battery_percent(&[4]), None);
        assert_eq!(battery_percent(&[]), None);
        let f = battery(2);
        let mut p = XInput::default();
        let Ok(InputPlan::Read {
            endpoint,
            mut parse,
            ..
        }) = p.read_input(&f, InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!(endpoint, Endpoint::Rx);
        assert_eq!(parse(endpoint, &[2]), Some(66));
        assert!(p.read_input(&f, InputType::Pressure).is_err());
    }

    #[test]
    fn every_database_output_encodes() {
        for def in db_definitions("xinput") {
            assert_encodes_all(&mut *create(), &def);
        }
    }
}
