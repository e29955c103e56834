//! Kiiroo ProWand (`kiiroo-prowand`): `[00 00 64 flag v v]` on `tx` (flag FF when on); battery
//! from `rxblebattery`.

use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand};

#[derive(Default)]
pub struct KiirooProWand;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KiirooProWand)
}

impl ProtocolHandler for KiirooProWand {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let v = v.value.clamp(0, 255) as u8;
        let flag = if v == 0 { 0x00 } else { 0xFF };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0x00, 0x00, 0x64, flag, v, v],
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
        let def = definition(vec![feature(0, &[(Vibrate, 0, 255)]), battery(1)]);
        let mut h = KiirooProWand;
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 128))),
            vec![(Endpoint::Tx, vec![0, 0, 0x64, 0xFF, 0x80, 0x80], false)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[0], cmd(Vibrate, 255))),
            vec![vec![0, 0, 0x64, 0xFF, 0xFF, 0xFF]]
        );
        assert_eq!(
            data(&stop(&mut h, &def.features)),
            vec![vec![0, 0, 0x64, 0, 0, 0]]
        );
        assert!(
            h.read_input(def.feature(1).unwrap(), InputType::Battery)
                .is_ok()
        );
    }
}
