//! The client core: the Rust client API the C ABI and the bindings wrap. It connects to the
//! embedded server (the default) or a remote one, pairs replies with requests by id, keeps the
//! device list current from DeviceList messages, turns server messages into [`ClientEvent`]s,
//! converts 0.0–1.0 fractions to steps, and pings when the server asks for it.

pub mod connector;
mod device;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::time::Duration;

use parking_lot::{Mutex, RwLock};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::debug;

pub use connector::{Connection, ConnectorSender, EmbeddedConnector, TrySend};
pub use device::{Device, Feature};

use crate::server::{Server, ServerOptions};
use crate::wire::{
    ButtplugError, ClientMessage, DeviceEntry, ErrorMsg, IdOnly, InputCmd, InputCommandType,
    InputData, InputReading, InputType, OutputCmd, OutputCommand, OutputType, RequestServerInfo,
    ServerInfo, ServerMessage, StopCmd,
};

/// Client failures.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ClientError {
    /// The server answered with an Error message.
    #[error("server error: {}", .0.error_message)]
    Server(ErrorMsg),
    #[error("not connected")]
    NotConnected,
    #[error("connection failed: {0}")]
    Connect(String),
    #[error("invalid argument: {0}")]
    InvalidArgument(String),
    #[error("unexpected reply: {0}")]
    UnexpectedReply(String),
}

impl ClientError {
    /// The typed Buttplug error, when the server sent one.
    pub fn buttplug_error(&self) -> Option<ButtplugError> {
        match self {
            ClientError::Server(e) => e.typed(),
            _ => None,
        }
    }
}

/// Things that happen without being asked.
#[derive(Clone, Debug, PartialEq)]
pub enum ClientEvent {
    DeviceAdded(DeviceEntry),
    DeviceRemoved(DeviceEntry),
    /// The device list changed (after the added/removed events of that change).
    DeviceListChanged,
    ScanningFinished,
    /// A subscription reading.
    InputReading(InputReading),
    /// An error the server sent with Id 0 (e.g. ping timeout).
    ServerError(ErrorMsg),
    /// The connection ended.
    Disconnected(String),
}

/// Hashes request ids (sequential `u32`s) with one multiplication instead of SipHash: the map
/// is looked up twice per request.
#[derive(Default)]
struct IdHasher(u64);

impl std::hash::Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 = (self.0.rotate_left(8) ^ u64::from(*b)).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        }
    }

    fn write_u32(&mut self, n: u32) {
        self.0 = u64::from(n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    }
}

type Pending =
    HashMap<u32, oneshot::Sender<ServerMessage>, std::hash::BuildHasherDefault<IdHasher>>;

struct ClientInner {
    name: String,
    next_id: AtomicU32,
    pending: Mutex<Pending>,
    devices: RwLock<BTreeMap<u32, DeviceEntry>>,
    events: broadcast::Sender<ClientEvent>,
    sender: Box<dyn ConnectorSender>,
    server: Option<Server>,
    server_info: Mutex<Option<ServerInfo>>,
    connected: AtomicBool,
    tasks: Mutex<Vec<tokio::task::JoinHandle<()>>>,
}

impl Drop for ClientInner {
    fn drop(&mut self) {
        for t in self.tasks.lock().drain(..) {
            t.abort();
        }
    }
}

/// How long [`Client::connect_with`] waits for the server's `ServerInfo`: longer than a server
/// asking its user to approve the client (`teleplug serve --ask` waits 30 s).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(60);

/// A Buttplug client. Cheap to clone.
#[derive(Clone)]
pub struct Client {
    inner: Arc<ClientInner>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("name", &self.inner.name)
            .field("connected", &self.connected())
            .finish_non_exhaustive()
    }
}

/// Capacity of the client event channel.
const EVENT_CAPACITY: usize = 1024;

