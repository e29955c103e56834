//! KGoal Boost (`kgoal-boost`): an input-only pelvic-floor trainer. Two pressure channels share
//! one subscription on `rxpressure` (values reported on change); battery from `rxblebattery`.

use super::{
    HardwareCommand, InputPlan, ProtocolError, ProtocolHandler, unsupported_input,
    unsupported_output,
};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::wire::{InputCommandType, InputType, OutputCommand};

#[derive(Default)]
pub struct KGoalBoost {
    /// Subscribed pressure features (0 normalized, 1 raw).
    subscribed: [bool; 2],
    last: [i32; 2],
}

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(KGoalBoost::default())
}

fn channel(
    feature: &FeatureDefinition,
    input: InputType,
    cmd: InputCommandType,
) -> Result<usize, ProtocolError> {
    match (input, feature.index) {
        (InputType::Pressure, i @ (0 | 1)) => Ok(i as usize),
        _ => Err(unsupported_input(input, cmd)),
    }
}

impl ProtocolHandler for KGoalBoost {
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

    fn subscribe_input(
        &mut self,
        feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let ch = channel(feature, input, InputCommandType::Subscribe)?;
        let first = !self.subscribed.iter().any(|s| *s);
        self.subscribed[ch] = true;
        Ok(if first {
            vec![HardwareCommand::subscribe(Endpoint::RxPressure)]
        } else {
            Vec::new()
        })
    }

    fn unsubscribe_input(
        &mut self,
        feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let ch = channel(feature, input, InputCommandType::Unsubscribe)?;
        let was = self.subscribed.iter().any(|s| *s);
        self.subscribed[ch] = false;
        Ok(if was && !self.subscribed.iter().any(|s| *s) {
            vec![HardwareCommand::unsubscribe(Endpoint::RxPressure)]
        } else {
            Vec::new()
        })
    }

    fn parse_notification(
        &mut self,
        endpoint: Endpoint,
        data: &[u8],
    ) -> Vec<(u32, InputType, i32)> {
        if endpoint != Endpoint::RxPressure || data.len() < 7 {
            return Vec::new();
        }
        let values = [
            i32::from(u16::from_be_bytes([data[3], data[4]])),
            i32::from(u16::from_be_bytes([data[5], data[6]])),
        ];
        let mut out = Vec::new();
        for (ch, value) in values.into_iter().enumerate() {
            if self.subscribed[ch] && value != self.last[ch] {
                out.push((ch as u32, InputType::Pressure, value));
            }
            self.last[ch] = value;
        }
        out
    }
}
