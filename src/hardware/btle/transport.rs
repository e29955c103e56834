//! A connected Bluetooth LE device: connect, service discovery mapped to the protocol's
//! endpoints, writes with and without response, reads, notifications, and disconnection from
//! either side (the device dropping is seen as BlueZ's `Connected = false` and reported as
//! [`HardwareEvent::Disconnected`]; a drop the server did not ask for makes the manager wait for
//! the device, src/hardware/btle/reconnect.rs). Every BlueZ call is bounded in time.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use btleplug::api::{
    Central, CentralEvent, CentralState, CharPropFlags, Characteristic, Peripheral as _, WriteType,
};
use btleplug::platform::{Adapter, Peripheral, PeripheralId};
use futures::StreamExt;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};
use uuid::Uuid;

use super::advertisement::Offers;
use super::endpoints::{map_endpoints, reverse};
use super::reconnect::Reconnect;
use crate::device_config::{BtleSpecifier, CommunicationSpecifier};
use crate::hardware::{
    Advertisement, DeviceConnector, EVENT_QUEUE_CAPACITY, Endpoint, HardwareError, HardwareEvent,
    Transport,
};

/// The message gap a BLE link needs when the device definition sets none (docs/PROTOCOL.md §5.4).
pub const BLE_MESSAGE_GAP: Duration = Duration::from_millis(75);
/// Upper bound for connecting (BlueZ connect and waiting for services to resolve).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Upper bound for service discovery, a write, subscribing, disconnecting.
const OP_TIMEOUT: Duration = Duration::from_secs(5);

/// Opens a connection to an offered device.
pub(super) struct BtleConnector {
    adapter: Adapter,
    peripheral: Peripheral,
    offers: Arc<Offers>,
    reconnect: Arc<Reconnect>,
    id: PeripheralId,
    advertisement: Advertisement,
}

impl BtleConnector {
    pub fn new(
        adapter: Adapter,
        peripheral: Peripheral,
        offers: Arc<Offers>,
        reconnect: Arc<Reconnect>,
        id: PeripheralId,
        advertisement: Advertisement,
    ) -> BtleConnector {
        BtleConnector {
            adapter,
            peripheral,
            offers,
            reconnect,
            id,
            advertisement,
        }
    }
}

async fn bounded<T>(
    limit: Duration,
    fut: impl std::future::Future<Output = btleplug::Result<T>>,
) -> Result<T, HardwareError> {
    match tokio::time::timeout(limit, fut).await {
        Ok(Ok(v)) => Ok(v),
        Ok(Err(btleplug::Error::NotConnected)) => Err(HardwareError::Disconnected),
        Ok(Err(e)) => Err(HardwareError::Io(e.to_string())),
        Err(_) => Err(HardwareError::Timeout),
    }
}

#[async_trait]
impl DeviceConnector for BtleConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        let CommunicationSpecifier::Btle(spec) = specifier else {
            return Err(HardwareError::Unsupported(
                "a non-Bluetooth communication specifier",
            ));
        };
        let r = open(self, spec).await;
        if let Err(e) = &r {
            warn!(address = %self.advertisement.address, "Bluetooth LE connection failed: {e}");
        }
        r
    }

    async fn abandon(&self) {
        if self.reconnect.is_watched(&self.id) {
            // A device waited for is tried again at a later advertisement.
            self.reconnect.failed(&self.id);
            self.offers.release(&self.id);
        } else {
            self.offers.decline(&self.id, self.advertisement.clone());
        }
    }
}

