//! The Lovense app's local HTTP API ("Game Mode" of Lovense Remote, Lovense Connect's LAN API),
//! answered by the server itself so that games that speak only Lovense drive any device:
//! every connected device is a toy (`toys`), requests are parsed (`request`), turned into
//! programs on the toys (`execute`, `program`; `Thrusting` on a stroker is a stroke program
//! between the `Stroke` range) that one task plays through a backdoor connection
//! of the server (`engine`), served over HTTP with CORS (`http`). See the README's "Games that
//! speak Lovense" and docs/protocols/lovense-local-api.md.

mod engine;
mod execute;
mod http;
mod program;
mod request;
#[cfg(feature = "lovense-tls")]
mod tls;
mod toys;

use std::collections::BTreeMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

pub use request::ApiError;
#[cfg(feature = "lovense-tls")]
pub use tls::{CERT_FILE, KEY_FILE};
pub use toys::{Toy, lovense_model_name, toy_id};

use crate::server::{ConnectError, Server};

/// Lovense Remote's game-mode HTTP port.
pub const DEFAULT_PORT: u16 = 20010;
/// The Lovense apps' HTTPS port.
pub const DEFAULT_TLS_PORT: u16 = 30010;
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
    /// Also serve HTTPS, with the self-signed certificate of a directory (made at first start).
    pub tls: Option<TlsOptions>,
}

/// The HTTPS listener of the API.
#[derive(Clone, Debug)]
pub struct TlsOptions {
    /// Where to listen (Lovense's 30010 by default).
    pub address: SocketAddr,
    /// Holds `lovense-api-cert.pem` and `lovense-api-key.pem`; both are made (with the directory) when missing.
    pub dir: PathBuf,
}

impl Default for LovenseApiOptions {
    fn default() -> Self {
        LovenseApiOptions {
            address: SocketAddr::new(IpAddr::V4(Ipv4Addr::LOCALHOST), DEFAULT_PORT),
            watchdog: DEFAULT_WATCHDOG,
            scan: true,
            names: BTreeMap::new(),
            tls: None,
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
    /// Device index → the range (0–100) of its last `Stroke:min-max`.
    strokes: Mutex<BTreeMap<u32, (u8, u8)>>,
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
                strokes: Mutex::new(BTreeMap::new()),
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
                let identity = self.inner.server.device_identity(entry.device_index);
                let configured = identity
                    .as_ref()
                    .and_then(|i| self.inner.server.device_config().lovense_api_name(i));
                Toy::new(
                    entry,
                    identity.as_ref(),
                    &self.inner.options.names,
                    configured,
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
    tls_addr: Option<SocketAddr>,
    stop: watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl LovenseApiHandle {
    /// The address bound (the port chosen when 0 was asked for).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The HTTPS address bound, if HTTPS was asked for.
    pub fn tls_addr(&self) -> Option<SocketAddr> {
        self.tls_addr
    }

    /// The API behind the listener.
    pub fn api(&self) -> &LovenseApi {
        &self.api
    }

    /// Stop listening (open requests get `timeout` to finish), end the API's programs and its
    /// backdoor connection (the server stops every device).
    pub async fn shutdown(self, timeout: Duration) {
        let _ = self.stop.send(true);
        for task in self.tasks {
            let abort = task.abort_handle();
            if tokio::time::timeout(timeout, task).await.is_err() {
                abort.abort();
            }
        }
        {
            let mut st = self.api.inner.engine.state.lock();
            st.programs.clear();
        }
    }
}

/// Start the Lovense local API on `server`: bind `options.address` (and the HTTPS address, with
/// its certificate made if missing), serve until shut down.
pub async fn start(
    server: &Server,
    options: LovenseApiOptions,
) -> std::io::Result<LovenseApiHandle> {
    let listener = tokio::net::TcpListener::bind(options.address).await?;
    let local_addr = listener.local_addr()?;
    #[cfg(feature = "lovense-tls")]
    let tls = match &options.tls {
        Some(t) => {
            let config = tls::server_config(&t.dir)?;
            let l = tokio::net::TcpListener::bind(t.address).await?;
            Some(tls::TlsListener::new(l, config)?)
        }
        None => None,
    };
    #[cfg(feature = "lovense-tls")]
    let tls_addr = tls
        .as_ref()
        .map(axum::serve::Listener::local_addr)
        .transpose()?;
    #[cfg(not(feature = "lovense-tls"))]
    let tls_addr = match options.tls {
        Some(_) => {
            return Err(std::io::Error::new(
                std::io::ErrorKind::Unsupported,
                "HTTPS: this build has no TLS (cargo feature `lovense-tls`)",
            ));
        }
        None => None,
    };
    let api = LovenseApi::new(server, options).map_err(|e| std::io::Error::other(e.to_string()))?;
    let (stop, stopped) = watch::channel(false);
    let router = api.router();
    let shutdown = |mut stopped: watch::Receiver<bool>| async move {
        let _ = stopped.wait_for(|s| *s).await;
    };
    #[cfg_attr(not(feature = "lovense-tls"), allow(unused_mut))]
    let mut tasks = vec![tokio::spawn({
        let (router, stopped) = (router.clone(), stopped.clone());
        async move {
            if let Err(e) = axum::serve(listener, router)
                .with_graceful_shutdown(shutdown(stopped))
                .await
            {
                tracing::warn!("Lovense API listener: {e}");
            }
        }
    })];
    #[cfg(feature = "lovense-tls")]
    if let Some(l) = tls {
        tasks.push(tokio::spawn(async move {
            if let Err(e) = axum::serve(l, router)
                .with_graceful_shutdown(shutdown(stopped))
                .await
            {
                tracing::warn!("Lovense API HTTPS listener: {e}");
            }
        }));
    }
    Ok(LovenseApiHandle {
        api,
        local_addr,
        tls_addr,
        stop,
        tasks,
    })
}
