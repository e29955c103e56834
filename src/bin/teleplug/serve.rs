//! `teleplug serve`: the Buttplug WebSocket server, optionally with the device listener and the
//! simulator control endpoint. Runs until asked to stop (SIGINT/SIGTERM; on Windows Ctrl+C,
//! Ctrl+Break, the console closing: `stop_request`), then stops every device, waits (bounded) for
//! the stop packets to be written, and exits 0.
//!
//! The same arguments serve `teleplug` without a command, the way a launcher starts Intiface
//! Engine ([`Mode::Intiface`]): Intiface's flags (`intiface.rs`) and defaults (no hardware unless
//! a `--use-…` flag names it; no port unless one is given).

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use clap::{ArgGroup, Args};
use teleplug::hardware::TRANSPORTS;
use teleplug::net::device_server::DeviceServerOptions;
use teleplug::net::simulator::SimulatorOptions;
use teleplug::net::ws_client_server::DialOutOptions;
use teleplug::net::{self, LinkConfig, ListenerHandle, OriginPolicy, WsServer, WsServerOptions};
use teleplug::server::{ClientApprover, Server};

use crate::Failure;
use crate::ask::{ANSWER_TIME, TerminalApprover};
use crate::intiface::IntifaceArgs;
use crate::intiface_modes::{self, ClientSide};
use crate::lovense::LovenseArgs;
use crate::options::HardwareArgs;
use crate::panel::PanelArgs;
use crate::stop_request::StopRequests;

/// How long shutdown waits for stop packets, and for each listener to close.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// How the server was asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// `teleplug serve`: every transport unless switched off, port 12345 by default.
    Serve,
    /// `teleplug` without a command, as Intiface Engine is started: transports only when a
    /// `--use-…` flag names them, and a port must be given.
    Intiface,
}

#[derive(Args, Debug, Clone)]
#[command(group(
    ArgGroup::new("device_listener")
        .args(["device_websocket_port", "use_device_websocket_server"])
        .multiple(true)
))]
pub struct ServeArgs {
    /// Port for Buttplug clients (0 = any free port; the chosen one is printed) [default: 12345
    /// with `serve`].
    #[arg(long)]
    pub port: Option<u16>,
    /// Address to listen on (default 127.0.0.1: this machine only).
    #[arg(long, value_name = "IP", conflicts_with = "listen_all")]
    pub address: Option<IpAddr>,
    /// Listen on every network interface (0.0.0.0) instead of loopback only. Anyone on the
    /// network can then drive your devices: combine with --allow-client or --ask.
    #[arg(long)]
    pub listen_all: bool,
    /// Server name sent to clients in ServerInfo.
    #[arg(long, default_value = "Teleplug Server")]
    pub server_name: String,
    /// Clients must send Ping at least this often (milliseconds; 0 = no ping required).
    #[arg(long, value_name = "MS", default_value_t = 0)]
    pub max_ping_time: u64,
    /// Web page origin allowed to connect (repeatable, e.g. https://app.example; `*` = any).
    /// Without it only pages served from this machine may connect; native apps always can.
    #[arg(long = "allowed-origin", value_name = "ORIGIN")]
    pub allowed_origins: Vec<String>,
    /// Only clients with this name may connect (repeatable).
    #[arg(long = "allow-client", value_name = "NAME")]
    pub allow_clients: Vec<String>,
    /// Ask on this terminal (y/n, 30 s) before each client is let in.
    #[arg(long)]
    pub ask: bool,
    /// Accept devices dialing in over WebSocket on this port (Intiface's websocket device
    /// manager; Intiface uses 54817). Off by default.
    #[arg(long, value_name = "PORT")]
    pub device_websocket_port: Option<u16>,
    /// Address of the device listener (default 127.0.0.1, also with --listen-all or --address:
    /// devices usually dial in through a bridge program on this machine). To let devices on the
    /// network dial in, give e.g. 0.0.0.0, and set --device-websocket-token.
    #[arg(long, value_name = "IP", requires = "device_listener")]
    pub device_websocket_address: Option<IpAddr>,
    /// Shared secret every device dialing in must present: "token" in its handshake frame, or
    /// ?token= in the URL it connects to. Devices without it, or with another, are closed with
    /// a reason saying so. Without this flag any device that reaches the port may dial in.
    #[arg(
        long,
        value_name = "TOKEN",
        requires = "device_listener",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub device_websocket_token: Option<String>,
    /// Open the simulator control endpoint on this port (loopback only; web pages are held to
    /// the same --allowed-origin policy as the client port).
    #[arg(long, value_name = "PORT")]
    pub simulator_port: Option<u16>,
    /// Period of WebSocket-level pings; a peer missing one pong is dropped (milliseconds).
    #[arg(long, value_name = "MS", default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..))]
    pub ws_ping_interval: u64,
    #[command(flatten)]
    pub hardware: HardwareArgs,
    #[command(flatten)]
    pub panel: PanelArgs,
    #[command(flatten)]
    pub lovense: LovenseArgs,
    #[command(flatten)]
    pub intiface: IntifaceArgs,
}

