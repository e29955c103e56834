//! The Buttplug server: device registry, scanning across hardware managers, one task per device,
//! and per-client connections (see [`connection`]). Safety is the server's job: when a client
//! goes away, pings out or the server shuts down, every device stops.

mod batch;
pub mod connection;
pub mod device;
mod device_entry;
mod discovery;
pub mod outbox;
pub mod registry;
mod reply;
pub mod request;
mod scanning;
mod validate;

use std::collections::HashSet;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;
use tracing::{info, warn};

pub use connection::{Closed, ConnectionInfo, ConnectionSender, JsonConnection, TypedConnection};
use device::{DeviceTaskEvents, SubscriptionReading};
pub use outbox::{FrameRefused, FrameSink};
use registry::Registry;
use request::{BatchItem, DeviceRequest};

use crate::device_config::{DeviceConfig, DeviceIdentity, UserConfigFile};
pub use crate::hardware::Transports;
use crate::hardware::simulated::{SimulatedDevice, SimulatedDeviceSpec, SimulatedManager};
use crate::hardware::{HardwareManager, ManagerEvent, ManagerEventSender};
use crate::wire::{DeviceList, InputData, InputReading, SpecVersion};

/// Who is asking to connect, for approval hooks.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientInfo {
    /// `ClientName` from RequestServerInfo.
    pub name: String,
    /// Remote address, when the client came over a network.
    pub address: Option<String>,
    pub spec_version: SpecVersion,
}

/// Decides whether a client may connect (the Buttplug architecture lets the server ask the user).
#[async_trait]
pub trait ClientApprover: Send + Sync + 'static {
    async fn approve(&self, client: &ClientInfo) -> bool;
}

/// Server settings.
#[derive(Clone)]
pub struct ServerOptions {
    /// `ServerName` in ServerInfo.
    pub name: String,
    /// Clients must ping at least this often; zero = no ping required.
    pub max_ping_time: Duration,
    /// The device database (embedded by default), with any user config applied.
    pub device_config: DeviceConfig,
    /// Where the user device config is written back (docs/PROTOCOL.md §6.6): after each device
    /// connected for the first time, the file becomes `device_config`'s user config plus an
    /// entry pinning each such device to its index, so indexes stay the same across restarts.
    /// A file that does not exist yet is created. `None`: nothing is written.
    pub user_config_file: Option<PathBuf>,
    pub transports: Transports,
    /// If not empty, only these `ClientName`s may connect.
    pub allowed_clients: Vec<String>,
    /// Asked before ServerInfo is sent.
    pub approver: Option<Arc<dyn ClientApprover>>,
}

impl std::fmt::Debug for ServerOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerOptions")
            .field("name", &self.name)
            .field("max_ping_time", &self.max_ping_time)
            .field("transports", &self.transports)
            .field("user_config_file", &self.user_config_file)
            .field("allowed_clients", &self.allowed_clients)
            .field("approver", &self.approver.is_some())
            .finish_non_exhaustive()
    }
}

impl Default for ServerOptions {
    fn default() -> Self {
        ServerOptions {
            name: "Teleplug Server".into(),
            max_ping_time: Duration::ZERO,
            device_config: DeviceConfig::embedded(),
            user_config_file: None,
            transports: Transports::default(),
            allowed_clients: Vec::new(),
            approver: None,
        }
    }
}

/// Server-wide events, seen by connections and embedders.
#[derive(Clone, Debug, PartialEq)]
pub enum ServerEvent {
    DeviceAdded(u32),
    DeviceRemoved(u32),
    /// Every hardware manager stopped scanning on its own.
    ScanningFinished,
    /// A subscription reading (Id 0).
    InputReading(InputReading),
    /// Something the user should hear about (e.g. Bluetooth unavailable).
    Error(String),
    /// Every device was told to stop: the client went away or pinged out,
    /// [`Server::stop_all_devices`], or the shutdown. Front ends that drive devices on their own
    /// timers (patterns, timed commands) cancel them on this.
    AllStopped,
    /// A client app finished its handshake ([`Server::client`] tells who).
    ClientConnected,
    /// The client app's connection ended (its devices were stopped first).
    ClientDisconnected,
}

/// The client app connected now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ConnectedClient {
    pub info: ClientInfo,
    /// When its handshake finished.
    pub since: std::time::SystemTime,
}

/// Errors starting a connection.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ConnectError {
    #[error("another client is connected")]
    Busy,
    #[error("the server is shutting down")]
    ShutDown,
}

