//! The listener for devices that dial in over WebSocket (docs/PROTOCOL.md §7, compatible with
//! Intiface's websocket device manager; off unless `--device-websocket-port` is given). A device
//! connects, sends one text frame `{"identifier": "...", "address": "...", "version": 0}`, and is
//! handed to [`WebsocketDeviceManager`] (src/hardware/websocket.rs), which matches it through a
//! `websocket` specifier of the user config. Afterwards every write goes out as one binary frame
//! and every frame from the device (binary, or text as its bytes) comes back as a notification.
//!
//! Who may dial in ([`super::device_auth`]): the listener is on loopback unless told otherwise;
//! with a token configured, a device must present it (`"token"` in the handshake frame or
//! `?token=` in the URL); an address already connected here is refused. Connections that have
//! not sent their handshake count as pending upgrades (the oldest are closed first). Every
//! refusal is a WebSocket Close whose reason says why.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::NetError;
use super::device_auth::{AddressClaim, DeviceToken, LiveAddresses, token_from_query};
use super::link::{self, Inbound, LinkConfig, LinkHandle};
use super::listen::{self, Gate, ListenerHandle, PendingConnection};
use super::origin::OriginPolicy;
use super::pending::{EVICTED_REASON, PendingTicket};
use crate::hardware::HardwareManager;
use crate::hardware::websocket::{
    DeviceHandshake, LinkClose, WebsocketDeviceLink, WebsocketDeviceManager,
};
use crate::server::Server;

/// Intiface's default device port.
pub const DEFAULT_DEVICE_PORT: u16 = 54817;
/// Frames buffered in each direction per device.
const DEVICE_QUEUE: usize = 256;
/// How long a device has to send its handshake.
const DEVICE_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// Settings of the device listener.
#[derive(Clone)]
pub struct DeviceServerOptions {
    /// Where to listen. Default 127.0.0.1:54817: devices on this machine only (a bridge
    /// program), whatever address the client port uses.
    pub address: SocketAddr,
    /// Ping period, write timeout, outbound queue.
    pub link: LinkConfig,
    /// Which web pages may connect (devices are native programs and send no Origin).
    pub origins: OriginPolicy,
    /// The shared secret a device must present; `None`: any device may dial in.
    pub token: Option<String>,
}

impl Default for DeviceServerOptions {
    fn default() -> Self {
        DeviceServerOptions {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, DEFAULT_DEVICE_PORT)),
            link: LinkConfig::default(),
            origins: OriginPolicy::default(),
            token: None,
        }
    }
}

impl std::fmt::Debug for DeviceServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceServerOptions")
            .field("address", &self.address)
            .field("link", &self.link)
            .field("origins", &self.origins)
            .field("token", &self.token.as_ref().map(|_| "<secret>"))
            .finish()
    }
}

/// Add the websocket device manager to `server` and listen for devices on `address`, with the
/// default settings otherwise (no token).
pub async fn start(
    server: &Server,
    address: SocketAddr,
    link: LinkConfig,
) -> Result<ListenerHandle, NetError> {
    start_with(
        server,
        DeviceServerOptions {
            address,
            link,
            ..DeviceServerOptions::default()
        },
    )
    .await
}

/// What every device connection of one listener shares.
struct Listener {
    manager: Arc<WebsocketDeviceManager>,
    link: LinkConfig,
    origins: OriginPolicy,
    token: Option<DeviceToken>,
    live: LiveAddresses,
}

/// Add the websocket device manager to `server` and listen for devices.
pub async fn start_with(
    server: &Server,
    options: DeviceServerOptions,
) -> Result<ListenerHandle, NetError> {
    let address = options.address;
    let listener = listen::bind(address, "device listener").await?;
    let mut manager = None;
    server.add_manager(|events| {
        let m = Arc::new(WebsocketDeviceManager::new(events));
        manager = Some(m.clone());
        m as Arc<dyn HardwareManager>
    });
    let Some(manager) = manager else {
        return Err(NetError::Bind {
            what: "device listener".into(),
            address,
            reason: "the device manager could not be added".into(),
        });
    };
    let shared = Arc::new(Listener {
        manager,
        link: options.link,
        origins: options.origins,
        token: options.token.as_deref().map(DeviceToken::new),
        live: LiveAddresses::default(),
    });
    Ok(listen::spawn_accept_loop(
        listener,
        "WebSocket device listener",
        move |conn, peer, shutdown| device_connection(conn, peer, shared.clone(), shutdown),
    ))
}

/// Close a device's socket with `reason` and wait for the link to end.
async fn refuse(
    handle: LinkHandle,
    done: tokio::task::JoinHandle<link::LinkEnd>,
    peer: SocketAddr,
    code: CloseCode,
    reason: &str,
) {
    warn!(%peer, "WebSocket device refused: {reason}");
    handle.close(code, reason);
    drop(handle);
    let _ = done.await;
}

