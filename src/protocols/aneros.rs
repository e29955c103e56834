//! Aneros (`aneros`): two vibrators, one 2-byte packet per feature: `[0xF1 + feature, value]`.

use super::ProtocolHandler;
use super::shared::per_feature::PerFeature;
use crate::wire::OutputType;

pub fn create() -> Box<dyn ProtocolHandler> {
    Box::new(PerFeature::of(OutputType::Vibrate, |index, v| {
        [0xF1u8.wrapping_add(index as u8), v as u8]
    }))
}
