//! Options shared by `serve` and `devices`: the device database, the user config and which
//! hardware transports to scan with (one `--no-<transport>` switch per entry of the library's
//! transport table); building `ServerOptions` from them.

use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use teleplug::device_config::DeviceConfig;
use teleplug::hardware::{TRANSPORTS, TransportInfo};
use teleplug::server::{ServerOptions, Transports};

use crate::Failure;

/// Device database and hardware switches.
#[derive(Args, Debug, Clone)]
pub struct HardwareArgs {
    /// Device database to use instead of the embedded one (buttplug device config JSON, major 4
    /// or 5).
    #[arg(long, value_name = "FILE")]
    pub device_config: Option<PathBuf>,
    /// User device config (JSON, major 4 or 5): websocket device names, renames, limits,
    /// allow/deny. Written back after each new device with the index it got, so indexes stay
    /// the same across restarts (created if it does not exist, in a directory that does).
    #[arg(long, value_name = "FILE")]
    pub user_device_config: Option<PathBuf>,
    // `--no-bluetooth`, `--no-serial`, `--no-hid`: one per transport.
    #[command(flatten)]
    pub switched_off: SwitchedOff,
    /// Serial port to open besides the enumerated ones (repeatable; e.g. a virtual port).
    #[arg(long = "serial-port", value_name = "PATH")]
    pub serial_ports: Vec<String>,
    /// Lovense Connect app to use, e.g. http://192.168.1.5:20010 (repeatable; with
    /// --use-lovense-connect): no cloud discovery call is made then.
    #[arg(long = "lovense-connect-host", value_name = "URL", value_parser = lovense_connect_host)]
    pub lovense_connect_hosts: Vec<String>,
}

/// A `--lovense-connect-host` value, checked.
fn lovense_connect_host(host: &str) -> Result<String, String> {
    #[cfg(feature = "lovense-connect")]
    return teleplug::hardware::lovense_connect::parse_host(host);
    #[cfg(not(feature = "lovense-connect"))]
    Err(format!(
        "{host}: Lovense Connect is not compiled in (cargo feature `lovense-connect`)"
    ))
}

impl HardwareArgs {
    /// The device database with the user config applied. Unreadable files are usage errors;
    /// the error names the file, and the line and column of what is wrong.
    pub fn device_config(&self) -> Result<DeviceConfig, Failure> {
        let base = match &self.device_config {
            Some(path) => DeviceConfig::from_base_file(path)
                .map_err(|e| Failure::Usage(format!("--device-config: {e}")))?,
            None => DeviceConfig::embedded(),
        };
        match &self.user_device_config {
            // Not there yet: created when the first device is written into it, provided its
            // directory exists.
            Some(path) if !path.exists() => match path.parent() {
                Some(dir) if !dir.as_os_str().is_empty() && !dir.is_dir() => {
                    Err(Failure::Usage(format!(
                        "--user-device-config: {}: its directory does not exist",
                        path.display()
                    )))
                }
                _ => Ok(base),
            },
            Some(path) => base
                .with_user_config_file(path)
                .map_err(|e| Failure::Usage(format!("--user-device-config: {e}"))),
            None => Ok(base),
        }
    }

    pub fn transports(&self) -> Transports {
        let mut transports = Transports {
            serial_ports: self.serial_ports.clone(),
            lovense_connect_hosts: self.lovense_connect_hosts.clone(),
            ..Transports::default()
        };
        for t in &self.switched_off.0 {
            t.set(&mut transports, false);
        }
        transports
    }

    /// Server options with this database and these transports.
    pub fn server_options(&self) -> Result<ServerOptions, Failure> {
        Ok(ServerOptions {
            device_config: self.device_config()?,
            user_config_file: self.user_device_config.clone(),
            transports: self.transports(),
            ..ServerOptions::default()
        })
    }
}

/// The transports switched off on the command line: a `--no-<name>` flag per entry of
/// [`TRANSPORTS`], with the entry's help.
#[derive(Debug, Clone, Default)]
pub struct SwitchedOff(pub Vec<&'static TransportInfo>);

impl FromArgMatches for SwitchedOff {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut off = SwitchedOff::default();
        off.update_from_arg_matches(matches)?;
        Ok(off)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0 = TRANSPORTS
            .iter()
            .filter(|t| matches.get_flag(t.cli_flag))
            .collect();
        Ok(())
    }
}

impl Args for SwitchedOff {
    fn augment_args(cmd: Command) -> Command {
        TRANSPORTS.iter().fold(cmd, |cmd, t| {
            cmd.arg(
                Arg::new(t.cli_flag)
                    .long(t.cli_flag)
                    .help(t.cli_help)
                    .action(ArgAction::SetTrue),
            )
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        SwitchedOff::augment_args(cmd)
    }
}
