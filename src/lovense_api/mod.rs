//! The Lovense app's local HTTP API ("Game Mode" of Lovense Remote, Lovense Connect's LAN API),
//! answered by the server itself so that games that speak only Lovense drive any device:
//! every connected device is a toy (`toys`), requests are parsed (`request`), turned into
//! programs on the toys (`execute`, `program`) that one task plays through a backdoor connection
//! of the server (`engine`), served over HTTP with CORS (`http`). See the README's "Games that
//! speak Lovense" and docs/protocols/lovense-local-api.md.

mod engine;
mod execute;
mod http;
mod program;
mod request;
mod toys;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use request::ApiError;
pub use toys::{Toy, lovense_model_name, toy_id};

use crate::server::{ConnectError, Server};

/// Lovense Remote's game-mode HTTP port.
pub const DEFAULT_PORT: u16 = 20010;
/// How long the API waits for a request while a toy runs without end (`timeSec` 0) before it
/// stops every device.
pub const DEFAULT_WATCHDOG: Duration = Duration::from_secs(60);

/// Settings of the Lovense local API.
#[derive(Clone, Debug)]
pub struct LovenseApiOptions {
    /// Where to listen (default 127.0.0.1:20010).
    pub address: SocketAddr,
    /// Stop every device when no request arrived for this long while something runs with
    /// `timeSec` 0. Zero: never.
    pub watchdog: Duration,
    /// Start scanning when the API starts (and again when a device goes away), as the Lovense
    /// app keeps its toys connected.
    pub scan: bool,
    /// Lovense model names chosen by the user: key = toy id, device address, device name or
    /// display name; value = model (`lush`, `nora`, …).
    pub names: BTreeMap<String, String>,
}

impl Default for LovenseApiOptions {
    fn default() -> Self {
        LovenseApiOptions {
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT),
            watchdog: DEFAULT_WATCHDOG,
            scan: true,
            names: BTreeMap::new(),
        }
    }
}

/// The API's state: the server, the engine, the cached battery levels. Cheap to clone.
#[derive(Clone)]
pub struct LovenseApi {
    inner: Arc<Inner>,
}

struct Inner {
    server: Server,
    options: LovenseApiOptions,
    engine: Arc<engine::Engine>,
    engine_task: JoinHandle<()>,
    /// Device index → (battery %, when read).
    batteries: Mutex<BTreeMap<u32, (i32, Instant)>>,
    /// Ids of toys seen in an answer (a request naming one that is gone gets 402).
    seen: Mutex<std::collections::BTreeSet<String>>,
    /// Device index → when the last real-time `Position` came (its duration is the time since).
    last_position: Mutex<BTreeMap<u32, Instant>>,
    /// Device index → the PatternV2 actions of its last Setup.
    scripts: Mutex<BTreeMap<u32, Script>>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        self.engine_task.abort();
    }
}

impl LovenseApi {
    /// The API on `server` (must be called in a tokio runtime). Scans at once when
    /// `options.scan` is set. Dropping the last clone ends its backdoor connection: the server
    /// then stops every device.
    pub fn new(server: &Server, options: LovenseApiOptions) -> Result<LovenseApi, ConnectError> {
        let (engine, engine_task) = engine::start(server, options.watchdog)?;
        if options.scan {
            let s = server.clone();
            tokio::spawn(async move { s.start_scanning().await });
        }
        Ok(LovenseApi {
            inner: Arc::new(Inner {
                server: server.clone(),
                options,
                engine,
                engine_task,
                batteries: Mutex::new(BTreeMap::new()),
                seen: Mutex::new(Default::default()),
                last_position: Mutex::new(BTreeMap::new()),
                scripts: Mutex::new(BTreeMap::new()),
            }),
        })
    }

    /// The axum router answering the API (every path; use it to serve it yourself or in tests).
    pub fn router(&self) -> axum::Router {
        http::router(self.clone())
    }

    /// The toys now: every connected device.
    pub fn toys(&self) -> Vec<Toy> {
        let list = self.inner.server.device_list();
        let toys: Vec<Toy> = list
            .devices
            .values()
            .map(|entry| {
                Toy::new(
                    entry,
                    self.inner
                        .server
                        .device_identity(entry.device_index)
                        .as_ref(),
                    &self.inner.options.names,
                )
            })
            .collect();
        self.inner
            .seen
            .lock()
            .extend(toys.iter().map(|t| t.id.clone()));
        toys
    }
}

/// PatternV2 actions: `(ts ms, pos 0–100)`.
type Script = Arc<[(u32, u8)]>;

/// A running Lovense local API listener.
pub struct LovenseApiHandle {
    api: LovenseApi,
    local_addr: SocketAddr,
    stop: watch::Sender<bool>,
    task: JoinHandle<()>,
}

impl LovenseApiHandle {
    /// The address bound (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The API behind the listener.
    pub fn api(&self) -> &LovenseApi {
        &self.api
    }

    /// Stop listening (open requests get `timeout` to finish), end the API's programs and its
    /// backdoor connection (the server stops every device).
    pub async fn shutdown(self, timeout: Duration) {
        let _ = self.stop.send(true);
        let abort = self.task.abort_handle();
        if tokio::time::timeout(timeout, self.task).await.is_err() {
            abort.abort();
        }
        {
            let mut st = self.api.inner.engine.state.lock();
            st.programs.clear();
        }
    }
}

/// Start the Lovense local API on `server`: bind `options.address`, serve until shut down.
pub async fn start(
    server: &Server,
    options: LovenseApiOptions,
) -> std::io::Result<LovenseApiHandle> {
    let listener = tokio::net::TcpListener::bind(options.address).await?;
    let local_addr = listener.local_addr()?;
    let api = LovenseApi::new(server, options).map_err(|e| std::io::Error::other(e.to_string()))?;
    let (stop, mut stopped) = watch::channel(false);
    let router = api.router();
    let task = tokio::spawn(async move {
        let shutdown = async move {
            let _ = stopped.wait_for(|s| *s).await;
        };
        if let Err(e) = axum::serve(listener, router)
            .with_graceful_shutdown(shutdown)
            .await
        {
            tracing::warn!("Lovense API listener: {e}");
        }
    });
    Ok(LovenseApiHandle {
        api,
        local_addr,
        stop,
        task,
    })
}
