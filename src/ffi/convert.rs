//! Conversions between the ABI schema and the Rust API's types: enums, device descriptions,
//! readings and client errors.

use crate::client::ClientError;
use crate::wire::{
    self, DeviceEntry, ErrorCode as WireCode, InputCommandType as WireInputCommand,
    InputType as WireInput, OutputType as WireOutput,
};

use super::schema::{self as s, ErrorCode};

pub fn output_type(v: i32) -> Option<WireOutput> {
    Some(match s::OutputType::try_from(v).ok()? {
        s::OutputType::Unspecified => return None,
        s::OutputType::Vibrate => WireOutput::Vibrate,
        s::OutputType::Rotate => WireOutput::Rotate,
        s::OutputType::Oscillate => WireOutput::Oscillate,
        s::OutputType::Constrict => WireOutput::Constrict,
        s::OutputType::Temperature => WireOutput::Temperature,
        s::OutputType::Led => WireOutput::Led,
        s::OutputType::Spray => WireOutput::Spray,
        s::OutputType::Position => WireOutput::Position,
        s::OutputType::HwPositionWithDuration => WireOutput::HwPositionWithDuration,
    })
}

pub fn output_type_to(t: WireOutput) -> s::OutputType {
    match t {
        WireOutput::Vibrate => s::OutputType::Vibrate,
        WireOutput::Rotate => s::OutputType::Rotate,
        WireOutput::Oscillate => s::OutputType::Oscillate,
        WireOutput::Constrict => s::OutputType::Constrict,
        WireOutput::Temperature => s::OutputType::Temperature,
        WireOutput::Led => s::OutputType::Led,
        WireOutput::Spray => s::OutputType::Spray,
        WireOutput::Position => s::OutputType::Position,
        WireOutput::HwPositionWithDuration => s::OutputType::HwPositionWithDuration,
    }
}

pub fn input_type(v: i32) -> Option<WireInput> {
    Some(match s::InputType::try_from(v).ok()? {
        s::InputType::Unspecified => return None,
        s::InputType::Battery => WireInput::Battery,
        s::InputType::Rssi => WireInput::Rssi,
        s::InputType::Pressure => WireInput::Pressure,
        s::InputType::Button => WireInput::Button,
        s::InputType::Depth => WireInput::Depth,
        s::InputType::Position => WireInput::Position,
    })
}

pub fn input_type_to(t: WireInput) -> s::InputType {
    match t {
        WireInput::Battery => s::InputType::Battery,
        WireInput::Rssi => s::InputType::Rssi,
        WireInput::Pressure => s::InputType::Pressure,
        WireInput::Button => s::InputType::Button,
        WireInput::Depth => s::InputType::Depth,
        WireInput::Position => s::InputType::Position,
    }
}

pub fn input_command(v: i32) -> Option<WireInputCommand> {
    Some(match s::InputCommandType::try_from(v).ok()? {
        s::InputCommandType::Unspecified => return None,
        s::InputCommandType::Read => WireInputCommand::Read,
        s::InputCommandType::Subscribe => WireInputCommand::Subscribe,
        s::InputCommandType::Unsubscribe => WireInputCommand::Unsubscribe,
    })
}

fn input_command_to(c: WireInputCommand) -> s::InputCommandType {
    match c {
        WireInputCommand::Read => s::InputCommandType::Read,
        WireInputCommand::Subscribe => s::InputCommandType::Subscribe,
        WireInputCommand::Unsubscribe => s::InputCommandType::Unsubscribe,
    }
}

fn range(r: [i32; 2]) -> s::Range {
    s::Range {
        min: r[0],
        max: r[1],
    }
}

/// A DeviceList entry as a schema `Device`.
pub fn device(entry: &DeviceEntry) -> s::Device {
    s::Device {
        index: entry.device_index,
        name: entry.device_name.clone(),
        display_name: entry.device_display_name.clone().unwrap_or_default(),
        message_gap_ms: entry.device_message_timing_gap,
        features: entry
            .device_features
            .values()
            .map(|f| s::Feature {
                index: f.feature_index,
                description: f.feature_description.clone(),
                outputs: f
                    .output
                    .iter()
                    .flatten()
                    .map(|(t, p)| s::OutputDescription {
                        r#type: output_type_to(*t) as i32,
                        value: Some(range(p.value)),
                        duration: p.duration.map(range),
                    })
                    .collect(),
                inputs: f
                    .input
                    .iter()
                    .flatten()
                    .map(|(t, p)| s::InputDescription {
                        r#type: input_type_to(*t) as i32,
                        commands: p
                            .command
                            .iter()
                            .map(|c| input_command_to(*c) as i32)
                            .collect(),
                        value: p.value.iter().copied().map(range).collect(),
                    })
                    .collect(),
            })
            .collect(),
    }
}

pub fn reading(r: &wire::InputReading) -> s::InputReading {
    s::InputReading {
        device_index: r.device_index,
        feature_index: r.feature_index,
        r#type: input_type_to(r.reading.input_type) as i32,
        value: r.reading.value,
    }
}

/// The schema error for a client error.
pub fn client_error(e: &ClientError) -> (ErrorCode, String) {
    match e {
        ClientError::Server(m) => (wire_code(m.error_code), m.error_message.clone()),
        ClientError::NotConnected => (ErrorCode::NotConnected, e.to_string()),
        ClientError::Connect(_) => (ErrorCode::ConnectFailed, e.to_string()),
        ClientError::InvalidArgument(m) => (ErrorCode::InvalidArgument, m.clone()),
        ClientError::UnexpectedReply(_) => (ErrorCode::Unknown, e.to_string()),
    }
}

pub fn wire_code(c: WireCode) -> ErrorCode {
    match c {
        WireCode::Unknown => ErrorCode::Unknown,
        WireCode::Init => ErrorCode::Init,
        WireCode::Ping => ErrorCode::Ping,
        WireCode::Message => ErrorCode::Message,
        WireCode::Device => ErrorCode::Device,
    }
}
