//! Intiface Central's frontend channel (Intiface Engine's `--frontend-websocket-port`): a
//! WebSocket server on loopback through which the program that launched the engine watches it
//! and stops it. Frames are JSON text, one message each, in Intiface's shapes (externally
//! tagged, every body an object): the engine sends [`EngineMessage`]s (EngineStarted,
//! EngineServerCreated, ClientConnected/Disconnected, DeviceConnected/Disconnected, EngineLog,
//! EngineError, EngineStopped…), the frontend sends [`IntifaceMessage`]s (RequestEngineVersion,
//! Stop).
//!
//! One frontend: [`FrontendListener::accept`] waits for it (the engine does not start before
//! its launcher watches it, so EngineStarted is never lost) and then closes the port. A Stop
//! request, or the frontend going away (its launcher is gone: nobody could stop the engine any
//! more), asks the engine to stop ([`Frontend::stop_requested`]). Log lines reach the frontend
//! through [`LogLayer`], installed in the program's tracing subscriber.

use std::net::SocketAddr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};
use tokio::net::TcpListener;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::{debug, info, warn};

use super::NetError;
use super::link::{self, Inbound, LinkConfig, LinkHandle};
use super::listen::{self, PendingConnection};
use super::origin::OriginPolicy;
use crate::server::{Server, ServerEvent};

/// Who a device is, as Intiface's user device config names it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UserDeviceIdentifier {
    pub protocol: String,
    pub identifier: Option<String>,
    pub address: String,
}

/// What went wrong, for a frontend that reacts to it (Intiface 4/5's `EngineErrorDetail`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum EngineErrorDetail {
    PortInUse { address: String, port: u16 },
}

/// Engine → frontend, as Intiface Engine 4.0/5.0 serialise them (plus `EngineLog`, the log
/// lines of Intiface Engine's process frontend).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum EngineMessage {
    EngineVersion {
        version: String,
    },
    /// A log line: a JSON object `{"timestamp","level","target","fields":{"message",…}}`.
    EngineLog {
        message: String,
    },
    EngineStarted {},
    EngineError {
        error: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        detail: Option<EngineErrorDetail>,
    },
    EngineServerCreated {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        service_type: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        instance_name: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        port: Option<u16>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        txt_records: Option<Vec<String>>,
    },
    EngineStopped {},
    ClientConnected {
        client_name: String,
    },
    ClientDisconnected {},
    DeviceConnected {
        name: String,
        index: u32,
        identifier: UserDeviceIdentifier,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        display_name: Option<String>,
        needs_keepalive: bool,
    },
    DeviceDisconnected {
        index: u32,
    },
    ClientRejected {
        reason: String,
    },
}

/// Frontend → engine.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum IntifaceMessage {
    RequestEngineVersion { expected_version: u32 },
    Stop {},
}

impl EngineMessage {
    /// The JSON text frame.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// The frontend port, bound, waiting for its frontend.
pub struct FrontendListener {
    listener: TcpListener,
    local: SocketAddr,
}

impl FrontendListener {
    /// Bind `address` (Intiface binds 127.0.0.1).
    pub async fn bind(address: SocketAddr) -> Result<FrontendListener, NetError> {
        let listener = listen::bind(address, "frontend").await?;
        let local = listener.local_addr().map_err(|e| NetError::Bind {
            what: "frontend".into(),
            address,
            reason: e.to_string(),
        })?;
        Ok(FrontendListener { listener, local })
    }

    /// The address listened on (the real port when bound to port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local
    }

    /// Wait for the frontend: the first connection whose WebSocket upgrade succeeds (web pages
    /// of other origins are refused). The port is closed once it is there.
    pub async fn accept(self, config: LinkConfig, version: &str) -> Frontend {
        let origins = OriginPolicy::default();
        loop {
            let (stream, peer) = match self.listener.accept().await {
                Ok(accepted) => accepted,
                Err(e) => {
                    warn!("frontend port: accept failed: {e}");
                    tokio::time::sleep(super::backoff::MAX_RETRY).await;
                    continue;
                }
            };
            let conn = PendingConnection::untracked(stream);
            if let Some((ws, _ticket)) =
                listen::upgrade_ungated(conn, &origins, peer, "frontend").await
            {
                info!(%peer, "frontend connected");
                return Frontend::start(ws, config, version.to_string());
            }
        }
    }
}

/// The connected frontend. Dropping it closes the channel.
pub struct Frontend {
    link: LinkHandle,
    stop: watch::Receiver<Option<&'static str>>,
    reader: JoinHandle<()>,
}

