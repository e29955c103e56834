//! The WebSocket client connector: a [`Connection`] for [`crate::client::Client::connect_with`]
//! to a remote Buttplug server (Intiface, another `teleplug serve`), speaking spec v4 JSON.
//!
//! Notes: a first frame that is not Buttplug JSON means the peer is not a Buttplug server and
//! closes the link (the handshake then fails with [`ClientError::Connect`]); later undecodable
//! frames are logged and skipped. The v4 `Disconnect` message is answered here and the socket
//! closed, which every server treats as the client leaving (the reference server does not
//! implement `Disconnect` and would never answer it).

use std::time::Duration;

use async_trait::async_trait;
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Error as WsError;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};
use tracing::{debug, warn};

use super::link::{self, Inbound, LinkConfig, LinkHandle};
use super::listen::{MAX_MESSAGE_SIZE, ws_config};
use crate::client::{ClientError, Connection, ConnectorSender};
use crate::wire::json::{decode_server_frame, encode_client_frame};
use crate::wire::{ClientMessage, ServerMessage};

/// Longest the TCP connect and WebSocket upgrade may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Server messages buffered towards the client core.
const RECEIVE_QUEUE: usize = 1024;

/// Connect to a Buttplug server at `url` (`ws://host:port`).
pub async fn connect(url: &str) -> Result<Connection, ClientError> {
    connect_with_config(url, LinkConfig::default()).await
}

/// [`connect`] with explicit ping period, write timeout and queue size.
pub async fn connect_with_config(url: &str, config: LinkConfig) -> Result<Connection, ClientError> {
    let ws = open(url).await?;
    let link::Link {
        handle,
        inbound,
        done,
    } = link::spawn(ws, config, url.to_string());
    let (tx, rx) = mpsc::channel(RECEIVE_QUEUE);
    let local = tx.downgrade();
    tokio::spawn(read_loop(inbound, tx, handle.clone(), url.to_string()));
    tokio::spawn(async move {
        let end = done.await;
        debug!(?end, "connection to the Buttplug server ended");
    });
    Ok(Connection {
        sender: Box::new(WsSender {
            link: handle,
            local,
        }),
        receiver: rx,
        server: None,
    })
}

/// A WebSocket opened by [`open`].
pub type ClientSocket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Check a server URL: `ws://host:port[/path]` (TLS is not supported). Used before connecting,
/// so a bad URL is reported at once rather than at every try.
pub fn check_url(url: &str) -> Result<(), ClientError> {
    let request = url
        .into_client_request()
        .map_err(|e| ClientError::InvalidArgument(format!("invalid server URL {url:?}: {e}")))?;
    match request.uri().scheme_str() {
        Some("ws") => Ok(()),
        Some("wss") => Err(ClientError::InvalidArgument(format!(
            "{url}: wss:// (TLS) is not supported; use ws://"
        ))),
        _ => Err(ClientError::InvalidArgument(format!(
            "invalid server URL {url:?}: expected ws://host:port"
        ))),
    }
}

/// Open a WebSocket to `url` (checked by [`check_url`]) with the shared message size limit,
/// within [`CONNECT_TIMEOUT`]. Not tied to Buttplug: the repeater and the engine's client mode
/// open their sockets here too.
pub async fn open(url: &str) -> Result<ClientSocket, ClientError> {
    check_url(url)?;
    let connecting =
        tokio_tungstenite::connect_async_with_config(url, Some(ws_config(MAX_MESSAGE_SIZE)), true);
    match tokio::time::timeout(CONNECT_TIMEOUT, connecting).await {
        Err(_) => Err(ClientError::Connect(format!(
            "{url}: no answer within {} s",
            CONNECT_TIMEOUT.as_secs()
        ))),
        Ok(Err(e)) => Err(connect_error(url, e)),
        Ok(Ok((ws, _response))) => Ok(ws),
    }
}

fn connect_error(url: &str, e: WsError) -> ClientError {
    match e {
        WsError::Io(io) if io.kind() == std::io::ErrorKind::ConnectionRefused => {
            ClientError::Connect(format!(
                "cannot connect to {url}: connection refused (is a Buttplug server running there?)"
            ))
        }
        WsError::Io(io) => ClientError::Connect(format!("cannot connect to {url}: {io}")),
        WsError::Url(u) => ClientError::InvalidArgument(format!("invalid server URL {url:?}: {u}")),
        WsError::Http(resp) => {
            let body = resp
                .body()
                .as_ref()
                .map(|b| String::from_utf8_lossy(b).trim().to_string())
                .filter(|b| !b.is_empty())
                .map(|b| format!(": {b}"))
                .unwrap_or_default();
            ClientError::Connect(format!(
                "{url} refused the WebSocket connection (HTTP {}){body}",
                resp.status()
            ))
        }
        other => ClientError::Connect(format!(
            "{url} is not a WebSocket (Buttplug) server: {other}"
        )),
    }
}

async fn read_loop(
    mut inbound: mpsc::Receiver<Inbound>,
    tx: mpsc::Sender<ServerMessage>,
    link: LinkHandle,
    url: String,
) {
    let mut seen_valid = false;
    while let Some(frame) = inbound.recv().await {
        let text = match frame {
            Inbound::Text(t) => t,
            Inbound::Binary(b) => {
                debug!("binary frame from the server ignored ({} bytes)", b.len());
                continue;
            }
        };
        match decode_server_frame(&text) {
            Ok(msgs) => {
                seen_valid = true;
                for m in msgs {
                    if tx.send(m).await.is_err() {
                        link.close(CloseCode::Normal, "client gone");
                        return;
                    }
                }
            }
            Err(e) if !seen_valid => {
                warn!("{url} is not a Buttplug server (its first frame: {e}); closing");
                link.close(CloseCode::Protocol, "not a Buttplug server");
                return;
            }
            Err(e) => warn!("undecodable frame from the server skipped: {e}"),
        }
    }
}

struct WsSender {
    link: LinkHandle,
    /// Where locally answered replies go (weak: the stream must end when the link does).
    local: mpsc::WeakSender<ServerMessage>,
}

#[async_trait]
impl ConnectorSender for WsSender {
    async fn send(&self, messages: Vec<ClientMessage>) -> Result<(), ClientError> {
        let (disconnects, messages): (Vec<ClientMessage>, Vec<ClientMessage>) = messages
            .into_iter()
            .partition(|m| matches!(m, ClientMessage::Disconnect(_)));
        if !messages.is_empty() && !self.link.send_text(encode_client_frame(&messages)) {
            return Err(ClientError::NotConnected);
        }
        if !disconnects.is_empty() {
            if let Some(tx) = self.local.upgrade() {
                for d in disconnects {
                    let _ = tx.send(ServerMessage::ok(d.id())).await;
                }
            }
            self.link.close(CloseCode::Normal, "client disconnected");
        }
        Ok(())
    }

    async fn close(&self) {
        self.link.close(CloseCode::Normal, "client disconnected");
    }
}