#[derive(Default)]
struct ScanState {
    scanning: bool,
    active: HashSet<&'static str>,
}

pub(crate) struct ServerInner {
    options: ServerOptions,
    config: DeviceConfig,
    /// The user device config file written back, if any.
    user_file: Option<Arc<UserConfigFile>>,
    /// Writes of the user device config file not awaited yet.
    user_file_writes: Mutex<Vec<JoinHandle<std::io::Result<()>>>>,
    registry: Registry,
    events: broadcast::Sender<ServerEvent>,
    managers: Mutex<Vec<Arc<dyn HardwareManager>>>,
    manager_events: ManagerEventSender,
    simulator: Arc<SimulatedManager>,
    scan: Mutex<ScanState>,
    /// Serialises start/stop scanning.
    scan_lock: tokio::sync::Mutex<()>,
    connected: AtomicBool,
    /// Who the connected client is, once its handshake is done.
    client: Mutex<Option<ConnectedClient>>,
    /// Tells the client's connection to end ([`Server::disconnect_client`]).
    kick: tokio::sync::watch::Sender<u64>,
    shut_down: AtomicBool,
    tasks: Mutex<Vec<JoinHandle<()>>>,
    /// The runtime the server was started in: where its shutdown runs when the last handle is
    /// dropped, from whatever thread that happens on.
    runtime: tokio::runtime::Handle,
}

/// Stops everything when the last [`Server`] handle goes away.
struct ServerGuard(Arc<ServerInner>);

impl Drop for ServerGuard {
    fn drop(&mut self) {
        // Every device is stopped and let go on the server's own runtime (if that runtime is
        // itself shutting down, its tasks are cancelled and nothing more can be written).
        let inner = self.0.clone();
        self.0
            .runtime
            .spawn(async move { inner.shutdown(DROP_SHUTDOWN_TIMEOUT).await });
    }
}

/// How long the shutdown started by dropping the last [`Server`] handle may take.
const DROP_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(3);

/// A Buttplug server. Cheap to clone; the server shuts down (stopping every device) when the
/// last clone is dropped or [`Server::shutdown`] is called.
///
/// Dropping the last clone starts the shutdown on the server's runtime: the runtime must keep
/// running until it is done. Before ending the runtime (e.g. returning from `#[tokio::main]`),
/// await [`Server::shutdown`]: a runtime that is shutting down cancels every task, and a device
/// whose stop was not written yet would keep running.
#[derive(Clone)]
pub struct Server {
    inner: Arc<ServerInner>,
    _guard: Arc<ServerGuard>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("options", &self.inner.options)
            .finish_non_exhaustive()
    }
}

/// Capacity of the server event channel.
const EVENT_CAPACITY: usize = 1024;

impl Server {
    /// Start a server. Must be called inside a tokio runtime.
    pub fn new(options: ServerOptions) -> Server {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let (mtx, mrx) = mpsc::unbounded_channel();
        let simulator = Arc::new(SimulatedManager::new(mtx.clone()));
        let inner = Arc::new(ServerInner {
            config: options.device_config.clone(),
            user_file: options
                .user_config_file
                .as_ref()
                .map(|p| Arc::new(UserConfigFile::new(p, options.device_config.clone()))),
            user_file_writes: Mutex::new(Vec::new()),
            options,
            registry: Registry::new(),
            events,
            managers: Mutex::new(vec![simulator.clone() as Arc<dyn HardwareManager>]),
            manager_events: mtx,
            simulator,
            scan: Mutex::new(ScanState::default()),
            scan_lock: tokio::sync::Mutex::new(()),
            connected: AtomicBool::new(false),
            client: Mutex::new(None),
            kick: tokio::sync::watch::Sender::new(0),
            shut_down: AtomicBool::new(false),
            tasks: Mutex::new(Vec::new()),
            runtime: tokio::runtime::Handle::current(),
        });
        crate::hardware::add_platform_managers(&inner.options.transports, &inner.manager_events)
            .into_iter()
            .for_each(|m| inner.managers.lock().push(m));
        // The virtual devices of a v5 user config (`simulated_devices`), found while scanning
        // under their archetype (docs/protocols/simulated.md).
        for entry in inner.config.simulated_devices() {
            let mut spec =
                SimulatedDeviceSpec::new(entry.identifier.clone(), entry.address.clone());
            spec.identity = Some((entry.protocol.clone(), Some(entry.identifier.clone())));
            inner.simulator.advertise(SimulatedDevice::new(spec));
        }
        let join = tokio::spawn(manager_loop(Arc::downgrade(&inner), mrx));
        inner.track_task(join);
        Server {
            _guard: Arc::new(ServerGuard(inner.clone())),
            inner,
        }
    }

