//! Validation of v4 commands against the connected devices, with the error codes and messages of
//! docs/PROTOCOL.md §3.4–3.6, and scaling of client steps to device steps.

use std::sync::Arc;

use super::registry::{DeviceHandle, Snapshot};
use crate::wire::{
    ButtplugError, DeviceError, InputCmd, InputCommandType, MessageError, OutputCmd, OutputCommand,
    StopCmd,
};

fn device(snapshot: &Snapshot, index: u32) -> Result<&Arc<DeviceHandle>, ButtplugError> {
    snapshot
        .devices
        .get(&index)
        .ok_or_else(|| DeviceError::DeviceNotAvailable(index).into())
}

fn feature_error(d: &DeviceHandle, index: u32) -> ButtplugError {
    DeviceError::DeviceFeatureIndexError(d.entry.device_features.len() as u32, index).into()
}

/// Check an OutputCmd; returns the device and the command in device steps.
pub fn output(
    snapshot: &Snapshot,
    cmd: &OutputCmd,
) -> Result<(Arc<DeviceHandle>, OutputCommand), ButtplugError> {
    let d = device(snapshot, cmd.device_index)?;
    let listed = d.entry.device_features.get(&cmd.feature_index);
    let feature = match (listed, d.definition.feature(cmd.feature_index)) {
        (Some(_), Some(f)) => f,
        _ => return Err(feature_error(d, cmd.feature_index)),
    };
    if feature.outputs.is_empty() {
        return Err(DeviceError::MessageNotSupported("OutputCmd".into()).into());
    }
    let t = cmd.command.output_type();
    // An output type the feature does not have: the reference's error (buttplug_server 12).
    let Some(out) = feature.output(t) else {
        return Err(DeviceError::MessageNotSupported("OutputCmd".into()).into());
    };
    if out.disabled {
        return Err(DeviceError::MessageNotSupported(format!(
            "Output type {t} is disabled for this device"
        ))
        .into());
    }
    let value = cmd.command.value();
    let Some(step) = out.to_device_step(value) else {
        return Err(DeviceError::DeviceStepRangeError(0, i64::from(value)).into());
    };
    if value < 0 && !t.accepts_negative() {
        return Err(DeviceError::DeviceCommandSignError.into());
    }
    if value < 0 && out.base_range.0 >= 0 {
        // A one-way rotator (range [0, n]) cannot turn backwards.
        return Err(DeviceError::DeviceCommandSignError.into());
    }
    Ok((
        d.clone(),
        OutputCommand::new(t, step, cmd.command.duration()),
    ))
}

/// Check an InputCmd; returns the device.
pub fn input(snapshot: &Snapshot, cmd: &InputCmd) -> Result<Arc<DeviceHandle>, ButtplugError> {
    let d = device(snapshot, cmd.device_index)?;
    let listed = d.entry.device_features.get(&cmd.feature_index);
    let feature = match (listed, d.definition.feature(cmd.feature_index)) {
        (Some(_), Some(f)) => f,
        _ => return Err(feature_error(d, cmd.feature_index)),
    };
    let Some(input) = feature.input(cmd.input_type) else {
        return Err(DeviceError::MessageNotSupported("InputCmd".into()).into());
    };
    let needed = match cmd.command {
        InputCommandType::Read => InputCommandType::Read,
        InputCommandType::Subscribe | InputCommandType::Unsubscribe => InputCommandType::Subscribe,
    };
    if !input.commands.contains(&needed) {
        return Err(DeviceError::MessageNotSupported(format!(
            "InputCmd ({:?}) is not offered by {} input of feature {}",
            cmd.command, cmd.input_type, cmd.feature_index
        ))
        .into());
    }
    Ok(d.clone())
}

/// Check a StopCmd; returns the devices it concerns.
pub fn stop(snapshot: &Snapshot, cmd: &StopCmd) -> Result<Vec<Arc<DeviceHandle>>, ButtplugError> {
    match cmd.device_index {
        // A feature of which device? Not "every device" (buttplug_server 12 refuses it too).
        None if cmd.feature_index.is_some() => Err(MessageError::InvalidMessageContents(
            "StopCmd feature_index requires a device_index".into(),
        )
        .into()),
        None => Ok(snapshot.devices.values().cloned().collect()),
        Some(i) => {
            let d = device(snapshot, i)?;
            if let Some(f) = cmd.feature_index {
                if !d.entry.device_features.contains_key(&f) {
                    return Err(feature_error(d, f));
                }
            }
            Ok(vec![d.clone()])
        }
    }
}
