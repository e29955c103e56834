//! Builds the v4 DeviceList description of a connected device from its resolved definition
//! (docs/PROTOCOL.md §3.3): client-visible ranges, disabled outputs hidden, features with neither
//! outputs nor inputs left out.

use std::collections::BTreeMap;

use crate::device_config::DeviceDefinition;
use crate::wire::{DeviceEntry, DeviceFeature, InputProperties, OutputProperties, OutputType};

/// The DeviceList entry of a device at `index` with message gap `gap_ms`.
pub fn device_entry(index: u32, def: &DeviceDefinition, gap_ms: u32) -> DeviceEntry {
    let mut features = BTreeMap::new();
    for f in &def.features {
        if f.outputs.is_empty() && f.inputs.is_empty() {
            continue;
        }
        let output = if f.outputs.is_empty() {
            None
        } else {
            Some(
                f.outputs
                    .iter()
                    .filter(|o| !o.disabled)
                    .map(|o| {
                        let (lo, hi) = o.client_range();
                        let duration = if o.output_type == OutputType::HwPositionWithDuration {
                            Some(o.duration_range.map(|(a, b)| [a, b]).unwrap_or([0, 0]))
                        } else {
                            None
                        };
                        (
                            o.output_type,
                            OutputProperties {
                                duration,
                                value: [lo, hi],
                            },
                        )
                    })
                    .collect(),
            )
        };
        let input = if f.inputs.is_empty() {
            None
        } else {
            Some(
                f.inputs
                    .iter()
                    .map(|i| {
                        (
                            i.input_type,
                            InputProperties {
                                command: i.commands.clone(),
                                value: i.ranges.iter().map(|(a, b)| [*a, *b]).collect(),
                            },
                        )
                    })
                    .collect(),
            )
        };
        features.insert(
            f.index,
            DeviceFeature {
                feature_description: f.description.clone(),
                feature_index: f.index,
                input,
                output,
            },
        );
    }
    DeviceEntry {
        device_display_name: def.display_name.clone(),
        device_features: features,
        device_index: index,
        device_message_timing_gap: gap_ms,
        device_name: def.name.clone(),
    }
}
