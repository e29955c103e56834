//! The Buttplug WebSocket server: remote clients speak Buttplug JSON text frames (spec v0–v4)
//! to a [`Server`]. One client at a time, as Intiface does: while one is connected, another
//! upgrade request gets HTTP 503; once it leaves (for any reason) the next one is served, with
//! the same devices still connected. Binary frames are logged and ignored. Every exit path of a
//! session drops the server connection's sender, which makes the server stop every device.
//!
//! Use: [`WsServer::bind`] (returns once the port is open; [`WsServer::local_addr`] tells the
//! port when binding port 0), then [`WsServer::serve`] or [`WsServer::spawn`].

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{Notify, watch};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::NetError;
use super::link::{self, Inbound, LinkConfig, LinkHandle};
use super::listen::{self, HANDSHAKE_TIMEOUT, ListenerHandle, MAX_MESSAGE_SIZE};
use super::origin::OriginPolicy;
use crate::server::{ConnectError, ConnectionInfo, JsonConnection, Server};

/// The default Buttplug port.
pub const DEFAULT_PORT: u16 = 12345;

/// How long a new client waits for the previous one's cleanup (its devices being stopped).
const TAKEOVER_WAIT: Duration = Duration::from_secs(5);
const TAKEOVER_POLL: Duration = Duration::from_millis(10);

/// Settings of the WebSocket server.
#[derive(Clone, Debug)]
pub struct WsServerOptions {
    /// Where to listen. Default 127.0.0.1:12345 (loopback only).
    pub address: SocketAddr,
    /// Which web pages may connect.
    pub origins: OriginPolicy,
    /// Ping period, write timeout, outbound queue.
    pub link: LinkConfig,
    /// Largest accepted message.
    pub max_message_size: usize,
    /// Longest an HTTP upgrade may take.
    pub handshake_timeout: Duration,
}

