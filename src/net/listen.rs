//! Listening sockets and the WebSocket upgrade shared by every listener: binding with clear
//! errors, the message size limit, a bounded handshake time, the checks made on the HTTP
//! upgrade request (Origin, and any caller-specific gate such as "one client at a time"), and
//! the accept loop, which paces itself when accepting fails ([`super::backoff`]) and bounds the
//! connections waiting for their upgrade ([`super::pending`]).

use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::StatusCode;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

use super::NetError;
use super::backoff::{AcceptBackoff, MAX_RETRY};
use super::origin::OriginPolicy;
use super::pending::{EVICTED_REASON, MAX_PENDING_UPGRADES, PendingTicket, PendingUpgrades};

/// Largest message (and frame) accepted from a peer: 4 MiB. Buttplug messages are tiny, but a
/// frame may hold many (100,000 Pings take 2.3 MB); anything bigger is an attack or a bug.
pub const MAX_MESSAGE_SIZE: usize = 4 << 20;

/// Longest an HTTP upgrade may take before the socket is dropped.
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// The reason of a [`NetError::Bind`] whose port is taken.
pub const PORT_IN_USE: &str = "the port is already in use";

/// Bind a TCP listener; `what` names it in the error ("Buttplug server", "device listener").
pub async fn bind(address: SocketAddr, what: &str) -> Result<TcpListener, NetError> {
    TcpListener::bind(address).await.map_err(|e| {
        let reason = match e.kind() {
            std::io::ErrorKind::AddrInUse => PORT_IN_USE.to_string(),
            std::io::ErrorKind::PermissionDenied => "permission denied".to_string(),
            std::io::ErrorKind::AddrNotAvailable => {
                "the address is not available on this machine".to_string()
            }
            _ => e.to_string(),
        };
        NetError::Bind {
            what: what.to_string(),
            address,
            reason,
        }
    })
}

/// Bytes read from a socket per read call. Buttplug frames from clients are a few hundred
/// bytes; tungstenite zero-fills this much of its read buffer before every read, including the
/// one that finds the socket empty (128 KiB by default: ~350,000 instructions per command on
/// the WebSocket path; 4 KiB: ~8,000; 1 KiB: ~2,000). Larger frames (a DeviceList read by our
/// client connector) still arrive whole, over more reads.
pub const READ_CHUNK: usize = 1024;

/// The WebSocket settings of every listener and of the client connector.
pub fn ws_config(max_message_size: usize) -> WebSocketConfig {
    WebSocketConfig::default()
        .max_message_size(Some(max_message_size))
        .max_frame_size(Some(max_message_size))
        .read_buffer_size(READ_CHUNK)
}

fn refuse(status: StatusCode, body: &str) -> ErrorResponse {
    let mut resp = ErrorResponse::new(Some(format!("{body}\n")));
    *resp.status_mut() = status;
    resp
}

/// A caller's verdict on an upgrade request.
pub type Gate = Box<dyn FnOnce(&Request) -> Result<(), (StatusCode, String)> + Send>;

/// An accepted connection whose peer has not done its part yet: it counts against its
/// listener's limit of pending connections until its ticket is dropped, and may be evicted.
pub struct PendingConnection {
    pub stream: TcpStream,
    pub ticket: PendingTicket,
}

impl PendingConnection {
    /// A connection made outside an accept loop: never evicted.
    pub fn untracked(stream: TcpStream) -> PendingConnection {
        PendingConnection {
            stream,
            ticket: PendingTicket::untracked(),
        }
    }
}

/// Upgrade an accepted connection: the request's Origin must pass `origins`, then `gate` decides
/// (e.g. 503 when busy). Bounded by `timeout`, and abandoned if the listener evicts the
/// connection meanwhile. The error says why the upgrade failed.
pub async fn upgrade(
    conn: PendingConnection,
    origins: &OriginPolicy,
    gate: Gate,
    max_message_size: usize,
    timeout: Duration,
) -> Result<WebSocketStream<TcpStream>, String> {
    upgrade_pending(conn, origins, gate, max_message_size, timeout)
        .await
        .map(|(ws, _done)| ws)
}

