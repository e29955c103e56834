//! Spec v4 messages (docs/PROTOCOL.md §3). Struct fields are declared in byte-lexicographic order of
//! their wire names, so serialising a struct emits sorted keys like the reference server does;
//! maps go through [`sorted_map`] for the same reason.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::errors::{ButtplugError, ErrorCode};

/// Output types of spec v4.0, in the order the server stops them (Position and
/// HwPositionWithDuration are never stopped).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum OutputType {
    #[serde(alias = "vibrate")]
    Vibrate,
    #[serde(alias = "rotate")]
    Rotate,
    #[serde(alias = "oscillate")]
    Oscillate,
    #[serde(alias = "constrict")]
    Constrict,
    #[serde(alias = "temperature")]
    Temperature,
    #[serde(alias = "led")]
    Led,
    #[serde(alias = "spray")]
    Spray,
    #[serde(alias = "position")]
    Position,
    #[serde(alias = "hw_position_with_duration")]
    HwPositionWithDuration,
}

impl OutputType {
    /// Every output type, in stop order.
    pub const ALL: [OutputType; 9] = [
        OutputType::Vibrate,
        OutputType::Rotate,
        OutputType::Oscillate,
        OutputType::Constrict,
        OutputType::Temperature,
        OutputType::Led,
        OutputType::Spray,
        OutputType::Position,
        OutputType::HwPositionWithDuration,
    ];

    /// The wire name (`"Vibrate"`, `"HwPositionWithDuration"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            OutputType::Vibrate => "Vibrate",
            OutputType::Rotate => "Rotate",
            OutputType::Oscillate => "Oscillate",
            OutputType::Constrict => "Constrict",
            OutputType::Temperature => "Temperature",
            OutputType::Led => "Led",
            OutputType::Spray => "Spray",
            OutputType::Position => "Position",
            OutputType::HwPositionWithDuration => "HwPositionWithDuration",
        }
    }

    /// Whether a stop command zeroes this output type.
    pub fn is_stoppable(self) -> bool {
        !matches!(
            self,
            OutputType::Position | OutputType::HwPositionWithDuration
        )
    }

    /// Whether negative values are meaningful (signed direction or cooling).
    pub fn accepts_negative(self) -> bool {
        matches!(self, OutputType::Rotate | OutputType::Temperature)
    }
}

impl std::fmt::Display for OutputType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Input (sensor) types. `"Rssi"` is emitted; `"RSSI"` and `"rssi"` are accepted too.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InputType {
    #[serde(alias = "battery")]
    Battery,
    #[serde(alias = "RSSI", alias = "rssi")]
    Rssi,
    #[serde(alias = "pressure")]
    Pressure,
    #[serde(alias = "button")]
    Button,
    #[serde(alias = "depth")]
    Depth,
    #[serde(alias = "position")]
    Position,
}

impl InputType {
    /// The wire name.
    pub fn as_str(self) -> &'static str {
        match self {
            InputType::Battery => "Battery",
            InputType::Rssi => "Rssi",
            InputType::Pressure => "Pressure",
            InputType::Button => "Button",
            InputType::Depth => "Depth",
            InputType::Position => "Position",
        }
    }
}

impl std::fmt::Display for InputType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What an InputCmd asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum InputCommandType {
    #[serde(alias = "read")]
    Read,
    #[serde(alias = "subscribe")]
    Subscribe,
    #[serde(alias = "unsubscribe")]
    Unsubscribe,
}

/// A message that carries only an `Id`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdOnly {
    #[serde(rename = "Id")]
    pub id: u32,
}

impl IdOnly {
    pub fn new(id: u32) -> IdOnly {
        IdOnly { id }
    }
}

/// RequestServerInfo of every version: v4 carries `ProtocolVersionMajor`/`Minor`, v1–v3
/// `MessageVersion`, v0 neither.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestServerInfo {
    #[serde(rename = "ClientName")]
    pub client_name: String,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(
        rename = "MessageVersion",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub message_version: Option<u32>,
    #[serde(
        rename = "ProtocolVersionMajor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_version_major: Option<u32>,
    #[serde(
        rename = "ProtocolVersionMinor",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub protocol_version_minor: Option<u32>,
}

impl RequestServerInfo {
    /// A v4 handshake request.
    pub fn v4(id: u32, client_name: impl Into<String>) -> RequestServerInfo {
        RequestServerInfo {
            client_name: client_name.into(),
            id,
            message_version: None,
            protocol_version_major: Some(super::CURRENT_SPEC_VERSION),
            protocol_version_minor: Some(super::CURRENT_SPEC_MINOR),
        }
    }

