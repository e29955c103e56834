//! Connectors carry v4 messages between the client core and a server: [`EmbeddedConnector`]
//! talks to an in-process [`Server`] with typed values over channels (no JSON); the WebSocket
//! connector (in `net`) speaks Buttplug JSON to a remote server.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::ClientError;
use crate::server::{ConnectionInfo, ConnectionSender, Server, ServerOptions};
use crate::wire::{ClientMessage, ServerMessage};

/// What [`ConnectorSender::try_send_one`] did.
pub enum TrySend {
    Sent,
    /// The link is gone.
    Closed,
    /// Not sent now (queue full, or the connector has no waiting-free path): send it with
    /// [`ConnectorSender::send`].
    Later(ClientMessage),
}

/// The sending half of a connection to a server.
#[async_trait]
pub trait ConnectorSender: Send + Sync + 'static {
    /// Send messages as one frame.
    async fn send(&self, messages: Vec<ClientMessage>) -> Result<(), ClientError>;
    /// Send one message as a frame if that needs no waiting (the embedded path: a typed value
    /// into the server connection's queue, without boxing a future). The default sends nothing.
    fn try_send_one(&self, message: ClientMessage) -> TrySend {
        TrySend::Later(message)
    }
    /// Close the link (idempotent).
    async fn close(&self);
}

/// A link to a server: a sender and the stream of server messages (ends when the link closes).
pub struct Connection {
    pub sender: Box<dyn ConnectorSender>,
    pub receiver: mpsc::Receiver<ServerMessage>,
    /// The in-process server, for embedded connections.
    pub server: Option<Server>,
}

/// Connects to an in-process server.
pub struct EmbeddedConnector;

impl EmbeddedConnector {
    /// Start a server with `options` and connect to it. Must run inside a tokio runtime.
    pub fn connect(options: ServerOptions) -> Result<Connection, ClientError> {
        let server = Server::new(options);
        Self::connect_to(&server)
    }

    /// Connect to an existing in-process server.
    pub fn connect_to(server: &Server) -> Result<Connection, ClientError> {
        let conn = server
            .connect_typed(ConnectionInfo::default())
            .map_err(|e| ClientError::Connect(e.to_string()))?;
        Ok(Connection {
            sender: Box::new(EmbeddedSender {
                sender: parking_lot::Mutex::new(Some(conn.sender)),
            }),
            receiver: conn.receiver,
            server: Some(server.clone()),
        })
    }
}

struct EmbeddedSender {
    sender: parking_lot::Mutex<Option<ConnectionSender>>,
}

#[async_trait]
impl ConnectorSender for EmbeddedSender {
    async fn send(&self, messages: Vec<ClientMessage>) -> Result<(), ClientError> {
        let sender = self.sender.lock().clone();
        match sender {
            Some(s) => s
                .send(messages)
                .await
                .map_err(|_| ClientError::NotConnected),
            None => Err(ClientError::NotConnected),
        }
    }

    fn try_send_one(&self, message: ClientMessage) -> TrySend {
        use tokio::sync::mpsc::error::TrySendError;
        match self.sender.lock().as_ref() {
            None => TrySend::Closed,
            Some(s) => match s.try_send_one(message) {
                Ok(()) => TrySend::Sent,
                Err(TrySendError::Full(m)) => TrySend::Later(m),
                Err(TrySendError::Closed(_)) => TrySend::Closed,
            },
        }
    }

    async fn close(&self) {
        self.sender.lock().take();
    }
}
