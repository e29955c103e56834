//! Aneros (`aneros`): two vibrators, one 2-byte packet per feature: `[0xF1 + feature, value]`.

use super::{HardwareCommand, ProtocolError, ProtocolHandler, unsupported_output};
use crate::device_config::FeatureDefinition;
use crate::hardware::Endpoint;
use crate::protocol::OutputCommand;

#[derive(Default)]
pub struct Aneros;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(Aneros)
}

impl ProtocolHandler for Aneros {
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        let OutputCommand::Vibrate(v) = command else {
            return Err(unsupported_output(&command));
        };
        Ok(vec![HardwareCommand::feature_write(
            feature.index,
            Endpoint::Tx,
            [0xF1u8.wrapping_add(feature.index as u8), v.value as u8],
            false,
        )])
    }
}
