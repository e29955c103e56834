//! Kiiroo PowerShot (`kiiroo-powershot`): both motors in one packet `[01 00 00 v0 v1 00]`,
//! written to `tx` with response; battery from `rxblebattery`.

use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::{InputCommandType, InputType, OutputCommand};

#[derive(Default)]
pub struct KiirooPowerShot {
    speeds: [u8; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KiirooPowerShot::default())
}

impl ProtocolHandler for KiirooPowerShot {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        let Some(slot) = self.speeds.get_mut(feature.index as usize) else {
            return Err(unsupported_output(&command));
        };
        *slot = v.value.clamp(0, 255) as u8;
        let [v0, v1] = self.speeds;
        Ok(vec![HardwareCommand::device_write(
            Endpoint::Tx,
            [0x01, 0x00, 0x00, v0, v1, 0x00],
            true,
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
    fn both_motors_in_one_packet() {
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 100)]),
            feature(1, &[(Vibrate, 0, 100)]),
            battery(2),
        ]);
        let mut h = KiirooPowerShot::default();
        assert_eq!(
            writes(&encode(&mut h, &def.features[0], cmd(Vibrate, 50))),
            vec![(Endpoint::Tx, vec![1, 0, 0, 0x32, 0, 0], true)]
        );
        assert_eq!(
            data(&encode(&mut h, &def.features[1], cmd(Vibrate, 100))),
            vec![vec![1, 0, 0, 0x32, 0x64, 0]]
        );
        assert_eq!(
            writes(&stop(&mut h, &def.features)),
            vec![(Endpoint::Tx, vec![1, 0, 0, 0, 0, 0], true)]
        );
        let f = def.feature(2).unwrap();
        let Ok(InputPlan::Read {
            endpoint,
            mut parse,
            ..
        }) = h.read_input(f, InputType::Battery)
        else {
            panic!("battery is a read");
        };
        assert_eq!(endpoint, Endpoint::RxBleBattery);
        assert_eq!(parse(endpoint, &[77]), Some(77));
    }
}