    /// The requested major version (docs/PROTOCOL.md §2.3): `ProtocolVersionMajor`, else
    /// `MessageVersion`, else 0.
    pub fn requested_major(&self) -> u32 {
        self.protocol_version_major
            .or(self.message_version)
            .unwrap_or(0)
    }
}

/// ServerInfo as sent to v4 clients.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerInfo {
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "MaxPingTime")]
    pub max_ping_time: u32,
    #[serde(rename = "ProtocolVersionMajor")]
    pub protocol_version_major: u32,
    #[serde(rename = "ProtocolVersionMinor")]
    pub protocol_version_minor: u32,
    #[serde(rename = "ServerName")]
    pub server_name: String,
}

/// The `Error` message.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ErrorMsg {
    #[serde(rename = "ErrorCode")]
    pub error_code: ErrorCode,
    #[serde(rename = "ErrorMessage")]
    pub error_message: String,
    #[serde(rename = "Id")]
    pub id: u32,
}

impl ErrorMsg {
    /// The wire form of a typed error, replying to `id`.
    pub fn from_error(id: u32, err: &ButtplugError) -> ErrorMsg {
        ErrorMsg {
            error_code: err.code(),
            error_message: err.wire_message(),
            id,
        }
    }

    /// The typed error, when the message text is one of the catalogue's.
    pub fn typed(&self) -> Option<ButtplugError> {
        ButtplugError::from_wire_message(&self.error_message)
    }
}

/// Payload of a one-value output command.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputValue {
    #[serde(rename = "Value")]
    pub value: i32,
}

/// Payload of HwPositionWithDuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputPositionDuration {
    #[serde(rename = "Duration")]
    pub duration: u32,
    #[serde(rename = "Value")]
    pub value: i32,
}

/// The `Command` of an OutputCmd: `{"Vibrate":{"Value":10}}`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OutputCommand {
    Vibrate(OutputValue),
    Rotate(OutputValue),
    Oscillate(OutputValue),
    Constrict(OutputValue),
    Temperature(OutputValue),
    Led(OutputValue),
    Spray(OutputValue),
    Position(OutputValue),
    HwPositionWithDuration(OutputPositionDuration),
}

impl OutputCommand {
    /// Build a command of `output_type` with `value` (and `duration`, used only by
    /// HwPositionWithDuration).
    pub fn new(output_type: OutputType, value: i32, duration: u32) -> OutputCommand {
        let v = OutputValue { value };
        match output_type {
            OutputType::Vibrate => OutputCommand::Vibrate(v),
            OutputType::Rotate => OutputCommand::Rotate(v),
            OutputType::Oscillate => OutputCommand::Oscillate(v),
            OutputType::Constrict => OutputCommand::Constrict(v),
            OutputType::Temperature => OutputCommand::Temperature(v),
            OutputType::Led => OutputCommand::Led(v),
            OutputType::Spray => OutputCommand::Spray(v),
            OutputType::Position => OutputCommand::Position(v),
            OutputType::HwPositionWithDuration => {
                OutputCommand::HwPositionWithDuration(OutputPositionDuration { duration, value })
            }
        }
    }

    pub fn output_type(&self) -> OutputType {
        match self {
            OutputCommand::Vibrate(_) => OutputType::Vibrate,
            OutputCommand::Rotate(_) => OutputType::Rotate,
            OutputCommand::Oscillate(_) => OutputType::Oscillate,
            OutputCommand::Constrict(_) => OutputType::Constrict,
            OutputCommand::Temperature(_) => OutputType::Temperature,
            OutputCommand::Led(_) => OutputType::Led,
            OutputCommand::Spray(_) => OutputType::Spray,
            OutputCommand::Position(_) => OutputType::Position,
            OutputCommand::HwPositionWithDuration(_) => OutputType::HwPositionWithDuration,
        }
    }

    pub fn value(&self) -> i32 {
        match self {
            OutputCommand::Vibrate(v)
            | OutputCommand::Rotate(v)
            | OutputCommand::Oscillate(v)
            | OutputCommand::Constrict(v)
            | OutputCommand::Temperature(v)
            | OutputCommand::Led(v)
            | OutputCommand::Spray(v)
            | OutputCommand::Position(v) => v.value,
            OutputCommand::HwPositionWithDuration(p) => p.value,
        }
    }

    /// Duration in ms (0 for every type but HwPositionWithDuration).
    pub fn duration(&self) -> u32 {
        match self {
            OutputCommand::HwPositionWithDuration(p) => p.duration,
            _ => 0,
        }
    }
}