async fn device_connection(
    conn: PendingConnection,
    peer: SocketAddr,
    shared: Arc<Listener>,
    mut shutdown: watch::Receiver<bool>,
) {
    // A device may put the token in its URL (`ws://host:port/?token=…`).
    let url_token = Arc::new(Mutex::new(None));
    let gate: Gate = {
        let url_token = url_token.clone();
        Box::new(move |req| {
            *url_token.lock() = token_from_query(req.uri().query());
            Ok(())
        })
    };
    let upgraded = listen::upgrade_pending(
        conn,
        &shared.origins,
        gate,
        listen::MAX_MESSAGE_SIZE,
        listen::HANDSHAKE_TIMEOUT,
    )
    .await;
    let (ws, pending) = match upgraded {
        Ok(u) => u,
        Err(e) => {
            debug!(%peer, "device upgrade failed: {e}");
            return;
        }
    };
    let link::Link {
        handle,
        mut inbound,
        done,
    } = link::spawn(ws, shared.link.clone(), peer.to_string());
    let url_token = url_token.lock().take();
    let admitted = admit(&shared, &mut inbound, pending, url_token, &mut shutdown).await;
    let (handshake, _claim) = match admitted {
        Ok(a) => a,
        Err((code, reason)) => return refuse(handle, done, peer, code, &reason).await,
    };
    relay(
        &shared,
        &handshake,
        &handle,
        &mut inbound,
        &mut shutdown,
        peer,
    )
    .await;
    drop(handle);
    let end = done.await;
    info!(%peer, address = %handshake.address, ?end, "WebSocket device left");
}

/// A refusal: how to close the device's socket and why.
type Refusal = (CloseCode, String);

/// Read the device's handshake frame (while it waits, the connection counts as pending and may
/// be evicted), check its token and claim its address.
async fn admit(
    shared: &Listener,
    inbound: &mut mpsc::Receiver<Inbound>,
    mut pending: PendingTicket,
    url_token: Option<String>,
    shutdown: &mut watch::Receiver<bool>,
) -> Result<(DeviceHandshake, AddressClaim), Refusal> {
    let first = tokio::select! {
        first = tokio::time::timeout(DEVICE_HANDSHAKE_TIMEOUT, inbound.recv()) => first,
        _ = pending.evicted() => return Err((CloseCode::Again, EVICTED_REASON.into())),
        _ = listen::shutdown_requested(shutdown) => {
            return Err((CloseCode::Away, "server shutting down".into()));
        }
    };
    drop(pending);
    let policy = |e: String| (CloseCode::Policy, e);
    let handshake = match first {
        Ok(Some(Inbound::Text(text))) => DeviceHandshake::parse(&text).map_err(policy)?,
        Ok(Some(Inbound::Binary(_))) => {
            return Err(policy(
                "the first frame must be the text handshake, not binary".into(),
            ));
        }
        Ok(None) => return Err(policy("the device left before its handshake".into())),
        Err(_) => return Err(policy("no handshake within 10 s".into())),
    };
    if let Some(token) = &shared.token {
        let given = handshake.token.clone().or(url_token);
        token
            .check(given.as_deref())
            .map_err(|reason| policy(reason.to_string()))?;
    }
    let claim = shared.live.claim(&handshake.address).map_err(policy)?;
    Ok((handshake, claim))
}

/// Hand the device to the manager, then carry bytes both ways until either side ends: the
/// server's writes as binary frames (waiting for room: a device that stops reading is dropped
/// by the link's write timeout), the device's frames as notifications.
async fn relay(
    shared: &Listener,
    handshake: &DeviceHandshake,
    handle: &LinkHandle,
    inbound: &mut mpsc::Receiver<Inbound>,
    shutdown: &mut watch::Receiver<bool>,
    peer: SocketAddr,
) {
    let (out_tx, mut out_rx) = mpsc::channel(DEVICE_QUEUE);
    let (in_tx, in_rx) = mpsc::channel(DEVICE_QUEUE);
    let (close_tx, mut close_rx) = mpsc::unbounded_channel();
    shared.manager.device_connected(
        handshake,
        WebsocketDeviceLink {
            outgoing: out_tx,
            incoming: in_rx,
            close: close_tx,
        },
    );
    loop {
        tokio::select! {
            biased;
            out = out_rx.recv() => match out {
                Some(data) => {
                    if !handle.send_binary_wait(data).await {
                        break;
                    }
                }
                None => {
                    handle.close(CloseCode::Normal, "device released by the server");
                    break;
                }
            },
            frame = inbound.recv() => {
                let data = match frame {
                    Some(Inbound::Text(t)) => t.into_bytes(),
                    Some(Inbound::Binary(b)) => b,
                    None => break,
                };
                if in_tx.try_send(data).is_err() {
                    debug!(%peer, "frame from the device dropped (not read fast enough)");
                }
            }
            close = close_rx.recv() => {
                match close {
                    Some(LinkClose::Refused(reason)) => handle.close(CloseCode::Policy, &reason),
                    _ => handle.close(CloseCode::Normal, "disconnected by the server"),
                }
                break;
            }
            _ = listen::shutdown_requested(shutdown) => {
                handle.close(CloseCode::Away, "server shutting down");
                break;
            }
        }
    }
    // Dropping `in_tx` ends the transport's event stream: the server sees the device disconnect.
}
