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
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::NetError;
use super::link::{self, Inbound, LinkConfig, LinkHandle, TrySend};
use super::listen::{self, HANDSHAKE_TIMEOUT, ListenerHandle, MAX_MESSAGE_SIZE};
use super::origin::OriginPolicy;
use crate::server::{
    ConnectError, ConnectionInfo, ConnectionSender, FrameRefused, FrameSink, Server,
};

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
    stream: listen::PendingConnection,
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
    // Frames go from the socket's task straight into the server connection once it exists.
    let core = Arc::new(CoreSlot::default());
    let (handle, done) = link::spawn_direct(ws, options.link.clone(), peer.to_string(), {
        let core = core.clone();
        move |inbound| {
            let core = core.clone();
            async move { core.deliver(inbound).await }
        }
    });
    let link = DirectLink { handle, done };
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
    let (conn, ended) = match connect_core(&server, &peer.to_string(), &link.handle).await {
        Ok(c) => c,
        Err(e) => {
            core.set(None);
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
    core.set(Some(conn));
    *slot.link.lock() = Some(link.handle.clone());
    info!(%peer, "Buttplug client connected");
    session(link, core, ended, &slot, shutdown).await;
    drop(guard);
    info!(%peer, "Buttplug client left");
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum ClaimOutcome {
    None,
    Taken,
    WaitForLeaving,
}

/// The socket task of a client and why it ended.
struct DirectLink {
    handle: LinkHandle,
    done: tokio::task::JoinHandle<link::LinkEnd>,
}

/// The server connection a socket delivers into: unset while it is being opened (frames wait),
/// `None` when opening failed (frames are dropped; the link is being closed).
#[derive(Default)]
pub(super) struct CoreSlot {
    sender: std::sync::OnceLock<Option<ConnectionSender>>,
    ready: Notify,
}

impl CoreSlot {
    pub(super) fn set(&self, sender: Option<ConnectionSender>) {
        let _ = self.sender.set(sender);
        self.ready.notify_waiters();
    }

    /// Hand one frame from the client to the server connection; false ends the link.
    pub(super) async fn deliver(&self, inbound: Inbound) -> bool {
        let text = match inbound {
            Inbound::Text(text) => text,
            Inbound::Binary(data) => {
                warn!(
                    "binary frame from the client ignored ({} bytes); Buttplug uses text frames",
                    data.len()
                );
                return true;
            }
        };
        loop {
            let ready = self.ready.notified();
            match self.sender.get() {
                Some(Some(sender)) => return sender.send_text(text).await.is_ok(),
                Some(None) => return true,
                None => ready.await,
            }
        }
    }
}

/// Ends the socket when the server connection ends (client refused, Disconnect, ping timeout),
/// and tells the session that it has. Inert unless the connection was opened (`armed`).
struct ConnectionEnded {
    link: LinkHandle,
    ended: Option<oneshot::Sender<()>>,
    armed: Arc<AtomicBool>,
}

impl Drop for ConnectionEnded {
    fn drop(&mut self) {
        if !self.armed.load(Ordering::SeqCst) {
            return;
        }
        self.link
            .close(CloseCode::Normal, "connection closed by the server");
        if let Some(tx) = self.ended.take() {
            let _ = tx.send(());
        }
    }
}

/// The server connection's frames, straight into the socket's send queue. It waits for room
/// rather than dropping a client that reads slowly; a client that stops reading is dropped by the
/// link's write timeout. Owning the guard ties it to the connection: it fires when the
/// connection drops the sink.
struct LinkSink {
    link: LinkHandle,
    _ended: ConnectionEnded,
}

impl FrameSink for LinkSink {
    fn try_send(&mut self, frame: String) -> Result<(), FrameRefused> {
        self.link.try_send_text(frame).map_err(|e| match e {
            TrySend::Full(frame) => FrameRefused::Full(frame),
            TrySend::Closed => FrameRefused::Closed,
        })
    }

    fn ready(&mut self, len: usize) -> futures::future::BoxFuture<'_, bool> {
        Box::pin(self.link.ready(len))
    }
}

/// The server core may still be cleaning up after the previous client (stopping its devices):
/// wait for that, bounded. The connection's frames go straight into the socket's send queue.
/// Returns the sender and a signal that fires when the server connection has ended.
pub(super) async fn connect_core(
    server: &Server,
    address: &str,
    link: &LinkHandle,
) -> Result<(ConnectionSender, oneshot::Receiver<()>), ConnectError> {
    let deadline = tokio::time::Instant::now() + TAKEOVER_WAIT;
    loop {
        let info = ConnectionInfo {
            address: Some(address.to_string()),
        };
        let (ended_tx, ended) = oneshot::channel();
        let armed = Arc::new(AtomicBool::new(false));
        let guard = ConnectionEnded {
            link: link.clone(),
            ended: Some(ended_tx),
            armed: armed.clone(),
        };
        let sink = LinkSink {
            link: link.clone(),
            _ended: guard,
        };
        match server.connect_json_direct(info, Box::new(sink)) {
            Ok(sender) => {
                armed.store(true, Ordering::SeqCst);
                return Ok((sender, ended));
            }
            Err(ConnectError::Busy) if tokio::time::Instant::now() < deadline => {
                tokio::time::sleep(TAKEOVER_POLL).await;
            }
            Err(e) => return Err(e),
        }
    }
}

async fn session(
    link: DirectLink,
    core: Arc<CoreSlot>,
    ended: oneshot::Receiver<()>,
    slot: &SlotState,
    mut shutdown: watch::Receiver<bool>,
) {
    let DirectLink { handle, mut done } = link;
    let end = tokio::select! {
        end = &mut done => Some(end),
        _ = listen::shutdown_requested(&mut shutdown) => {
            handle.close(CloseCode::Away, "server shutting down");
            None
        }
    };
    slot.set_leaving();
    // The socket task holds the other reference to the server connection's sender: once it
    // has ended too, the server connection ends, and every device stops.
    drop(core);
    drop(handle);
    let end = match end {
        Some(end) => end,
        None => done.await,
    };
    debug!(?end, "client link ended");
    let _ = ended.await;
}
