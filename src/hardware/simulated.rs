//! Simulated devices: a public transport for developing and testing without hardware. A simulated
//! device advertises like a BLE device (name, address, optional services and manufacturer data),
//! exposes exactly the endpoints of the protocol it matched, reports every write, read,
//! subscribe and unsubscribe to its observers in order, and accepts injected notifications, read
//! replies and disconnects.

use std::collections::{HashSet, VecDeque};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{Notify, mpsc};
use uuid::Uuid;

use super::{
    Advertisement, AdvertisementKind, DeviceCandidate, DeviceConnector, EVENT_QUEUE_CAPACITY,
    Endpoint, HardwareError, HardwareEvent, HardwareManager, ManagerEvent, ManagerEventSender,
    Transport,
};
use crate::device_config::CommunicationSpecifier;

/// Read replies a simulated device holds before it refuses more ([`SimulatedDevice::queue_read`]):
/// a test queues a few; a peer queueing without bound would grow memory forever.
pub const MAX_QUEUED_READS: usize = 64;

/// How a simulated device presents itself.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SimulatedDeviceSpec {
    /// Advertised name, matched against the database's BLE names.
    pub name: String,
    /// Unique address (what user device entries refer to).
    pub address: String,
    pub manufacturer_data: Vec<(u16, Vec<u8>)>,
    pub services: Vec<Uuid>,
    /// The transport's default message gap (a real BLE link needs 75 ms; 0 by default).
    pub message_gap: Duration,
    /// Scripted answers: when exactly these bytes are written, notify a reply.
    pub auto_replies: Vec<AutoReply>,
    /// Answers for reads when no read reply is queued (e.g. a battery characteristic).
    pub read_values: Vec<(Endpoint, Vec<u8>)>,
    /// Notifications sent right after the server subscribes to an endpoint (e.g. a status
    /// characteristic that reports on subscription).
    pub subscribe_replies: Vec<(Endpoint, Vec<u8>)>,
    /// Stand in for this (protocol, identifier): the server skips matching and the protocol's
    /// identify step. `None`: found by its advertisement like a real device.
    pub identity: Option<(String, Option<String>)>,
}

/// A scripted answer of a simulated device: after a write of `on_write` (to any endpoint; an
/// empty `on_write` matches every write), the device notifies `reply` on `endpoint` (if
/// subscribed).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AutoReply {
    pub on_write: Vec<u8>,
    pub endpoint: Endpoint,
    pub reply: Vec<u8>,
}

impl SimulatedDeviceSpec {
    /// A device advertising only a name.
    pub fn new(name: impl Into<String>, address: impl Into<String>) -> SimulatedDeviceSpec {
        SimulatedDeviceSpec {
            name: name.into(),
            address: address.into(),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
            message_gap: Duration::ZERO,
            auto_replies: Vec::new(),
            read_values: Vec::new(),
            subscribe_replies: Vec::new(),
            identity: None,
        }
    }

    /// A simulated Lovense toy: answers `DeviceType;` with `type_reply` (e.g.
    /// `"Z:11:0082059AD3BD;"`, a Hush) and `Battery;` with `battery` percent.
    pub fn lovense(
        address: impl Into<String>,
        type_reply: &str,
        battery: u8,
    ) -> SimulatedDeviceSpec {
        let mut spec = SimulatedDeviceSpec::new("LVS-Sim", address);
        spec.auto_replies = vec![
            AutoReply {
                on_write: b"DeviceType;".to_vec(),
                endpoint: Endpoint::Rx,
                reply: type_reply.as_bytes().to_vec(),
            },
            AutoReply {
                on_write: b"Battery;".to_vec(),
                endpoint: Endpoint::Rx,
                reply: format!("{battery};").into_bytes(),
            },
        ];
        spec
    }

    fn advertisement(&self) -> Advertisement {
        Advertisement {
            name: self.name.clone(),
            address: self.address.clone(),
            manufacturer_data: self.manufacturer_data.clone(),
            services: self.services.clone(),
            kind: AdvertisementKind::Btle,
        }
    }
}

