//! Legacy client commands → v4 messages (docs/PROTOCOL.md §4.4, §4.5, with the [REC] fixes), and
//! the v4 replies → the legacy reply. Indexes are resolved through the attribute tables of
//! [`super::attributes`], floats become integer steps with [`ceil_step`] / [`floor_step`].

use super::any::AnyServerMessage;
use crate::wire::SpecVersion;
use crate::wire::errors::{ButtplugError, DeviceError, MessageError};
use crate::wire::v4::{
    ClientMessage, DeviceEntry, DeviceList, InputCmd, InputCommandType, InputType, OutputCmd,
    OutputCommand, OutputType, ServerMessage, StopCmd,
};

use super::LegacyAction;
use super::attributes::{Actuator, LegacyAttributes, step_count};
use super::messages::{
    BatteryLevelReading, LegacyClientMessage, LegacyServerMessage, LinearCmd, RotateCmd, ScalarCmd,
    SensorReading, SensorType, SingleMotorVibrateCmd, VibrateCmd,
};

/// Below this, `f·n` counts as 0 steps.
const STEP_EPSILON: f64 = 0.000_001;

/// Float → step for speeds and scalars: `ceil(n·f)`, or 0 when `n·f` ≤ 1e-6. `f` must already
/// be checked to lie in [0, 1].
pub fn ceil_step(f: f64, n: u32) -> i32 {
    let x = f * f64::from(n);
    if x > STEP_EPSILON {
        // x ≤ n ≤ i32::MAX for every advertised range; `as` saturates otherwise.
        x.ceil() as i32
    } else {
        0
    }
}

/// Float → step for LinearCmd positions: `floor(n·f)` (truncation). `f` in [0, 1].
pub fn floor_step(f: f64, n: u32) -> i32 {
    let x = f * f64::from(n);
    if x > STEP_EPSILON {
        x.floor() as i32
    } else {
        0
    }
}

/// Convert a legacy client message into v4 messages, using the device list the connection knows.
pub fn convert_legacy(
    version: SpecVersion,
    msg: &LegacyClientMessage,
    devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    use LegacyClientMessage as M;
    if !msg.exists_in(version) {
        return Err(MessageError::UnexpectedMessageType(msg.name().to_owned()).into());
    }
    let id = msg.id();
    let name = msg.name();
    match msg {
        M::StopDeviceCmd(m) => {
            device(devices, m.device_index)?;
            Ok(forward_one(ClientMessage::StopCmd(StopCmd {
                device_index: Some(m.device_index),
                id,
                ..StopCmd::default()
            })))
        }
        M::StopAllDevices(_) => Ok(forward_one(ClientMessage::StopCmd(StopCmd {
            id,
            ..StopCmd::default()
        }))),
        M::SingleMotorVibrateCmd(m) => single_motor_vibrate(id, name, m, devices),
        M::VibrateCmd(m) => vibrate(id, name, m, devices),
        M::ScalarCmd(m) => scalar(id, name, m, devices),
        M::RotateCmd(m) => rotate(id, name, m, devices),
        M::LinearCmd(m) => linear(id, name, m, devices),
        M::BatteryLevelCmd(m) => {
            let entry = device(devices, m.device_index)?;
            Ok(forward_one(battery_read(id, entry)?))
        }
        M::SensorReadCmd(m) => {
            let entry = device(devices, m.device_index)?;
            if m.sensor_type != SensorType::Battery {
                return Err(DeviceError::MessageNotSupported("SensorReadCmdV3".into()).into());
            }
            // The first battery is read whatever SensorIndex says (every shipped device has
            // at most one).
            Ok(forward_one(battery_read(id, entry)?))
        }
        M::Test(m) => {
            if m.test_string == "Error" {
                Err(MessageError::InvalidMessageContents(
                    "Test message asked for an error (TestString \"Error\")".into(),
                )
                .into())
            } else {
                Ok(LegacyAction::Reply(AnyServerMessage::Legacy(
                    LegacyServerMessage::Test(m.clone()),
                )))
            }
        }
        M::RequestLog(_) => Ok(LegacyAction::Reply(AnyServerMessage::V4(
            ServerMessage::ok(id),
        ))),
        M::SensorSubscribeCmd(_)
        | M::SensorUnsubscribeCmd(_)
        | M::FleshlightLaunchFW12Cmd(_)
        | M::VorzeA10CycloneCmd(_)
        | M::KiirooCmd(_)
        | M::LovenseCmd(_)
        | M::RawWriteCmd(_)
        | M::RawReadCmd(_)
        | M::RawSubscribeCmd(_)
        | M::RawUnsubscribeCmd(_)
        | M::RSSILevelCmd(_) => Err(unsupported(msg)),
    }
}