    /// The server's options.
    pub fn options(&self) -> &ServerOptions {
        &self.inner.options
    }

    /// The simulated-device manager: advertise devices here.
    pub fn simulator(&self) -> &SimulatedManager {
        &self.inner.simulator
    }

    /// Advertise a simulated device (found while scanning).
    pub fn advertise(&self, device: SimulatedDevice) {
        self.inner.simulator.advertise(device);
    }

    /// Add a hardware manager (e.g. devices dialing in over WebSocket).
    pub fn add_manager(
        &self,
        make: impl FnOnce(ManagerEventSender) -> Arc<dyn HardwareManager>,
    ) -> Arc<dyn HardwareManager> {
        let m = make(self.inner.manager_events.clone());
        self.inner.managers.lock().push(m.clone());
        m
    }

    /// Server-wide events.
    pub fn events(&self) -> broadcast::Receiver<ServerEvent> {
        self.inner.events.subscribe()
    }

    /// The connected devices.
    pub fn device_list(&self) -> DeviceList {
        self.inner.registry.snapshot().list().clone()
    }

    /// Who a connected device is: address, protocol and identifier (for listings and logs).
    pub fn device_identity(&self, index: u32) -> Option<crate::device_config::DeviceIdentity> {
        self.inner
            .registry
            .snapshot()
            .devices
            .get(&index)
            .map(|d| d.identity.clone())
    }

    /// The device database in use.
    pub fn device_config(&self) -> &DeviceConfig {
        &self.inner.config
    }

    /// Open a typed connection (the embedded path: no JSON).
    pub fn connect_typed(&self, info: ConnectionInfo) -> Result<TypedConnection, ConnectError> {
        connection::spawn_typed(self.inner.clone(), info)
    }

    /// Open a JSON connection (text frames of Buttplug JSON, all spec versions).
    pub fn connect_json(&self, info: ConnectionInfo) -> Result<JsonConnection, ConnectError> {
        connection::spawn_json(self.inner.clone(), info)
    }

    /// Open a JSON connection whose outgoing frames go straight into `sink` from the
    /// connection's own task (no channel, no forwarding task); see [`FrameSink`].
    pub fn connect_json_direct(
        &self,
        info: ConnectionInfo,
        sink: Box<dyn FrameSink>,
    ) -> Result<ConnectionSender, ConnectError> {
        connection::spawn_json_direct(self.inner.clone(), info, sink)
    }

    /// A connection for the server's own front ends (control panel, HTTP API, Lovense local
    /// API), beside the client app: already at spec v4 (no RequestServerInfo), not counted as
    /// the one client, not subject to `allowed_clients` or the approver, no ping required. It
    /// takes v4 messages with ids other than 0 and answers them as any client (same validation
    /// and errors); the device tasks hold the device state, so the app and the front end see
    /// the same. The receiver must be drained: a connection whose replies are not read stops
    /// reading requests. When it ends (every sender dropped) every device is stopped.
    pub fn connect_backdoor(&self, name: &str) -> Result<TypedConnection, ConnectError> {
        connection::spawn_backdoor(self.inner.clone(), name)
    }

    /// Whether a client is connected.
    pub fn has_client(&self) -> bool {
        self.inner.connected.load(Ordering::SeqCst)
    }

    /// The client app connected now (after its handshake).
    pub fn client(&self) -> Option<ConnectedClient> {
        self.inner.client.lock().clone()
    }

    /// Ends the client app's connection; its devices stop as on any disconnect. False when no
    /// client had finished its handshake.
    pub fn disconnect_client(&self) -> bool {
        if self.inner.client.lock().is_none() {
            return false;
        }
        self.inner.kick.send_modify(|n| *n = n.wrapping_add(1));
        true
    }

    pub async fn start_scanning(&self) {
        self.inner.start_scanning().await
    }

    pub async fn stop_scanning(&self) {
        self.inner.stop_scanning().await
    }

    /// Stop every output and subscription of every device, waiting (bounded) for the stop
    /// packets to be written.
    pub async fn stop_all_devices(&self, timeout: Duration) {
        self.inner.stop_all(timeout).await
    }

    /// Waits until the user device config file ([`ServerOptions::user_config_file`]) holds every
    /// device added so far; the result of the last write (`None`: no write was pending).
    pub async fn flush_user_config(&self) -> Option<std::io::Result<()>> {
        self.inner.flush_user_config().await
    }