/// Something that happened to a simulated device, in the order it happened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SimOp {
    /// The server identified the device and added it.
    Connected {
        protocol: String,
        name: String,
    },
    Write {
        endpoint: Endpoint,
        data: Vec<u8>,
        write_with_response: bool,
    },
    Read {
        endpoint: Endpoint,
    },
    Subscribe {
        endpoint: Endpoint,
    },
    Unsubscribe {
        endpoint: Endpoint,
    },
    /// The link closed (from either side).
    Disconnected,
}

type Observer = Arc<dyn Fn(&SimOp) + Send + Sync>;

type ProcessObserver = Box<dyn Fn(&str, &SimOp) + Send + Sync>;

static PROCESS_OBSERVER: OnceLock<ProcessObserver> = OnceLock::new();

/// Instrumentation for benchmarks: `f` sees every op of every simulated device of this process
/// with the device's address, in the thread performing the op (keep it short), including
/// devices created behind the C ABI, which Rust code cannot [`SimulatedDevice::observe`]. Set
/// once per process; returns false (and drops `f`) if it was set already.
#[doc(hidden)]
pub fn observe_process(f: impl Fn(&str, &SimOp) + Send + Sync + 'static) -> bool {
    PROCESS_OBSERVER.set(Box::new(f)).is_ok()
}

struct SimState {
    connected: bool,
    endpoints: Vec<Endpoint>,
    subscribed: HashSet<Endpoint>,
    reads: VecDeque<(Endpoint, Vec<u8>)>,
    events: Option<mpsc::Sender<HardwareEvent>>,
    /// Injected faults: writes still to fail, and whether writes hang.
    failing_writes: usize,
    writes_stalled: bool,
}

struct SimInner {
    spec: SimulatedDeviceSpec,
    state: Mutex<SimState>,
    /// Copy-on-write: reporting an op clones the `Arc`, not the list.
    observers: Mutex<Arc<Vec<Observer>>>,
    read_ready: Notify,
    /// Wakes writes held by [`SimulatedDevice::stall_writes`].
    write_ready: Notify,
    /// Set while a server holds a connection or a connection attempt is pending.
    claimed: AtomicBool,
}

/// A handle to a simulated device. Clones share the device.
#[derive(Clone)]
pub struct SimulatedDevice {
    inner: Arc<SimInner>,
}

impl std::fmt::Debug for SimulatedDevice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimulatedDevice")
            .field("spec", &self.inner.spec)
            .field("connected", &self.is_connected())
            .finish()
    }
}

impl SimulatedDevice {
    pub fn new(spec: SimulatedDeviceSpec) -> SimulatedDevice {
        SimulatedDevice {
            inner: Arc::new(SimInner {
                spec,
                state: Mutex::new(SimState {
                    connected: false,
                    endpoints: Vec::new(),
                    subscribed: HashSet::new(),
                    reads: VecDeque::new(),
                    events: None,
                    failing_writes: 0,
                    writes_stalled: false,
                }),
                observers: Mutex::new(Arc::new(Vec::new())),
                read_ready: Notify::new(),
                write_ready: Notify::new(),
                claimed: AtomicBool::new(false),
            }),
        }
    }

    pub fn spec(&self) -> &SimulatedDeviceSpec {
        &self.inner.spec
    }

    /// Call `f` for every op from now on (in the thread that performs the op; keep it short).
    pub fn observe(&self, f: impl Fn(&SimOp) + Send + Sync + 'static) {
        let mut observers = self.inner.observers.lock();
        let mut list = Vec::clone(&observers);
        list.push(Arc::new(f));
        *observers = Arc::new(list);
    }