/// SingleMotorVibrateCmd: every vibrator at one speed.
fn single_motor_vibrate(
    id: u32,
    name: &str,
    m: &SingleMotorVibrateCmd,
    devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    check_unit(name, "Speed", m.speed)?;
    let entry = device(devices, m.device_index)?;
    let attrs = LegacyAttributes::of(entry);
    let cmds: Vec<OutputCmd> = attrs
        .vibrators()
        .map(|a| output(id, entry, a, ceil_step(m.speed, a.step_count), 0))
        .collect();
    if cmds.is_empty() {
        return Err(
            DeviceError::DeviceFeatureMismatch("Device has no Vibrate features".into()).into(),
        );
    }
    Ok(forward_outputs(cmds))
}

/// VibrateCmd: speeds by vibrator index.
fn vibrate(
    id: u32,
    name: &str,
    m: &VibrateCmd,
    devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    non_empty(name, "Speeds", m.speeds.len())?;
    for s in &m.speeds {
        check_unit(name, "Speed", s.speed)?;
    }
    let entry = device(devices, m.device_index)?;
    let attrs = LegacyAttributes::of(entry);
    let vibrators: Vec<&Actuator<'_>> = attrs.vibrators().collect();
    let sub_count = len_u32(m.speeds.len());
    if vibrators.is_empty() {
        return Err(DeviceError::DeviceFeatureCountMismatch(0, sub_count).into());
    }
    let mut cmds = Vec::with_capacity(m.speeds.len());
    for s in &m.speeds {
        // [REC] index == count is an error, not a panic: the vibrator index is out of range, as
        // buttplug_server 12 words it.
        let a = index_usize(s.index).and_then(|i| vibrators.get(i)).ok_or(
            DeviceError::DeviceFeatureIndexError(len_u32(vibrators.len()), s.index),
        )?;
        cmds.push(output(id, entry, a, ceil_step(s.speed, a.step_count), 0));
    }
    Ok(forward_outputs(cmds))
}

/// ScalarCmd: each scalar drives its index's feature with the message's actuator type.
fn scalar(
    id: u32,
    name: &str,
    m: &ScalarCmd,
    devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    non_empty(name, "Scalars", m.scalars.len())?;
    let entry = device(devices, m.device_index)?;
    let attrs = LegacyAttributes::of(entry);
    let not_supported = || DeviceError::MessageNotSupported("ScalarCmdV3".into());
    let mut cmds = Vec::with_capacity(m.scalars.len());
    for s in &m.scalars {
        let a = lookup(&attrs.scalar, s.index)?;
        if !(0.0..=1.0).contains(&s.scalar) {
            return Err(not_supported().into());
        }
        // The message's own ActuatorType applies to the entry's feature.
        let output_type = s.actuator_type.output_type().ok_or_else(not_supported)?;
        let n = output_range(entry, a.feature_index, output_type)
            .map(step_count)
            .ok_or_else(not_supported)?;
        cmds.push(OutputCmd {
            command: OutputCommand::new(output_type, ceil_step(s.scalar, n), 0),
            device_index: entry.device_index,
            feature_index: a.feature_index,
            id,
        });
    }
    Ok(forward_outputs(cmds))
}

/// RotateCmd: a speed and a direction per rotator (a signed v4 value).
fn rotate(
    id: u32,
    name: &str,
    m: &RotateCmd,
    devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    non_empty(name, "Rotations", m.rotations.len())?;
    for r in &m.rotations {
        check_unit(name, "Speed", r.speed)?;
    }
    let entry = device(devices, m.device_index)?;
    let attrs = LegacyAttributes::of(entry);
    if attrs.rotate.is_empty() {
        return Err(DeviceError::MessageNotSupported("RotateCmd".into()).into());
    }
    let mut cmds = Vec::with_capacity(m.rotations.len());
    for r in &m.rotations {
        let a = lookup(&attrs.rotate, r.index)?;
        let step = ceil_step(r.speed, a.step_count);
        let value = if r.clockwise { step } else { -step };
        cmds.push(output(id, entry, a, value, 0));
    }
    Ok(forward_outputs(cmds))
}

