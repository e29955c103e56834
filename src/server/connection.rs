//! One state machine per connected client, independent of the transport: handshake and spec
//! version, ping deadline, dispatch of every message with replies in request order, device
//! events converted for the client's version, and the stop-everything cleanup when the client
//! goes away for any reason. Two faces: typed (the embedded path, v4 values, no JSON) and JSON
//! (text frames, every spec version).
//!
//! The connection's task never waits on anything it does not own: device requests are never
//! refused for room (see `device`), outgoing messages wait in its [`Outbox`] for the client to
//! read, and it stops reading the client's frames while [`MAX_PENDING_REPLIES`] replies are on
//! their way, so its ping deadline and cleanup always run on time and its memory stays bounded.

use std::collections::BTreeSet;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, info, warn};

use super::batch::FrameBatch;
use super::outbox::{FrameSink, Outbox, Sink};
use super::registry::DeviceHandle;
use super::reply::{Reply, ReplyQueue, V4Reply, ack_result};
use super::request::{BatchItem, DeviceRequest};
use super::{ClientInfo, ConnectError, ServerEvent, ServerInner, validate};
use crate::wire::json;
use crate::wire::legacy::{self, LegacyAction, LegacyClientMessage, LegacyDeviceTracker};
use crate::wire::{AnyClientMessage, AnyServerMessage};
use crate::wire::{
    ButtplugError, ClientMessage, DeviceError, HandshakeError, IdOnly, InputCmd, InputCommandType,
    InputData, InputReading, MessageError, OutputCmd, PingError, ServerInfo, ServerMessage,
    SpecVersion, StopCmd, UnknownError,
};

/// Frames buffered towards a connection in each direction.
pub const CONNECTION_QUEUE: usize = 1024;
/// Replies a connection holds before it stops reading the client's frames (a frame is read
/// whole, so one frame of many messages may take it over; reading resumes below it).
pub const MAX_PENDING_REPLIES: usize = 8192;
/// After a ping timeout, how long the connection stays open answering every message with the
/// PingedOut error (then it closes). Some clients (buttplug-js 3 and 5) do not fail their pending
/// requests when the socket closes: a request sent just as the deadline passed would wait forever.
pub const PINGED_OUT_GRACE: Duration = Duration::from_secs(3);
/// How long a connection that ends tries to hand its last messages to a client that is slow to
/// read them.
const FINAL_FLUSH: Duration = Duration::from_millis(500);
/// How long cleanup waits for stop packets to be written.
pub const CLEANUP_TIMEOUT: Duration = Duration::from_secs(2);

/// Facts about the client's link.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ConnectionInfo {
    /// Remote address, when the client came over a network.
    pub address: Option<String>,
}

/// The connection is closed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the connection is closed")]
pub struct Closed;

enum Inbound {
    /// One typed message (the common case: no frame vector).
    One(ClientMessage),
    Typed(Vec<ClientMessage>),
    Text(String),
}

/// Sends client frames into a connection. Dropping every sender ends the connection.
#[derive(Clone)]
pub struct ConnectionSender {
    tx: mpsc::Sender<Inbound>,
}

impl ConnectionSender {
    /// Send typed v4 messages as one frame.
    pub async fn send(&self, messages: Vec<ClientMessage>) -> Result<(), Closed> {
        self.tx
            .send(Inbound::Typed(messages))
            .await
            .map_err(|_| Closed)
    }

    /// Send one typed v4 message without waiting. `Err` hands it back: `Full` when the queue is
    /// full (send it with [`ConnectionSender::send`]), `Closed` when the connection ended.
    pub fn try_send_one(
        &self,
        message: ClientMessage,
    ) -> Result<(), mpsc::error::TrySendError<ClientMessage>> {
        use mpsc::error::TrySendError;
        self.tx
            .try_send(Inbound::One(message))
            .map_err(|e| match e {
                TrySendError::Full(Inbound::One(m)) => TrySendError::Full(m),
                TrySendError::Closed(Inbound::One(m)) => TrySendError::Closed(m),
                _ => unreachable!("sent Inbound::One"),
            })
    }

    /// Send a Buttplug JSON text frame.
    pub async fn send_text(&self, text: String) -> Result<(), Closed> {
        self.tx.send(Inbound::Text(text)).await.map_err(|_| Closed)
    }