    /// Stop every device, disconnect them and end the server's tasks, within `timeout` or the
    /// time the devices need to write their stops if that is longer (their longest message gap
    /// plus [`device::STOP_WRITE_BOUND`]).
    pub async fn shutdown(&self, timeout: Duration) {
        self.inner.shutdown(timeout).await
    }
}

impl ServerInner {
    pub(crate) fn track_task(&self, join: JoinHandle<()>) {
        let mut tasks = self.tasks.lock();
        tasks.retain(|t| !t.is_finished());
        tasks.push(join);
    }

    fn abort_tasks(&self) {
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
    }

    pub(crate) fn emit(&self, event: ServerEvent) {
        let _ = self.events.send(event);
    }

    pub(crate) fn report_error(&self, message: String) {
        self.emit(ServerEvent::Error(message));
    }

    pub(crate) fn device_added(&self, index: u32) {
        self.emit(ServerEvent::DeviceAdded(index));
    }

    /// A device was added: a device the user config does not know yet is written into the user
    /// config file (on a blocking thread; the last write carries every device recorded).
    pub(crate) fn record_device(&self, identity: &DeviceIdentity, index: u32, name: &str) {
        let Some(file) = &self.user_file else { return };
        if file.record(identity, index, name) {
            let file = file.clone();
            // Failures are logged by the file, once.
            let join = tokio::task::spawn_blocking(move || file.write());
            let mut writes = self.user_file_writes.lock();
            writes.retain(|w| !w.is_finished());
            writes.push(join);
        }
    }

    /// Waits for the user config writes started so far; the result of the last one (`None`:
    /// none was pending).
    pub(crate) async fn flush_user_config(&self) -> Option<std::io::Result<()>> {
        let writes: Vec<_> = std::mem::take(&mut *self.user_file_writes.lock());
        let mut last = None;
        for w in writes {
            last = Some(w.await.unwrap_or_else(|e| Err(std::io::Error::other(e))));
        }
        last
    }

    pub(crate) fn device_removed(&self, index: u32) {
        self.emit(ServerEvent::DeviceRemoved(index));
    }

    pub(crate) async fn start_scanning(&self) {
        if self.shut_down.load(Ordering::SeqCst) {
            return;
        }
        let _g = self.scan_lock.lock().await;
        let managers: Vec<Arc<dyn HardwareManager>> = self.managers.lock().clone();
        {
            let mut scan = self.scan.lock();
            if scan.scanning {
                return;
            }
            scan.scanning = true;
            // An idle simulator (nothing advertised) is started, so devices advertised later
            // are found, but cannot hold the scan open: with real transports failing or
            // finishing, clients still get ScanningFinished. Unless devices may be advertised
            // at any moment (the simulator control endpoint is open): then it scans until
            // StopScanning, like Bluetooth.
            let simulator_idle =
                self.simulator.devices().is_empty() && !self.simulator.is_open_ended();
            scan.active = managers
                .iter()
                .map(|m| m.name())
                .filter(|n| !(simulator_idle && *n == self.simulator.name()))
                .collect();
        }
        for m in managers {
            if let Err(e) = m.start_scanning().await {
                warn!(manager = m.name(), "cannot scan: {e}");
                self.report_error(format!("{} scanning unavailable: {e}", m.name()));
                self.manager_stopped(m.name());
            }
        }
        // Nothing that scans on its own (no transport enabled, no simulated device).
        self.finish_if_idle();
    }

    fn finish_if_idle(&self) {
        let finished = {
            let mut scan = self.scan.lock();
            if scan.scanning && scan.active.is_empty() {
                scan.scanning = false;
                true
            } else {
                false
            }
        };
        if finished {
            info!("scanning finished");
            self.emit(ServerEvent::ScanningFinished);
        }
    }

    pub(crate) async fn stop_scanning(&self) {
        let _g = self.scan_lock.lock().await;
        let managers: Vec<Arc<dyn HardwareManager>> = self.managers.lock().clone();
        {
            let mut scan = self.scan.lock();
            if !scan.scanning {
                return;
            }
            scan.scanning = false;
            scan.active.clear();
        }
        for m in managers {
            if let Err(e) = m.stop_scanning().await {
                warn!(manager = m.name(), "stop scanning failed: {e}");
            }
        }
        // The scan is over: clients hear it as they do when a scan ends on its own (a client
        // that waits for ScanningFinished after StopScanning gets it).
        info!("scanning stopped");
        self.emit(ServerEvent::ScanningFinished);
    }