/// `ceil(n·f)` with tiny products counted as 0, the rule legacy clients use (docs/PROTOCOL.md §4.4).
pub fn fraction_to_step(fraction: f64, steps: i32) -> i32 {
    let product = f64::from(steps) * fraction.abs();
    let step = if product < 1e-6 {
        0
    } else {
        product.ceil() as i32
    };
    if fraction < 0.0 { -step } else { step }
}

impl Client {
    /// Start an embedded server with `options` and connect to it.
    pub async fn connect_embedded(
        name: impl Into<String>,
        options: ServerOptions,
    ) -> Result<Client, ClientError> {
        let conn = EmbeddedConnector::connect(options)?;
        Client::connect_with(name, conn).await
    }

    /// Handshake over an established connection, waiting up to [`HANDSHAKE_TIMEOUT`] for the
    /// server's answer.
    pub async fn connect_with(
        name: impl Into<String>,
        connection: Connection,
    ) -> Result<Client, ClientError> {
        Client::connect_with_timeout(name, connection, HANDSHAKE_TIMEOUT).await
    }

    /// [`Client::connect_with`] with another limit on the wait for the server's `ServerInfo`.
    /// A server that accepted the link and stays silent fails with [`ClientError::Connect`]
    /// and the link is closed.
    pub async fn connect_with_timeout(
        name: impl Into<String>,
        connection: Connection,
        timeout: Duration,
    ) -> Result<Client, ClientError> {
        let (events, _) = broadcast::channel(EVENT_CAPACITY);
        let inner = Arc::new(ClientInner {
            name: name.into(),
            next_id: AtomicU32::new(1),
            pending: Mutex::new(Pending::default()),
            devices: RwLock::new(BTreeMap::new()),
            events,
            sender: connection.sender,
            server: connection.server,
            server_info: Mutex::new(None),
            connected: AtomicBool::new(true),
            tasks: Mutex::new(Vec::new()),
        });
        let reader = tokio::spawn(read_loop(Arc::downgrade(&inner), connection.receiver));
        inner.tasks.lock().push(reader);
        let client = Client { inner };
        let handshake = client.request(ClientMessage::RequestServerInfo(RequestServerInfo::v4(
            0,
            client.inner.name.clone(),
        )));
        let Ok(answer) = tokio::time::timeout(timeout, handshake).await else {
            client.inner.sender.close().await;
            client.inner.connection_lost("no answer to the handshake");
            return Err(ClientError::Connect(format!(
                "the server did not answer the handshake within {} ms",
                timeout.as_millis()
            )));
        };
        let reply = answer.map_err(|e| match e {
            ClientError::NotConnected => ClientError::Connect(
                "the server closed the connection during the handshake (is it a Buttplug \
                     server?)"
                    .into(),
            ),
            other => other,
        })?;
        let ServerMessage::ServerInfo(info) = reply else {
            return Err(ClientError::UnexpectedReply(format!("{reply:?}")));
        };
        if info.max_ping_time > 0 {
            let period = Duration::from_millis(u64::from(info.max_ping_time) / 2)
                .max(Duration::from_millis(1));
            let weak = Arc::downgrade(&client.inner);
            let pinger = tokio::spawn(async move {
                let mut tick = tokio::time::interval(period);
                tick.tick().await;
                loop {
                    tick.tick().await;
                    let Some(inner) = weak.upgrade() else { break };
                    let c = Client { inner };
                    if !c.connected() {
                        break;
                    }
                    if let Err(e) = c.ping().await {
                        debug!("ping failed: {e}");
                    }
                }
            });
            client.inner.tasks.lock().push(pinger);
        }
        *client.inner.server_info.lock() = Some(info);
        client.request_device_list().await?;
        Ok(client)
    }

    /// The client name sent in the handshake.
    pub fn name(&self) -> &str {
        &self.inner.name
    }

    /// The server's handshake reply.
    pub fn server_info(&self) -> Option<ServerInfo> {
        self.inner.server_info.lock().clone()
    }

    /// The in-process server of an embedded connection (for simulated devices and such).
    pub fn server(&self) -> Option<&Server> {
        self.inner.server.as_ref()
    }

