//! The spec v0–v3 message types (docs/PROTOCOL.md §4.1–§4.3) as data, and the table of which legacy
//! client message exists in which version. Fields are declared in byte-lexicographic order of
//! their wire names so that serialising emits sorted keys, like the v4 types.

use std::ops::RangeInclusive;

use serde::{Deserialize, Serialize};

use crate::wire::SpecVersion;
use crate::wire::v4::{IdOnly, OutputType};

/// The spec versions in which a legacy client message name exists (docs/PROTOCOL.md §4.1 table,
/// spec lists), or `None` when the name is not a legacy-only client message. Messages common to
/// all versions (RequestServerInfo, Ping, ...) are not in this table.
pub fn legacy_client_message_versions(name: &str) -> Option<RangeInclusive<u32>> {
    Some(match name {
        "StopDeviceCmd" | "StopAllDevices" => 0..=3,
        "SingleMotorVibrateCmd" | "FleshlightLaunchFW12Cmd" | "VorzeA10CycloneCmd" => 0..=1,
        "KiirooCmd" | "LovenseCmd" | "Test" => 0..=1,
        "RequestLog" => 0..=2,
        "VibrateCmd" | "RotateCmd" | "LinearCmd" => 1..=3,
        "BatteryLevelCmd" | "RSSILevelCmd" => 2..=2,
        "RawWriteCmd" | "RawReadCmd" | "RawSubscribeCmd" | "RawUnsubscribeCmd" => 2..=3,
        "ScalarCmd" | "SensorReadCmd" | "SensorSubscribeCmd" | "SensorUnsubscribeCmd" => 3..=3,
        _ => return None,
    })
}

/// A command that names only a device: StopDeviceCmd, BatteryLevelCmd, RSSILevelCmd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceIndexCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// SingleMotorVibrateCmd (v0–v1): every vibrator at one speed.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SingleMotorVibrateCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    /// 0.0–1.0
    #[serde(rename = "Speed")]
    pub speed: f64,
}

/// FleshlightLaunchFW12Cmd (v0–v1). Refused with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FleshlightLaunchFW12Cmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    /// 0–99
    #[serde(rename = "Position")]
    pub position: u32,
    /// 0–99
    #[serde(rename = "Speed")]
    pub speed: u32,
}

/// VorzeA10CycloneCmd (v0–v1). Refused with an error.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VorzeA10CycloneCmd {
    #[serde(rename = "Clockwise")]
    pub clockwise: bool,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    /// 0–100
    #[serde(rename = "Speed")]
    pub speed: u32,
}

/// KiirooCmd / LovenseCmd (v0–v1): a device-specific command string. Refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeviceStringCmd {
    #[serde(rename = "Command")]
    pub command: String,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// Test (v0–v1), sent by the client and echoed by the server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TestMsg {
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "TestString")]
    pub test_string: String,
}

/// Log levels of RequestLog / Log (v0–v2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum LogLevel {
    Off,
    Fatal,
    Error,
    Warn,
    Info,
    Debug,
    Trace,
}

/// RequestLog (v0–v2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestLog {
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "LogLevel")]
    pub log_level: LogLevel,
}

/// One entry of VibrateCmd.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VibrateSubcommand {
    /// Index into the device's vibrators (v2 VibrateCmd list).
    #[serde(rename = "Index")]
    pub index: u32,
    /// 0.0–1.0
    #[serde(rename = "Speed")]
    pub speed: f64,
}

/// VibrateCmd (v1–v3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VibrateCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Speeds")]
    pub speeds: Vec<VibrateSubcommand>,
}

/// One entry of RotateCmd.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotationSubcommand {
    #[serde(rename = "Clockwise")]
    pub clockwise: bool,
    /// Index into the device's bidirectional rotators (v3 RotateCmd list).
    #[serde(rename = "Index")]
    pub index: u32,
    /// 0.0–1.0
    #[serde(rename = "Speed")]
    pub speed: f64,
}

/// RotateCmd (v1–v3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RotateCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Rotations")]
    pub rotations: Vec<RotationSubcommand>,
}

