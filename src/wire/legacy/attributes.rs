//! The legacy attribute tables of a device (docs/PROTOCOL.md §4.3), derived from its v4 features in
//! one place: the v3 ScalarCmd / RotateCmd / LinearCmd / SensorReadCmd lists (the v0–v2 lists
//! are selections of them). Both the device descriptions sent to legacy clients and the
//! conversion of legacy commands use these tables, so an `Index` a client read from a
//! description always addresses the same feature.

use crate::wire::SpecVersion;
use crate::wire::v4::{DeviceEntry, InputCommandType, InputType, OutputType};

use super::messages::{
    ActuatorAttributesV3, ActuatorType, AttributesV1, AttributesV2, DeviceMessagesV1,
    DeviceMessagesV2, DeviceMessagesV3, Empty, LegacyDevice, LegacyDeviceList,
    LegacyDeviceMessages, SensorAttributesV3, SensorType,
};
use crate::wire::v4::DeviceList;

/// Output types exposed through the v3 ScalarCmd list, in list order within a feature.
pub const SCALAR_OUTPUT_TYPES: [OutputType; 8] = [
    OutputType::Vibrate,
    OutputType::Rotate,
    OutputType::Oscillate,
    OutputType::Constrict,
    OutputType::Temperature,
    OutputType::Led,
    OutputType::Position,
    OutputType::Spray,
];

/// The client-visible step count of an advertised range `[0, n]` or `[-n, n]`: `n`.
pub fn step_count(range: [i32; 2]) -> u32 {
    range[1].max(0).unsigned_abs()
}

/// One actuator of a legacy list: which v4 feature and output type it drives.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actuator<'a> {
    pub feature_index: u32,
    pub output_type: OutputType,
    /// Client-visible steps `n` of the output's range.
    pub step_count: u32,
    pub description: &'a str,
}

/// One readable battery input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BatterySensor<'a> {
    pub feature_index: u32,
    pub description: &'a str,
    pub ranges: &'a [[i32; 2]],
}

/// The legacy tables of one device, borrowed from its v4 entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LegacyAttributes<'a> {
    /// v3 ScalarCmd list: one entry per (feature, output type) for [`SCALAR_OUTPUT_TYPES`], in
    /// ascending feature index, then that order. Array position = ScalarCmd `Index`.
    pub scalar: Vec<Actuator<'a>>,
    /// v3 RotateCmd list (also v1/v2 RotateCmd): features whose Rotate range is bidirectional.
    pub rotate: Vec<Actuator<'a>>,
    /// v3 LinearCmd list (also v1/v2 LinearCmd): features with HwPositionWithDuration.
    pub linear: Vec<Actuator<'a>>,
    /// v3 SensorReadCmd list (v2 BatteryLevelCmd): Battery inputs that support Read.
    pub battery: Vec<BatterySensor<'a>>,
}