/// OutputCmd: drive one output of one feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputCmd {
    #[serde(rename = "Command")]
    pub command: OutputCommand,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "FeatureIndex")]
    pub feature_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// InputCmd: read, subscribe to or unsubscribe from one input of one feature.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputCmd {
    #[serde(rename = "Command")]
    pub command: InputCommandType,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "FeatureIndex")]
    pub feature_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Type")]
    pub input_type: InputType,
}

/// StopCmd: stop all devices, one device, or one feature. `Inputs`/`Outputs` default to true.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StopCmd {
    #[serde(
        rename = "DeviceIndex",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub device_index: Option<u32>,
    #[serde(
        rename = "FeatureIndex",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub feature_index: Option<u32>,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Inputs", default, skip_serializing_if = "Option::is_none")]
    pub inputs: Option<bool>,
    #[serde(rename = "Outputs", default, skip_serializing_if = "Option::is_none")]
    pub outputs: Option<bool>,
}

impl StopCmd {
    /// Whether inputs are to be unsubscribed (default true).
    pub fn stops_inputs(&self) -> bool {
        self.inputs.unwrap_or(true)
    }
    /// Whether outputs are to be stopped (default true).
    pub fn stops_outputs(&self) -> bool {
        self.outputs.unwrap_or(true)
    }
}

/// A reading: `{"Battery":{"Value":87}}`. Values: Battery 0–100, Rssi negative dBm, Button 0/1,
/// Pressure device units.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct InputData {
    pub input_type: InputType,
    pub value: i32,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct InputDataValue {
    #[serde(rename = "Value")]
    value: i32,
}

impl Serialize for InputData {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry(
            self.input_type.as_str(),
            &InputDataValue { value: self.value },
        )?;
        m.end()
    }
}

impl<'de> Deserialize<'de> for InputData {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let map: BTreeMap<InputType, InputDataValue> = BTreeMap::deserialize(d)?;
        let mut entries = map.into_iter();
        match (entries.next(), entries.next()) {
            (Some((input_type, v)), None) => Ok(InputData {
                input_type,
                value: v.value,
            }),
            _ => Err(serde::de::Error::custom(
                "Reading must have exactly one input type",
            )),
        }
    }
}

/// InputReading: reply to a Read (request Id) or a subscription event (Id 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputReading {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "FeatureIndex")]
    pub feature_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Reading")]
    pub reading: InputData,
}

/// Properties of one output type of a feature, as advertised in DeviceList.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputProperties {
    #[serde(rename = "Duration", default, skip_serializing_if = "Option::is_none")]
    pub duration: Option<[i32; 2]>,
    #[serde(rename = "Value")]
    pub value: [i32; 2],
}

/// Properties of one input type of a feature, as advertised in DeviceList.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InputProperties {
    #[serde(rename = "Command")]
    pub command: Vec<InputCommandType>,
    #[serde(rename = "Value")]
    pub value: Vec<[i32; 2]>,
}

/// One feature of a device in DeviceList.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceFeature {
    #[serde(rename = "FeatureDescription", default)]
    pub feature_description: String,
    #[serde(rename = "FeatureIndex")]
    pub feature_index: u32,
    #[serde(
        rename = "Input",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "sorted_map::serialize_opt"
    )]
    pub input: Option<BTreeMap<InputType, InputProperties>>,
    #[serde(
        rename = "Output",
        default,
        skip_serializing_if = "Option::is_none",
        serialize_with = "sorted_map::serialize_opt"
    )]
    pub output: Option<BTreeMap<OutputType, OutputProperties>>,
}

/// One device in DeviceList.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceEntry {
    #[serde(
        rename = "DeviceDisplayName",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub device_display_name: Option<String>,
    #[serde(rename = "DeviceFeatures", serialize_with = "sorted_map::serialize")]
    pub device_features: BTreeMap<u32, DeviceFeature>,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "DeviceMessageTimingGap", default)]
    pub device_message_timing_gap: u32,
    #[serde(rename = "DeviceName")]
    pub device_name: String,
}

/// DeviceList: the complete list of connected devices.
#[derive(Clone, Debug, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceList {
    #[serde(rename = "Devices", serialize_with = "sorted_map::serialize")]
    pub devices: BTreeMap<u32, DeviceEntry>,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// Messages a v4 client sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientMessage {
    RequestServerInfo(RequestServerInfo),
    Ping(IdOnly),
    StartScanning(IdOnly),
    StopScanning(IdOnly),
    RequestDeviceList(IdOnly),
    OutputCmd(OutputCmd),
    InputCmd(InputCmd),
    StopCmd(StopCmd),
    Disconnect(IdOnly),
}

