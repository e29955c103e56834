//! `serve`'s control panel and HTTP API flags (`--http-port`, `--no-panel`, `--panel-token`;
//! Intiface Engine's `--rest-api-port` is the same port) and starting the panel beside the
//! Buttplug server: on `serve` by default (port 12346), without a command only when a port is
//! given (Intiface opens no port it was not asked for).

use std::net::{IpAddr, Ipv4Addr, SocketAddr};

use clap::Args;
use teleplug::panel::{self, PanelHandle, PanelOptions};
use teleplug::server::Server;

use crate::Failure;
use crate::serve::{Mode, ServeArgs};

/// The panel's flags.
#[derive(Args, Debug, Clone, Default)]
pub struct PanelArgs {
    /// Port of the control panel (http://127.0.0.1:PORT/) and its HTTP API, on the address of
    /// the Buttplug server [default with `serve`: the Buttplug port + 1, i.e. 12346; without a
    /// command, none unless given] [Intiface: --rest-api-port].
    #[arg(long, value_name = "PORT", conflicts_with = "no_panel")]
    pub http_port: Option<u16>,
    /// No control panel and no HTTP API.
    #[arg(long)]
    pub no_panel: bool,
    /// Secret the panel and the API require (in the X-Teleplug-Token header). Beyond loopback
    /// (--listen-all, --address) one is made up at start and printed if not given.
    #[arg(
        long,
        value_name = "TOKEN",
        conflicts_with = "no_panel",
        value_parser = clap::builder::NonEmptyStringValueParser::new()
    )]
    pub panel_token: Option<String>,
}

/// Start the panel if `serve`'s arguments ask for it; prints its URL (with the token, if any).
/// `ws_port`: the Buttplug port asked for; `host`: the address it listens on.
pub async fn start(
    serve: &ServeArgs,
    mode: Mode,
    ws_port: u16,
    host: IpAddr,
    server: &Server,
    settings: serde_json::Value,
) -> Result<Option<PanelHandle>, Failure> {
    let args = &serve.panel;
    let rest_api_port = serve.intiface.rest_api_port;
    if args.no_panel {
        return Ok(None);
    }
    let (port, given) = match (args.http_port.or(rest_api_port), mode) {
        (Some(p), _) => (p, true),
        // The port after the Buttplug one (12346 by default); any free port with `--port 0`.
        (None, Mode::Serve) => match ws_port {
            0 => (0, false),
            p => (p.checked_add(1).unwrap_or(0), false),
        },
        (None, Mode::Intiface) => return Ok(None),
    };
    let token = match &args.panel_token {
        Some(t) => Some(t.clone()),
        None if !host.is_loopback() => {
            Some(panel::new_token().map_err(|e| Failure::Runtime(e.to_string()))?)
        }
        None => None,
    };
    let bound = panel::bind(
        server,
        PanelOptions {
            address: SocketAddr::new(host, port),
            token: token.clone(),
            allowed_origins: serve.allowed_origins.clone(),
            log: crate::logging::tail(),
            settings,
        },
    )
    .await;
    let bound = match bound {
        Ok(b) => b,
        Err(e) if given => {
            return Err(Failure::Runtime(format!(
                "control panel on port {port}: {e}"
            )));
        }
        // The default port taken (another server?): serve without the panel rather than not at
        // all.
        Err(e) => {
            tracing::warn!(
                "control panel not started on port {port}: {e} (give --http-port PORT, or \
                 --no-panel)"
            );
            return Ok(None);
        }
    };
    let local = bound.local_addr();
    let shown = match local.ip() {
        ip if ip.is_unspecified() => SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), local.port()),
        _ => local,
    };
    let fragment = token.map(|t| format!("#token={t}")).unwrap_or_default();
    crate::serve::announce(format!(
        "control panel and HTTP API on http://{shown}/{fragment}"
    ));
    Ok(Some(bound.spawn()))
}
