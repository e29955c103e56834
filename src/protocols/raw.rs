//! Raw (`raw`): a placeholder protocol with no database entry, which a user configuration could
//! point a device at. It encodes no output (every output command is refused as not implemented,
//! so such features cannot be stopped either); a Battery input configured for the device is read
//! from the standard BLE battery characteristic.

use super::{HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::wire::{InputType, OutputCommand};

pub struct Raw;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Raw)
}

impl ProtocolHandler for Raw {
    fn encode_output(
        &mut self,
        _feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        Err(unsupported_output(&command))
    }

    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        InputPlan::ble_battery_only(input)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{battery, feature};
    use crate::wire::OutputType;

    #[test]
    fn refuses_every_output() {
        let mut h = Raw;
        for t in [
            OutputType::Vibrate,
            OutputType::Rotate,
            OutputType::Oscillate,
            OutputType::Constrict,
            OutputType::Position,
        ] {
            let e = h
                .encode_output(&feature(0, &[(t, 0, 10)]), OutputCommand::new(t, 0, 0))
                .unwrap_err();
            assert!(matches!(e, ProtocolError::Unsupported(_)), "{t}");
        }
        assert!(h.read_input(&battery(1), InputType::Battery).is_ok());
        assert!(h.read_input(&battery(1), InputType::Rssi).is_err());
    }
}