impl Frontend {
    fn start<S>(
        ws: tokio_tungstenite::WebSocketStream<S>,
        config: LinkConfig,
        version: String,
    ) -> Frontend
    where
        S: tokio::io::AsyncRead + tokio::io::AsyncWrite + Unpin + Send + 'static,
    {
        let link::Link {
            handle,
            mut inbound,
            done,
        } = link::spawn(ws, config, "frontend".into());
        let (stop_tx, stop) = watch::channel(None);
        let replies = handle.clone();
        let reader = tokio::spawn(async move {
            while let Some(frame) = inbound.recv().await {
                let Inbound::Text(text) = frame else {
                    warn!("binary frame from the frontend ignored");
                    continue;
                };
                match serde_json::from_str::<IntifaceMessage>(&text) {
                    Ok(IntifaceMessage::RequestEngineVersion { expected_version }) => {
                        debug!(expected_version, "frontend asked for the engine version");
                        replies.send_text(
                            EngineMessage::EngineVersion {
                                version: version.clone(),
                            }
                            .to_json(),
                        );
                    }
                    Ok(IntifaceMessage::Stop {}) => {
                        info!("stop requested by the frontend");
                        let _ = stop_tx.send(Some("Stop from the frontend"));
                    }
                    Err(e) => warn!("frontend message not understood ({e}): {text}"),
                }
            }
            let end = done.await;
            debug!(?end, "frontend channel ended");
            stop_tx.send_if_modified(|s| {
                if s.is_none() {
                    *s = Some("frontend gone");
                    true
                } else {
                    false
                }
            });
        });
        Frontend {
            link: handle,
            stop,
            reader,
        }
    }

    /// Queue a message for the frontend (false once the channel is gone).
    pub fn send(&self, message: &EngineMessage) -> bool {
        self.link.send_text(message.to_json())
    }