/// One entry of LinearCmd.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VectorSubcommand {
    /// Milliseconds.
    #[serde(rename = "Duration")]
    pub duration: u32,
    /// Index into the device's linear actuators (v3 LinearCmd list).
    #[serde(rename = "Index")]
    pub index: u32,
    /// 0.0–1.0
    #[serde(rename = "Position")]
    pub position: f64,
}

/// LinearCmd (v1–v3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LinearCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Vectors")]
    pub vectors: Vec<VectorSubcommand>,
}

/// RawWriteCmd (v2–v3). Refused: no raw access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawWriteCmd {
    #[serde(rename = "Data")]
    pub data: Vec<u8>,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Endpoint")]
    pub endpoint: String,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "WriteWithResponse")]
    pub write_with_response: bool,
}

/// RawReadCmd (v2–v3). Refused: no raw access. The spec names the length `ExpectedLength`, the
/// reference schema `Length`; both are accepted.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawReadCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Endpoint")]
    pub endpoint: String,
    #[serde(rename = "ExpectedLength", alias = "Length")]
    pub expected_length: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "WaitForData")]
    pub wait_for_data: bool,
}

/// RawSubscribeCmd / RawUnsubscribeCmd (v2–v3). Refused: no raw access.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RawEndpointCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Endpoint")]
    pub endpoint: String,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// v3 actuator types (ScalarCmd `ActuatorType`, device description `ActuatorType`). `Inflate`
/// is listed by the v3 spec but no v4 output maps to it, so commands using it are refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ActuatorType {
    Vibrate,
    Rotate,
    Oscillate,
    Constrict,
    Inflate,
    Temperature,
    Led,
    Position,
    Spray,
}

impl ActuatorType {
    /// The v4 output type this actuator type drives, if any.
    pub fn output_type(self) -> Option<OutputType> {
        Some(match self {
            ActuatorType::Vibrate => OutputType::Vibrate,
            ActuatorType::Rotate => OutputType::Rotate,
            ActuatorType::Oscillate => OutputType::Oscillate,
            ActuatorType::Constrict => OutputType::Constrict,
            ActuatorType::Inflate => return None,
            ActuatorType::Temperature => OutputType::Temperature,
            ActuatorType::Led => OutputType::Led,
            ActuatorType::Position => OutputType::Position,
            ActuatorType::Spray => OutputType::Spray,
        })
    }

    /// The actuator type advertising a v4 output type in v3 (HwPositionWithDuration is
    /// advertised as `Position` in the LinearCmd list).
    pub fn from_output_type(t: OutputType) -> ActuatorType {
        match t {
            OutputType::Vibrate => ActuatorType::Vibrate,
            OutputType::Rotate => ActuatorType::Rotate,
            OutputType::Oscillate => ActuatorType::Oscillate,
            OutputType::Constrict => ActuatorType::Constrict,
            OutputType::Temperature => ActuatorType::Temperature,
            OutputType::Led => ActuatorType::Led,
            OutputType::Spray => ActuatorType::Spray,
            OutputType::Position | OutputType::HwPositionWithDuration => ActuatorType::Position,
        }
    }
}

/// One entry of ScalarCmd.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalarSubcommand {
    #[serde(rename = "ActuatorType")]
    pub actuator_type: ActuatorType,
    /// Index into the device's v3 ScalarCmd list.
    #[serde(rename = "Index")]
    pub index: u32,
    /// 0.0–1.0
    #[serde(rename = "Scalar")]
    pub scalar: f64,
}

/// ScalarCmd (v3).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScalarCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "Scalars")]
    pub scalars: Vec<ScalarSubcommand>,
}

/// v3 sensor types. `Rssi` is written `RSSI` in v3.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum SensorType {
    Unknown,
    Battery,
    #[serde(rename = "RSSI", alias = "Rssi")]
    Rssi,
    Button,
    Pressure,
}

/// SensorReadCmd / SensorSubscribeCmd / SensorUnsubscribeCmd (v3).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorCmd {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    /// Index into the device's SensorReadCmd list (ignored: the first battery is read).
    #[serde(rename = "SensorIndex")]
    pub sensor_index: u32,
    #[serde(rename = "SensorType")]
    pub sensor_type: SensorType,
}

