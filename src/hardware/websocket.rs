//! Devices that dial in over WebSocket (Intiface's "websocket device manager", docs/PROTOCOL.md §7):
//! the hardware side only. The socket itself lives in `net::device_server`, which accepts a
//! device, reads its handshake and hands over a [`WebsocketDeviceLink`] (byte frames in, byte
//! frames out) to [`WebsocketDeviceManager::device_connected`]. The manager reports it as a
//! candidate at once (no scanning needed), matched through a `websocket` communication specifier
//! of the user config by the handshake identifier.
//!
//! Data path: every write, whatever its endpoint, is one frame to the device. Every frame from
//! the device becomes a notification while the protocol has a subscription: it is tagged with
//! the subscribed endpoint (`rx` when that is subscribed, else the first subscribed one), so
//! protocols that listen on a specific rx endpoint work, unlike the reference, which tags
//! everything `tx`. Frames arriving while nothing is subscribed are dropped. Direct reads are
//! not supported (as in the reference): protocol-level queries such as Lovense `Battery;` work.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tracing::{debug, info};

use super::{
    Advertisement, AdvertisementKind, DeviceCandidate, DeviceConnector, EVENT_QUEUE_CAPACITY,
    Endpoint, HardwareError, HardwareEvent, HardwareManager, ManagerEvent, ManagerEventSender,
    Transport,
};
use crate::device_config::CommunicationSpecifier;

/// The manager's name in logs and errors.
pub const MANAGER_NAME: &str = "websocket";

/// What a device says in its first (text) frame.
#[derive(Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DeviceHandshake {
    /// Matched against `websocket` specifiers' `name`.
    pub identifier: String,
    /// Unique per device; what user config device entries refer to.
    pub address: String,
    /// Not checked (currently 0).
    pub version: u32,
    /// The listener's shared secret, when it requires one (`--device-websocket-token`; a device
    /// may send it in its URL instead). Not part of Intiface's handshake.
    #[serde(default)]
    pub token: Option<String>,
}

impl std::fmt::Debug for DeviceHandshake {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceHandshake")
            .field("identifier", &self.identifier)
            .field("address", &self.address)
            .field("version", &self.version)
            .field("token", &self.token.as_ref().map(|_| "<secret>"))
            .finish()
    }
}

impl DeviceHandshake {
    /// Parse the handshake frame; the error text says what is wrong.
    pub fn parse(text: &str) -> Result<DeviceHandshake, String> {
        serde_json::from_str(text).map_err(|e| format!("invalid device handshake: {e}"))
    }
}

/// Why the server closed a device's socket.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkClose {
    /// The server disconnected the device (shutdown, protocol failure).
    Disconnected,
    /// The server will not use the device (no protocol matches, address in use, denied).
    Refused(String),
}

/// The byte pipe to one device socket, owned by the network side.
pub struct WebsocketDeviceLink {
    /// Frames to send to the device. The network side closes the socket with the reason sent on
    /// `close`, or when this channel's senders are all gone.
    pub outgoing: mpsc::Sender<Vec<u8>>,
    /// Frames from the device; ends when the socket closed.
    pub incoming: mpsc::Receiver<Vec<u8>>,
    /// Tells the network side to close the socket.
    pub close: mpsc::UnboundedSender<LinkClose>,
}

struct LinkParts {
    outgoing: mpsc::Sender<Vec<u8>>,
    incoming: Option<mpsc::Receiver<Vec<u8>>>,
    close: mpsc::UnboundedSender<LinkClose>,
}

/// Finds devices that dialed in. They are reported as soon as they connect, scanning or not.
pub struct WebsocketDeviceManager {
    events: ManagerEventSender,
}

impl WebsocketDeviceManager {
    pub fn new(events: ManagerEventSender) -> WebsocketDeviceManager {
        WebsocketDeviceManager { events }
    }

    /// A device finished its handshake: offer it to the server.
    pub fn device_connected(&self, handshake: &DeviceHandshake, link: WebsocketDeviceLink) {
        info!(identifier = %handshake.identifier, address = %handshake.address, "websocket device connected");
        let advertisement = Advertisement {
            name: handshake.identifier.clone(),
            address: handshake.address.clone(),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
            kind: AdvertisementKind::Websocket {
                identifier: handshake.identifier.clone(),
            },
        };
        let connector = WebsocketConnector {
            link: Mutex::new(Some(LinkParts {
                outgoing: link.outgoing,
                incoming: Some(link.incoming),
                close: link.close.clone(),
            })),
            close: link.close,
        };
        let candidate = DeviceCandidate {
            advertisement,
            connector: Box::new(connector),
        };
        // If the server is gone the candidate is dropped, which closes the socket.
        let _ = self.events.send(ManagerEvent::DeviceFound(candidate));
    }
}

#[async_trait]
impl HardwareManager for WebsocketDeviceManager {
    fn name(&self) -> &'static str {
        MANAGER_NAME
    }

    /// Devices dial in whenever they like, so a scan with the device listener open never
    /// finishes on its own: it lasts until StopScanning (as the reference's websocket device
    /// manager and Bluetooth do). Devices are taken whether a scan runs or not.
    async fn start_scanning(&self) -> Result<(), HardwareError> {
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        Ok(())
    }
}

struct WebsocketConnector {
    link: Mutex<Option<LinkParts>>,
    close: mpsc::UnboundedSender<LinkClose>,
}