/// LinearCmd: a position and a duration per linear feature.
fn linear(
    id: u32,
    name: &str,
    m: &LinearCmd,
    devices: &DeviceList,
) -> Result<LegacyAction, ButtplugError> {
    non_empty(name, "Vectors", m.vectors.len())?;
    for v in &m.vectors {
        check_unit(name, "Position", v.position)?;
    }
    let entry = device(devices, m.device_index)?;
    let attrs = LegacyAttributes::of(entry);
    if attrs.linear.is_empty() {
        return Err(DeviceError::DeviceFeatureMismatch(
            "Device has no PositionWithDuration features".into(),
        )
        .into());
    }
    let mut cmds = Vec::with_capacity(m.vectors.len());
    for v in &m.vectors {
        // [REC] the listed feature, not feature 0.
        let a = lookup(&attrs.linear, v.index)?;
        let step = floor_step(v.position, a.step_count);
        cmds.push(output(id, entry, a, step, v.duration));
    }
    Ok(forward_outputs(cmds))
}

/// The error for a legacy message this server does not carry out.
fn unsupported(msg: &LegacyClientMessage) -> ButtplugError {
    use LegacyClientMessage as M;
    match msg {
        M::SensorSubscribeCmd(_) => {
            DeviceError::MessageNotSupported("SensorSubscribeCmdV3".into()).into()
        }
        M::SensorUnsubscribeCmd(_) => {
            DeviceError::MessageNotSupported("SensorUnsubscribeCmdV3".into()).into()
        }
        M::FleshlightLaunchFW12Cmd(_) => MessageError::MessageConversionError(
            "FleshlightLaunchFW12Cmd is not implemented. Please update the client software to \
             use a newer command"
                .into(),
        )
        .into(),
        M::VorzeA10CycloneCmd(_) => MessageError::MessageConversionError(
            "VorzeA10CycloneCmd is considered unused, and no longer supported. Please update the \
             client software to use a newer command"
                .into(),
        )
        .into(),
        M::KiirooCmd(_) | M::LovenseCmd(_) => DeviceError::MessageNotSupported(format!(
            "{}: device-specific command strings are not supported; use VibrateCmd, RotateCmd \
             or LinearCmd",
            msg.name()
        ))
        .into(),
        M::RawWriteCmd(_) | M::RawReadCmd(_) | M::RawSubscribeCmd(_) | M::RawUnsubscribeCmd(_) => {
            DeviceError::MessageNotSupported(format!(
                "{}: raw endpoint access is not offered by this server",
                msg.name()
            ))
            .into()
        }
        M::RSSILevelCmd(_) => DeviceError::MessageNotSupported(
            "RSSILevelCmd: no device exposes a readable RSSI level".into(),
        )
        .into(),
        other => DeviceError::MessageNotSupported(other.name().to_owned()).into(),
    }
}

/// Build the legacy reply for a forwarded message from the v4 replies, one per forwarded
/// message: the first Error if any; SensorReading / BatteryLevelReading for sensor reads; Ok
/// otherwise.
pub fn legacy_reply(
    version: SpecVersion,
    msg: &LegacyClientMessage,
    replies: Vec<ServerMessage>,
) -> AnyServerMessage {
    let id = msg.id();
    let error = |err: ButtplugError| AnyServerMessage::V4(ServerMessage::error(id, &err));
    if !msg.exists_in(version) {
        return error(MessageError::UnexpectedMessageType(msg.name().to_owned()).into());
    }
    if let Some(ServerMessage::Error(e)) = replies
        .iter()
        .find(|r| matches!(r, ServerMessage::Error(_)))
    {
        let mut e = e.clone();
        e.id = id;
        return AnyServerMessage::V4(ServerMessage::Error(e));
    }
    let unexpected = |reply: Option<&ServerMessage>| {
        let name = reply.map_or("no reply", server_message_name);
        error(MessageError::UnexpectedMessageType(name.to_owned()).into())
    };
    match msg {
        LegacyClientMessage::SensorReadCmd(m) => match replies.first() {
            Some(ServerMessage::InputReading(r)) if r.reading.input_type == InputType::Battery => {
                AnyServerMessage::Legacy(LegacyServerMessage::SensorReading(SensorReading {
                    data: vec![r.reading.value],
                    device_index: m.device_index,
                    id,
                    sensor_index: m.sensor_index,
                    sensor_type: m.sensor_type,
                }))
            }
            other => unexpected(other),
        },
        LegacyClientMessage::BatteryLevelCmd(m) => match replies.first() {
            Some(ServerMessage::InputReading(r)) if r.reading.input_type == InputType::Battery => {
                AnyServerMessage::Legacy(LegacyServerMessage::BatteryLevelReading(
                    BatteryLevelReading {
                        battery_level: f64::from(r.reading.value) / 100.0,
                        device_index: m.device_index,
                        id,
                    },
                ))
            }
            other => unexpected(other),
        },
        _ => match replies.iter().find(|r| !matches!(r, ServerMessage::Ok(_))) {
            None => AnyServerMessage::V4(ServerMessage::ok(id)),
            Some(other) => unexpected(Some(other)),
        },
    }
}

