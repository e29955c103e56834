//! Magic Motion V3 (`magic-motion-3`, LoveLife Krush): one vibrator (0–77) driven by a 12-byte
//! packet on `tx`; battery from the standard BLE battery characteristic.

use super::shared::values::byte;
use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand};

pub struct MagicMotion3;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(MagicMotion3)
}

impl ProtocolHandler for MagicMotion3 {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let packet = [
            0x0B,
            0xFF,
            0x04,
            0x0A,
            0x46,
            0x46,
            0x00,
            0x04,
            0x08,
            byte(v.value),
            0x64,
            0x00,
        ];
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            packet,
            false,
        )])
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        match input {
            InputType::Battery => Ok(InputPlan::ble_battery()),
            _ => Err(unsupported_input(input, InputCommandType::Read)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::OutputType::Vibrate;
    use crate::protocols::shared::testing::{battery, cmd, encode, feature, hex, stop, writes};

    fn tx(s: &str) -> (Endpoint, Vec<u8>, bool) {
        (Endpoint::Tx, hex(s), false)
    }

    #[test]
    fn sheet_examples() {
        let f = feature(0, &[(Vibrate, 0, 77)]);
        let mut h = MagicMotion3;
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 39))),
            vec![tx("0B FF 04 0A 46 46 00 04 08 27 64 00")]
        );
        assert_eq!(
            writes(&encode(&mut h, &f, cmd(Vibrate, 58))),
            vec![tx("0B FF 04 0A 46 46 00 04 08 3A 64 00")]
        );
        assert_eq!(
            writes(&stop(&mut h, [&f])),
            vec![tx("0B FF 04 0A 46 46 00 04 08 00 64 00")]
        );
        assert!(matches!(
            h.read_input(&battery(1), InputType::Battery),
            Ok(InputPlan::Read {
                endpoint: Endpoint::RxBleBattery,
                ..
            })
        ));
    }
}
