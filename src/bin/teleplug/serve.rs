//! `teleplug serve`: the Buttplug WebSocket server, optionally with the device listener and the
//! simulator control endpoint. Runs until asked to stop (SIGINT/SIGTERM; on Windows Ctrl+C,
//! Ctrl+Break, the console closing: `stop_request`), then stops every device, waits (bounded) for
//! the stop packets to be written, and exits 0.

use std::io::Write;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use teleplug::net::device_server::DeviceServerOptions;
use teleplug::net::simulator::SimulatorOptions;
use teleplug::net::{self, LinkConfig, ListenerHandle, OriginPolicy, WsServer, WsServerOptions};
use teleplug::server::{ClientApprover, Server};

use crate::Failure;
use crate::ask::{ANSWER_TIME, TerminalApprover};
use crate::options::HardwareArgs;
use crate::stop_request::StopRequests;

/// How long shutdown waits for stop packets, and for each listener to close.
const STOP_TIMEOUT: Duration = Duration::from_secs(3);

#[derive(Args, Debug, Clone)]
pub struct ServeArgs {
    /// Port for Buttplug clients (0 = any free port; the chosen one is printed).
    #[arg(long, default_value_t = net::ws_server::DEFAULT_PORT)]
    pub port: u16,
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
    #[arg(long, value_name = "IP", requires = "device_websocket_port")]
    pub device_websocket_address: Option<IpAddr>,
    /// Shared secret every device dialing in must present: "token" in its handshake frame, or
    /// ?token= in the URL it connects to. Devices without it, or with another, are closed with
    /// a reason saying so. Without this flag any device that reaches the port may dial in.
    #[arg(
        long,
        value_name = "TOKEN",
        requires = "device_websocket_port",
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
}

impl ServeArgs {
    fn host(&self) -> IpAddr {
        match (self.address, self.listen_all) {
            (Some(a), _) => a,
            (None, true) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
            (None, false) => IpAddr::V4(Ipv4Addr::LOCALHOST),
        }
    }
}

fn announce(line: String) {
    println!("{line}");
    let _ = std::io::stdout().flush();
}

pub async fn run(args: ServeArgs) -> Result<(), Failure> {
    let mut options = args.hardware.server_options()?;
    options.name = args.server_name.clone();
    options.max_ping_time = Duration::from_millis(args.max_ping_time);
    options.allowed_clients = args.allow_clients.clone();
    if args.ask {
        options.approver =
            Some(Arc::new(TerminalApprover::new(ANSWER_TIME)) as Arc<dyn ClientApprover>);
    }
    // Watch stop requests before anything can be driven.
    let mut stop = StopRequests::watch()?;
    let server = Server::new(options);
    let link = LinkConfig {
        ping_interval: Duration::from_millis(args.ws_ping_interval),
        ..LinkConfig::default()
    };
    let host = args.host();
    let origins = OriginPolicy::new(args.allowed_origins.clone());
    let bound = WsServer::bind(
        server.clone(),
        WsServerOptions {
            address: SocketAddr::new(host, args.port),
            origins: origins.clone(),
            link: link.clone(),
            ..WsServerOptions::default()
        },
    )
    .await
    .map_err(|e| Failure::Runtime(e.to_string()))?;
    let mut listeners: Vec<ListenerHandle> = Vec::new();
    if let Some(port) = args.device_websocket_port {
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
    let local = bound.local_addr();
    if !host.is_loopback() {
        tracing::warn!("listening on {host}: other machines can connect");
    }
    let ws = bound.spawn();
    announce(format!("Buttplug server listening on ws://{local}"));

    let which = stop.next().await;
    announce(format!("{which} received: stopping every device"));
    // No new commands from the client, then stop everything and wait for the packets.
    ws.shutdown(STOP_TIMEOUT).await;
    server.stop_all_devices(STOP_TIMEOUT).await;
    server.shutdown(STOP_TIMEOUT).await;
    // Device sockets and simulator connections last, so the stop packets reach them.
    for l in listeners {
        l.shutdown(STOP_TIMEOUT).await;
    }
    announce("stopped".into());
    Ok(())
}