/// A message only v0–v3 clients send (docs/PROTOCOL.md §4.1/§4.2). The messages common to every
/// version (RequestServerInfo, Ping, StartScanning, StopScanning, RequestDeviceList) decode to
/// their v4 form instead.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum LegacyClientMessage {
    StopDeviceCmd(DeviceIndexCmd),
    StopAllDevices(IdOnly),
    SingleMotorVibrateCmd(SingleMotorVibrateCmd),
    FleshlightLaunchFW12Cmd(FleshlightLaunchFW12Cmd),
    VorzeA10CycloneCmd(VorzeA10CycloneCmd),
    KiirooCmd(DeviceStringCmd),
    LovenseCmd(DeviceStringCmd),
    Test(TestMsg),
    RequestLog(RequestLog),
    VibrateCmd(VibrateCmd),
    RotateCmd(RotateCmd),
    LinearCmd(LinearCmd),
    BatteryLevelCmd(DeviceIndexCmd),
    RSSILevelCmd(DeviceIndexCmd),
    RawWriteCmd(RawWriteCmd),
    RawReadCmd(RawReadCmd),
    RawSubscribeCmd(RawEndpointCmd),
    RawUnsubscribeCmd(RawEndpointCmd),
    ScalarCmd(ScalarCmd),
    SensorReadCmd(SensorCmd),
    SensorSubscribeCmd(SensorCmd),
    SensorUnsubscribeCmd(SensorCmd),
}

impl LegacyClientMessage {
    /// The message's `Id`.
    pub fn id(&self) -> u32 {
        use LegacyClientMessage as M;
        match self {
            M::StopDeviceCmd(m) | M::BatteryLevelCmd(m) | M::RSSILevelCmd(m) => m.id,
            M::StopAllDevices(m) => m.id,
            M::SingleMotorVibrateCmd(m) => m.id,
            M::FleshlightLaunchFW12Cmd(m) => m.id,
            M::VorzeA10CycloneCmd(m) => m.id,
            M::KiirooCmd(m) | M::LovenseCmd(m) => m.id,
            M::Test(m) => m.id,
            M::RequestLog(m) => m.id,
            M::VibrateCmd(m) => m.id,
            M::RotateCmd(m) => m.id,
            M::LinearCmd(m) => m.id,
            M::RawWriteCmd(m) => m.id,
            M::RawReadCmd(m) => m.id,
            M::RawSubscribeCmd(m) | M::RawUnsubscribeCmd(m) => m.id,
            M::ScalarCmd(m) => m.id,
            M::SensorReadCmd(m) | M::SensorSubscribeCmd(m) | M::SensorUnsubscribeCmd(m) => m.id,
        }
    }

    /// The device the message addresses, if it addresses one.
    pub fn device_index(&self) -> Option<u32> {
        use LegacyClientMessage as M;
        Some(match self {
            M::StopAllDevices(_) | M::Test(_) | M::RequestLog(_) => return None,
            M::StopDeviceCmd(m) | M::BatteryLevelCmd(m) | M::RSSILevelCmd(m) => m.device_index,
            M::SingleMotorVibrateCmd(m) => m.device_index,
            M::FleshlightLaunchFW12Cmd(m) => m.device_index,
            M::VorzeA10CycloneCmd(m) => m.device_index,
            M::KiirooCmd(m) | M::LovenseCmd(m) => m.device_index,
            M::VibrateCmd(m) => m.device_index,
            M::RotateCmd(m) => m.device_index,
            M::LinearCmd(m) => m.device_index,
            M::RawWriteCmd(m) => m.device_index,
            M::RawReadCmd(m) => m.device_index,
            M::RawSubscribeCmd(m) | M::RawUnsubscribeCmd(m) => m.device_index,
            M::ScalarCmd(m) => m.device_index,
            M::SensorReadCmd(m) | M::SensorSubscribeCmd(m) | M::SensorUnsubscribeCmd(m) => {
                m.device_index
            }
        })
    }

