//! The vector YAML format (tests/vectors/README.md §1): tags map onto
//! externally tagged enums.

use serde::Deserialize;

#[derive(Debug, Deserialize)]
pub struct VectorFile {
    pub devices: Vec<VDevice>,
    #[serde(default)]
    pub device_init: Vec<Block>,
    pub device_commands: Vec<Block>,
    pub user_device_config_file: Option<String>,
    pub device_config_file: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct VDevice {
    pub identifier: VIdentifier,
    pub expected_name: String,
    pub expected_display_name: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct VIdentifier {
    pub name: String,
    pub address: Option<String>,
}

#[derive(Debug, Deserialize)]
pub enum Block {
    Commands {
        #[allow(dead_code)]
        device_index: usize,
        commands: Vec<Op>,
    },
    Events {
        #[allow(dead_code)]
        device_index: usize,
        events: Vec<Event>,
    },
    Messages {
        #[allow(dead_code)]
        device_index: usize,
        messages: Vec<Action>,
    },
    VersionGated {
        min_spec_version: u32,
        commands: Vec<Block>,
    },
}

#[derive(Clone, Debug, Deserialize, PartialEq, Eq)]
pub enum Op {
    Write {
        endpoint: String,
        data: Vec<u8>,
        write_with_response: bool,
        #[serde(default, skip)]
        #[allow(dead_code)]
        feature_id: Option<String>,
    },
    Subscribe {
        endpoint: String,
    },
    Unsubscribe {
        endpoint: String,
    },
}

#[derive(Debug, Deserialize)]
pub struct EndpointData {
    pub endpoint: String,
    pub data: Vec<u8>,
}

#[derive(Debug, Deserialize)]
pub enum Event {
    Notifications(Vec<EndpointData>),
    Reads(Vec<EndpointData>),
    Disconnect,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct VibrateEntry {
    pub index: u32,
    pub speed: f64,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct ScalarEntry {
    pub index: u32,
    pub scalar: f64,
    pub actuator_type: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct RotateEntry {
    pub index: u32,
    pub speed: f64,
    pub clockwise: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct LinearEntry {
    pub index: u32,
    pub position: f64,
    pub duration: u32,
}

#[derive(Debug, Deserialize)]
pub enum Action {
    Vibrate(Vec<VibrateEntry>),
    Scalar(Vec<ScalarEntry>),
    Rotate(Vec<RotateEntry>),
    Linear(Vec<LinearEntry>),
    Battery {
        expected_power: f64,
        run_async: bool,
    },
    Stop,
    #[serde(rename = "RSSI")]
    Rssi,
}

/// Blocks with version gates expanded for `version`.
pub fn expand(blocks: &[Block], version: u32) -> Vec<&Block> {
    let mut out = Vec::new();
    for b in blocks {
        match b {
            Block::VersionGated {
                min_spec_version,
                commands,
            } => {
                if version >= *min_spec_version {
                    out.extend(expand(commands, version));
                }
            }
            other => out.push(other),
        }
    }
    out
}