async fn open(
    c: &BtleConnector,
    spec: &BtleSpecifier,
) -> Result<Arc<dyn Transport>, HardwareError> {
    // Both streams exist before connecting, so no notification or disconnection is missed.
    let notifications = bounded(OP_TIMEOUT, c.peripheral.notifications()).await?;
    let central = bounded(OP_TIMEOUT, c.adapter.events()).await?;
    let connected = bounded(OP_TIMEOUT, c.peripheral.is_connected()).await?;
    if !connected {
        bounded(CONNECT_TIMEOUT, c.peripheral.connect())
            .await
            .map_err(|e| HardwareError::ConnectionFailed(e.to_string()))?;
    }
    let result = async {
        bounded(OP_TIMEOUT, c.peripheral.discover_services()).await?;
        let chars = map_endpoints(spec, &c.peripheral.services());
        if chars.is_empty() {
            return Err(HardwareError::ConnectionFailed(
                "the device has none of the characteristics its protocol uses".into(),
            ));
        }
        Ok(chars)
    }
    .await;
    let chars = match result {
        Ok(chars) => chars,
        Err(e) => {
            let _ = bounded(OP_TIMEOUT, c.peripheral.disconnect()).await;
            return Err(e);
        }
    };
    info!(
        address = %c.advertisement.address,
        endpoints = ?chars.keys().collect::<Vec<_>>(),
        "Bluetooth LE device connected"
    );
    let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
    let link = Arc::new(Link {
        peripheral: c.peripheral.clone(),
        id: c.id.clone(),
        address: c.advertisement.address.clone(),
        by_uuid: reverse(&chars),
        chars,
        subscribed: Mutex::new(HashSet::new()),
        connected: AtomicBool::new(true),
        offers: c.offers.clone(),
        reconnect: c.reconnect.clone(),
    });
    let task = tokio::spawn(watch(link.clone(), notifications, central, tx));
    Ok(Arc::new(BtleTransport {
        link,
        events: Mutex::new(Some(rx)),
        task: Mutex::new(Some(task)),
    }))
}

/// What the transport and its watcher task share.
struct Link {
    peripheral: Peripheral,
    id: PeripheralId,
    address: String,
    chars: BTreeMap<Endpoint, Characteristic>,
    by_uuid: Vec<((Uuid, Uuid), Endpoint)>,
    subscribed: Mutex<HashSet<Endpoint>>,
    connected: AtomicBool,
    offers: Arc<Offers>,
    reconnect: Arc<Reconnect>,
}

impl Link {
    /// Marks the link closed; true the first time.
    fn close(&self) -> bool {
        let first = self.connected.swap(false, Ordering::SeqCst);
        if first {
            self.offers.release(&self.id);
        }
        first
    }
}

type Notifications =
    std::pin::Pin<Box<dyn futures::Stream<Item = btleplug::api::ValueNotification> + Send>>;
type CentralEvents = std::pin::Pin<Box<dyn futures::Stream<Item = CentralEvent> + Send>>;

/// Forwards notifications of subscribed endpoints and reports the device dropping.
async fn watch(
    link: Arc<Link>,
    mut notifications: Notifications,
    mut central: CentralEvents,
    tx: mpsc::Sender<HardwareEvent>,
) {
    let dropped = loop {
        tokio::select! {
            n = notifications.next() => {
                let Some(n) = n else { break false };
                let endpoint = link
                    .by_uuid
                    .iter()
                    .find(|(k, _)| *k == (n.service_uuid, n.uuid))
                    .map(|(_, e)| *e);
                // BlueZ also reports values changed by reads; only subscriptions notify.
                let Some(endpoint) = endpoint.filter(|e| link.subscribed.lock().contains(e)) else {
                    continue;
                };
                let event = HardwareEvent::Notification { endpoint, data: n.value };
                if tx.try_send(event).is_err() {
                    warn!(address = %link.address, "notification dropped: event queue full");
                }
            }
            e = central.next() => match e {
                // The device dropped on its own (the server's disconnect ends this task).
                Some(CentralEvent::DeviceDisconnected(id)) if id == link.id => break true,
                Some(CentralEvent::StateUpdate(CentralState::PoweredOff)) | None => break false,
                Some(_) => {}
            },
        }
    };
    if link.close() {
        if dropped {
            info!(address = %link.address, "Bluetooth LE device dropped; waiting for it to come back");
            link.reconnect.lose(&link.id);
        } else {
            info!(address = %link.address, "Bluetooth LE device disconnected");
        }
    }
    let _ = tokio::time::timeout(OP_TIMEOUT, tx.send(HardwareEvent::Disconnected)).await;
}