impl Default for WsServerOptions {
    fn default() -> Self {
        WsServerOptions {
            address: SocketAddr::from(([127, 0, 0, 1], DEFAULT_PORT)),
            origins: OriginPolicy::default(),
            link: LinkConfig::default(),
            max_message_size: MAX_MESSAGE_SIZE,
            handshake_timeout: HANDSHAKE_TIMEOUT,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Slot {
    Free,
    /// A client session runs; `leaving` once its socket ended and cleanup runs.
    Taken {
        leaving: bool,
    },
}

/// The one-client slot.
struct SlotState {
    slot: Mutex<Slot>,
    /// The socket of the session holding the slot: once it has ended, the session is leaving
    /// even if it has not noticed yet.
    link: Mutex<Option<LinkHandle>>,
    released: Notify,
}

impl SlotState {
    fn try_take(&self) -> bool {
        let mut s = self.slot.lock();
        if *s == Slot::Free {
            *s = Slot::Taken { leaving: false };
            true
        } else {
            false
        }
    }

    fn set_leaving(&self) {
        let mut s = self.slot.lock();
        if let Slot::Taken { .. } = *s {
            *s = Slot::Taken { leaving: true };
        }
    }

    /// Whether the holder's socket is gone or it is cleaning up.
    fn holder_leaving(&self) -> bool {
        match *self.slot.lock() {
            Slot::Taken { leaving: true } => true,
            Slot::Taken { leaving: false } => {
                self.link.lock().as_ref().is_some_and(|l| l.is_closed())
            }
            Slot::Free => false,
        }
    }

    fn release(&self) {
        self.link.lock().take();
        *self.slot.lock() = Slot::Free;
        self.released.notify_waiters();
    }

    /// Wait (bounded) for the slot and take it.
    async fn take_within(&self, limit: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            let released = self.released.notified();
            if self.try_take() {
                return true;
            }
            if tokio::time::timeout_at(deadline, released).await.is_err() {
                return self.try_take();
            }
        }
    }
}

/// Releases the slot when a session ends, however it ends.
struct SlotGuard(Arc<SlotState>);

impl Drop for SlotGuard {
    fn drop(&mut self) {
        self.0.release();
    }
}

/// A bound, not yet serving, WebSocket server.
pub struct WsServer {
    listener: TcpListener,
    local: SocketAddr,
    server: Server,
    options: WsServerOptions,
}

/// A running WebSocket server.
pub type WsServerHandle = ListenerHandle;

impl WsServer {
    /// Open the listening socket.
    pub async fn bind(server: Server, options: WsServerOptions) -> Result<WsServer, NetError> {
        let listener = listen::bind(options.address, "Buttplug server").await?;
        let local = listener.local_addr().map_err(|e| NetError::Bind {
            what: "Buttplug server".into(),
            address: options.address,
            reason: e.to_string(),
        })?;
        Ok(WsServer {
            listener,
            local,
            server,
            options,
        })
    }

    /// The address the server listens on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Serve on a task of its own until [`ListenerHandle::shutdown`], which closes the client's
    /// socket ("server shutting down"); the client's devices stop through the server connection.
    /// Failures of single connections never end the server.
    pub fn spawn(self) -> WsServerHandle {
        let WsServer {
            listener,
            server,
            options,
            ..
        } = self;
        let options = Arc::new(options);
        let slot = Arc::new(SlotState {
            slot: Mutex::new(Slot::Free),
            link: Mutex::new(None),
            released: Notify::new(),
        });
        listen::spawn_accept_loop(
            listener,
            "Buttplug WebSocket server",
            move |stream, peer, shutdown| {
                handle_connection(
                    stream,
                    peer,
                    server.clone(),
                    options.clone(),
                    slot.clone(),
                    shutdown,
                )
            },
        )
    }

    /// Serve until the process ends.
    pub async fn serve(self) {
        self.spawn().wait().await
    }
}

async fn handle_connection(
    stream: TcpStream,
    peer: SocketAddr,
    server: Server,
    options: Arc<WsServerOptions>,
    slot: Arc<SlotState>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Claimed during the upgrade so that a second client gets a clean HTTP 503.
    let claim = Arc::new(Mutex::new(ClaimOutcome::None));
    let gate_claim = claim.clone();
    let gate_slot = slot.clone();
    let gate: listen::Gate = Box::new(move |_req| {
        let outcome = if gate_slot.try_take() {
            ClaimOutcome::Taken
        } else if gate_slot.holder_leaving() {
            ClaimOutcome::WaitForLeaving
        } else {
            return Err((
                StatusCode::SERVICE_UNAVAILABLE,
                "another Buttplug client is connected; only one at a time".into(),
            ));
        };
        *gate_claim.lock() = outcome;
        Ok(())
    });
    let upgraded = tokio::select! {
        r = listen::upgrade(stream, &options.origins, gate, options.max_message_size, options.handshake_timeout) => r,
        _ = listen::shutdown_requested(&mut shutdown) => Err("server shutting down".into()),
    };
    let outcome = *claim.lock();
    let guard = match outcome {
        ClaimOutcome::Taken => Some(SlotGuard(slot.clone())),
        _ => None,
    };
    let ws = match upgraded {
        Ok(ws) => ws,
        Err(e) => {
            debug!(%peer, "WebSocket upgrade failed: {e}");
            return;
        }
    };
    let link = link::spawn(ws, options.link.clone(), peer.to_string());
    let guard = match guard {
        Some(g) => g,
        None => {
            // The previous client is leaving: wait for its cleanup.
            if outcome == ClaimOutcome::WaitForLeaving && slot.take_within(TAKEOVER_WAIT).await {
                SlotGuard(slot.clone())
            } else {
                link.handle.close(
                    CloseCode::Again,
                    "another Buttplug client is connected; only one at a time",
                );
                let _ = link.done.await;
                return;
            }
        }
    };
    let conn = match connect_core(&server, &peer).await {
        Ok(c) => c,
        Err(e) => {
            let (code, reason) = match e {
                ConnectError::Busy => (
                    CloseCode::Again,
                    "another Buttplug client is connected; only one at a time",
                ),
                ConnectError::ShutDown => (CloseCode::Away, "server shutting down"),
            };
            link.handle.close(code, reason);
            let _ = link.done.await;
            return;
        }
    };
    *slot.link.lock() = Some(link.handle.clone());
    info!(%peer, "Buttplug client connected");
    session(link, conn, &slot, shutdown).await;
    drop(guard);
    info!(%peer, "Buttplug client left");
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClaimOutcome {
    None,
    Taken,
    WaitForLeaving,
}

/// The server core may still be cleaning up after the previous client (stopping its devices):
/// wait for that, bounded.
async fn connect_core(server: &Server, peer: &SocketAddr) -> Result<JsonConnection, ConnectError> {
    let deadline = tokio::time::Instant::now() + TAKEOVER_WAIT;
    loop {
        let info = ConnectionInfo {
            address: Some(peer.to_string()),
        };
        match server.connect_json(info) {
            Err(ConnectError::Busy) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(TAKEOVER_POLL).await;
            }
            other => return other,
        }
    }
}

async fn session(
    link: link::Link,
    conn: JsonConnection,
    slot: &SlotState,
    mut shutdown: watch::Receiver<bool>,
) {
    let link::Link {
        handle,
        mut inbound,
        done,
    } = link;
    let JsonConnection {
        sender,
        mut receiver,
    } = conn;
    let out = handle.clone();
    // Server → client on its own task, so a flood in one direction cannot block the other.
    let forward = tokio::spawn(async move {
        while let Some(text) = receiver.recv().await {
            if !out.send_text(text) {
                return;
            }
        }
        // The server ended the connection (client refused, Disconnect, ping timeout).
        out.close(CloseCode::Normal, "connection closed by the server");
    });
    loop {
        tokio::select! {
            msg = inbound.recv() => match msg {
                Some(Inbound::Text(text)) => {
                    if sender.send_text(text).await.is_err() {
                        break;
                    }
                }
                Some(Inbound::Binary(data)) => {
                    warn!("binary frame from the client ignored ({} bytes); Buttplug uses text frames", data.len());
                }
                None => break,
            },
            _ = listen::shutdown_requested(&mut shutdown) => {
                handle.close(CloseCode::Away, "server shutting down");
                break;
            }
        }
    }
    slot.set_leaving();
    // Dropping the sender ends the server connection: every device stops.
    drop(sender);
    drop(handle);
    let end = done.await;
    debug!(?end, "client link ended");
    let _ = forward.await;
}