/// [`upgrade`], returning the connection's ticket with the WebSocket: it stays pending (and
/// evictable) until the caller drops the ticket, e.g. once the peer sent a handshake frame.
pub async fn upgrade_pending(
    conn: PendingConnection,
    origins: &OriginPolicy,
    gate: Gate,
    max_message_size: usize,
    timeout: Duration,
) -> Result<(WebSocketStream<TcpStream>, PendingTicket), String> {
    let PendingConnection { stream, mut ticket } = conn;
    let origins = origins.clone();
    // The error type is the library's (an HTTP response); its size is not ours to choose.
    #[allow(clippy::result_large_err)]
    let callback = move |req: &Request, resp: Response| -> Result<Response, ErrorResponse> {
        let origin = req
            .headers()
            .get("origin")
            .map(|v| v.to_str().unwrap_or("<not text>"));
        if !origins.allows(origin) {
            tracing::warn!(
                origin = origin.unwrap_or(""),
                "WebSocket request from a web page of another origin refused (see --allowed-origin)"
            );
            return Err(refuse(
                StatusCode::FORBIDDEN,
                "this web origin may not connect (see teleplug serve --allowed-origin)",
            ));
        }
        match gate(req) {
            Ok(()) => Ok(resp),
            Err((status, body)) => Err(refuse(status, &body)),
        }
    };
    let handshake = tokio::time::timeout(
        timeout,
        tokio_tungstenite::accept_hdr_async_with_config(
            stream,
            callback,
            Some(ws_config(max_message_size)),
        ),
    );
    tokio::select! {
        r = handshake => match r {
            Ok(Ok(ws)) => Ok((ws, ticket)),
            Ok(Err(e)) => Err(e.to_string()),
            Err(_) => Err("handshake timed out".into()),
        },
        _ = ticket.evicted() => Err(EVICTED_REASON.into()),
    }
}

/// Upgrade a connection to an endpoint that applies no gate of its own (the device listener, the
/// simulator control endpoint): the given Origin policy and the shared limits. A failure is
/// logged as `"{what} upgrade failed"` and gives `None`. The connection stays pending until the
/// returned ticket is dropped.
pub async fn upgrade_ungated(
    conn: PendingConnection,
    origins: &OriginPolicy,
    peer: SocketAddr,
    what: &str,
) -> Option<(WebSocketStream<TcpStream>, PendingTicket)> {
    let gate: Gate = Box::new(|_| Ok(()));
    match upgrade_pending(conn, origins, gate, MAX_MESSAGE_SIZE, HANDSHAKE_TIMEOUT).await {
        Ok(upgraded) => Some(upgraded),
        Err(e) => {
            tracing::debug!(%peer, "{what} upgrade failed: {e}");
            None
        }
    }
}

/// A running accept loop. Dropping the handle shuts it down too (without waiting).
pub struct ListenerHandle {
    local: SocketAddr,
    shutdown_tx: watch::Sender<bool>,
    join: JoinHandle<()>,
}

impl ListenerHandle {
    /// The address listened on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Stop accepting, tell every connection to close, and wait (bounded) for them to finish.
    pub async fn shutdown(self, timeout: Duration) {
        let _ = self.shutdown_tx.send(true);
        let _ = tokio::time::timeout(timeout, self.join).await;
    }

    /// Wait until the loop ends (it ends only when shut down).
    pub async fn wait(self) {
        let _ = self.join.await;
    }
}

/// Whether an accept failed because the process or the system has no descriptor left (EMFILE,
/// ENFILE; the same numbers on Linux, the BSDs and macOS).
fn out_of_descriptors(e: &std::io::Error) -> bool {
    const ENFILE: i32 = 23;
    const EMFILE: i32 = 24;
    matches!(e.raw_os_error(), Some(ENFILE | EMFILE))
}