    /// The message type name as on the wire.
    pub fn name(&self) -> &'static str {
        use LegacyClientMessage as M;
        match self {
            M::StopDeviceCmd(_) => "StopDeviceCmd",
            M::StopAllDevices(_) => "StopAllDevices",
            M::SingleMotorVibrateCmd(_) => "SingleMotorVibrateCmd",
            M::FleshlightLaunchFW12Cmd(_) => "FleshlightLaunchFW12Cmd",
            M::VorzeA10CycloneCmd(_) => "VorzeA10CycloneCmd",
            M::KiirooCmd(_) => "KiirooCmd",
            M::LovenseCmd(_) => "LovenseCmd",
            M::Test(_) => "Test",
            M::RequestLog(_) => "RequestLog",
            M::VibrateCmd(_) => "VibrateCmd",
            M::RotateCmd(_) => "RotateCmd",
            M::LinearCmd(_) => "LinearCmd",
            M::BatteryLevelCmd(_) => "BatteryLevelCmd",
            M::RSSILevelCmd(_) => "RSSILevelCmd",
            M::RawWriteCmd(_) => "RawWriteCmd",
            M::RawReadCmd(_) => "RawReadCmd",
            M::RawSubscribeCmd(_) => "RawSubscribeCmd",
            M::RawUnsubscribeCmd(_) => "RawUnsubscribeCmd",
            M::ScalarCmd(_) => "ScalarCmd",
            M::SensorReadCmd(_) => "SensorReadCmd",
            M::SensorSubscribeCmd(_) => "SensorSubscribeCmd",
            M::SensorUnsubscribeCmd(_) => "SensorUnsubscribeCmd",
        }
    }

    /// Whether this message exists in `version`'s message set.
    pub fn exists_in(&self, version: SpecVersion) -> bool {
        legacy_client_message_versions(self.name())
            .is_some_and(|range| range.contains(&version.major()))
    }
}

// ---------------------------------------------------------------------------------------------
// Server → client

/// ServerInfo in the v0/v1 layout (`MajorVersion`, `MinorVersion`, `BuildVersion` present, all
/// 0) or the v2/v3 layout (without them).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegacyServerInfo {
    #[serde(rename = "BuildVersion", skip_serializing_if = "Option::is_none")]
    pub build_version: Option<u32>,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "MajorVersion", skip_serializing_if = "Option::is_none")]
    pub major_version: Option<u32>,
    #[serde(rename = "MaxPingTime")]
    pub max_ping_time: u32,
    #[serde(rename = "MessageVersion")]
    pub message_version: u32,
    #[serde(rename = "MinorVersion", skip_serializing_if = "Option::is_none")]
    pub minor_version: Option<u32>,
    #[serde(rename = "ServerName")]
    pub server_name: String,
}

impl LegacyServerInfo {
    /// The ServerInfo a `version` client receives (`MessageVersion` = the client's version).
    pub fn new(
        version: SpecVersion,
        id: u32,
        server_name: impl Into<String>,
        max_ping_time: u32,
    ) -> LegacyServerInfo {
        let old = version <= SpecVersion::V1;
        let zero = old.then_some(0);
        LegacyServerInfo {
            build_version: zero,
            id,
            major_version: zero,
            max_ping_time,
            message_version: version.major(),
            minor_version: zero,
            server_name: server_name.into(),
        }
    }

    /// Whether this layout is the one `version` expects.
    pub fn fits(&self, version: SpecVersion) -> bool {
        let old_layout = self.major_version.is_some();
        version != SpecVersion::V4 && old_layout == (version <= SpecVersion::V1)
    }
}

/// An empty attribute object (`{}`), e.g. `"StopDeviceCmd":{}`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Empty {}

/// A v3 actuator attribute (ScalarCmd, RotateCmd and LinearCmd lists).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ActuatorAttributesV3 {
    #[serde(rename = "ActuatorType")]
    pub actuator_type: ActuatorType,
    #[serde(rename = "FeatureDescriptor")]
    pub feature_descriptor: String,
    #[serde(rename = "StepCount")]
    pub step_count: u32,
}