impl ClientMessage {
    /// The message's `Id`.
    pub fn id(&self) -> u32 {
        match self {
            ClientMessage::RequestServerInfo(m) => m.id,
            ClientMessage::Ping(m)
            | ClientMessage::StartScanning(m)
            | ClientMessage::StopScanning(m)
            | ClientMessage::RequestDeviceList(m)
            | ClientMessage::Disconnect(m) => m.id,
            ClientMessage::OutputCmd(m) => m.id,
            ClientMessage::InputCmd(m) => m.id,
            ClientMessage::StopCmd(m) => m.id,
        }
    }

    /// Replace the message's `Id`.
    pub fn set_id(&mut self, id: u32) {
        match self {
            ClientMessage::RequestServerInfo(m) => m.id = id,
            ClientMessage::Ping(m)
            | ClientMessage::StartScanning(m)
            | ClientMessage::StopScanning(m)
            | ClientMessage::RequestDeviceList(m)
            | ClientMessage::Disconnect(m) => m.id = id,
            ClientMessage::OutputCmd(m) => m.id = id,
            ClientMessage::InputCmd(m) => m.id = id,
            ClientMessage::StopCmd(m) => m.id = id,
        }
    }

    /// The message type name as on the wire.
    pub fn name(&self) -> &'static str {
        match self {
            ClientMessage::RequestServerInfo(_) => "RequestServerInfo",
            ClientMessage::Ping(_) => "Ping",
            ClientMessage::StartScanning(_) => "StartScanning",
            ClientMessage::StopScanning(_) => "StopScanning",
            ClientMessage::RequestDeviceList(_) => "RequestDeviceList",
            ClientMessage::OutputCmd(_) => "OutputCmd",
            ClientMessage::InputCmd(_) => "InputCmd",
            ClientMessage::StopCmd(_) => "StopCmd",
            ClientMessage::Disconnect(_) => "Disconnect",
        }
    }
}

/// Messages a v4 server sends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ServerMessage {
    ServerInfo(ServerInfo),
    Ok(IdOnly),
    Error(ErrorMsg),
    DeviceList(DeviceList),
    ScanningFinished(IdOnly),
    InputReading(InputReading),
}

impl ServerMessage {
    /// The message's `Id` (0 for events).
    pub fn id(&self) -> u32 {
        match self {
            ServerMessage::ServerInfo(m) => m.id,
            ServerMessage::Ok(m) | ServerMessage::ScanningFinished(m) => m.id,
            ServerMessage::Error(m) => m.id,
            ServerMessage::DeviceList(m) => m.id,
            ServerMessage::InputReading(m) => m.id,
        }
    }

    /// An `Ok` reply.
    pub fn ok(id: u32) -> ServerMessage {
        ServerMessage::Ok(IdOnly { id })
    }

    /// An `Error` reply for a typed error.
    pub fn error(id: u32, err: &ButtplugError) -> ServerMessage {
        ServerMessage::Error(ErrorMsg::from_error(id, err))
    }
}

/// Serialisation of maps with keys in byte-lexicographic order of their wire form (so index
/// maps come out `"0","1","10","2"` like the reference).
pub mod sorted_map {
    use serde::{Serialize, Serializer, ser::SerializeMap};
    use std::collections::BTreeMap;

    /// A map key with a string form on the wire.
    pub trait WireKey {
        fn wire_key(&self) -> std::borrow::Cow<'static, str>;
    }
    impl WireKey for u32 {
        fn wire_key(&self) -> std::borrow::Cow<'static, str> {
            self.to_string().into()
        }
    }
    impl WireKey for super::OutputType {
        fn wire_key(&self) -> std::borrow::Cow<'static, str> {
            self.as_str().into()
        }
    }
    impl WireKey for super::InputType {
        fn wire_key(&self) -> std::borrow::Cow<'static, str> {
            self.as_str().into()
        }
    }

    pub fn serialize<K: WireKey, V: Serialize, S: Serializer>(
        map: &BTreeMap<K, V>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let mut entries: Vec<(std::borrow::Cow<'static, str>, &V)> =
            map.iter().map(|(k, v)| (k.wire_key(), v)).collect();
        entries.sort_by(|a, b| a.0.as_bytes().cmp(b.0.as_bytes()));
        let mut m = s.serialize_map(Some(entries.len()))?;
        for (k, v) in entries {
            m.serialize_entry(&*k, v)?;
        }
        m.end()
    }

    pub fn serialize_opt<K: WireKey, V: Serialize, S: Serializer>(
        map: &Option<BTreeMap<K, V>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match map {
            Some(m) => serialize(m, s),
            None => s.serialize_none(),
        }
    }
}
