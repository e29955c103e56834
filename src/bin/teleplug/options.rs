//! Options shared by `serve` and `devices`: the device database, the user config and which
//! hardware transports to scan with; building `ServerOptions` from them.

use std::path::PathBuf;

use clap::Args;
use teleplug::device_config::DeviceConfig;
use teleplug::server::{ServerOptions, Transports};

use crate::Failure;

/// Device database and hardware switches.
#[derive(Args, Debug, Clone)]
pub struct HardwareArgs {
    /// Device database to use instead of the embedded one (buttplug device config v4 JSON).
    #[arg(long, value_name = "FILE")]
    pub device_config: Option<PathBuf>,
    /// User device config (v4 JSON): websocket device names, renames, limits, allow/deny.
    #[arg(long, value_name = "FILE")]
    pub user_device_config: Option<PathBuf>,
    /// Do not scan Bluetooth LE.
    #[arg(long)]
    pub no_bluetooth: bool,
    /// Do not scan serial ports.
    #[arg(long)]
    pub no_serial: bool,
    /// Do not scan USB HID devices.
    #[arg(long)]
    pub no_hid: bool,
    /// Serial port to open besides the enumerated ones (repeatable; e.g. a virtual port).
    #[arg(long = "serial-port", value_name = "PATH")]
    pub serial_ports: Vec<String>,
}

impl HardwareArgs {
    /// The device database with the user config applied. Unreadable files are usage errors.
    pub fn device_config(&self) -> Result<DeviceConfig, Failure> {
        let base = match &self.device_config {
            Some(path) => DeviceConfig::from_base_file(path)
                .map_err(|e| Failure::Usage(format!("--device-config {}: {e}", path.display())))?,
            None => DeviceConfig::embedded(),
        };
        match &self.user_device_config {
            Some(path) => base.with_user_config_file(path).map_err(|e| {
                Failure::Usage(format!("--user-device-config {}: {e}", path.display()))
            }),
            None => Ok(base),
        }
    }

    pub fn transports(&self) -> Transports {
        Transports {
            bluetooth: !self.no_bluetooth,
            serial: !self.no_serial,
            hid: !self.no_hid,
            serial_ports: self.serial_ports.clone(),
        }
    }

    /// Server options with this database and these transports.
    pub fn server_options(&self) -> Result<ServerOptions, Failure> {
        Ok(ServerOptions {
            device_config: self.device_config()?,
            transports: self.transports(),
            ..ServerOptions::default()
        })
    }
}