    /// Whether the connection is up.
    pub fn connected(&self) -> bool {
        self.inner.connected.load(Ordering::SeqCst)
    }

    /// Events from now on.
    pub fn events(&self) -> broadcast::Receiver<ClientEvent> {
        self.inner.events.subscribe()
    }

    fn next_id(&self) -> u32 {
        loop {
            let id = self.inner.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Send one message (its Id is assigned here) and wait for the reply. An `Error` reply
    /// becomes `Err(ClientError::Server)`.
    pub async fn request(&self, mut message: ClientMessage) -> Result<ServerMessage, ClientError> {
        if !self.connected() {
            return Err(ClientError::NotConnected);
        }
        let id = self.next_id();
        message.set_id(id);
        let (tx, rx) = oneshot::channel();
        self.inner.pending.lock().insert(id, tx);
        // Sent before the first await when the link takes it at once (the embedded path), so
        // requests leave in the order they were made.
        let sent = match self.inner.sender.try_send_one(message) {
            TrySend::Sent => Ok(()),
            TrySend::Closed => Err(ClientError::NotConnected),
            TrySend::Later(message) => self.inner.sender.send(vec![message]).await,
        };
        if let Err(e) = sent {
            self.inner.connection_lost("send failed");
            return Err(e);
        }
        reply(rx).await
    }

    /// Send several messages as one frame (so commands to one device coalesce) and wait for
    /// every reply, in order.
    pub async fn request_batch(
        &self,
        mut messages: Vec<ClientMessage>,
    ) -> Result<Vec<Result<ServerMessage, ClientError>>, ClientError> {
        if !self.connected() {
            return Err(ClientError::NotConnected);
        }
        let mut waits = Vec::with_capacity(messages.len());
        {
            let mut pending = self.inner.pending.lock();
            for m in messages.iter_mut() {
                let id = self.next_id();
                m.set_id(id);
                let (tx, rx) = oneshot::channel();
                pending.insert(id, tx);
                waits.push(rx);
            }
        }
        if let Err(e) = self.inner.sender.send(messages).await {
            self.inner.connection_lost("send failed");
            return Err(e);
        }
        let mut out = Vec::with_capacity(waits.len());
        for rx in waits {
            out.push(reply(rx).await);
        }
        Ok(out)
    }

    async fn expect_ok(&self, message: ClientMessage) -> Result<(), ClientError> {
        match self.request(message).await? {
            ServerMessage::Ok(_) => Ok(()),
            other => Err(ClientError::UnexpectedReply(format!("{other:?}"))),
        }
    }

    pub async fn ping(&self) -> Result<(), ClientError> {
        self.expect_ok(ClientMessage::Ping(IdOnly::new(0))).await
    }

    pub async fn start_scanning(&self) -> Result<(), ClientError> {
        self.expect_ok(ClientMessage::StartScanning(IdOnly::new(0)))
            .await
    }

    pub async fn stop_scanning(&self) -> Result<(), ClientError> {
        self.expect_ok(ClientMessage::StopScanning(IdOnly::new(0)))
            .await
    }

    /// Ask the server for the device list and update the local copy.
    pub async fn request_device_list(&self) -> Result<Vec<DeviceEntry>, ClientError> {
        match self
            .request(ClientMessage::RequestDeviceList(IdOnly::new(0)))
            .await?
        {
            ServerMessage::DeviceList(list) => {
                self.inner.apply_device_list(list.devices);
                Ok(self.inner.devices.read().values().cloned().collect())
            }
            other => Err(ClientError::UnexpectedReply(format!("{other:?}"))),
        }
    }

    /// The known devices.
    pub fn devices(&self) -> Vec<Device> {
        self.inner
            .devices
            .read()
            .values()
            .map(|e| Device::new(self.clone(), e.clone()))
            .collect()
    }

    /// A known device by index.
    pub fn device(&self, index: u32) -> Option<Device> {
        self.inner
            .devices
            .read()
            .get(&index)
            .map(|e| Device::new(self.clone(), e.clone()))
    }

    /// Drive one output in steps.
    pub async fn output(
        &self,
        device: u32,
        feature: u32,
        command: OutputCommand,
    ) -> Result<(), ClientError> {
        self.expect_ok(output_msg(device, feature, command)).await
    }

    /// Drive several outputs as one message (coalesced by the server).
    pub async fn outputs(&self, commands: &[(u32, u32, OutputCommand)]) -> Result<(), ClientError> {
        let msgs = commands
            .iter()
            .map(|(d, f, c)| output_msg(*d, *f, *c))
            .collect();
        for r in self.request_batch(msgs).await? {
            r?;
        }
        Ok(())
    }

    /// Drive one output with a 0.0–1.0 fraction (−1.0–1.0 for signed outputs), converted to
    /// steps from the feature's advertised range.
    pub async fn output_fraction(
        &self,
        device: u32,
        feature: u32,
        output: OutputType,
        fraction: f64,
        duration_ms: u32,
    ) -> Result<(), ClientError> {
        let cmd = self.fraction_command(device, feature, output, fraction, duration_ms)?;
        self.output(device, feature, cmd).await
    }

    /// The step command for a fraction, using the advertised range of the feature.
    pub fn fraction_command(
        &self,
        device: u32,
        feature: u32,
        output: OutputType,
        fraction: f64,
        duration_ms: u32,
    ) -> Result<OutputCommand, ClientError> {
        if !fraction.is_finite() || !(-1.0..=1.0).contains(&fraction) {
            return Err(ClientError::InvalidArgument(format!(
                "fraction {fraction} is outside -1.0..=1.0"
            )));
        }
        let devices = self.inner.devices.read();
        let entry = devices
            .get(&device)
            .ok_or_else(|| ClientError::InvalidArgument(format!("no device {device}")))?;
        let props = entry
            .device_features
            .get(&feature)
            .and_then(|f| f.output.as_ref())
            .and_then(|o| o.get(&output))
            .ok_or_else(|| {
                ClientError::InvalidArgument(format!(
                    "device {device} feature {feature} has no {output} output"
                ))
            })?;
        let max = props.value[1];
        Ok(OutputCommand::new(
            output,
            fraction_to_step(fraction, max),
            duration_ms,
        ))
    }

    /// Read an input once.
    pub async fn read_input(
        &self,
        device: u32,
        feature: u32,
        input: InputType,
    ) -> Result<InputData, ClientError> {
        match self
            .request(input_msg(device, feature, input, InputCommandType::Read))
            .await?
        {
            ServerMessage::InputReading(r) => Ok(r.reading),
            other => Err(ClientError::UnexpectedReply(format!("{other:?}"))),
        }
    }

    /// Subscribe to an input; readings arrive as [`ClientEvent::InputReading`].
    pub async fn subscribe_input(
        &self,
        device: u32,
        feature: u32,
        input: InputType,
    ) -> Result<(), ClientError> {
        self.expect_ok(input_msg(
            device,
            feature,
            input,
            InputCommandType::Subscribe,
        ))
        .await
    }

    pub async fn unsubscribe_input(
        &self,
        device: u32,
        feature: u32,
        input: InputType,
    ) -> Result<(), ClientError> {
        self.expect_ok(input_msg(
            device,
            feature,
            input,
            InputCommandType::Unsubscribe,
        ))
        .await
    }

    /// Stop: every device (`device` None), one device, or one feature of it.
    pub async fn stop(
        &self,
        device: Option<u32>,
        feature: Option<u32>,
        inputs: bool,
        outputs: bool,
    ) -> Result<(), ClientError> {
        self.expect_ok(ClientMessage::StopCmd(StopCmd {
            device_index: device,
            feature_index: feature,
            id: 0,
            inputs: Some(inputs),
            outputs: Some(outputs),
        }))
        .await
    }

    /// Stop every device.
    pub async fn stop_all(&self) -> Result<(), ClientError> {
        self.stop(None, None, true, true).await
    }

    /// Say goodbye (v4 Disconnect), then close the link. Every device stops.
    pub async fn disconnect(&self) -> Result<(), ClientError> {
        if !self.connected() {
            return Ok(());
        }
        let r = self
            .expect_ok(ClientMessage::Disconnect(IdOnly::new(0)))
            .await;
        self.inner.sender.close().await;
        self.inner.connection_lost("client disconnected");
        r
    }
}

/// The reply to one request: an `Error` becomes `ClientError::Server`, a dropped waiter (the
/// connection went) `NotConnected`.
async fn reply(rx: oneshot::Receiver<ServerMessage>) -> Result<ServerMessage, ClientError> {
    match rx.await {
        Ok(ServerMessage::Error(e)) => Err(ClientError::Server(e)),
        Ok(m) => Ok(m),
        Err(_) => Err(ClientError::NotConnected),
    }
}

fn output_msg(device: u32, feature: u32, command: OutputCommand) -> ClientMessage {
    ClientMessage::OutputCmd(OutputCmd {
        command,
        device_index: device,
        feature_index: feature,
        id: 0,
    })
}

fn input_msg(
    device: u32,
    feature: u32,
    input: InputType,
    command: InputCommandType,
) -> ClientMessage {
    ClientMessage::InputCmd(InputCmd {
        command,
        device_index: device,
        feature_index: feature,
        id: 0,
        input_type: input,
    })
}

impl ClientInner {
    fn emit(&self, ev: ClientEvent) {
        let _ = self.events.send(ev);
    }

    /// Replace the device map, emitting added/removed events for the difference.
    fn apply_device_list(&self, devices: BTreeMap<u32, DeviceEntry>) {
        let (added, removed) = {
            let mut current = self.devices.write();
            let removed: Vec<DeviceEntry> = current
                .iter()
                .filter(|(i, _)| !devices.contains_key(i))
                .map(|(_, e)| e.clone())
                .collect();
            let added: Vec<DeviceEntry> = devices
                .iter()
                .filter(|(i, _)| !current.contains_key(i))
                .map(|(_, e)| e.clone())
                .collect();
            *current = devices;
            (added, removed)
        };
        let changed = !added.is_empty() || !removed.is_empty();
        for e in removed {
            self.emit(ClientEvent::DeviceRemoved(e));
        }
        for e in added {
            self.emit(ClientEvent::DeviceAdded(e));
        }
        if changed {
            self.emit(ClientEvent::DeviceListChanged);
        }
    }

    fn connection_lost(&self, reason: &str) {
        if self.connected.swap(false, Ordering::SeqCst) {
            self.pending.lock().clear();
            self.emit(ClientEvent::Disconnected(reason.to_string()));
        }
    }

    fn dispatch(&self, msg: ServerMessage) {
        let id = msg.id();
        if id != 0 {
            let waiter = self.pending.lock().remove(&id);
            match waiter {
                Some(tx) => {
                    let _ = tx.send(msg);
                }
                None => debug!(id, "reply nobody waits for"),
            }
            return;
        }
        match msg {
            ServerMessage::DeviceList(list) => self.apply_device_list(list.devices),
            ServerMessage::ScanningFinished(_) => self.emit(ClientEvent::ScanningFinished),
            ServerMessage::InputReading(r) => self.emit(ClientEvent::InputReading(r)),
            ServerMessage::Error(e) => self.emit(ClientEvent::ServerError(e)),
            other => debug!("unexpected event {other:?}"),
        }
    }
}

async fn read_loop(inner: std::sync::Weak<ClientInner>, mut rx: mpsc::Receiver<ServerMessage>) {
    while let Some(msg) = rx.recv().await {
        let Some(inner) = inner.upgrade() else { return };
        inner.dispatch(msg);
    }
    if let Some(inner) = inner.upgrade() {
        inner.connection_lost("server closed the connection");
    }
}