impl ServeArgs {
    /// Where Buttplug clients connect, from either spelling.
    fn listen_address(&self, mode: Mode) -> Result<SocketAddr, Failure> {
        if let Some(address) = self.intiface.websocket_listen_address {
            return Ok(address);
        }
        let port = match (self.port.or(self.intiface.websocket_port), mode) {
            (Some(port), _) => port,
            (None, Mode::Serve) => net::ws_server::DEFAULT_PORT,
            (None, Mode::Intiface) => {
                return Err(Failure::Usage(
                    "no port to serve on: give --websocket-port PORT or \
                     --websocket-listen-address IP:PORT (Intiface Engine opens no port \
                     without them either), or use `teleplug serve`"
                        .into(),
                ));
            }
        };
        let host = match self.address {
            Some(a) => a,
            None if self.listen_all || self.intiface.websocket_use_all_interfaces => {
                IpAddr::V4(Ipv4Addr::UNSPECIFIED)
            }
            None => IpAddr::V4(Ipv4Addr::LOCALHOST),
        };
        Ok(SocketAddr::new(host, port))
    }

    /// The port devices dial in on, if any: Teleplug's `--device-websocket-port`, or Intiface's
    /// `--use-device-websocket-server` (port 54817 or `--device-websocket-server-port`).
    fn device_port(&self) -> Option<u16> {
        let intiface = &self.intiface;
        if intiface.device_websocket_server_port.is_some() && !intiface.use_device_websocket_server
        {
            tracing::warn!(
                "--device-websocket-server-port is ignored without --use-device-websocket-server \
                 (as in Intiface Engine)"
            );
        }
        self.device_websocket_port
            .or(intiface.use_device_websocket_server.then(|| {
                intiface
                    .device_websocket_server_port
                    .unwrap_or(net::device_server::DEFAULT_DEVICE_PORT)
            }))
    }

    /// Server options: Teleplug's and Intiface's spellings merged, and the transports of `mode`
    /// (see [`Mode`]; a `--use-…` flag makes `serve` use only the transports named too).
    fn server_options(&self, mode: Mode) -> Result<teleplug::server::ServerOptions, Failure> {
        let mut hardware = self.hardware.clone();
        let intiface = &self.intiface;
        if let Some(file) = &intiface.device_config_file {
            hardware.device_config = Some(file.clone());
        }
        if let Some(file) = &intiface.user_device_config_file {
            hardware.user_device_config = Some(file.clone());
        }
        let mut options = hardware.server_options()?;
        let named = &intiface.use_flags.0;
        if mode == Mode::Intiface || !named.is_empty() {
            for t in TRANSPORTS {
                let on = named.iter().any(|n| n.name == t.name);
                t.set(&mut options.transports, on);
            }
        }
        Ok(options)
    }
}

pub fn announce(line: String) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