    fn manager_stopped(&self, name: &'static str) {
        let finished = {
            let mut scan = self.scan.lock();
            if !scan.scanning || !scan.active.remove(name) {
                false
            } else if scan.active.is_empty() {
                scan.scanning = false;
                true
            } else {
                false
            }
        };
        if finished {
            info!("scanning finished");
            self.emit(ServerEvent::ScanningFinished);
        }
    }

    /// Stop outputs and subscriptions of every device; wait (bounded) until written. Every
    /// device gets its stop at once and works on it independently: one stuck device cannot
    /// delay another's stop.
    pub(crate) async fn stop_all(&self, timeout: Duration) {
        self.emit(ServerEvent::AllStopped);
        let snapshot = self.registry.snapshot();
        let waits: Vec<_> = snapshot
            .devices
            .values()
            .filter_map(|d| {
                let (tx, rx) = oneshot::channel();
                let item = BatchItem::Stop {
                    feature: None,
                    outputs: true,
                    inputs: true,
                    ack: Some(tx),
                };
                d.requests
                    .send(DeviceRequest::Batch(item.into()))
                    .is_ok()
                    .then_some(rx)
            })
            .collect();
        let _ = tokio::time::timeout(timeout, futures::future::join_all(waits)).await;
    }

    /// How long stopping every device may take at most: the longest message gap plus a stop's
    /// write with its retries.
    fn stop_bound(&self) -> Duration {
        let snapshot = self.registry.snapshot();
        let gap = snapshot
            .devices
            .values()
            .map(|d| d.entry.device_message_timing_gap)
            .max()
            .unwrap_or(0);
        Duration::from_millis(u64::from(gap)) + device::STOP_WRITE_BOUND
    }

    /// Stop every device and let go of it, then end the server's tasks, within `timeout` — or
    /// as long as the devices need to write their stops, if that is longer ([`Self::stop_bound`]):
    /// each device writes its stop (after its message gap, if one is running) before it is
    /// disconnected, and no caller's hurry leaves a toy running.
    pub(crate) async fn shutdown(&self, timeout: Duration) {
        if self.shut_down.swap(true, Ordering::SeqCst) {
            return;
        }
        let now = tokio::time::Instant::now();
        let deadline = now + timeout;
        let stop_deadline = deadline.max(now + self.stop_bound());
        self.stop_all(timeout).await;
        let snapshot = self.registry.snapshot();
        let waits: Vec<_> = snapshot
            .devices
            .values()
            .filter_map(|d| {
                let (tx, rx) = oneshot::channel();
                d.requests
                    .send(DeviceRequest::Disconnect(tx))
                    .is_ok()
                    .then_some(rx)
            })
            .collect();
        let _ = tokio::time::timeout_at(stop_deadline, futures::future::join_all(waits)).await;
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let _ = tokio::time::timeout(left, self.stop_scanning()).await;
        // The last devices are written into the user config before the process may exit.
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let _ = tokio::time::timeout(left, self.flush_user_config()).await;
        // What managers do in the background, scanning or not, ends too.
        let managers: Vec<Arc<dyn HardwareManager>> = self.managers.lock().clone();
        let left = deadline.saturating_duration_since(tokio::time::Instant::now());
        let _ = tokio::time::timeout(
            left,
            futures::future::join_all(managers.iter().map(|m| m.shutdown())),
        )
        .await;
        self.abort_tasks();
    }
}

impl DeviceTaskEvents for ServerInner {
    fn stop_failed(&self, _device_index: u32, message: String) {
        self.report_error(message);
    }

    fn reading(&self, device_index: u32, reading: SubscriptionReading) {
        self.emit(ServerEvent::InputReading(InputReading {
            device_index,
            feature_index: reading.feature,
            id: 0,
            reading: InputData {
                input_type: reading.input,
                value: reading.value,
            },
        }));
    }
}

async fn manager_loop(
    inner: std::sync::Weak<ServerInner>,
    mut rx: mpsc::UnboundedReceiver<ManagerEvent>,
) {
    while let Some(ev) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { break };
        match ev {
            ManagerEvent::DeviceFound(candidate) => {
                if inner.shut_down.load(Ordering::SeqCst) {
                    candidate.connector.abandon().await;
                    continue;
                }
                let join = tokio::spawn(discovery::connect_candidate(inner.clone(), candidate));
                inner.track_task(join);
            }
            ManagerEvent::ScanningStopped(name) => inner.manager_stopped(name),
            ManagerEvent::Error { manager, message } => {
                warn!(manager, "{message}");
                inner.report_error(format!("{manager}: {message}"));
            }
        }
    }
}
