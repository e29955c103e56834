//! Repeater (proxy) mode, as Intiface Engine's library runs it (`--repeater --repeater-port
//! PORT --websocket-client-address URL`): a WebSocket listener on 127.0.0.1:PORT; for each
//! connection accepted there, a WebSocket connection to the remote URL is opened, and the text
//! and binary frames of each side are passed to the other unchanged, until either side ends
//! (then the other is closed too). No Buttplug server runs and no device is touched: the frames
//! are not read. Connections are independent of each other.
//!
//! Beyond Intiface's: each side is a [`super::link`] (WebSocket pings, write timeout, bounded
//! queue: a side that does not read makes the forwarding wait, not grow), web pages of other
//! origins are refused as on the client port, the remote has [`ws_client::CONNECT_TIMEOUT`] to
//! answer, and a remote that cannot be reached closes the local side with a reason saying so.

use std::net::SocketAddr;

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::NetError;
use super::link::{self, Inbound, LinkConfig, LinkHandle, TrySend};
use super::listen::{self, ListenerHandle, PendingConnection};
use super::origin::OriginPolicy;
use super::ws_client;

/// Settings of the repeater.
#[derive(Clone, Debug)]
pub struct RepeaterOptions {
    /// Where to listen (Intiface: 127.0.0.1 and the repeater port).
    pub address: SocketAddr,
    /// The remote server, checked by [`super::ws_client_server::normalize_url`].
    pub remote: String,
    pub link: LinkConfig,
    pub origins: OriginPolicy,
}

/// Open the repeater's port and serve it on a task of its own until
/// [`ListenerHandle::shutdown`], which closes every repeated connection.
pub async fn start(options: RepeaterOptions) -> Result<ListenerHandle, NetError> {
    let listener = listen::bind(options.address, "repeater").await?;
    Ok(listen::spawn_accept_loop(
        listener,
        "repeater",
        move |conn, peer, shutdown| repeat(conn, peer, options.clone(), shutdown),
    ))
}

async fn repeat(
    conn: PendingConnection,
    peer: SocketAddr,
    options: RepeaterOptions,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some((local_ws, ticket)) =
        listen::upgrade_ungated(conn, &options.origins, peer, "repeater").await
    else {
        return;
    };
    drop(ticket);
    let local = link::spawn(local_ws, options.link.clone(), peer.to_string());
    let remote_ws = tokio::select! {
        r = ws_client::open(&options.remote) => r,
        _ = listen::shutdown_requested(&mut shutdown) => {
            local.handle.close(CloseCode::Away, "repeater shutting down");
            let _ = local.done.await;
            return;
        }
    };
    let remote_ws = match remote_ws {
        Ok(ws) => ws,
        Err(e) => {
            warn!(%peer, "repeater: {e}");
            local
                .handle
                .close(CloseCode::Error, &truncate(&e.to_string()));
            let _ = local.done.await;
            return;
        }
    };
    info!(%peer, remote = %options.remote, "repeating a connection");
    let remote = link::spawn(remote_ws, options.link.clone(), options.remote.clone());
    let link::Link {
        handle: local_tx,
        inbound: mut from_local,
        done: local_done,
    } = local;
    let link::Link {
        handle: remote_tx,
        inbound: mut from_remote,
        done: remote_done,
    } = remote;
    let why = loop {
        tokio::select! {
            frame = from_local.recv() => match frame {
                Some(f) => if !forward(f, &remote_tx).await { break "the remote server closed" },
                None => break "the client closed",
            },
            frame = from_remote.recv() => match frame {
                Some(f) => if !forward(f, &local_tx).await { break "the client closed" },
                None => break "the remote server closed",
            },
            _ = listen::shutdown_requested(&mut shutdown) => break "repeater shutting down",
        }
    };
    debug!(%peer, "repeated connection ends: {why}");
    let code = match why {
        "repeater shutting down" => CloseCode::Away,
        _ => CloseCode::Normal,
    };
    local_tx.close(code, why);
    remote_tx.close(code, why);
    let _ = local_done.await;
    let _ = remote_done.await;
}

/// Pass one frame on, waiting for room in the other side's queue; false once that side ended.
async fn forward(frame: Inbound, to: &LinkHandle) -> bool {
    match frame {
        Inbound::Binary(data) => to.send_binary_wait(data).await,
        Inbound::Text(mut text) => loop {
            match to.try_send_text(text) {
                Ok(()) => return true,
                Err(TrySend::Closed) => return false,
                Err(TrySend::Full(back)) => {
                    if !to.ready(back.len()).await {
                        return false;
                    }
                    text = back;
                }
            }
        },
    }
}

/// A Close reason fits in 123 bytes.
fn truncate(reason: &str) -> String {
    let mut end = reason.len().min(120);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    reason[..end].to_string()
}