impl<'a> LegacyAttributes<'a> {
    /// Compute the tables of a device.
    pub fn of(entry: &'a DeviceEntry) -> LegacyAttributes<'a> {
        let mut attrs = LegacyAttributes::default();
        // BTreeMap iteration: ascending feature index.
        for feature in entry.device_features.values() {
            let description = feature.feature_description.as_str();
            let feature_index = feature.feature_index;
            if let Some(outputs) = &feature.output {
                for output_type in SCALAR_OUTPUT_TYPES {
                    if let Some(props) = outputs.get(&output_type) {
                        attrs.scalar.push(Actuator {
                            feature_index,
                            output_type,
                            step_count: step_count(props.value),
                            description,
                        });
                    }
                }
                let bidirectional_rotate = outputs
                    .get(&OutputType::Rotate)
                    .filter(|props| props.value[0] < 0);
                if let Some(props) = bidirectional_rotate {
                    attrs.rotate.push(Actuator {
                        feature_index,
                        output_type: OutputType::Rotate,
                        step_count: step_count(props.value),
                        description,
                    });
                }
                if let Some(props) = outputs.get(&OutputType::HwPositionWithDuration) {
                    attrs.linear.push(Actuator {
                        feature_index,
                        output_type: OutputType::HwPositionWithDuration,
                        step_count: step_count(props.value),
                        description,
                    });
                }
            }
            let readable_battery = feature
                .input
                .as_ref()
                .and_then(|inputs| inputs.get(&InputType::Battery))
                .filter(|props| props.command.contains(&InputCommandType::Read));
            if let Some(props) = readable_battery {
                attrs.battery.push(BatterySensor {
                    feature_index,
                    description,
                    ranges: &props.value,
                });
            }
        }
        attrs
    }

    /// The v1/v2 VibrateCmd list (and SingleMotorVibrateCmd targets): the Vibrate entries of
    /// the ScalarCmd list.
    pub fn vibrators(&self) -> impl Iterator<Item = &Actuator<'a>> + '_ {
        self.scalar
            .iter()
            .filter(|a| a.output_type == OutputType::Vibrate)
    }

    /// The `DeviceMessages` a `version` client sees; `None` for v4.
    pub fn device_messages(&self, version: SpecVersion) -> Option<LegacyDeviceMessages> {
        let vibrators = self.vibrators().count();
        Some(match version {
            SpecVersion::V0 => LegacyDeviceMessages::V0(if vibrators > 0 {
                vec!["SingleMotorVibrateCmd", "StopDeviceCmd"]
            } else {
                vec!["StopDeviceCmd"]
            }),
            SpecVersion::V1 => {
                let count = |n: usize| {
                    (n > 0).then(|| AttributesV1 {
                        feature_count: len_u32(n),
                    })
                };
                LegacyDeviceMessages::V1(DeviceMessagesV1 {
                    linear_cmd: count(self.linear.len()),
                    rotate_cmd: count(self.rotate.len()),
                    single_motor_vibrate_cmd: (vibrators > 0).then_some(Empty {}),
                    stop_device_cmd: Empty {},
                    vibrate_cmd: count(vibrators),
                })
            }
            SpecVersion::V2 => {
                let steps = |list: Vec<u32>| {
                    (!list.is_empty()).then(|| AttributesV2 {
                        feature_count: len_u32(list.len()),
                        step_count: list,
                    })
                };
                LegacyDeviceMessages::V2(DeviceMessagesV2 {
                    battery_level_cmd: (!self.battery.is_empty()).then_some(Empty {}),
                    linear_cmd: steps(self.linear.iter().map(|a| a.step_count).collect()),
                    rotate_cmd: steps(self.rotate.iter().map(|a| a.step_count).collect()),
                    stop_device_cmd: Empty {},
                    vibrate_cmd: steps(self.vibrators().map(|a| a.step_count).collect()),
                })
            }
            SpecVersion::V3 => {
                let actuators = |list: &[Actuator<'_>]| {
                    (!list.is_empty()).then(|| {
                        list.iter()
                            .map(|a| ActuatorAttributesV3 {
                                actuator_type: ActuatorType::from_output_type(a.output_type),
                                feature_descriptor: a.description.to_owned(),
                                step_count: a.step_count,
                            })
                            .collect()
                    })
                };
                let sensors = (!self.battery.is_empty()).then(|| {
                    self.battery
                        .iter()
                        .map(|s| SensorAttributesV3 {
                            feature_descriptor: s.description.to_owned(),
                            sensor_range: s.ranges.to_vec(),
                            sensor_type: SensorType::Battery,
                        })
                        .collect()
                });
                LegacyDeviceMessages::V3(DeviceMessagesV3 {
                    linear_cmd: actuators(&self.linear),
                    rotate_cmd: actuators(&self.rotate),
                    scalar_cmd: actuators(&self.scalar),
                    sensor_read_cmd: sensors,
                    stop_device_cmd: Empty {},
                })
            }
            SpecVersion::V4 => return None,
        })
    }
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A device as a `version` client sees it; `None` for v4. v3 adds the display name and the
/// real message timing gap ([REC]: advertise the gap actually enforced).
pub fn describe_device(version: SpecVersion, entry: &DeviceEntry) -> Option<LegacyDevice> {
    let device_messages = LegacyAttributes::of(entry).device_messages(version)?;
    let v3 = version == SpecVersion::V3;
    Some(LegacyDevice {
        device_display_name: if v3 {
            entry.device_display_name.clone()
        } else {
            None
        },
        device_index: entry.device_index,
        device_message_timing_gap: v3.then_some(entry.device_message_timing_gap),
        device_messages,
        device_name: entry.device_name.clone(),
    })
}

/// A v4 DeviceList in `version`'s layout (devices in ascending index order); `None` for v4.
pub fn describe_device_list(version: SpecVersion, list: &DeviceList) -> Option<LegacyDeviceList> {
    if version == SpecVersion::V4 {
        return None;
    }
    let devices = list
        .devices
        .values()
        .map(|entry| describe_device(version, entry))
        .collect::<Option<Vec<_>>>()?;
    Some(LegacyDeviceList {
        devices,
        id: list.id,
    })
}
