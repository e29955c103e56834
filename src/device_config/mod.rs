//! The device database: the embedded buttplug device config (database v5, with Teleplug's own
//! additions; replaceable by a v4 or v5 file), the user device config layered on top, and
//! matching what a hardware manager saw of a device to a protocol and a device definition
//! (docs/PROTOCOL.md §6).
//!
//! This file holds the public model; file versions live in `version`, base databases in `load`
//! (specifiers in `specifier`), Teleplug's additions in `additions`, user configs in `user`
//! (written back by `write_back`, to a file by `user_file`), matching in `matching`, errors in
//! `error`.

use std::collections::BTreeMap;

use uuid::Uuid;

use crate::wire::{InputCommandType, InputType, OutputType};

/// Manufacturer data a BLE specifier matches on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ManufacturerData {
    pub company: u16,
    /// Bytes that must appear (as a contiguous subsequence) in the advertised payload; `None`
    /// matches any payload.
    pub data: Option<Vec<u8>>,
    pub expected_length: Option<usize>,
}

/// The `btle` communication specifier.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct BtleSpecifier {
    /// Names; a trailing `*` is a prefix wildcard.
    pub names: Vec<String>,
    pub manufacturer_data: Vec<ManufacturerData>,
    pub advertised_services: Vec<Uuid>,
    /// Service UUID → logical endpoint → characteristic UUID.
    pub services: BTreeMap<Uuid, BTreeMap<Endpoint, Uuid>>,
}

impl BtleSpecifier {
    /// Every logical endpoint named in the service map.
    pub fn endpoints(&self) -> Vec<Endpoint> {
        let mut v: Vec<Endpoint> = self
            .services
            .values()
            .flat_map(|m| m.keys().copied())
            .collect();
        v.sort();
        v.dedup();
        v
    }
}

/// Serial parity.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Parity {
    None,
    Odd,
    Even,
}

/// The `serial` communication specifier: a port name and its settings.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialSpecifier {
    pub port: String,
    pub baud_rate: u32,
    pub data_bits: u8,
    pub parity: Parity,
    pub stop_bits: u8,
}

/// One way a protocol's devices can be found and talked to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommunicationSpecifier {
    Btle(BtleSpecifier),
    Serial(SerialSpecifier),
    /// HID vendor/product id pairs.
    Hid(Vec<(u16, u16)>),
    /// USB vendor/product id pairs (vendor control transfers).
    Usb(Vec<(u16, u16)>),
    /// XInput gamepads (Windows); no Teleplug transport finds them.
    XInput,
    LovenseConnectService,
    /// A device dialing in over WebSocket with this handshake identifier.
    Websocket {
        name: String,
    },
    /// Gamepads with rumble (database v5's `sdl-gamepad`): every gamepad the gamepad transport
    /// offers matches.
    SdlGamepad,
    /// Virtual devices of database v5's `simulated` protocol: the archetype names a user
    /// config's `simulated_devices` may create.
    Simulated {
        names: Vec<String>,
    },
}

/// A user's override of one output type of a feature.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub struct OutputOverride {
    /// A sub-range `[lo, hi]` of `[0, base_max]`.
    pub value: Option<(i32, i32)>,
    pub duration: Option<(i32, i32)>,
    pub disabled: bool,
    pub reverse: bool,
}

/// One output type of a feature, with the user's limits applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutputDefinition {
    pub output_type: OutputType,
    /// The database range `[min, max]` in device steps (`min` is 0 or `-max`).
    pub base_range: (i32, i32),
    /// A user sub-range `[lo, hi]` within `[0, base_max]`.
    pub user_range: Option<(i32, i32)>,
    /// Duration range in ms (HwPositionWithDuration only).
    pub duration_range: Option<(i32, i32)>,
    /// Disabled by the user: commands are refused, stop still zeroes it.
    pub disabled: bool,
    /// Position reversed by the user (Position and HwPositionWithDuration).
    pub reverse: bool,
}

