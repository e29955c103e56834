//! The listener for devices that dial in over WebSocket (PROTOCOL.md §7, compatible with
//! Intiface's websocket device manager; off unless `--device-websocket-port` is given). A device
//! connects, sends one text frame `{"identifier": "...", "address": "...", "version": 0}`, and is
//! handed to [`WebsocketDeviceManager`] (src/hardware/websocket.rs), which matches it through a
//! `websocket` specifier of the user config. Afterwards every write goes out as one binary frame
//! and every frame from the device (binary, or text as its bytes) comes back as a notification.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpStream;
use tokio::sync::{mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::NetError;
use super::link::{self, Inbound, LinkConfig};
use super::listen::{self, ListenerHandle};
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

/// Add the websocket device manager to `server` and listen for devices on `address`.
pub async fn start(
    server: &Server,
    address: SocketAddr,
    link: LinkConfig,
) -> Result<ListenerHandle, NetError> {
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
    Ok(listen::spawn_accept_loop(
        listener,
        "WebSocket device listener",
        move |stream, peer, shutdown| {
            device_connection(stream, peer, manager.clone(), link.clone(), shutdown)
        },
    ))
}

async fn device_connection(
    stream: TcpStream,
    peer: SocketAddr,
    manager: Arc<WebsocketDeviceManager>,
    config: LinkConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(ws) = listen::upgrade_ungated(stream, peer, "device").await else {
        return;
    };
    let link::Link {
        handle,
        mut inbound,
        done,
    } = link::spawn(ws, config, peer.to_string());
    let first = tokio::time::timeout(DEVICE_HANDSHAKE_TIMEOUT, inbound.recv()).await;
    let handshake = match first {
        Ok(Some(Inbound::Text(text))) => DeviceHandshake::parse(&text),
        Ok(Some(Inbound::Binary(_))) => {
            Err("the first frame must be the text handshake, not binary".into())
        }
        Ok(None) => Err("the device left before its handshake".into()),
        Err(_) => Err("no handshake within 10 s".into()),
    };
    let handshake = match handshake {
        Ok(h) => h,
        Err(e) => {
            warn!(%peer, "WebSocket device refused: {e}");
            handle.close(CloseCode::Policy, &e);
            drop(handle);
            let _ = done.await;
            return;
        }
    };
    let (out_tx, mut out_rx) = mpsc::channel(DEVICE_QUEUE);
    let (in_tx, in_rx) = mpsc::channel(DEVICE_QUEUE);
    let (close_tx, mut close_rx) = mpsc::unbounded_channel();
    manager.device_connected(
        &handshake,
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
            _ = listen::shutdown_requested(&mut shutdown) => {
                handle.close(CloseCode::Away, "server shutting down");
                break;
            }
        }
    }
    // Ends the transport's event stream: the server sees the device disconnect.
    drop(in_tx);
    drop(handle);
    let end = done.await;
    info!(%peer, address = %handshake.address, ?end, "WebSocket device left");
}