fn server_message_name(msg: &ServerMessage) -> &'static str {
    match msg {
        ServerMessage::ServerInfo(_) => "ServerInfo",
        ServerMessage::Ok(_) => "Ok",
        ServerMessage::Error(_) => "Error",
        ServerMessage::DeviceList(_) => "DeviceList",
        ServerMessage::ScanningFinished(_) => "ScanningFinished",
        ServerMessage::InputReading(_) => "InputReading",
    }
}

fn device(devices: &DeviceList, index: u32) -> Result<&DeviceEntry, ButtplugError> {
    devices
        .devices
        .get(&index)
        .ok_or_else(|| DeviceError::DeviceNotAvailable(index).into())
}

/// Legacy floats must lie in [0, 1] (the reference's schema rejects others).
fn check_unit(message: &str, field: &str, value: f64) -> Result<(), ButtplugError> {
    if (0.0..=1.0).contains(&value) {
        Ok(())
    } else {
        Err(MessageError::InvalidMessageContents(format!(
            "{message}: {field} {value} is outside 0.0–1.0"
        ))
        .into())
    }
}

/// Multi-entry commands need at least one entry (the reference's schema says so).
fn non_empty(message: &str, field: &str, len: usize) -> Result<(), ButtplugError> {
    if len == 0 {
        Err(MessageError::InvalidMessageContents(format!(
            "{message}: {field} must have at least one entry"
        ))
        .into())
    } else {
        Ok(())
    }
}

fn index_usize(index: u32) -> Option<usize> {
    usize::try_from(index).ok()
}

fn len_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// Entry `index` of a legacy list, or `DeviceFeatureIndexError(len, index)`.
fn lookup<'l, 'a>(list: &'l [Actuator<'a>], index: u32) -> Result<&'l Actuator<'a>, ButtplugError> {
    index_usize(index)
        .and_then(|i| list.get(i))
        .ok_or_else(|| DeviceError::DeviceFeatureIndexError(len_u32(list.len()), index).into())
}

/// The advertised range of `output_type` on a feature, if the feature has it.
fn output_range(
    entry: &DeviceEntry,
    feature_index: u32,
    output_type: OutputType,
) -> Option<[i32; 2]> {
    entry
        .device_features
        .get(&feature_index)?
        .output
        .as_ref()?
        .get(&output_type)
        .map(|props| props.value)
}

fn output(id: u32, entry: &DeviceEntry, a: &Actuator<'_>, value: i32, duration: u32) -> OutputCmd {
    OutputCmd {
        command: OutputCommand::new(a.output_type, value, duration),
        device_index: entry.device_index,
        feature_index: a.feature_index,
        id,
    }
}

fn battery_read(id: u32, entry: &DeviceEntry) -> Result<ClientMessage, ButtplugError> {
    let attrs = LegacyAttributes::of(entry);
    let sensor = attrs.battery.first().ok_or_else(|| {
        DeviceError::DeviceConfigurationError(
            "Device configuration does not have Battery sensor available.".into(),
        )
    })?;
    Ok(ClientMessage::InputCmd(InputCmd {
        command: InputCommandType::Read,
        device_index: entry.device_index,
        feature_index: sensor.feature_index,
        id,
        input_type: InputType::Battery,
    }))
}

fn forward_one(msg: ClientMessage) -> LegacyAction {
    LegacyAction::Forward(vec![msg])
}

/// Output commands of one legacy message, in ascending feature-index order (stable, so two
/// entries for one feature keep their order and the later one wins).
fn forward_outputs(mut cmds: Vec<OutputCmd>) -> LegacyAction {
    cmds.sort_by_key(|c| c.feature_index);
    LegacyAction::Forward(cmds.into_iter().map(ClientMessage::OutputCmd).collect())
}