struct BtleTransport {
    link: Arc<Link>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
    task: Mutex<Option<JoinHandle<()>>>,
}

impl BtleTransport {
    fn characteristic(&self, endpoint: Endpoint) -> Result<&Characteristic, HardwareError> {
        if !self.link.connected.load(Ordering::SeqCst) {
            return Err(HardwareError::Disconnected);
        }
        self.link
            .chars
            .get(&endpoint)
            .ok_or(HardwareError::InvalidEndpoint(endpoint))
    }

    /// An error after the link closed is a disconnection.
    fn map_err(&self, e: HardwareError) -> HardwareError {
        if self.link.connected.load(Ordering::SeqCst) {
            e
        } else {
            HardwareError::Disconnected
        }
    }
}

#[async_trait]
impl Transport for BtleTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        self.link.chars.keys().copied().collect()
    }

    fn default_message_gap(&self) -> Duration {
        BLE_MESSAGE_GAP
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), HardwareError> {
        let c = self.characteristic(endpoint)?;
        // A characteristic that only takes writes with response gets them.
        let only_with_response = c.properties.contains(CharPropFlags::WRITE)
            && !c.properties.contains(CharPropFlags::WRITE_WITHOUT_RESPONSE);
        let write_type = if with_response || only_with_response {
            WriteType::WithResponse
        } else {
            WriteType::WithoutResponse
        };
        bounded(OP_TIMEOUT, self.link.peripheral.write(c, data, write_type))
            .await
            .map_err(|e| self.map_err(e))
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        let c = self.characteristic(endpoint)?;
        let mut data = bounded(timeout, self.link.peripheral.read(c))
            .await
            .map_err(|e| self.map_err(e))?;
        data.truncate(max_len);
        Ok(data)
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        let c = self.characteristic(endpoint)?;
        self.link.subscribed.lock().insert(endpoint);
        let r = bounded(OP_TIMEOUT, self.link.peripheral.subscribe(c)).await;
        if let Err(e) = r {
            self.link.subscribed.lock().remove(&endpoint);
            return Err(self.map_err(e));
        }
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        let c = self.characteristic(endpoint)?;
        self.link.subscribed.lock().remove(&endpoint);
        bounded(OP_TIMEOUT, self.link.peripheral.unsubscribe(c))
            .await
            .map_err(|e| self.map_err(e))
    }

    async fn disconnect(&self) {
        if !self.link.connected.load(Ordering::SeqCst) {
            return;
        }
        if let Err(e) = bounded(OP_TIMEOUT, self.link.peripheral.disconnect()).await {
            debug!(address = %self.link.address, "Bluetooth LE disconnect: {e}");
        }
        if self.link.close() {
            info!(address = %self.link.address, "Bluetooth LE device disconnected by the server");
        }
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }

    fn on_device_ready(&self, _protocol: &str, _name: &str) {
        // Back in the server's list: no longer waited for.
        self.link.reconnect.found(&self.link.id);
    }
}

impl Drop for BtleTransport {
    /// A transport dropped while connected still closes the link.
    fn drop(&mut self) {
        if let Some(task) = self.task.lock().take() {
            task.abort();
        }
        if self.link.connected.load(Ordering::SeqCst) {
            let link = self.link.clone();
            if let Ok(handle) = tokio::runtime::Handle::try_current() {
                handle.spawn(async move {
                    let _ = bounded(OP_TIMEOUT, link.peripheral.disconnect()).await;
                    link.close();
                });
            } else {
                link.close();
            }
        }
    }
}