/// A v3 sensor attribute (SensorReadCmd list).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SensorAttributesV3 {
    #[serde(rename = "FeatureDescriptor")]
    pub feature_descriptor: String,
    #[serde(rename = "SensorRange")]
    pub sensor_range: Vec<[i32; 2]>,
    #[serde(rename = "SensorType")]
    pub sensor_type: SensorType,
}

/// v3 `DeviceMessages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceMessagesV3 {
    #[serde(rename = "LinearCmd", skip_serializing_if = "Option::is_none")]
    pub linear_cmd: Option<Vec<ActuatorAttributesV3>>,
    #[serde(rename = "RotateCmd", skip_serializing_if = "Option::is_none")]
    pub rotate_cmd: Option<Vec<ActuatorAttributesV3>>,
    #[serde(rename = "ScalarCmd", skip_serializing_if = "Option::is_none")]
    pub scalar_cmd: Option<Vec<ActuatorAttributesV3>>,
    #[serde(rename = "SensorReadCmd", skip_serializing_if = "Option::is_none")]
    pub sensor_read_cmd: Option<Vec<SensorAttributesV3>>,
    #[serde(rename = "StopDeviceCmd")]
    pub stop_device_cmd: Empty,
}

/// v2 attributes of VibrateCmd/RotateCmd/LinearCmd.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttributesV2 {
    #[serde(rename = "FeatureCount")]
    pub feature_count: u32,
    #[serde(rename = "StepCount")]
    pub step_count: Vec<u32>,
}

/// v2 `DeviceMessages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceMessagesV2 {
    #[serde(rename = "BatteryLevelCmd", skip_serializing_if = "Option::is_none")]
    pub battery_level_cmd: Option<Empty>,
    #[serde(rename = "LinearCmd", skip_serializing_if = "Option::is_none")]
    pub linear_cmd: Option<AttributesV2>,
    #[serde(rename = "RotateCmd", skip_serializing_if = "Option::is_none")]
    pub rotate_cmd: Option<AttributesV2>,
    #[serde(rename = "StopDeviceCmd")]
    pub stop_device_cmd: Empty,
    #[serde(rename = "VibrateCmd", skip_serializing_if = "Option::is_none")]
    pub vibrate_cmd: Option<AttributesV2>,
}

/// v1 attributes of VibrateCmd/RotateCmd/LinearCmd.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct AttributesV1 {
    #[serde(rename = "FeatureCount")]
    pub feature_count: u32,
}

/// v1 `DeviceMessages`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceMessagesV1 {
    #[serde(rename = "LinearCmd", skip_serializing_if = "Option::is_none")]
    pub linear_cmd: Option<AttributesV1>,
    #[serde(rename = "RotateCmd", skip_serializing_if = "Option::is_none")]
    pub rotate_cmd: Option<AttributesV1>,
    #[serde(
        rename = "SingleMotorVibrateCmd",
        skip_serializing_if = "Option::is_none"
    )]
    pub single_motor_vibrate_cmd: Option<Empty>,
    #[serde(rename = "StopDeviceCmd")]
    pub stop_device_cmd: Empty,
    #[serde(rename = "VibrateCmd", skip_serializing_if = "Option::is_none")]
    pub vibrate_cmd: Option<AttributesV1>,
}

/// `DeviceMessages` in the layout of one legacy version (v0: a sorted array of names).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum LegacyDeviceMessages {
    V0(Vec<&'static str>),
    V1(DeviceMessagesV1),
    V2(DeviceMessagesV2),
    V3(DeviceMessagesV3),
}

impl LegacyDeviceMessages {
    /// The version whose layout this is.
    pub fn version(&self) -> SpecVersion {
        match self {
            LegacyDeviceMessages::V0(_) => SpecVersion::V0,
            LegacyDeviceMessages::V1(_) => SpecVersion::V1,
            LegacyDeviceMessages::V2(_) => SpecVersion::V2,
            LegacyDeviceMessages::V3(_) => SpecVersion::V3,
        }
    }
}