#[async_trait]
impl DeviceConnector for WebsocketConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        if !matches!(specifier, CommunicationSpecifier::Websocket { .. }) {
            return Err(HardwareError::ConnectionFailed(format!(
                "a websocket device cannot connect through {specifier:?}"
            )));
        }
        let parts =
            self.link.lock().take().ok_or_else(|| {
                HardwareError::ConnectionFailed("device already connected".into())
            })?;
        Ok(WebsocketTransport::start(parts))
    }

    async fn abandon(&self) {
        let _ = self.close.send(LinkClose::Refused(
            "no protocol matches this device, it is not allowed, or its address is in use".into(),
        ));
        self.link.lock().take();
    }
}

struct TransportState {
    outgoing: Option<mpsc::Sender<Vec<u8>>>,
    subscribed: BTreeSet<Endpoint>,
}

/// A connected WebSocket device.
struct WebsocketTransport {
    state: Arc<Mutex<TransportState>>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
    close: mpsc::UnboundedSender<LinkClose>,
}

impl WebsocketTransport {
    fn start(mut parts: LinkParts) -> Arc<dyn Transport> {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let state = Arc::new(Mutex::new(TransportState {
            outgoing: Some(parts.outgoing),
            subscribed: BTreeSet::new(),
        }));
        if let Some(incoming) = parts.incoming.take() {
            tokio::spawn(pump(incoming, state.clone(), tx));
        }
        Arc::new(WebsocketTransport {
            state,
            events: Mutex::new(Some(rx)),
            close: parts.close,
        })
    }
}

/// The endpoint a frame from the device is delivered on, if any.
fn delivery_endpoint(subscribed: &BTreeSet<Endpoint>) -> Option<Endpoint> {
    if subscribed.contains(&Endpoint::Rx) {
        Some(Endpoint::Rx)
    } else {
        subscribed.iter().next().copied()
    }
}

async fn pump(
    mut incoming: mpsc::Receiver<Vec<u8>>,
    state: Arc<Mutex<TransportState>>,
    events: mpsc::Sender<HardwareEvent>,
) {
    while let Some(data) = incoming.recv().await {
        let endpoint = delivery_endpoint(&state.lock().subscribed);
        match endpoint {
            Some(endpoint) => {
                if events
                    .try_send(HardwareEvent::Notification { endpoint, data })
                    .is_err()
                {
                    debug!("websocket device notification dropped (queue full or closed)");
                }
            }
            None => debug!("frame from websocket device dropped: nothing subscribed"),
        }
    }
    state.lock().outgoing = None;
    let _ = events.send(HardwareEvent::Disconnected).await;
}

#[async_trait]
impl Transport for WebsocketTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        // Any endpoint maps to the one socket.
        let mut all = vec![
            Endpoint::Command,
            Endpoint::Firmware,
            Endpoint::Rx,
            Endpoint::RxAccel,
            Endpoint::RxBleBattery,
            Endpoint::RxBleModel,
            Endpoint::RxPressure,
            Endpoint::RxTouch,
            Endpoint::Tx,
            Endpoint::TxMode,
            Endpoint::TxShock,
            Endpoint::TxVibrate,
            Endpoint::TxVendorControl,
            Endpoint::Whitelist,
        ];
        all.extend((0..32).map(Endpoint::Generic));
        all
    }

    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }

    async fn write(
        &self,
        _endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), HardwareError> {
        let tx = self
            .state
            .lock()
            .outgoing
            .clone()
            .ok_or(HardwareError::Disconnected)?;
        tx.send(data.to_vec())
            .await
            .map_err(|_| HardwareError::Disconnected)
    }

    async fn read(
        &self,
        _endpoint: Endpoint,
        _max_len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        Err(HardwareError::Unsupported("read"))
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        let mut st = self.state.lock();
        if st.outgoing.is_none() {
            return Err(HardwareError::Disconnected);
        }
        st.subscribed.insert(endpoint);
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.state.lock().subscribed.remove(&endpoint);
        Ok(())
    }

    async fn disconnect(&self) {
        let had = {
            let mut st = self.state.lock();
            st.subscribed.clear();
            st.outgoing.take().is_some()
        };
        if had {
            let _ = self.close.send(LinkClose::Disconnected);
        }
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rx_is_preferred_for_delivery() {
        let mut s = BTreeSet::new();
        assert_eq!(delivery_endpoint(&s), None);
        s.insert(Endpoint::RxPressure);
        assert_eq!(delivery_endpoint(&s), Some(Endpoint::RxPressure));
        s.insert(Endpoint::Rx);
        assert_eq!(delivery_endpoint(&s), Some(Endpoint::Rx));
    }

    #[test]
    fn handshake_parses_and_rejects() {
        let h = DeviceHandshake::parse(r#"{"identifier":"LVSDevice","address":"a1","version":0}"#)
            .unwrap();
        assert_eq!(h.identifier, "LVSDevice");
        assert_eq!(h.address, "a1");
        assert_eq!(h.token, None);
        let h = DeviceHandshake::parse(
            r#"{"identifier":"LVSDevice","address":"a1","version":0,"token":"s3cret"}"#,
        )
        .unwrap();
        assert_eq!(h.token.as_deref(), Some("s3cret"));
        assert!(!format!("{h:?}").contains("s3cret"));
        assert!(DeviceHandshake::parse(r#"{"identifier":"x"}"#).is_err());
        assert!(DeviceHandshake::parse("not json").is_err());
    }
}