impl OutputDefinition {
    /// The range advertised to clients (docs/PROTOCOL.md §6.5): `[0, n]`, or `[-n, n]` when the base
    /// range starts below 0, with `n = base_max` or `u_hi - u_lo` under a user sub-range.
    pub fn client_range(&self) -> (i32, i32) {
        let n = match self.user_range {
            Some((lo, hi)) => hi - lo,
            None => self.base_range.1,
        };
        if self.base_range.0 < 0 {
            (-n, n)
        } else {
            (0, n)
        }
    }

    /// Client step → device step (docs/PROTOCOL.md §3.4), or `None` when out of range. Sign checks are
    /// the caller's job.
    pub fn to_device_step(&self, value: i32) -> Option<i32> {
        let (lo, hi) = self.user_range.unwrap_or((0, self.base_range.1));
        let positional = matches!(
            self.output_type,
            OutputType::Position | OutputType::HwPositionWithDuration
        );
        if positional {
            if value < 0 || value > hi - lo {
                return None;
            }
            return Some(if self.reverse { hi - value } else { lo + value });
        }
        if value == 0 {
            return Some(0);
        }
        let magnitude = lo.checked_add(value.checked_abs()?)?;
        if magnitude > hi {
            return None;
        }
        Some(if value < 0 { -magnitude } else { magnitude })
    }
}

/// One input type of a feature.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputDefinition {
    pub input_type: InputType,
    /// One `[min, max]` per reading dimension.
    pub ranges: Vec<(i32, i32)>,
    /// Read and/or Subscribe.
    pub commands: Vec<InputCommandType>,
}

/// One feature of a device definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeatureDefinition {
    /// The FeatureIndex exposed to v4 clients.
    pub index: u32,
    pub id: Uuid,
    pub description: String,
    /// Outputs in [`OutputType`] order.
    pub outputs: Vec<OutputDefinition>,
    pub inputs: Vec<InputDefinition>,
    /// `feature_settings.alt_protocol_index`.
    pub alt_protocol_index: Option<u32>,
}

impl FeatureDefinition {
    pub fn output(&self, t: OutputType) -> Option<&OutputDefinition> {
        self.outputs.iter().find(|o| o.output_type == t)
    }
    pub fn input(&self, t: InputType) -> Option<&InputDefinition> {
        self.inputs.iter().find(|i| i.input_type == t)
    }
}

/// A resolved device definition: user device entry → configuration → protocol defaults, with
/// the user's overrides applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DeviceDefinition {
    pub protocol: String,
    /// The identifier it was looked up with (after the protocol's identify step).
    pub identifier: Option<String>,
    pub name: String,
    pub display_name: Option<String>,
    pub id: Uuid,
    /// Features in ascending index order.
    pub features: Vec<FeatureDefinition>,
    pub protocol_variant: Option<String>,
    pub message_gap_ms: Option<u32>,
    /// The index the user config pins this device to.
    pub user_index: Option<u32>,
}

impl DeviceDefinition {
    pub fn feature(&self, index: u32) -> Option<&FeatureDefinition> {
        self.features.iter().find(|f| f.index == index)
    }
}

/// A protocol that an advertisement matched, with the specifier that matched.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProtocolMatch {
    pub protocol: String,
    pub specifier: CommunicationSpecifier,
}

/// A virtual device a user config asks for (`user_configs.simulated_devices`, database v5): an
/// archetype of a `simulated` specifier, at an address, with an optional display name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedDeviceEntry {
    /// The protocol whose `simulated` specifier names the archetype.
    pub protocol: String,
    /// The archetype (e.g. `simulated-2vibe`): the device's identifier.
    pub identifier: String,
    pub address: String,
    pub display_name: Option<String>,
}

/// The identity of a connected device, used for user device entries and index assignment.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct DeviceIdentity {
    pub address: String,
    pub protocol: String,
    pub identifier: Option<String>,
}

mod additions;
mod advertisement;
mod db;
pub mod endpoint;
mod error;
mod load;
mod matching;
mod raw_json;
mod specifier;
mod user;
mod user_file;
mod version;
mod write_back;

pub use advertisement::{Advertisement, AdvertisementKind};
pub use db::DeviceConfig;
pub use endpoint::Endpoint;
pub use error::ConfigError;
pub use user_file::{MAX_RECORDED_DEVICES, UserConfigFile};
pub use version::SUPPORTED_MAJORS;

#[cfg(test)]
mod tests;
