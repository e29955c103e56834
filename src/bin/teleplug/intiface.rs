//! Intiface Engine's command line (4.0.x and 5.0.x), so a launcher that starts
//! `intiface-engine --websocket-port 12345 --use-bluetooth-le …` can start Teleplug instead.
//!
//! Its flags are accepted by `teleplug serve` and by `teleplug` without a command (the way a
//! launcher starts Intiface Engine), with Intiface's meaning:
//! - [`IntifaceArgs`]: the spellings of settings Teleplug has under another name
//!   (`--websocket-port` = `--port`, …); using both spellings of one setting is a usage error
//!   naming both;
//! - [`UseFlags`]: `--use-bluetooth-le`, `--use-serial`… derived from the transport table's
//!   `intiface_flags`. As in Intiface, once one is given only the transports named are used, and
//!   without a command no transport is used unless named; `--no-X` with a flag naming X is a
//!   usage error;
//!
//! Every flag of Intiface Engine 4.0.x and 5.0.x is implemented (tests/intiface_cli.rs lists
//! them); a flag Intiface adds later is a usage error of the parser until it is.
//!
//! Intiface's other modes (`--websocket-client-address`, `--repeater`, `--frontend-websocket-port`)
//! run in `intiface_modes.rs`.
//!
//! `--version` and `--server-version` print as Intiface's do ([`version_line`]).

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Arg, ArgAction, ArgMatches, Args, Command, FromArgMatches};
use teleplug::hardware::{TRANSPORTS, TransportInfo};

/// Intiface Engine's flags for settings Teleplug also has (its own spelling in brackets).
#[derive(Args, Debug, Clone, Default)]
#[command(next_help_heading = "Intiface Engine flags")]
pub struct IntifaceArgs {
    /// Port for Buttplug clients [--port].
    #[arg(long, value_name = "PORT", conflicts_with_all = ["port", "websocket_listen_address"])]
    pub websocket_port: Option<u16>,
    /// Listen on every interface (0.0.0.0) [--listen-all].
    #[arg(long, conflicts_with_all = ["address", "websocket_listen_address"])]
    pub websocket_use_all_interfaces: bool,
    /// Address and port for Buttplug clients, e.g. 127.0.0.1:12345 (Intiface 5) [--address
    /// with --port].
    #[arg(long, value_name = "IP:PORT", conflicts_with_all = ["port", "address", "listen_all"])]
    pub websocket_listen_address: Option<SocketAddr>,
    /// Device database file [--device-config].
    #[arg(long, value_name = "FILE", conflicts_with = "device_config")]
    pub device_config_file: Option<PathBuf>,
    /// User device config file [--user-device-config].
    #[arg(long, value_name = "FILE", conflicts_with = "user_device_config")]
    pub user_device_config_file: Option<PathBuf>,
    /// Accept devices dialing in over WebSocket (port 54817 unless
    /// --device-websocket-server-port) [--device-websocket-port].
    #[arg(long)]
    pub use_device_websocket_server: bool,
    /// Port of --use-device-websocket-server (ignored without it, as in Intiface)
    /// [--device-websocket-port].
    #[arg(long, value_name = "PORT", conflicts_with = "device_websocket_port")]
    pub device_websocket_server_port: Option<u16>,
    /// Announce the server on the network by mDNS (_intiface_engine._tcp).
    #[arg(long)]
    pub broadcast_server_mdns: bool,
    /// Appended to the announced instance name (ignored without --broadcast-server-mdns, as in
    /// Intiface).
    #[arg(long, value_name = "TEXT")]
    pub mdns_suffix: Option<String>,
    /// Port of Intiface Engine 5's REST API (its routes under /api/v1) [--http-port: the
    /// control panel's port, which serves them].
    #[arg(long, value_name = "PORT", conflicts_with_all = ["http_port", "no_panel"])]
    pub rest_api_port: Option<u16>,
    /// Connect to this WebSocket server (ws://host:port) and serve the Buttplug client there
    /// instead of listening; again after every disconnect. As client mode of Intiface Engine.
    #[arg(long, value_name = "URL", conflicts_with_all = [
        "port", "address", "listen_all", "websocket_port", "websocket_use_all_interfaces",
        "websocket_listen_address", "broadcast_server_mdns",
    ])]
    pub websocket_client_address: Option<String>,
    /// Intiface Central's frontend channel: a WebSocket server on 127.0.0.1:PORT; the engine
    /// waits for the frontend, reports to it (JSON EngineMessages) and stops on its Stop.
    #[arg(long, value_name = "PORT")]
    pub frontend_websocket_port: Option<u16>,
    /// Repeater (proxy) mode: WebSocket connections to 127.0.0.1:--repeater-port are passed on
    /// to --websocket-client-address; no Buttplug server runs and no device is used.
    #[arg(long, requires_all = ["repeater_port", "websocket_client_address"], conflicts_with_all = [
        "port", "websocket_port", "websocket_listen_address", "broadcast_server_mdns",
        "device_listener", "simulator_port",
    ])]
    pub repeater: bool,
    /// The repeater's port (with --repeater).
    #[arg(long, value_name = "PORT", requires = "repeater")]
    pub repeater_port: Option<u16>,
    #[command(flatten)]
    pub use_flags: UseFlags,
}

/// The transports named by Intiface `--use-…` flags (from the transport table's
/// `intiface_flags`).
#[derive(Debug, Clone, Default)]
pub struct UseFlags(pub Vec<&'static TransportInfo>);

impl FromArgMatches for UseFlags {
    fn from_arg_matches(matches: &ArgMatches) -> Result<Self, clap::Error> {
        let mut named = UseFlags::default();
        named.update_from_arg_matches(matches)?;
        Ok(named)
    }

    fn update_from_arg_matches(&mut self, matches: &ArgMatches) -> Result<(), clap::Error> {
        self.0 = TRANSPORTS
            .iter()
            .filter(|t| t.intiface_flags.iter().any(|f| matches.get_flag(f)))
            .collect();
        Ok(())
    }
}

impl Args for UseFlags {
    fn augment_args(cmd: Command) -> Command {
        TRANSPORTS.iter().fold(cmd, |cmd, t| {
            t.intiface_flags.iter().fold(cmd, |cmd, flag| {
                cmd.arg(
                    Arg::new(*flag)
                        .long(*flag)
                        .help(format!(
                            "Use {} devices (once a --use-… flag is given, only the transports named)",
                            t.label
                        ))
                        .action(ArgAction::SetTrue)
                        .conflicts_with(t.cli_flag),
                )
            })
        })
    }

    fn augment_args_for_update(cmd: Command) -> Command {
        UseFlags::augment_args(cmd)
    }
}

/// What `--version` prints: Intiface Engine's line ("… Version X, Commit Y, Built Z") with
/// Teleplug's name and version.
pub fn version_line() -> String {
    format!(
        "Teleplug Version {}, Commit {}, Built {}",
        env!("CARGO_PKG_VERSION"),
        option_env!("TELEPLUG_GIT_COMMIT").unwrap_or("unknown"),
        option_env!("TELEPLUG_BUILT").unwrap_or("unknown"),
    )
}

/// What `--server-version` prints: the version alone.
pub fn server_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}
