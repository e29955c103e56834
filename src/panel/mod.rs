//! The control panel and the HTTP API of `teleplug serve`: a page embedded in the binary
//! ([`page`]), Teleplug's routes ([`api`]) and Intiface Engine 5's REST routes ([`engine`],
//! under `/api/v1`), server-sent events ([`events`]) and the log tail ([`log`]), on their own
//! HTTP port. Every request passes the [`guard`] first (Host, Origin, cross-site, token); a
//! connection must send its first request head within [`HEAD_TIMEOUT`] (`listen`).
//!
//! The panel acts through a backdoor connection of the server (beside the client app, same
//! validation, same device tasks), except STOP ALL, which is [`Server::stop_all_devices`]: sent
//! straight to every device task, ahead of whatever the app has queued.

pub mod api;
mod backdoor;
pub mod engine;
pub mod error;
pub mod events;
mod extract;
pub mod guard;
mod listen;
pub mod log;
mod page;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::response::IntoResponse;
use serde_json::Value;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::server::Server;
use crate::wire::{DeviceEntry, DeviceFeature};
use backdoor::Backdoor;
use error::ApiError;
pub use guard::{Guard, TOKEN_HEADER};
pub use listen::HEAD_TIMEOUT;
pub use log::LogTail;

/// How long STOP ALL waits for the stop packets to be written, and for the app's connection to
/// end when it is asked to end it.
pub const STOP_TIMEOUT: Duration = Duration::from_secs(3);

/// How the panel is served.
#[derive(Clone, Debug)]
pub struct PanelOptions {
    pub address: SocketAddr,
    /// The secret every API request must carry. Required when `address` is not loopback.
    pub token: Option<String>,
    /// `--allowed-origin` as given to the WebSocket server (empty: pages served from this
    /// machine).
    pub allowed_origins: Vec<String>,
    /// The log tail shown by the page (`None`: no log route).
    pub log: Option<LogTail>,
    /// The server's settings as the program wants them shown (`GET /api/server`).
    pub settings: Value,
}

/// A new random token (24 bytes, hex).
pub fn new_token() -> io::Result<String> {
    let mut bytes = [0u8; 24];
    getrandom::fill(&mut bytes).map_err(|e| io::Error::other(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// What the routes share.
pub struct Shared {
    pub(crate) server: Server,
    backdoor: Backdoor,
    log: Option<LogTail>,
    settings: Value,
    local: SocketAddr,
    token_required: bool,
    streams: events::OpenStreams,
}

impl Shared {
    fn scanning(&self) -> bool {
        self.server.is_scanning()
    }

    /// The connected devices as DeviceList entries (spec v4 JSON), by index.
    fn devices_json(&self) -> Value {
        let list = self.server.device_list();
        serde_json::to_value(list.devices.values().collect::<Vec<_>>()).unwrap_or(Value::Null)
    }

    fn device_json(&self, index: u32) -> Value {
        self.server
            .device_list()
            .devices
            .get(&index)
            .and_then(|d| serde_json::to_value(d).ok())
            .unwrap_or(Value::Null)
    }

    fn device(&self, index: u32) -> Result<DeviceEntry, ApiError> {
        self.server
            .device_list()
            .devices
            .remove(&index)
            .ok_or(ApiError::no_device(index))
    }

    fn feature(&self, index: u32, feature: u32) -> Result<DeviceFeature, ApiError> {
        self.device(index)?
            .device_features
            .remove(&feature)
            .ok_or(ApiError::no_feature(index, feature))
    }
}

/// A bound panel, not serving yet.
pub struct BoundPanel {
    listener: tokio::net::TcpListener,
    router: Router,
    local: SocketAddr,
}

impl BoundPanel {
    /// The address listened on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serve until [`PanelHandle::shutdown`].
    pub fn spawn(self) -> PanelHandle {
        let (tx, mut rx) = watch::channel(false);
        let serve = axum::serve(listen::Listener(self.listener), self.router)
            .with_graceful_shutdown(async move {
                let _ = rx.wait_for(|stop| *stop).await;
            });
        let join = tokio::spawn(async move {
            if let Err(e) = serve.await {
                tracing::warn!("control panel: {e}");
            }
        });
        PanelHandle {
            local: self.local,
            shutdown_tx: tx,
            join,
        }
    }
}

/// A running panel.
pub struct PanelHandle {
    local: SocketAddr,
    shutdown_tx: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl PanelHandle {
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stop serving: requests in progress get `timeout` to finish, then every connection
    /// (event streams included) is closed.
    pub async fn shutdown(self, timeout: Duration) {
        let _ = self.shutdown_tx.send(true);
        let abort = self.join.abort_handle();
        if tokio::time::timeout(timeout, self.join).await.is_err() {
            abort.abort();
        }
    }
}

/// Bind the panel's port and open its connection to `server`.
pub async fn bind(server: &Server, options: PanelOptions) -> io::Result<BoundPanel> {
    if options.token.is_none() && !options.address.ip().is_loopback() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the control panel needs a token when it listens beyond loopback",
        ));
    }
    if options
        .token
        .as_deref()
        .is_some_and(|t| t.trim().is_empty())
    {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "the panel token must not be empty",
        ));
    }
    let listener = tokio::net::TcpListener::bind(options.address).await?;
    let local = listener.local_addr()?;
    let backdoor =
        Backdoor::connect(server, "control panel").map_err(|e| io::Error::other(e.to_string()))?;
    let shared = Arc::new(Shared {
        server: server.clone(),
        backdoor,
        log: options.log,
        settings: options.settings,
        local,
        token_required: options.token.is_some(),
        streams: events::OpenStreams::default(),
    });
    let guard = Arc::new(Guard {
        bound: local.ip(),
        token: options.token,
        allowed_origins: options.allowed_origins,
    });
    let router = Router::new()
        .merge(page::routes())
        .merge(api::routes())
        .nest("/api/v1", engine::routes())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(shared)
        .layer(axum::middleware::from_fn_with_state(
            guard,
            guard::middleware,
        ));
    Ok(BoundPanel {
        listener,
        router,
        local,
    })
}

async fn not_found(uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::not_found(format!("no route {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> impl IntoResponse {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        format!("{method} is not allowed on {}", uri.path()),
    )
}