    /// A channel receiving every op from now on.
    pub fn op_receiver(&self) -> mpsc::UnboundedReceiver<SimOp> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.observe(move |op| {
            let _ = tx.send(op.clone());
        });
        rx
    }

    fn report(&self, op: SimOp) {
        self.report_with(|| op);
    }

    /// Report the op `make` builds; it is built only if someone observes.
    fn report_with(&self, make: impl FnOnce() -> SimOp) {
        let observers = self.inner.observers.lock().clone();
        let global = PROCESS_OBSERVER.get();
        if observers.is_empty() && global.is_none() {
            return;
        }
        let op = make();
        if let Some(g) = global {
            g(&self.inner.spec.address, &op);
        }
        for o in observers.iter() {
            o(&op);
        }
    }

    /// Whether a server is connected to the device.
    pub fn is_connected(&self) -> bool {
        self.inner.state.lock().connected
    }

    /// The endpoints the connected protocol uses (empty before connection).
    pub fn endpoints(&self) -> Vec<Endpoint> {
        self.inner.state.lock().endpoints.clone()
    }

    /// Whether `endpoint` is subscribed.
    pub fn is_subscribed(&self, endpoint: Endpoint) -> bool {
        self.inner.state.lock().subscribed.contains(&endpoint)
    }

    /// The device notifies `data` on `endpoint`. Delivered only while the endpoint is
    /// subscribed; returns whether it was delivered.
    pub fn notify(&self, endpoint: Endpoint, data: Vec<u8>) -> bool {
        let tx = {
            let st = self.inner.state.lock();
            if !st.connected || !st.subscribed.contains(&endpoint) {
                return false;
            }
            st.events.clone()
        };
        match tx {
            Some(tx) => tx
                .try_send(HardwareEvent::Notification { endpoint, data })
                .is_ok(),
            None => false,
        }
    }

    /// Queue the answer to the next read (first in, first out). At most [`MAX_QUEUED_READS`]
    /// wait at once: beyond that the reply is dropped (logged) and this returns false.
    pub fn queue_read(&self, endpoint: Endpoint, data: Vec<u8>) -> bool {
        {
            let mut st = self.inner.state.lock();
            if st.reads.len() >= MAX_QUEUED_READS {
                drop(st);
                tracing::warn!(
                    address = %self.inner.spec.address,
                    "read reply for {endpoint} dropped: {MAX_QUEUED_READS} replies already wait for reads"
                );
                return false;
            }
            st.reads.push_back((endpoint, data));
        }
        self.inner.read_ready.notify_waiters();
        true
    }

    /// Make the next `n` writes fail with an I/O error while the device stays connected, as a
    /// radio glitch would (for testing how the server and apps handle it).
    pub fn fail_next_writes(&self, n: usize) {
        self.inner.state.lock().failing_writes = n;
    }

    /// While stalled, writes do not complete (until released or the device disconnects), as
    /// with a device that stopped reading.
    pub fn stall_writes(&self, stalled: bool) {
        self.inner.state.lock().writes_stalled = stalled;
        self.inner.write_ready.notify_waiters();
    }

    /// The device drops the link.
    pub fn disconnect(&self) {
        let events = {
            let mut st = self.inner.state.lock();
            if !st.connected {
                return;
            }
            st.connected = false;
            st.subscribed.clear();
            st.events.take()
        };
        self.inner.claimed.store(false, Ordering::SeqCst);
        self.inner.read_ready.notify_waiters();
        self.inner.write_ready.notify_waiters();
        if let Some(tx) = events {
            let _ = tx.try_send(HardwareEvent::Disconnected);
        }
        self.report(SimOp::Disconnected);
    }

    pub(crate) fn transport(
        &self,
        endpoints: Vec<Endpoint>,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        {
            let mut st = self.inner.state.lock();
            if st.connected {
                return Err(HardwareError::ConnectionFailed(
                    "simulated device is already connected".into(),
                ));
            }
            st.connected = true;
            st.endpoints = endpoints;
            st.subscribed.clear();
            st.events = Some(tx);
        }
        Ok(Arc::new(SimTransport {
            device: self.clone(),
            events: Mutex::new(Some(rx)),
        }))
    }
}

struct SimTransport {
    device: SimulatedDevice,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
}

impl SimTransport {
    /// Apply the faults injected into writes: wait while writes are stalled, fail while
    /// failures are due.
    async fn injected_write_fault(&self) -> Result<(), HardwareError> {
        let inner = &self.device.inner;
        loop {
            let released = inner.write_ready.notified();
            {
                let mut st = inner.state.lock();
                if !st.connected {
                    return Err(HardwareError::Disconnected);
                }
                if !st.writes_stalled {
                    if st.failing_writes > 0 {
                        st.failing_writes -= 1;
                        return Err(HardwareError::Io("injected write failure".into()));
                    }
                    return Ok(());
                }
            }
            released.await;
        }
    }

    fn check(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        let st = self.device.inner.state.lock();
        if !st.connected {
            return Err(HardwareError::Disconnected);
        }
        if !st.endpoints.contains(&endpoint) {
            return Err(HardwareError::InvalidEndpoint(endpoint));
        }
        Ok(())
    }
}

