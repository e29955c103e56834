//! Connectors carry v4 messages between the client core and a server: [`EmbeddedConnector`]
//! talks to an in-process [`Server`] with typed values over channels (no JSON); the WebSocket
//! connector (in `net`) speaks Buttplug JSON to a remote server.

use async_trait::async_trait;
use tokio::sync::mpsc;

use super::ClientError;
use crate::protocol::{ClientMessage, ServerMessage};
use crate::server::{ConnectionInfo, ConnectionSender, Server, ServerOptions};

/// The sending half of a connection to a server.
#[async_trait]
pub trait ConnectorSender: Send + Sync + 'static {
    /// Send messages as one frame.
    async fn send(&self, messages: Vec<ClientMessage>) -> Result<(), ClientError>;
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

    async fn close(&self) {
        self.sender.lock().take();
    }
}
