//! Kiiroo Spot (`kiiroo-spot`): `[00 FF 00 00 00 v]` on `tx`; battery from `rxblebattery`.

use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand};

#[derive(Default)]
pub struct KiirooSpot;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KiirooSpot)
}

impl ProtocolHandler for KiirooSpot {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let v = v.value.clamp(0, 255) as u8;
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x00, 0xFF, 0x00, 0x00, 0x00, v],
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
    use crate::protocols::shared::testing::*;

    #[test]
    fn vibrate_and_stop() {
        let def = definition(vec![feature(0, &[(Vibrate, 0, 100)]), battery(1)]);
        let mut h = KiirooSpot;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![0, 0xFF, 0, 0, 0, 0x32], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 100))),
            vec![vec![0, 0xFF, 0, 0, 0, 0x64]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0, 0xFF, 0, 0, 0, 0]]
        );
        assert!(
            h.read_input(def.feature(1).unwrap(), InputType::Pressure)
                .is_err()
        );
    }
}