pub async fn run(args: ServeArgs, mode: Mode) -> Result<(), Failure> {
    if args.intiface.mdns_suffix.is_some() && !args.intiface.broadcast_server_mdns {
        tracing::warn!(
            "--mdns-suffix is ignored without --broadcast-server-mdns (as in Intiface Engine)"
        );
    }
    #[cfg(not(feature = "mdns"))]
    if args.intiface.broadcast_server_mdns {
        return Err(Failure::Usage(
            "--broadcast-server-mdns: this build has no mDNS (cargo feature `mdns`)".into(),
        ));
    }
    // Intiface's client mode and repeater open no port for clients.
    let dial_out = intiface_modes::dial_out_url(&args)?;
    let address = match (&dial_out, args.intiface.repeater) {
        (None, false) => args.listen_address(mode)?,
        _ => SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
    };
    let device_port = args.device_port();
    let mut options = args.server_options(mode)?;
    let on: Vec<&str> = TRANSPORTS
        .iter()
        .filter(|t| t.is_on(&options.transports))
        .map(|t| t.name)
        .collect();
    tracing::info!(
        "hardware transports: {}",
        if on.is_empty() {
            "none".to_string()
        } else {
            on.join(", ")
        }
    );
    options.name = args.server_name.clone();
    options.max_ping_time = Duration::from_millis(args.max_ping_time);
    options.allowed_clients = args.allow_clients.clone();
    if args.ask {
        options.approver =
            Some(Arc::new(TerminalApprover::new(ANSWER_TIME)) as Arc<dyn ClientApprover>);
    }
    // Watch stop requests before anything can be driven.
    let mut stop = StopRequests::watch()?;
    let mut watched = match intiface_modes::wait_for_frontend(&args, &mut stop).await {
        Ok(w) => w,
        Err(Ok(which)) => {
            announce(format!(
                "{which} received before the frontend connected: stopped"
            ));
            return Ok(());
        }
        Err(Err(e)) => return Err(e),
    };
    if let (true, Some(remote)) = (args.intiface.repeater, &dial_out) {
        return intiface_modes::run_repeater(&args, remote.clone(), watched, &mut stop).await;
    }
    let server = Server::new(options);
    let link = LinkConfig {
        ping_interval: Duration::from_millis(args.ws_ping_interval),
        ..LinkConfig::default()
    };
    let host = address.ip();
    let origins = OriginPolicy::new(args.allowed_origins.clone());
    let bound = match &dial_out {
        None => Ok(
            match WsServer::bind(
                server.clone(),
                WsServerOptions {
                    address,
                    origins: origins.clone(),
                    link: link.clone(),
                    ..WsServerOptions::default()
                },
            )
            .await
            {
                Ok(bound) => bound,
                Err(e) => return Err(intiface_modes::failed(watched, "Buttplug server", e).await),
            },
        ),
        Some(url) => Err(url.clone()),
    };
    let mut listeners: Vec<ListenerHandle> = Vec::new();
    if let Some(port) = device_port {
        let device_host = args
            .device_websocket_address
            .unwrap_or(IpAddr::V4(Ipv4Addr::LOCALHOST));
        let h = net::device_server::start_with(
            &server,
            DeviceServerOptions {
                address: SocketAddr::new(device_host, port),
                link: link.clone(),
                origins: origins.clone(),
                token: args.device_websocket_token.clone(),
            },
        )
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
        if !device_host.is_loopback() && args.device_websocket_token.is_none() {
            tracing::warn!(
                "devices may dial in from other machines without a token: set --device-websocket-token"
            );
        }
        announce(format!("devices may dial in on ws://{}", h.local_addr()));
        listeners.push(h);
    }
    if let Some(port) = args.simulator_port {
        let h = net::simulator::start_with(
            server.clone(),
            SimulatorOptions {
                address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), port),
                link: link.clone(),
                origins: origins.clone(),
                ..SimulatorOptions::default()
            },
        )
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
        announce(format!("simulator control on ws://{}", h.local_addr()));
        listeners.push(h);
    }
    let lovense = match args.lovense.options(host)? {
        Some(o) => {
            let h = teleplug::lovense_api::start(&server, o)
                .await
                .map_err(|e| Failure::Runtime(format!("Lovense local API: {e}")))?;
            announce(format!("Lovense local API on http://{}", h.local_addr()));
            if let Some(tls) = h.tls_addr() {
                announce(format!("Lovense local API on https://{tls}"));
            }
            Some(h)
        }
        None => None,
    };
    let (ws, local) = match bound {
        Ok(bound) => {
            let local = bound.local_addr();
            if !host.is_loopback() {
                tracing::warn!("listening on {host}: other machines can connect");
            }
            let ws = bound.spawn();
            announce(format!("Buttplug server listening on ws://{local}"));
            (ClientSide::Listening(ws), Some(local))
        }
        // Intiface's client mode: the server connects to its client.
        Err(url) => {
            let options = DialOutOptions {
                url: url.clone(),
                link: link.clone(),
            };
            let h = net::ws_client_server::spawn(server.clone(), options);
            announce(format!("Buttplug server dialing out to {url}"));
            (ClientSide::DialingOut(h), None)
        }
    };
    #[cfg(feature = "mdns")]
    let advertisement = match (args.intiface.broadcast_server_mdns, local) {
        // As Intiface Engine: a server that cannot be announced still serves.
        (true, Some(local)) => {
            match net::mdns::Advertisement::start(local, args.intiface.mdns_suffix.as_deref()) {
                Ok(a) => {
                    announce(format!(
                        "announced by mDNS as \"{}\" ({})",
                        a.instance_name(),
                        net::mdns::SERVICE_TYPE
                    ));
                    Some(a)
                }
                Err(e) => {
                    tracing::warn!("{e}");
                    None
                }
            }
        }
        _ => None,
    };
    if let Some(w) = &mut watched {
        #[cfg(feature = "mdns")]
        let mdns = advertisement
            .as_ref()
            .zip(local)
            .map(|(a, l)| (a.instance_name(), l.port()));
        #[cfg(not(feature = "mdns"))]
        let mdns = None;
        w.server_created(&server, mdns);
    }

    let settings = serde_json::json!({
        "websocket": match (local, &dial_out) {
            (Some(local), _) => format!("ws://{local}"),
            (None, url) => format!("dialing out to {}", url.as_deref().unwrap_or_default()),
        },
        "max_ping_time_ms": args.max_ping_time,
        "allowed_clients": args.allow_clients,
        "allowed_origins": args.allowed_origins,
        "ask": args.ask,
        "transports": on,
        "device_websocket_port": device_port,
        "simulator_port": args.simulator_port,
    });
    let panel = crate::panel::start(&args, mode, address.port(), host, &server, settings).await?;

    let which = intiface_modes::next_stop(&mut stop, watched.as_ref()).await;
    announce(format!("{which} received: stopping every device"));
    // No new commands from a game either.
    if let Some(h) = lovense {
        h.shutdown(STOP_TIMEOUT).await;
    }
    if let Some(p) = panel {
        p.shutdown(STOP_TIMEOUT).await;
    }
    // No new commands from the client, then stop everything and wait for the packets.
    ws.shutdown(STOP_TIMEOUT).await;
    server.stop_all_devices(STOP_TIMEOUT).await;
    // Devices first (safety), then the mDNS goodbye so apps forget the server at once.
    #[cfg(feature = "mdns")]
    if let Some(a) = advertisement {
        let _ = tokio::task::spawn_blocking(move || a.stop()).await;
    }
    server.shutdown(STOP_TIMEOUT).await;
    // Device sockets and simulator connections last, so the stop packets reach them.
    for l in listeners {
        l.shutdown(STOP_TIMEOUT).await;
    }
    if let Some(w) = watched {
        w.close().await;
    }
    announce("stopped".into());
    Ok(())
}