    /// Resolves once the frontend asked to stop, or went away; says which.
    pub async fn stop_requested(&self) -> &'static str {
        let mut stop = self.stop.clone();
        match stop.wait_for(|s| s.is_some()).await {
            Ok(s) => s.unwrap_or("frontend gone"),
            Err(_) => "frontend gone",
        }
    }

    /// Tell the frontend about the server's clients and devices, until the returned task is
    /// aborted or the channel ends.
    pub fn watch_server(&self, server: &Server) -> JoinHandle<()> {
        let mut events = server.events();
        let server = server.clone();
        let link = self.link.clone();
        tokio::spawn(async move {
            loop {
                let event = match events.recv().await {
                    Ok(event) => event,
                    Err(broadcast::error::RecvError::Lagged(n)) => {
                        warn!("frontend missed {n} server events");
                        continue;
                    }
                    Err(broadcast::error::RecvError::Closed) => return,
                };
                if let Some(message) = message_for(&server, event)
                    && !link.send_text(message.to_json())
                {
                    return;
                }
            }
        })
    }

    /// Send the log lines of [`LogLayer`] to the frontend as `EngineLog`, until the returned task
    /// is aborted or the channel ends.
    pub fn forward_logs(&self) -> JoinHandle<()> {
        let mut lines = log_lines().subscribe();
        let link = self.link.clone();
        tokio::spawn(async move {
            loop {
                match lines.recv().await {
                    Ok(message) => {
                        if !link.send_text(EngineMessage::EngineLog { message }.to_json()) {
                            return;
                        }
                    }
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    /// Send EngineStopped and close the channel, waiting (bounded by the link's close) for the
    /// frames queued before to be written.
    pub async fn close(self) {
        self.send(&EngineMessage::EngineStopped {});
        self.link.close(CloseCode::Normal, "engine stopped");
        let _ = tokio::time::timeout(std::time::Duration::from_secs(3), self.reader).await;
    }
}

/// What the frontend hears of a server event.
fn message_for(server: &Server, event: ServerEvent) -> Option<EngineMessage> {
    match event {
        ServerEvent::ClientConnected => Some(EngineMessage::ClientConnected {
            client_name: server.client().map(|c| c.info.name).unwrap_or_default(),
        }),
        ServerEvent::ClientDisconnected => Some(EngineMessage::ClientDisconnected {}),
        ServerEvent::DeviceAdded(index) => {
            let entry = server.device_list().devices.get(&index).cloned()?;
            let identity = server.device_identity(index)?;
            Some(EngineMessage::DeviceConnected {
                name: entry.device_name,
                index,
                identifier: UserDeviceIdentifier {
                    protocol: identity.protocol,
                    identifier: identity.identifier,
                    address: identity.address,
                },
                display_name: entry.device_display_name,
                needs_keepalive: false,
            })
        }
        ServerEvent::DeviceRemoved(index) => Some(EngineMessage::DeviceDisconnected { index }),
        _ => None,
    }
}

/// Log lines for the frontend (JSON objects), from [`LogLayer`].
fn log_lines() -> &'static broadcast::Sender<String> {
    static LINES: OnceLock<broadcast::Sender<String>> = OnceLock::new();
    LINES.get_or_init(|| broadcast::channel(1024).0)
}

/// A tracing layer that hands each event (as the subscriber's filter lets through) to a
/// connected frontend as a JSON log line, in tracing-subscriber's JSON shape. Costs nothing
/// while no frontend listens. Events of the WebSocket library and of the links are left out:
/// sending a log line would log again.
pub struct LogLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for LogLayer {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _ctx: tracing_subscriber::layer::Context<'_, S>,
    ) {
        let lines = log_lines();
        if lines.receiver_count() == 0 {
            return;
        }
        let meta = event.metadata();
        let target = meta.target();
        if target.starts_with("tungstenite")
            || target.starts_with("tokio_tungstenite")
            || target.starts_with("teleplug::net::link")
        {
            return;
        }
        let mut fields = JsonFields(serde_json::Map::new());
        event.record(&mut fields);
        let line = serde_json::json!({
            "timestamp": timestamp(),
            "level": meta.level().as_str(),
            "fields": fields.0,
            "target": target,
        });
        let _ = lines.send(line.to_string());
    }
}

/// Now, RFC 3339 (as tracing-subscriber writes it).
fn timestamp() -> String {
    use tracing_subscriber::fmt::time::FormatTime;
    let mut now = String::new();
    let _ = tracing_subscriber::fmt::time::SystemTime
        .format_time(&mut tracing_subscriber::fmt::format::Writer::new(&mut now));
    now
}

struct JsonFields(serde_json::Map<String, serde_json::Value>);

impl tracing::field::Visit for JsonFields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        self.0
            .insert(field.name().into(), format!("{value:?}").into());
    }

    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_i64(&mut self, field: &tracing::field::Field, value: i64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_u64(&mut self, field: &tracing::field::Field, value: u64) {
        self.0.insert(field.name().into(), value.into());
    }

    fn record_bool(&mut self, field: &tracing::field::Field, value: bool) {
        self.0.insert(field.name().into(), value.into());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn messages_have_intifaces_shapes() {
        // Intiface Engine 4.0.4's own serialisation tests (frontend/process_messages.rs).
        let error = EngineMessage::EngineError {
            error: "startup failed".into(),
            detail: None,
        };
        assert_eq!(
            serde_json::to_value(error).unwrap(),
            json!({"EngineError": {"error": "startup failed"}})
        );
        let in_use = EngineMessage::EngineError {
            error: "address already in use".into(),
            detail: Some(EngineErrorDetail::PortInUse {
                address: "127.0.0.1".into(),
                port: 12345,
            }),
        };
        assert_eq!(
            serde_json::to_value(in_use).unwrap(),
            json!({"EngineError": {"error": "address already in use",
                "detail": {"code": "port_in_use", "port": 12345, "address": "127.0.0.1"}}})
        );
        let legacy: EngineMessage =
            serde_json::from_value(json!({"EngineServerCreated": {}})).unwrap();
        assert_eq!(legacy.to_json(), r#"{"EngineServerCreated":{}}"#);
        assert_eq!(
            EngineMessage::EngineStarted {}.to_json(),
            r#"{"EngineStarted":{}}"#
        );
        let device = EngineMessage::DeviceConnected {
            name: "Lovense Hush".into(),
            index: 3,
            identifier: UserDeviceIdentifier {
                protocol: "lovense".into(),
                identifier: None,
                address: "AA:BB".into(),
            },
            display_name: None,
            needs_keepalive: false,
        };
        assert_eq!(
            serde_json::to_value(device).unwrap(),
            json!({"DeviceConnected": {"name": "Lovense Hush", "index": 3,
                "identifier": {"protocol": "lovense", "identifier": null, "address": "AA:BB"},
                "needs_keepalive": false}})
        );
        let stop: IntifaceMessage = serde_json::from_str(r#"{"Stop":{}}"#).unwrap();
        assert_eq!(stop, IntifaceMessage::Stop {});
        let version: IntifaceMessage =
            serde_json::from_str(r#"{"RequestEngineVersion":{"expected_version":3}}"#).unwrap();
        assert_eq!(
            version,
            IntifaceMessage::RequestEngineVersion {
                expected_version: 3
            }
        );
    }
}
