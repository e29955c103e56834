//! A toy of the Lovense Connect app as the server sees it: a [`Transport`] with the one
//! endpoint `tx`, whose writes are GETs of `{host}/{text}` (the answer's body is ignored), whose
//! reads answer the battery level last polled, and which polls the app's GetToys every
//! [`POLL_PERIOD`]: the toy missing from the list, listed as not connected, or the app not
//! answering, is a disconnect (as the reference's hardware loop).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU8, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tracing::info;

use super::http::HttpClient;
use super::replies;
use crate::device_config::CommunicationSpecifier;
use crate::hardware::{
    DeviceConnector, EVENT_QUEUE_CAPACITY, Endpoint, HardwareError, HardwareEvent, Transport,
};

/// How often a connected toy's app is asked GetToys (the reference's 1 s: its authors found
/// the app's HTTP server crashing when polled faster).
pub const POLL_PERIOD: Duration = Duration::from_secs(1);

/// Runs once when the toy's connection ends (either side).
pub(super) type Release = Box<dyn FnOnce() + Send>;

pub(super) struct ConnectToy {
    host: String,
    client: HttpClient,
    battery: Arc<AtomicU8>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
    poller: Mutex<Option<JoinHandle<()>>>,
    open: Arc<AtomicBool>,
    release: Arc<Mutex<Option<Release>>>,
}

impl ConnectToy {
    /// The toy `id` of the app at `host`, its battery as last listed; polling starts now.
    pub fn start(
        host: String,
        id: String,
        battery: u8,
        client: HttpClient,
        release: Release,
    ) -> ConnectToy {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let battery = Arc::new(AtomicU8::new(battery));
        let open = Arc::new(AtomicBool::new(true));
        let release = Arc::new(Mutex::new(Some(release)));
        let poller = tokio::spawn(poll(
            host.clone(),
            id,
            client.clone(),
            battery.clone(),
            tx,
            open.clone(),
            release.clone(),
        ));
        ConnectToy {
            host,
            client,
            battery,
            events: Mutex::new(Some(rx)),
            poller: Mutex::new(Some(poller)),
            open,
            release,
        }
    }

    fn close(&self) {
        self.open.store(false, Ordering::SeqCst);
        if let Some(p) = self.poller.lock().take() {
            p.abort();
        }
        if let Some(release) = self.release.lock().take() {
            release();
        }
    }
}

/// GetToys every [`POLL_PERIOD`] until the toy is gone: then `Disconnected`.
async fn poll(
    host: String,
    id: String,
    client: HttpClient,
    battery: Arc<AtomicU8>,
    events: mpsc::Sender<HardwareEvent>,
    open: Arc<AtomicBool>,
    release: Arc<Mutex<Option<Release>>>,
) {
    let why = loop {
        tokio::time::sleep(POLL_PERIOD).await;
        let listed = client
            .get(&format!("{host}/GetToys"))
            .await
            .and_then(|body| replies::toys(&body));
        match listed {
            Ok(toys) => match toys.into_iter().find(|t| t.id == id) {
                Some(t) if t.connected => battery.store(t.battery, Ordering::SeqCst),
                Some(_) => break "listed as not connected".to_string(),
                None => break "no longer listed".to_string(),
            },
            Err(e) => break e,
        }
    };
    info!(toy = %id, %host, "Lovense Connect toy gone: {why}");
    open.store(false, Ordering::SeqCst);
    let _ = events.try_send(HardwareEvent::Disconnected);
    if let Some(release) = release.lock().take() {
        release();
    }
}

#[async_trait]
impl Transport for ConnectToy {
    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Tx]
    }

    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), HardwareError> {
        if endpoint != Endpoint::Tx {
            return Err(HardwareError::InvalidEndpoint(endpoint));
        }
        if !self.open.load(Ordering::SeqCst) {
            return Err(HardwareError::Disconnected);
        }
        let text = std::str::from_utf8(data)
            .map_err(|_| HardwareError::Io("Lovense Connect only carries text commands".into()))?;
        self.client
            .get(&format!("{}/{text}", self.host))
            .await
            .map(|_| ())
            .map_err(HardwareError::Io)
    }

    /// The battery level last polled (one byte), whatever the endpoint.
    async fn read(
        &self,
        _endpoint: Endpoint,
        _max_len: usize,
        _timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        if !self.open.load(Ordering::SeqCst) {
            return Err(HardwareError::Disconnected);
        }
        Ok(vec![self.battery.load(Ordering::SeqCst)])
    }

    async fn subscribe(&self, _endpoint: Endpoint) -> Result<(), HardwareError> {
        Err(HardwareError::Unsupported(
            "subscribing through Lovense Connect",
        ))
    }

    async fn unsubscribe(&self, _endpoint: Endpoint) -> Result<(), HardwareError> {
        Err(HardwareError::Unsupported(
            "subscribing through Lovense Connect",
        ))
    }

    async fn disconnect(&self) {
        self.close();
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

impl Drop for ConnectToy {
    fn drop(&mut self) {
        self.close();
    }
}

/// Connects a listed toy: its polling starts when the server connects it.
pub(super) struct ToyConnector {
    pub host: String,
    pub id: String,
    pub battery: u8,
    pub client: HttpClient,
    /// Taken by `connect`, or run by `abandon`.
    pub release: Mutex<Option<Release>>,
}

#[async_trait]
impl DeviceConnector for ToyConnector {
    async fn connect(
        &self,
        _specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        let release = self
            .release
            .lock()
            .take()
            .ok_or(HardwareError::Disconnected)?;
        Ok(Arc::new(ConnectToy::start(
            self.host.clone(),
            self.id.clone(),
            self.battery,
            self.client.clone(),
            release,
        )))
    }

    async fn abandon(&self) {
        if let Some(release) = self.release.lock().take() {
            release();
        }
    }
}

impl Drop for ToyConnector {
    fn drop(&mut self) {
        // Neither connected nor abandoned (the server went away): the toy may be offered again.
        if let Some(release) = self.release.lock().take() {
            release();
        }
    }
}
