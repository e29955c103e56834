//! The panel's connection to the server ([`Server::connect_backdoor`]): requests with their own
//! ids, each paired with its reply; the receiver is drained by one task for as long as the
//! connection lives (events arriving on it are dropped: the panel reads the server's events).
//! Dropping the last [`Backdoor`] ends the connection, which stops every device.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::error::ApiError;
use crate::server::{ConnectError, ConnectionSender, Server};
use crate::wire::{ClientMessage, ServerMessage};

/// How long a request waits for the server's answer (a device write is bounded to 1 s, a read
/// to 5 s).
pub const REPLY_TIMEOUT: Duration = Duration::from_secs(10);

type Pending = Arc<Mutex<HashMap<u32, oneshot::Sender<ServerMessage>>>>;

/// A request/reply link to the server, for the panel and the HTTP API.
pub struct Backdoor {
    sender: ConnectionSender,
    next_id: AtomicU32,
    pending: Pending,
    reader: tokio::task::JoinHandle<()>,
}

impl Drop for Backdoor {
    fn drop(&mut self) {
        self.reader.abort();
    }
}

impl Backdoor {
    pub fn connect(server: &Server, name: &str) -> Result<Backdoor, ConnectError> {
        let conn = server.connect_backdoor(name)?;
        let pending: Pending = Arc::default();
        let reader = tokio::spawn(read_replies(conn.receiver, pending.clone()));
        Ok(Backdoor {
            sender: conn.sender,
            next_id: AtomicU32::new(1),
            pending,
            reader,
        })
    }

    fn next_id(&self) -> u32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Send one message and wait for its reply. A Buttplug `Error` reply is an [`ApiError`].
    pub async fn request(&self, mut message: ClientMessage) -> Result<ServerMessage, ApiError> {
        let id = self.next_id();
        message.set_id(id);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id, tx);
        let forget = Forget(&self.pending, id);
        if self.sender.send(vec![message]).await.is_err() {
            return Err(ApiError::unavailable("the server is shutting down"));
        }
        let reply = match tokio::time::timeout(REPLY_TIMEOUT, rx).await {
            Ok(Ok(reply)) => reply,
            Ok(Err(_)) => return Err(ApiError::unavailable("the server is shutting down")),
            Err(_) => {
                return Err(ApiError::new(
                    axum::http::StatusCode::GATEWAY_TIMEOUT,
                    "timeout",
                    format!(
                        "no answer from the server within {} s",
                        REPLY_TIMEOUT.as_secs()
                    ),
                ));
            }
        };
        drop(forget);
        match reply {
            ServerMessage::Error(e) => Err(ApiError::from_buttplug(&e)),
            other => Ok(other),
        }
    }

    /// Send one message whose answer is `Ok`.
    pub async fn expect_ok(&self, message: ClientMessage) -> Result<(), ApiError> {
        match self.request(message).await? {
            ServerMessage::Ok(_) => Ok(()),
            other => Err(ApiError::new(
                axum::http::StatusCode::BAD_GATEWAY,
                "unexpected_reply",
                format!("unexpected answer from the server: {other:?}"),
            )),
        }
    }
}

/// Removes a request's entry when its wait ends any way (answered, timed out, cancelled by the
/// HTTP client going away), so the table holds only requests in flight.
struct Forget<'a>(&'a Pending, u32);

impl Drop for Forget<'_> {
    fn drop(&mut self) {
        self.0.lock().remove(&self.1);
    }
}

async fn read_replies(mut receiver: mpsc::Receiver<ServerMessage>, pending: Pending) {
    while let Some(message) = receiver.recv().await {
        let id = message.id();
        if id == 0 {
            continue;
        }
        if let Some(tx) = pending.lock().remove(&id) {
            let _ = tx.send(message);
        }
    }
    // The connection ended: every waiting request fails at once.
    pending.lock().clear();
}
