//! Builds the v4 DeviceList description of a connected device from its resolved definition
//! (docs/PROTOCOL.md §3.3): client-visible ranges, disabled outputs hidden, features that offer
//! no output and no input left out.

use std::collections::BTreeMap;

use crate::device_config::DeviceDefinition;
use crate::wire::{DeviceEntry, DeviceFeature, InputProperties, OutputProperties, OutputType};

/// The DeviceList entry of a device at `index` with message gap `gap_ms`.
pub fn device_entry(index: u32, def: &DeviceDefinition, gap_ms: u32) -> DeviceEntry {
    let mut features = BTreeMap::new();
    for f in &def.features {
        // A feature offers what is not disabled; one that offers nothing is left out (as
        // buttplug_server 12 does: v10 listed it with an empty `Output`).
        let offers_output = f.outputs.iter().any(|o| !o.disabled);
        if !offers_output && f.inputs.is_empty() {
            continue;
        }
        let output = if !offers_output {
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
                                // Read, Subscribe, Unsubscribe: the same order whatever the
                                // database's.
                                command: {
                                    let mut c = i.commands.clone();
                                    c.sort();
                                    c.dedup();
                                    c
                                },
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocols::shared::testing::{battery, definition, feature};
    use crate::wire::{InputCommandType, InputType};

    #[test]
    fn features_offering_nothing_are_left_out() {
        let mut all_disabled = feature(0, &[(OutputType::Vibrate, 0, 20)]);
        all_disabled.outputs[0].disabled = true;
        let mut disabled_with_input = feature(1, &[(OutputType::Vibrate, 0, 20)]);
        disabled_with_input.outputs[0].disabled = true;
        disabled_with_input.inputs = battery(1).inputs;
        // Subscribe before Read in the database: listed Read first all the same.
        disabled_with_input.inputs[0].commands =
            vec![InputCommandType::Subscribe, InputCommandType::Read];
        let plain = feature(2, &[(OutputType::Rotate, 0, 10)]);
        let entry = device_entry(
            3,
            &definition(vec![all_disabled, disabled_with_input, plain]),
            0,
        );
        let indexes: Vec<u32> = entry.device_features.keys().copied().collect();
        assert_eq!(indexes, vec![1, 2]);
        let f1 = &entry.device_features[&1];
        assert_eq!(
            f1.output, None,
            "no Output key for a feature whose outputs are disabled"
        );
        let battery = &f1.input.as_ref().unwrap()[&InputType::Battery];
        assert_eq!(
            battery.command,
            vec![InputCommandType::Read, InputCommandType::Subscribe]
        );
        assert!(entry.device_features[&2].output.is_some());
    }
}
