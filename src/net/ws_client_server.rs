//! The Buttplug server over a connection it opens itself (Intiface Engine's
//! `--websocket-client-address`): Teleplug connects as a WebSocket client to a URL and serves
//! the Buttplug protocol over that socket; the program at the other end is the Buttplug client
//! (it sends RequestServerInfo). The session is the one of [`super::ws_server`]: the same
//! server connection, the same limits, and when the socket ends, however it ends, every device
//! stops.
//!
//! Like Intiface Engine, it connects again whenever the connection ends or cannot be made, for
//! as long as it runs. Intiface tries again at once (thousands of tries a second while nobody
//! listens); here the tries are paced as failed accepts are ([`super::backoff`]: 1 ms doubling
//! to 1 s), and a connection that ends within [`SHORT_SESSION`] counts as a failed try, so a
//! peer that accepts and closes at once is not hammered either.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::backoff::{AcceptBackoff, MAX_RETRY};
use super::link::{self, LinkConfig};
use super::listen;
use super::ws_client::{self, ClientSocket};
use super::ws_server::{CoreSlot, connect_core};
use crate::client::ClientError;
use crate::server::{ConnectError, Server};

/// A connection shorter than this counts as a failed try for the pacing of the next one.
pub const SHORT_SESSION: Duration = Duration::from_secs(1);

/// Where to connect, and the link's limits.
#[derive(Clone, Debug)]
pub struct DialOutOptions {
    /// `ws://host:port[/path]`; `host:port` alone means `ws://host:port`, as in Intiface.
    pub url: String,
    pub link: LinkConfig,
}

/// `url` with `ws://` in front when it has no scheme (Intiface's repeater does the same), then
/// checked: the error says what is wrong with it.
pub fn normalize_url(url: &str) -> Result<String, ClientError> {
    let url = if url.contains("://") {
        url.to_string()
    } else {
        format!("ws://{url}")
    };
    ws_client::check_url(&url)?;
    Ok(url)
}

/// The running dial-out loop.
pub struct DialOutHandle {
    shutdown_tx: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl DialOutHandle {
    /// Stop connecting, close the connection (the devices stop through the server connection),
    /// and wait (bounded) for it to end.
    pub async fn shutdown(self, timeout: Duration) {
        let _ = self.shutdown_tx.send(true);
        let _ = tokio::time::timeout(timeout, self.join).await;
    }
}

/// Connect to `options.url` and serve the client there, again after every disconnect, until
/// [`DialOutHandle::shutdown`]. The URL must have passed [`normalize_url`].
pub fn spawn(server: Server, options: DialOutOptions) -> DialOutHandle {
    let (shutdown_tx, mut shutdown) = watch::channel(false);
    let join = tokio::spawn(async move {
        let url = options.url.clone();
        let mut backoff = AcceptBackoff::new();
        loop {
            let opened = tokio::select! {
                _ = listen::shutdown_requested(&mut shutdown) => break,
                opened = ws_client::open(&url) => opened,
            };
            let wait = match opened {
                Ok(ws) => {
                    let failures = backoff.end_burst();
                    if failures > 0 {
                        info!("connected to {url} after {failures} failed tries");
                    }
                    info!("connected to {url}: serving the Buttplug client there");
                    let started = Instant::now();
                    let shut = session(&server, ws, &options, &mut shutdown).await;
                    if shut {
                        break;
                    }
                    info!("connection to {url} ended; connecting again");
                    if started.elapsed() < SHORT_SESSION {
                        backoff.failed(Instant::now()).after
                    } else {
                        Duration::ZERO
                    }
                }
                Err(e) => {
                    let retry = backoff.failed(Instant::now());
                    if retry.starts_burst {
                        warn!(
                            "{e}; trying again after pauses of up to {} ms until it works",
                            MAX_RETRY.as_millis()
                        );
                    } else {
                        debug!("{e}");
                    }
                    retry.after
                }
            };
            tokio::select! {
                _ = listen::shutdown_requested(&mut shutdown) => break,
                _ = tokio::time::sleep(wait) => {}
            }
        }
        debug!("dial-out to {url} stopped");
    });
    DialOutHandle { shutdown_tx, join }
}

/// One connection: serve it until it ends (false) or shutdown is requested (true). When it
/// returns, the server connection has ended and every device was told to stop.
async fn session(
    server: &Server,
    ws: ClientSocket,
    options: &DialOutOptions,
    shutdown: &mut watch::Receiver<bool>,
) -> bool {
    let core = Arc::new(CoreSlot::default());
    let (handle, mut done) = link::spawn_direct(ws, options.link.clone(), options.url.clone(), {
        let core = core.clone();
        move |inbound| {
            let core = core.clone();
            async move { core.deliver(inbound).await }
        }
    });
    let (conn, ended) = match connect_core(server, &options.url, &handle).await {
        Ok(c) => c,
        Err(e) => {
            core.set(None);
            let (code, reason) = match e {
                ConnectError::Busy => (CloseCode::Again, "another Buttplug client is connected"),
                ConnectError::ShutDown => (CloseCode::Away, "server shutting down"),
            };
            handle.close(code, reason);
            let _ = done.await;
            return e == ConnectError::ShutDown;
        }
    };
    core.set(Some(conn));
    let shut = tokio::select! {
        end = &mut done => {
            debug!(?end, "dial-out link ended");
            false
        }
        _ = listen::shutdown_requested(shutdown) => {
            handle.close(CloseCode::Away, "server shutting down");
            true
        }
    };
    // The socket task holds the other reference to the server connection's sender: once both
    // are gone, the server connection ends and every device stops.
    drop(core);
    drop(handle);
    if shut {
        let _ = done.await;
    }
    let _ = ended.await;
    shut
}