#[async_trait]
impl Transport for SimTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        self.device.endpoints()
    }

    fn default_message_gap(&self) -> Duration {
        self.device.inner.spec.message_gap
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), HardwareError> {
        self.check(endpoint)?;
        self.injected_write_fault().await?;
        self.device.report_with(|| SimOp::Write {
            endpoint,
            data: data.to_vec(),
            write_with_response: with_response,
        });
        for r in &self.device.inner.spec.auto_replies {
            if r.on_write.is_empty() || r.on_write == data {
                self.device.notify(r.endpoint, r.reply.clone());
            }
        }
        Ok(())
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        self.check(endpoint)?;
        self.device.report(SimOp::Read { endpoint });
        let inner = &self.device.inner;
        let wait = async {
            loop {
                let notified = inner.read_ready.notified();
                {
                    let mut st = inner.state.lock();
                    if !st.connected {
                        return Err(HardwareError::Disconnected);
                    }
                    if let Some((ep, _)) = st.reads.front() {
                        if *ep != endpoint {
                            return Err(HardwareError::Io(format!(
                                "read of {endpoint} but the device answers on {ep}"
                            )));
                        }
                        let (_, mut data) = st.reads.pop_front().expect("front exists");
                        data.truncate(max_len);
                        return Ok(data);
                    }
                    if let Some((_, v)) =
                        inner.spec.read_values.iter().find(|(e, _)| *e == endpoint)
                    {
                        let mut data = v.clone();
                        data.truncate(max_len);
                        return Ok(data);
                    }
                }
                notified.await;
            }
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or(Err(HardwareError::Timeout))
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.check(endpoint)?;
        self.device.inner.state.lock().subscribed.insert(endpoint);
        self.device.report(SimOp::Subscribe { endpoint });
        for (e, reply) in &self.device.inner.spec.subscribe_replies {
            if *e == endpoint {
                self.device.notify(endpoint, reply.clone());
            }
        }
        Ok(())
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.check(endpoint)?;
        self.device.inner.state.lock().subscribed.remove(&endpoint);
        self.device.report(SimOp::Unsubscribe { endpoint });
        Ok(())
    }

    async fn disconnect(&self) {
        self.device.disconnect();
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }

    fn on_device_ready(&self, protocol: &str, name: &str) {
        self.device.report(SimOp::Connected {
            protocol: protocol.to_string(),
            name: name.to_string(),
        });
    }
}

struct SimConnector {
    device: SimulatedDevice,
}

#[async_trait]
impl DeviceConnector for SimConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        let endpoints = match specifier {
            CommunicationSpecifier::Btle(b) => b.endpoints(),
            // Byte-stream transports (serial, HID, WebSocket) expose a write and a read side.
            CommunicationSpecifier::Serial(_)
            | CommunicationSpecifier::Hid(_)
            | CommunicationSpecifier::Usb(_)
            | CommunicationSpecifier::Websocket { .. }
            | CommunicationSpecifier::XInput
            | CommunicationSpecifier::LovenseConnectService
            | CommunicationSpecifier::SdlGamepad
            | CommunicationSpecifier::Simulated { .. } => vec![Endpoint::Tx, Endpoint::Rx],
        };
        let r = self.device.transport(endpoints);
        if r.is_err() {
            self.device.inner.claimed.store(false, Ordering::SeqCst);
        }
        r
    }

    async fn abandon(&self) {
        self.device.inner.claimed.store(false, Ordering::SeqCst);
    }

    fn forced_identity(&self) -> Option<(String, Option<String>)> {
        self.device.inner.spec.identity.clone()
    }
}

/// The hardware manager of simulated devices: devices advertised here are found while the
/// server scans.
pub struct SimulatedManager {
    devices: Mutex<Vec<SimulatedDevice>>,
    /// Devices may be advertised at any moment (the simulator control endpoint is open).
    open_ended: AtomicBool,
    scanning: Arc<AtomicBool>,
    scan_duration: Mutex<Option<Duration>>,
    scan_generation: Arc<std::sync::atomic::AtomicU64>,
    events: ManagerEventSender,
}