/// A device as described to a v0–v3 client (DeviceList entry; DeviceAdded body without `Id`).
/// `DeviceDisplayName` and `DeviceMessageTimingGap` exist only in v3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegacyDevice {
    #[serde(rename = "DeviceDisplayName", skip_serializing_if = "Option::is_none")]
    pub device_display_name: Option<String>,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(
        rename = "DeviceMessageTimingGap",
        skip_serializing_if = "Option::is_none"
    )]
    pub device_message_timing_gap: Option<u32>,
    #[serde(rename = "DeviceMessages")]
    pub device_messages: LegacyDeviceMessages,
    #[serde(rename = "DeviceName")]
    pub device_name: String,
}

/// DeviceList for v0–v3: `Devices` is an array (ascending device index).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LegacyDeviceList {
    #[serde(rename = "Devices")]
    pub devices: Vec<LegacyDevice>,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// DeviceAdded (v0–v3 event, Id 0): the device's fields at top level plus `Id`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceAdded {
    // Flattened fields all sort before "Id", so the output stays sorted.
    #[serde(flatten)]
    pub device: LegacyDevice,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// DeviceRemoved (v0–v3 event, Id 0).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DeviceRemoved {
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// SensorReading (v3): reply to SensorReadCmd.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SensorReading {
    #[serde(rename = "Data")]
    pub data: Vec<i32>,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "SensorIndex")]
    pub sensor_index: u32,
    #[serde(rename = "SensorType")]
    pub sensor_type: SensorType,
}

/// BatteryLevelReading (v2): reply to BatteryLevelCmd, level 0.0–1.0.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct BatteryLevelReading {
    #[serde(rename = "BatteryLevel")]
    pub battery_level: f64,
    #[serde(rename = "DeviceIndex")]
    pub device_index: u32,
    #[serde(rename = "Id")]
    pub id: u32,
}

/// Log (v0–v1 event). Defined by the spec; Teleplug never sends it on its own.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Log {
    #[serde(rename = "Id")]
    pub id: u32,
    #[serde(rename = "LogLevel")]
    pub log_level: LogLevel,
    #[serde(rename = "LogMessage")]
    pub log_message: String,
}

/// A message only v0–v3 clients receive. Ok, Error and ScanningFinished are shared with v4 and
/// travel as [`crate::wire::ServerMessage`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum LegacyServerMessage {
    ServerInfo(LegacyServerInfo),
    DeviceList(LegacyDeviceList),
    DeviceAdded(DeviceAdded),
    DeviceRemoved(DeviceRemoved),
    SensorReading(SensorReading),
    BatteryLevelReading(BatteryLevelReading),
    Test(TestMsg),
    Log(Log),
}

impl LegacyServerMessage {
    /// The message's `Id`.
    pub fn id(&self) -> u32 {
        match self {
            LegacyServerMessage::ServerInfo(m) => m.id,
            LegacyServerMessage::DeviceList(m) => m.id,
            LegacyServerMessage::DeviceAdded(m) => m.id,
            LegacyServerMessage::DeviceRemoved(m) => m.id,
            LegacyServerMessage::SensorReading(m) => m.id,
            LegacyServerMessage::BatteryLevelReading(m) => m.id,
            LegacyServerMessage::Test(m) => m.id,
            LegacyServerMessage::Log(m) => m.id,
        }
    }

    /// Whether this message, in this layout, exists in `version` (never in v4).
    pub fn fits(&self, version: SpecVersion) -> bool {
        use SpecVersion::*;
        match self {
            LegacyServerMessage::ServerInfo(m) => m.fits(version),
            LegacyServerMessage::DeviceList(m) => {
                version != V4
                    && m.devices
                        .iter()
                        .all(|d| d.device_messages.version() == version)
            }
            LegacyServerMessage::DeviceAdded(m) => m.device.device_messages.version() == version,
            LegacyServerMessage::DeviceRemoved(_) => version != V4,
            LegacyServerMessage::SensorReading(_) => version == V3,
            LegacyServerMessage::BatteryLevelReading(_) => version == V2,
            LegacyServerMessage::Test(_) | LegacyServerMessage::Log(_) => version <= V1,
        }
    }
}