/// Accept connections on a task of its own, each handled on its own task by `on_connection`
/// (given a receiver that turns true at shutdown), with at most [`MAX_PENDING_UPGRADES`]
/// connections waiting for their upgrade. A failed accept never ends the loop.
pub fn spawn_accept_loop<F, Fut>(
    listener: TcpListener,
    name: &'static str,
    on_connection: F,
) -> ListenerHandle
where
    F: Fn(PendingConnection, SocketAddr, watch::Receiver<bool>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    spawn_accept_loop_with_limit(listener, name, MAX_PENDING_UPGRADES, on_connection)
}

/// [`spawn_accept_loop`] with another limit of pending connections. Beyond it the oldest pending
/// connection is evicted; so is one whenever accepting fails for lack of descriptors, to free
/// one. After a failed accept the loop waits ([`super::backoff`]: 1 ms doubling to 1 s) and
/// logs a warning when a burst of failures starts and a summary when it ends.
pub fn spawn_accept_loop_with_limit<F, Fut>(
    listener: TcpListener,
    name: &'static str,
    max_pending: usize,
    on_connection: F,
) -> ListenerHandle
where
    F: Fn(PendingConnection, SocketAddr, watch::Receiver<bool>) -> Fut + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    let local = listener
        .local_addr()
        .unwrap_or_else(|_| SocketAddr::from(([0, 0, 0, 0], 0)));
    let (shutdown_tx, _) = watch::channel(false);
    let mut shutdown = shutdown_tx.subscribe();
    let conn_shutdown = shutdown_tx.clone();
    let join = tokio::spawn(async move {
        tracing::info!(address = %local, "{name} listening");
        let pending = PendingUpgrades::new(max_pending);
        let mut backoff = AcceptBackoff::new();
        let mut retry_at: Option<Instant> = None;
        let mut connections = JoinSet::new();
        loop {
            let burst_ends_at = backoff.burst_ends_at();
            tokio::select! {
                _ = shutdown_requested(&mut shutdown) => break,
                accepted = listener.accept(), if retry_at.is_none() => match accepted {
                    Ok((stream, peer)) => {
                        backoff.succeeded();
                        let _ = stream.set_nodelay(true);
                        let conn = PendingConnection { stream, ticket: pending.admit() };
                        connections.spawn(on_connection(conn, peer, conn_shutdown.subscribe()));
                    }
                    Err(e) => {
                        // E.g. out of file descriptors: free one if a half-open connection holds
                        // it, wait, and keep serving.
                        let evicted = out_of_descriptors(&e) && pending.evict_oldest();
                        let retry = backoff.failed(Instant::now());
                        if retry.starts_burst {
                            tracing::warn!(
                                "{name}: accept failed: {e}; retrying after pauses of up to {} ms until it works{}",
                                MAX_RETRY.as_millis(),
                                if evicted { "; closing the oldest connections waiting for their upgrade" } else { "" }
                            );
                        }
                        retry_at = Some(Instant::now() + retry.after);
                    }
                },
                _ = tokio::time::sleep_until(retry_at.unwrap_or_else(Instant::now)), if retry_at.is_some() => {
                    retry_at = None;
                }
                _ = tokio::time::sleep_until(burst_ends_at.unwrap_or_else(Instant::now)), if burst_ends_at.is_some() => {
                    let failures = backoff.end_burst();
                    tracing::warn!("{name}: {failures} accept failures in the last burst; accepting again");
                }
                Some(_) = connections.join_next(), if !connections.is_empty() => {}
            }
        }
        drop(listener);
        while connections.join_next().await.is_some() {}
        tracing::info!("{name} stopped");
    });
    ListenerHandle {
        local,
        shutdown_tx,
        join,
    }
}

/// Resolves once shutdown was requested (or the loop that owns the sender is gone).
pub async fn shutdown_requested(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|s| *s).await;
}