impl SimulatedManager {
    pub fn new(events: ManagerEventSender) -> SimulatedManager {
        SimulatedManager {
            devices: Mutex::new(Vec::new()),
            open_ended: AtomicBool::new(false),
            scanning: Arc::new(AtomicBool::new(false)),
            scan_duration: Mutex::new(None),
            scan_generation: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            events,
        }
    }

    /// Make scans end on their own after `duration` (like a BLE scan with a timeout), so the
    /// server reports ScanningFinished. `None` (the default): scan until stopped.
    pub fn set_scan_duration(&self, duration: Option<Duration>) {
        *self.scan_duration.lock() = duration;
    }

    /// Say that devices may be advertised at any moment (e.g. by a control endpoint): a scan then
    /// lasts until it is stopped even while nothing is advertised, instead of the simulator
    /// taking no part in it.
    pub fn set_open_ended(&self, open: bool) {
        self.open_ended.store(open, Ordering::SeqCst);
    }

    /// Whether devices may be advertised at any moment.
    pub fn is_open_ended(&self) -> bool {
        self.open_ended.load(Ordering::SeqCst)
    }

    /// Make a device visible. While scanning it is found at once, otherwise at the next scan.
    /// Advertising a device again after it disconnected makes it findable again.
    pub fn advertise(&self, device: SimulatedDevice) {
        {
            let mut devices = self.devices.lock();
            if !devices.iter().any(|d| Arc::ptr_eq(&d.inner, &device.inner)) {
                devices.push(device.clone());
            }
        }
        if self.scanning.load(Ordering::SeqCst) {
            self.offer(&device);
        }
    }

    /// Stop advertising a device (it stays connected if it is).
    pub fn remove(&self, device: &SimulatedDevice) {
        self.devices
            .lock()
            .retain(|d| !Arc::ptr_eq(&d.inner, &device.inner));
    }

    /// Every advertised device.
    pub fn devices(&self) -> Vec<SimulatedDevice> {
        self.devices.lock().clone()
    }

    fn offer(&self, device: &SimulatedDevice) {
        if device.is_connected() || device.inner.claimed.swap(true, Ordering::SeqCst) {
            return;
        }
        let _ = self.events.send(ManagerEvent::DeviceFound(DeviceCandidate {
            advertisement: device.spec().advertisement(),
            connector: Box::new(SimConnector {
                device: device.clone(),
            }),
        }));
    }
}

#[async_trait]
impl HardwareManager for SimulatedManager {
    fn name(&self) -> &'static str {
        "simulated"
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        self.scanning.store(true, Ordering::SeqCst);
        let generation = self.scan_generation.fetch_add(1, Ordering::SeqCst) + 1;
        for d in self.devices() {
            self.offer(&d);
        }
        let duration = *self.scan_duration.lock();
        if let Some(duration) = duration {
            let scanning = self.scanning.clone();
            let current = self.scan_generation.clone();
            let events = self.events.clone();
            tokio::spawn(async move {
                tokio::time::sleep(duration).await;
                if current.load(Ordering::SeqCst) == generation
                    && scanning.swap(false, Ordering::SeqCst)
                {
                    let _ = events.send(ManagerEvent::ScanningStopped("simulated"));
                }
            });
        }
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        self.scanning.store(false, Ordering::SeqCst);
        self.scan_generation.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn queued_read_replies_are_bounded() {
        let device = SimulatedDevice::new(SimulatedDeviceSpec::new("Sim", "sim-1"));
        for i in 0..MAX_QUEUED_READS {
            assert!(device.queue_read(Endpoint::Rx, vec![i as u8]));
        }
        assert!(!device.queue_read(Endpoint::Rx, vec![0xFF]), "one too many");
        let transport = device.transport(vec![Endpoint::Rx]).unwrap();
        let first = transport
            .read(Endpoint::Rx, 16, Duration::from_secs(1))
            .await
            .unwrap();
        assert_eq!(first, vec![0]);
        // A read made room for one more, answered last.
        assert!(device.queue_read(Endpoint::Rx, vec![0xEE]));
        for i in 1..MAX_QUEUED_READS {
            let r = transport
                .read(Endpoint::Rx, 16, Duration::from_secs(1))
                .await;
            assert_eq!(r.unwrap(), vec![i as u8]);
        }
        let last = transport
            .read(Endpoint::Rx, 16, Duration::from_secs(1))
            .await;
        assert_eq!(last.unwrap(), vec![0xEE]);
    }
}