    /// Whether the connection has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// A typed connection: v4 messages in, v4 messages out, no JSON.
pub struct TypedConnection {
    pub sender: ConnectionSender,
    pub receiver: mpsc::Receiver<ServerMessage>,
}

/// A JSON connection: Buttplug JSON text frames in and out, every spec version.
pub struct JsonConnection {
    pub sender: ConnectionSender,
    pub receiver: mpsc::Receiver<String>,
}

fn claim(inner: &ServerInner) -> Result<(), ConnectError> {
    if inner.shut_down.load(Ordering::SeqCst) {
        return Err(ConnectError::ShutDown);
    }
    inner
        .connected
        .compare_exchange(false, true, Ordering::SeqCst, Ordering::SeqCst)
        .map(|_| ())
        .map_err(|_| ConnectError::Busy)
}

pub(crate) fn spawn_typed(
    inner: Arc<ServerInner>,
    info: ConnectionInfo,
) -> Result<TypedConnection, ConnectError> {
    claim(&inner)?;
    let (in_tx, in_rx) = mpsc::channel(CONNECTION_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(CONNECTION_QUEUE);
    spawn(inner, info, in_rx, Sink::Typed(out_tx));
    Ok(TypedConnection {
        sender: ConnectionSender { tx: in_tx },
        receiver: out_rx,
    })
}

pub(crate) fn spawn_json(
    inner: Arc<ServerInner>,
    info: ConnectionInfo,
) -> Result<JsonConnection, ConnectError> {
    claim(&inner)?;
    let (in_tx, in_rx) = mpsc::channel(CONNECTION_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(CONNECTION_QUEUE);
    spawn(inner, info, in_rx, Sink::Json(Box::new(out_tx)));
    Ok(JsonConnection {
        sender: ConnectionSender { tx: in_tx },
        receiver: out_rx,
    })
}

pub(crate) fn spawn_json_direct(
    inner: Arc<ServerInner>,
    info: ConnectionInfo,
    sink: Box<dyn FrameSink>,
) -> Result<ConnectionSender, ConnectError> {
    claim(&inner)?;
    let (in_tx, in_rx) = mpsc::channel(CONNECTION_QUEUE);
    spawn(inner, info, in_rx, Sink::Json(sink));
    Ok(ConnectionSender { tx: in_tx })
}

/// The server's own front ends: see [`super::Server::connect_backdoor`].
pub(crate) fn spawn_backdoor(
    inner: Arc<ServerInner>,
    name: &str,
) -> Result<TypedConnection, ConnectError> {
    if inner.shut_down.load(Ordering::SeqCst) {
        return Err(ConnectError::ShutDown);
    }
    let (in_tx, in_rx) = mpsc::channel(CONNECTION_QUEUE);
    let (out_tx, out_rx) = mpsc::channel(CONNECTION_QUEUE);
    let info = ConnectionInfo {
        address: Some(name.to_owned()),
    };
    spawn_with(inner, info, in_rx, Sink::Typed(out_tx), Role::Backdoor);
    Ok(TypedConnection {
        sender: ConnectionSender { tx: in_tx },
        receiver: out_rx,
    })
}

/// Whose connection it is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Role {
    /// The one client app (handshake, ping, allowed clients).
    Client,
    /// A front end of the server itself, beside the client.
    Backdoor,
}

fn spawn(inner: Arc<ServerInner>, info: ConnectionInfo, rx: mpsc::Receiver<Inbound>, sink: Sink) {
    spawn_with(inner, info, rx, sink, Role::Client)
}

fn spawn_with(
    inner: Arc<ServerInner>,
    info: ConnectionInfo,
    rx: mpsc::Receiver<Inbound>,
    sink: Sink,
    role: Role,
) {
    let events = inner.events.subscribe();
    let backdoor = role == Role::Backdoor;
    let conn = Connection {
        inner: inner.clone(),
        info,
        role,
        kick: (!backdoor).then(|| inner.kick.subscribe()),
        version: backdoor.then_some(SpecVersion::V4),
        state: if backdoor {
            State::Connected
        } else {
            State::AwaitingHandshake
        },
        ping_deadline: None,
        known: if backdoor {
            inner.registry.snapshot().indexes()
        } else {
            BTreeSet::new()
        },
        tracker: None,
        pending: ReplyQueue::default(),
        batch: FrameBatch::default(),
        outbox: Outbox::new(sink),
    };
    let task_inner = inner.clone();
    let join = tokio::spawn(async move {
        let inner = task_inner;
        let result = std::panic::AssertUnwindSafe(conn.run(rx, events))
            .catch_unwind()
            .await;
        if result.is_err() {
            warn!("connection task panicked; cleaning up");
        }
        // Safety first: whatever ended the connection, every device stops.
        inner.stop_all(CLEANUP_TIMEOUT).await;
        if backdoor {
            info!("front-end connection ended; devices stopped");
            return;
        }
        let _ = tokio::time::timeout(CLEANUP_TIMEOUT, inner.stop_scanning()).await;
        let had_client = inner.client.lock().take().is_some();
        inner.connected.store(false, Ordering::SeqCst);
        if had_client {
            inner.emit(ServerEvent::ClientDisconnected);
        }
        info!("client connection ended; devices stopped");
    });
    inner.track_task(join);
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    AwaitingHandshake,
    Connected,
    /// Disconnect was requested or the client was refused: flush replies, then close.
    Closing,
    PingedOut,
}

struct Connection {
    inner: Arc<ServerInner>,
    info: ConnectionInfo,
    role: Role,
    /// Changes when [`super::Server::disconnect_client`] asks the client's connection to end.
    kick: Option<tokio::sync::watch::Receiver<u64>>,
    version: Option<SpecVersion>,
    state: State,
    ping_deadline: Option<Instant>,
    /// Device indexes the (v4) client was told about.
    known: BTreeSet<u32>,
    tracker: Option<LegacyDeviceTracker>,
    pending: ReplyQueue,
    /// Reused from frame to frame.
    batch: FrameBatch,
    outbox: Outbox,
}

fn ready(out: AnyServerMessage) -> Reply {
    Reply::ready(out)
}

fn error_reply(id: u32, err: ButtplugError) -> Reply {
    Reply::error(id, err)
}

fn v4_ready(msg: ServerMessage) -> V4Reply {
    V4Reply::ready(msg)
}

fn v4_error(id: u32, err: ButtplugError) -> V4Reply {
    V4Reply::error(id, err)
}

type EventResult = Result<ServerEvent, broadcast::error::RecvError>;

/// The receiver back, the next event, and the event after it when a burst was folded.
type EventRecv = (
    broadcast::Receiver<ServerEvent>,
    EventResult,
    Option<EventResult>,
);

/// The next server event. Kept alive across loop turns: a broadcast `recv` dropped unfinished
/// has to unlink its waiter under the channel's lock, which every command would otherwise pay.
///
/// Device additions and removals already queued behind one another fold into one (the client
/// is sent the device list as it is now, once): while 1,000 devices connect, a client gets a
/// handful of lists instead of 1,000 ever longer ones. The event that ends the burst comes
/// second, so order is kept.
async fn next_event(mut events: broadcast::Receiver<ServerEvent>) -> EventRecv {
    use broadcast::error::{RecvError, TryRecvError};
    let mut ev = events.recv().await;
    let mut then = None;
    if matches!(
        ev,
        Ok(ServerEvent::DeviceAdded(_) | ServerEvent::DeviceRemoved(_))
    ) {
        loop {
            match events.try_recv() {
                Ok(e @ (ServerEvent::DeviceAdded(_) | ServerEvent::DeviceRemoved(_))) => ev = Ok(e),
                Ok(other) => {
                    then = Some(Ok(other));
                    break;
                }
                Err(TryRecvError::Empty) => break,
                Err(TryRecvError::Lagged(n)) => {
                    ev = Err(RecvError::Lagged(n));
                    break;
                }
                Err(TryRecvError::Closed) => {
                    then = Some(Err(RecvError::Closed));
                    break;
                }
            }
        }
    }
    (events, ev, then)
}

impl Connection {
    async fn run(
        mut self,
        mut rx: mpsc::Receiver<Inbound>,
        events: broadcast::Receiver<ServerEvent>,
    ) {
        let mut event = Box::pin(next_event(events));
        // One timer, re-armed when the deadline moves (not one per loop turn).
        let ping = tokio::time::sleep(Duration::ZERO);
        tokio::pin!(ping);
        let mut armed: Option<Instant> = None;
        loop {
            if self.state == State::Closing && self.pending.is_empty() && !self.outbox.is_blocked()
            {
                break;
            }
            if self.ping_deadline != armed {
                armed = self.ping_deadline;
                if let Some(deadline) = armed {
                    ping.as_mut().reset(deadline);
                }
            }
            // While the client is slow to read, nothing more is produced for it.
            let blocked = self.outbox.is_blocked();
            let accepting =
                self.state != State::Closing && self.pending.len() < MAX_PENDING_REPLIES;
            let kicked = async {
                match self.kick.as_mut() {
                    Some(kick) => kick.changed().await.is_ok(),
                    None => std::future::pending().await,
                }
            };
            tokio::select! {
                biased;
                true = kicked => {
                    info!("client disconnected by the server's owner");
                    break;
                }
                room = self.outbox.unblock(), if blocked => {
                    if !room {
                        break;
                    }
                }
                Some(out) = self.pending.next(), if !blocked && !self.pending.is_empty() => {
                    if !self.send_reply(out) {
                        break;
                    }
                }
                inbound = rx.recv(), if accepting => match inbound {
                    Some(inbound) => self.handle_inbound(inbound).await,
                    None => {
                        debug!("client went away");
                        break;
                    }
                },
                (events, ev, then) = &mut event, if !blocked => {
                    event.set(next_event(events));
                    if !self.on_event(ev) {
                        break;
                    }
                    if let Some(ev) = then {
                        if !self.on_event(ev) {
                            break;
                        }
                    }
                },
                () = &mut ping, if armed.is_some() => {
                    if self.state == State::PingedOut {
                        // The grace period is over.
                        let _ = tokio::time::timeout(FINAL_FLUSH, self.flush_outbox()).await;
                        break;
                    }
                    self.ping_out().await;
                    // Stay open a moment, answering every message with PingedOut, so that a
                    // client that sent something in this instant is not left waiting.
                    self.ping_deadline = Some(Instant::now() + PINGED_OUT_GRACE);
                }
            }
        }
    }

    /// Hand everything held to the sink (as long as it takes).
    async fn flush_outbox(&mut self) {
        while self.outbox.is_blocked() {
            if !self.outbox.unblock().await {
                return;
            }
        }
    }

    /// Send a reply, packing the replies ready behind it into the same frame.
    fn send_reply(&mut self, out: AnyServerMessage) -> bool {
        let version = self.version.unwrap_or(SpecVersion::V4);
        let pending = &mut self.pending;
        self.outbox
            .send(version, out, || pending.next().now_or_never().flatten())
    }

    /// Returns false when the connection must end.
    fn on_event(&mut self, ev: EventResult) -> bool {
        match ev {
            Ok(ev) => self.handle_event(ev),
            // Events were missed while the client was slow to read: send the devices as they
            // are now.
            Err(broadcast::error::RecvError::Lagged(_)) => self.devices_changed(),
            Err(broadcast::error::RecvError::Closed) => false,
        }
    }

    /// Send one message (an event, or an error that ends the connection). False when the
    /// client is gone.
    fn send(&mut self, out: AnyServerMessage) -> bool {
        let version = self.version.unwrap_or(SpecVersion::V4);
        self.outbox.send(version, out, || None)
    }

    async fn ping_out(&mut self) {
        warn!("client did not ping in time; stopping every device");
        self.state = State::PingedOut;
        self.inner.stop_all(CLEANUP_TIMEOUT).await;
        let _ = tokio::time::timeout(CLEANUP_TIMEOUT, self.inner.stop_scanning()).await;
        let err: ButtplugError = PingError::PingedOut.into();
        // Replies still pending are dropped: the error event says why.
        self.pending.clear();
        let _ = self.send(AnyServerMessage::V4(ServerMessage::error(0, &err)));
    }

    async fn handle_inbound(&mut self, inbound: Inbound) {
        let mut batch = std::mem::take(&mut self.batch);
        match inbound {
            Inbound::One(m) => {
                let reply = self.typed_message(m, &mut batch).await;
                self.pending.push_back(reply);
            }
            Inbound::Typed(msgs) => {
                for m in msgs {
                    let reply = self.typed_message(m, &mut batch).await;
                    self.pending.push_back(reply);
                }
            }
            Inbound::Text(text) => match self
                .version
                .filter(|v| *v == SpecVersion::V4)
                .and_then(|_| json::fast::decode_v4_frame(&text))
            {
                // The common case at v4, decoded without the `Value` detour.
                Some(msgs) => {
                    for m in msgs {
                        let reply = self.typed_message(m, &mut batch).await;
                        self.pending.push_back(reply);
                    }
                }
                None => self.text_frame(&text, &mut batch).await,
            },
        }
        batch.flush();
        self.batch = batch;
    }

    /// A text frame through the general decoder (every version, exact error texts).
    async fn text_frame(&mut self, text: &str, batch: &mut FrameBatch) {
        match json::split_frame(text) {
            Err(e) => self.pending.push_back(error_reply(0, e)),
            Ok(values) => {
                for v in values {
                    let reply = match json::decode_client_message(self.version, v) {
                        Ok(m) => self.any_version_message(m, batch).await,
                        Err(f) => error_reply(f.id, f.error),
                    };
                    self.pending.push_back(reply);
                }
            }
        }
    }

    /// A reply refusing the message when the connection state forbids it.
    fn gate(&self, id: u32) -> Option<Reply> {
        match self.state {
            State::PingedOut => Some(error_reply(id, PingError::PingedOut.into())),
            State::Closing => Some(error_reply(id, HandshakeError::ReconnectDenied.into())),
            _ => None,
        }
    }

    async fn any_version_message(&mut self, m: AnyClientMessage, batch: &mut FrameBatch) -> Reply {
        match m {
            AnyClientMessage::V4(m) => self.typed_message(m, batch).await,
            AnyClientMessage::Legacy(m) => {
                let id = m.id();
                if let Some(r) = self.gate(id) {
                    return r;
                }
                if self.version.is_none() {
                    return error_reply(id, HandshakeError::RequestServerInfoExpected.into());
                }
                self.legacy_message(m, batch).await
            }
        }
    }

    async fn typed_message(&mut self, m: ClientMessage, batch: &mut FrameBatch) -> Reply {
        let id = m.id();
        if let Some(r) = self.gate(id) {
            return r;
        }
        if id == 0 {
            return error_reply(
                0,
                MessageError::InvalidMessageContents(format!(
                    "{}: Id 0 is reserved for server events",
                    m.name()
                ))
                .into(),
            );
        }
        if self.version.is_none() && !matches!(m, ClientMessage::RequestServerInfo(_)) {
            return error_reply(id, HandshakeError::RequestServerInfoExpected.into());
        }
        Reply::V4(self.v4_message(m, batch).await)
    }

    async fn v4_message(&mut self, m: ClientMessage, batch: &mut FrameBatch) -> V4Reply {
        let id = m.id();
        match m {
            ClientMessage::RequestServerInfo(rsi) => self.handshake(rsi).await,
            ClientMessage::Ping(_) => self.ping(id),
            ClientMessage::StartScanning(_) => self.scanning(id, true),
            ClientMessage::StopScanning(_) => self.scanning(id, false),
            ClientMessage::RequestDeviceList(_) => self.device_list(id),
            ClientMessage::OutputCmd(cmd) => self.output(cmd, batch),
            ClientMessage::InputCmd(cmd) => self.input(cmd, batch),
            ClientMessage::StopCmd(cmd) => self.stop(cmd, batch),
            ClientMessage::Disconnect(_) => {
                info!("client asked to disconnect");
                self.state = State::Closing;
                v4_ready(ServerMessage::ok(id))
            }
        }
    }

    /// Ping: the deadline starts again.
    fn ping(&mut self, id: u32) -> V4Reply {
        if self.role == Role::Client && !self.inner.options.max_ping_time.is_zero() {
            self.ping_deadline = Some(Instant::now() + self.inner.options.max_ping_time);
        }
        v4_ready(ServerMessage::ok(id))
    }

    /// StartScanning / StopScanning: answered once every manager has been told.
    fn scanning(&self, id: u32, start: bool) -> V4Reply {
        let inner = self.inner.clone();
        async move {
            if start {
                inner.start_scanning().await;
            } else {
                inner.stop_scanning().await;
            }
            ServerMessage::ok(id)
        }
        .boxed()
        .into()
    }

    /// RequestDeviceList: the devices as they are now, which the client then knows.
    fn device_list(&mut self, id: u32) -> V4Reply {
        let snapshot = self.inner.registry.snapshot();
        self.known = snapshot.indexes();
        if self.tracker.is_some() {
            self.tracker = Some(LegacyDeviceTracker::new(snapshot.list()));
        }
        let mut list = snapshot.list().clone();
        list.id = id;
        v4_ready(ServerMessage::DeviceList(list))
    }

    /// OutputCmd: validated, then queued for its device with the frame's other commands.
    fn output(&self, cmd: OutputCmd, batch: &mut FrameBatch) -> V4Reply {
        let snapshot = self.inner.registry.snapshot();
        match validate::output(&snapshot, &cmd) {
            Err(e) => v4_error(cmd.id, e),
            Ok((device, command)) => {
                let (tx, rx) = oneshot::channel();
                batch.add(
                    &device,
                    BatchItem::Output {
                        feature: cmd.feature_index,
                        command,
                        ack: Some(tx),
                    },
                );
                ack_reply(cmd.id, device.index, rx)
            }
        }
    }

    /// InputCmd: the device's commands of this frame so far go first, then the input request.
    fn input(&self, cmd: InputCmd, batch: &mut FrameBatch) -> V4Reply {
        let snapshot = self.inner.registry.snapshot();
        match validate::input(&snapshot, &cmd) {
            Err(e) => v4_error(cmd.id, e),
            Ok(device) => {
                batch.flush_device(device.index);
                input_request(device, cmd)
            }
        }
    }

    /// StopCmd: a stop for each device it names, answered once every stop is written (for one
    /// device, its failure is the reply).
    fn stop(&self, cmd: StopCmd, batch: &mut FrameBatch) -> V4Reply {
        let id = cmd.id;
        let snapshot = self.inner.registry.snapshot();
        let devices = match validate::stop(&snapshot, &cmd) {
            Err(e) => return v4_error(id, e),
            Ok(devices) => devices,
        };
        let single = cmd.device_index.is_some();
        let mut acks = Vec::new();
        for d in &devices {
            let (tx, rx) = oneshot::channel();
            batch.add(
                d,
                BatchItem::Stop {
                    feature: if single { cmd.feature_index } else { None },
                    outputs: cmd.stops_outputs(),
                    inputs: cmd.stops_inputs(),
                    ack: Some(tx),
                },
            );
            acks.push((d.index, rx));
        }
        async move {
            for (index, rx) in acks {
                let r = ack_result(index, rx.await);
                if let (true, Err(e)) = (single, r) {
                    return ServerMessage::error(id, &e);
                }
            }
            ServerMessage::ok(id)
        }
        .boxed()
        .into()
    }

    async fn handshake(&mut self, rsi: crate::wire::RequestServerInfo) -> V4Reply {
        let id = rsi.id;
        if self.version.is_some() {
            return v4_error(id, HandshakeError::HandshakeAlreadyHappened.into());
        }
        let requested = rsi.requested_major();
        let typed = self.outbox.is_typed();
        let version = match SpecVersion::from_major(requested) {
            Some(v) if !typed => v,
            Some(_) => SpecVersion::V4,
            None => {
                return v4_error(
                    id,
                    HandshakeError::MessageSpecVersionMismatch(
                        crate::wire::CURRENT_SPEC_VERSION,
                        requested,
                    )
                    .into(),
                );
            }
        };
        let opts = &self.inner.options;
        let client = ClientInfo {
            name: rsi.client_name.clone(),
            address: self.info.address.clone(),
            spec_version: version,
        };
        let mut allowed =
            opts.allowed_clients.is_empty() || opts.allowed_clients.contains(&client.name);
        if allowed {
            if let Some(approver) = opts.approver.clone() {
                allowed = std::panic::AssertUnwindSafe(approver.approve(&client))
                    .catch_unwind()
                    .await
                    .unwrap_or(false);
            }
        }
        if !allowed {
            info!(client = %client.name, "client refused");
            self.state = State::Closing;
            return v4_error(id, HandshakeError::ClientNotAllowed(client.name).into());
        }
        info!(client = %client.name, version = %version, "client connected");
        *self.inner.client.lock() = Some(super::ConnectedClient {
            info: client,
            since: std::time::SystemTime::now(),
        });
        self.inner.emit(ServerEvent::ClientConnected);
        self.version = Some(version);
        self.state = State::Connected;
        let snapshot = self.inner.registry.snapshot();
        self.known = snapshot.indexes();
        if version < SpecVersion::V4 {
            self.tracker = Some(LegacyDeviceTracker::new(snapshot.list()));
        }
        if !opts.max_ping_time.is_zero() {
            self.ping_deadline = Some(Instant::now() + opts.max_ping_time);
        }
        v4_ready(ServerMessage::ServerInfo(ServerInfo {
            id,
            max_ping_time: u32::try_from(opts.max_ping_time.as_millis()).unwrap_or(u32::MAX),
            protocol_version_major: crate::wire::CURRENT_SPEC_VERSION,
            protocol_version_minor: crate::wire::CURRENT_SPEC_MINOR,
            server_name: opts.name.clone(),
        }))
    }

    async fn legacy_message(&mut self, m: LegacyClientMessage, batch: &mut FrameBatch) -> Reply {
        let id = m.id();
        let version = self.version.unwrap_or(SpecVersion::V0);
        let snapshot = self.inner.registry.snapshot();
        match legacy::convert_legacy(version, &m, snapshot.list()) {
            Err(e) => error_reply(id, e),
            Ok(LegacyAction::Reply(out)) => ready(out),
            Ok(LegacyAction::Forward(msgs)) => {
                let mut futs = Vec::with_capacity(msgs.len());
                for msg in msgs {
                    futs.push(self.v4_message(msg, batch).await);
                }
                async move {
                    let replies = futures::future::join_all(futs).await;
                    legacy::legacy_reply(version, &m, replies)
                }
                .boxed()
                .into()
            }
        }
    }

    /// Returns false when the client is gone.
    fn handle_event(&mut self, ev: ServerEvent) -> bool {
        if self.state != State::Connected {
            return true;
        }
        match ev {
            ServerEvent::DeviceAdded(_) | ServerEvent::DeviceRemoved(_) => self.devices_changed(),
            ServerEvent::ScanningFinished => self.send(AnyServerMessage::V4(
                ServerMessage::ScanningFinished(IdOnly::new(0)),
            )),
            ServerEvent::InputReading(r) => {
                if self.version == Some(SpecVersion::V4) {
                    self.send(AnyServerMessage::V4(ServerMessage::InputReading(r)))
                } else {
                    true
                }
            }
            ServerEvent::Error(_)
            | ServerEvent::AllStopped
            | ServerEvent::ClientConnected
            | ServerEvent::ClientDisconnected => true,
        }
    }

    fn devices_changed(&mut self) -> bool {
        if self.state != State::Connected {
            return true;
        }
        let snapshot = self.inner.registry.snapshot();
        let version = self.version.unwrap_or(SpecVersion::V4);
        if let Some(tracker) = self.tracker.as_mut() {
            let outs = tracker.update(version, snapshot.list());
            for out in outs {
                if !self.send(out) {
                    return false;
                }
            }
            return true;
        }
        let indexes = snapshot.indexes();
        if indexes == self.known {
            return true;
        }
        self.known = indexes;
        self.send(AnyServerMessage::V4(ServerMessage::DeviceList(
            snapshot.list().clone(),
        )))
    }
}

fn ack_reply(id: u32, device: u32, rx: oneshot::Receiver<Result<(), ButtplugError>>) -> V4Reply {
    V4Reply::Ack { id, device, rx }
}

fn input_request(device: Arc<DeviceHandle>, cmd: InputCmd) -> V4Reply {
    let (tx, rx) = oneshot::channel();
    let req = DeviceRequest::Input {
        feature: cmd.feature_index,
        input: cmd.input_type,
        command: cmd.command,
        reply: tx,
    };
    if device.requests.send(req).is_err() {
        return v4_error(cmd.id, DeviceError::DeviceNotAvailable(device.index).into());
    }
    async move {
        match rx.await {
            Err(_) => ServerMessage::error(
                cmd.id,
                &DeviceError::DeviceNotAvailable(cmd.device_index).into(),
            ),
            Ok(Err(e)) => ServerMessage::error(cmd.id, &e),
            Ok(Ok(value)) => match (cmd.command, value) {
                (InputCommandType::Read, Some(value)) => {
                    ServerMessage::InputReading(InputReading {
                        device_index: cmd.device_index,
                        feature_index: cmd.feature_index,
                        id: cmd.id,
                        reading: InputData {
                            input_type: cmd.input_type,
                            value,
                        },
                    })
                }
                (InputCommandType::Read, None) => ServerMessage::error(
                    cmd.id,
                    &UnknownError::Internal("read produced no value".into()).into(),
                ),
                _ => ServerMessage::ok(cmd.id),
            },
        }
    }
    .boxed()
    .into()
}
