//! One long-lived task per client: reads decoded requests from the client's channel, runs them
//! concurrently with replies in request order (`FuturesOrdered`, like the server's connection
//! loop), forwards client events, simulated-device operations and log records, and handles
//! connect/disconnect as barriers (after every earlier request was answered). Every request
//! gets exactly one response, also when its handler panics or the context shuts down.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::FuturesOrdered;
use futures::{FutureExt, StreamExt};
use tokio::sync::{broadcast, mpsc, oneshot};
use tracing::{debug, warn};

use super::client::{ClientShared, CloseReason, WorkerInput};
use super::convert;
use super::schema::{self as s, ErrorCode, Request, Response, request, response};
use super::session::{self, Link, Session};
use super::status::panic_message;
use crate::client::ClientEvent;

/// Simulated-device operations buffered before they are dropped.
const SIM_OP_CAPACITY: usize = 4096;
/// Requests a client's worker runs at once. Beyond it the worker takes no new request until
/// one is answered: the request queue fills and `tp_client_send` reports TP_ERR_BUSY, so memory
/// stays bounded even behind a request that takes long (an input read is bounded by its own
/// timeout).
pub const MAX_INFLIGHT: usize = 4096;

/// A handler's outcome.
pub type Reply = Result<response::Body, (ErrorCode, String)>;

pub fn ok() -> Reply {
    Ok(response::Body::Ok(s::Empty {}))
}

pub fn err(code: ErrorCode, message: impl Into<String>) -> Reply {
    Err((code, message.into()))
}

fn to_response(id: u32, reply: Reply) -> Response {
    match reply {
        Ok(body) => s::response(id, body),
        Err((code, message)) => s::error_response(id, code, message),
    }
}

/// Run a client's worker until it is closed.
pub async fn run(
    client: Arc<ClientShared>,
    rx: mpsc::Receiver<WorkerInput>,
    close: oneshot::Receiver<CloseReason>,
) {
    let (sim_tx, sim_rx) = mpsc::channel(SIM_OP_CAPACITY);
    let mut worker = Worker {
        client: client.clone(),
        session: None,
        inflight: FuturesOrdered::new(),
        inflight_ids: VecDeque::new(),
        barrier: None,
        sim_tx,
        sim_rx,
    };
    let result = AssertUnwindSafe(worker.run(rx, close)).catch_unwind().await;
    if let Err(p) = result {
        tracing::error!("client worker panicked: {}", panic_message(&*p));
    }
    super::log::unsubscribe(client.key);
}

struct Worker {
    client: Arc<ClientShared>,
    session: Option<Session>,
    inflight: FuturesOrdered<BoxFuture<'static, Response>>,
    inflight_ids: VecDeque<u32>,
    /// A connect/disconnect waiting for earlier requests to be answered.
    barrier: Option<Request>,
    sim_tx: mpsc::Sender<s::SimulatorOp>,
    sim_rx: mpsc::Receiver<s::SimulatorOp>,
}

enum SessionEvent {
    Client(ClientEvent),
    Lagged(u64),
    Frame(String),
    Ended(String),
}

async fn next_event(session: &mut Option<Session>) -> SessionEvent {
    match session.as_mut().map(|s| &mut s.link) {
        Some(Link::Client { events, .. }) => match events.recv().await {
            Ok(ev) => SessionEvent::Client(ev),
            Err(broadcast::error::RecvError::Lagged(n)) => SessionEvent::Lagged(n),
            Err(broadcast::error::RecvError::Closed) => {
                SessionEvent::Ended("the client core stopped".into())
            }
        },
        Some(Link::Raw { frames, .. }) => match frames.recv().await {
            Some(f) => SessionEvent::Frame(f),
            None => SessionEvent::Ended("server closed the connection".into()),
        },
        None => std::future::pending().await,
    }
}

impl Worker {
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<WorkerInput>,
        mut close: oneshot::Receiver<CloseReason>,
    ) {
        loop {
            if self.barrier.is_some() && self.inflight.is_empty() {
                let req = self.barrier.take().expect("checked");
                let id = req.id;
                let reply = AssertUnwindSafe(self.barrier_request(req))
                    .catch_unwind()
                    .await
                    .unwrap_or_else(|p| panicked(&*p));
                self.emit(&to_response(id, reply)).await;
                continue;
            }
            tokio::select! {
                biased;
                reason = &mut close => {
                    let reason = reason.unwrap_or(CloseReason::Freed);
                    self.finish(reason, &mut rx).await;
                    return;
                }
                // Device ops first: what the device saw happened before the reply that
                // follows it, and must not starve behind a busy request stream.
                Some(op) = self.sim_rx.recv() => {
                    self.emit(&s::response(0, response::Body::SimulatorOp(op))).await;
                }
                Some(resp) = self.inflight.next(), if !self.inflight.is_empty() => {
                    self.inflight_ids.pop_front();
                    // Device operations queued by now happened before this reply was made
                    // (a simulated device reports an op before the server acknowledges it):
                    // deliver them first, whatever the scheduling.
                    while let Ok(op) = self.sim_rx.try_recv() {
                        self.emit(&s::response(0, response::Body::SimulatorOp(op))).await;
                    }
                    self.emit(&resp).await;
                }
                input = rx.recv(), if self.barrier.is_none() && self.inflight.len() < MAX_INFLIGHT => match input {
                    Some(input) => self.accept(input).await,
                    None => {
                        self.finish(CloseReason::Freed, &mut rx).await;
                        return;
                    }
                },
                ev = next_event(&mut self.session) => self.session_event(ev).await,
            }
        }
    }

    /// Send a response to the caller. Encodes now and borrows nothing across the await (the
    /// worker itself is not `Sync`).
    fn emit(&self, response: &Response) -> impl std::future::Future<Output = ()> + Send + 'static {
        let client = self.client.clone();
        let bytes = (!client.is_freed()).then(|| s::encode(client.format, response));
        async move {
            if let Some(bytes) = bytes {
                client.emit_bytes(bytes).await;
            }
        }
    }

    async fn accept(&mut self, input: WorkerInput) {
        match input {
            WorkerInput::Request(req) => {
                let id = req.id;
                match &req.body {
                    Some(request::Body::Connect(_)) | Some(request::Body::Disconnect(_)) => {
                        self.barrier = Some(req);
                    }
                    _ => {
                        let fut = self.request(req);
                        let guarded = AssertUnwindSafe(fut)
                            .catch_unwind()
                            .map(move |r| to_response(id, r.unwrap_or_else(|p| panicked(&*p))));
                        self.inflight.push_back(guarded.boxed());
                        self.inflight_ids.push_back(id);
                    }
                }
            }
            WorkerInput::Frame(text) => self.raw_frame(text).await,
            WorkerInput::Log(record) => {
                self.emit(&s::response(0, response::Body::Log(record)))
                    .await;
            }
        }
    }

    /// A non-barrier request: a future producing its reply.
    fn request(&mut self, req: Request) -> BoxFuture<'static, Reply> {
        use request::Body as B;
        let Some(body) = req.body else {
            return ready(err(ErrorCode::InvalidArgument, "empty request"));
        };
        match body {
            B::Connect(_) | B::Disconnect(_) => ready(err(ErrorCode::Unknown, "barrier")),
            B::SubscribeLogs(sub) => {
                super::log::subscribe(self.client.key, sub.max_level, self.client.requests.clone());
                ready(ok())
            }
            B::SimulatorAdvertise(a) => {
                ready(session::advertise(self.session.as_mut(), a, &self.sim_tx))
            }
            B::SimulatorNotify(n) => ready(session::notify(self.session.as_ref(), n)),
            B::SimulatorQueueRead(q) => ready(session::queue_read(self.session.as_ref(), q)),
            B::SimulatorDisconnect(d) => {
                ready(session::disconnect_device(self.session.as_ref(), d))
            }
            B::Debug(d) => self.debug(d),
            other => match self.session.as_ref() {
                Some(session) => session::command(session, other),
                None => ready(err(ErrorCode::NotConnected, "not connected")),
            },
        }
    }

    fn debug(&self, d: s::DebugRequest) -> BoxFuture<'static, Reply> {
        if !self.client.debug {
            return ready(err(
                ErrorCode::Unsupported,
                "debug requests need a context created with TP_CONTEXT_DEBUG",
            ));
        }
        match d.action {
            Some(s::debug_request::Action::Panic(_)) => {
                async { panic!("injected panic (debug request)") }.boxed()
            }
            Some(s::debug_request::Action::SleepMs(ms)) => async move {
                tokio::time::sleep(std::time::Duration::from_millis(u64::from(ms))).await;
                ok()
            }
            .boxed(),
            Some(s::debug_request::Action::ShutdownServer(_)) => {
                match self.session.as_ref().and_then(|s| s.server()) {
                    Some(server) => async move {
                        server.shutdown(std::time::Duration::from_secs(2)).await;
                        ok()
                    }
                    .boxed(),
                    None => ready(err(ErrorCode::NotConnected, "no embedded server")),
                }
            }
            None => ready(ok()),
        }
    }

    async fn barrier_request(&mut self, req: Request) -> Reply {
        match req.body {
            Some(request::Body::Connect(c)) => {
                // A server that went away is noticed before deciding "already connected".
                self.drain_session_events().await;
                if self.session.is_some() {
                    return err(ErrorCode::AlreadyConnected, "already connected");
                }
                let session = session::connect(&self.client, c).await?;
                let reply = session.connected_reply();
                self.session = Some(session);
                Ok(reply)
            }
            Some(request::Body::Disconnect(_)) => {
                self.drain_session_events().await;
                if let Some(session) = self.session.take() {
                    session.close().await;
                }
                ok()
            }
            _ => err(ErrorCode::Unknown, "not a barrier request"),
        }
    }

    async fn raw_frame(&mut self, text: String) {
        if self.session.is_none() {
            match session::connect(&self.client, s::Connect { mode: None }).await {
                Ok(session) => self.session = Some(session),
                Err((code, message)) => {
                    self.emit(&s::error_response(0, code, message)).await;
                    return;
                }
            }
        }
        let sent = match self.session.as_ref().map(|s| &s.link) {
            Some(Link::Raw { sender, .. }) => sender.send_text(text).await.is_ok(),
            _ => false,
        };
        if !sent {
            self.emit(&s::error_response(
                0,
                ErrorCode::NotConnected,
                "the raw channel is not connected",
            ))
            .await;
        }
    }

    async fn session_event(&mut self, ev: SessionEvent) {
        match ev {
            SessionEvent::Client(ev) => {
                if let ClientEvent::Disconnected(reason) = &ev {
                    let reason = reason.clone();
                    if let Some(session) = self.session.take() {
                        session.close().await;
                    }
                    self.emit(&s::response(
                        0,
                        response::Body::ServerDisconnected(s::ServerDisconnected { reason }),
                    ))
                    .await;
                    return;
                }
                let body = match ev {
                    ClientEvent::DeviceAdded(e) => {
                        let device = convert::device(&e);
                        if let Some(sess) = self.session.as_mut() {
                            sess.devices.insert(device.index, device.clone());
                        }
                        response::Body::DeviceAdded(s::DeviceAdded {
                            device: Some(device),
                        })
                    }
                    ClientEvent::DeviceRemoved(e) => {
                        if let Some(sess) = self.session.as_mut() {
                            sess.devices.remove(&e.device_index);
                        }
                        response::Body::DeviceRemoved(s::DeviceRemoved {
                            device: Some(convert::device(&e)),
                        })
                    }
                    ClientEvent::DeviceListChanged => {
                        response::Body::DeviceListChanged(s::DeviceList {
                            devices: self
                                .session
                                .as_ref()
                                .map(|s| s.devices.values().cloned().collect())
                                .unwrap_or_default(),
                        })
                    }
                    ClientEvent::ScanningFinished => response::Body::ScanningFinished(s::Empty {}),
                    ClientEvent::InputReading(r) => {
                        response::Body::InputReading(convert::reading(&r))
                    }
                    ClientEvent::ServerError(e) => response::Body::Error(s::Error {
                        code: convert::wire_code(e.error_code) as i32,
                        message: e.error_message,
                    }),
                    ClientEvent::Disconnected(_) => return,
                };
                self.emit(&s::response(0, body)).await;
            }
            SessionEvent::Lagged(n) => {
                warn!("client {} dropped {n} events", self.client.key);
                self.emit(&s::error_response(
                    0,
                    ErrorCode::Unknown,
                    format!("{n} events were dropped (event queue overflow)"),
                ))
                .await;
            }
            SessionEvent::Frame(frame) => {
                let client = self.client.clone();
                client.emit_bytes(frame.into_bytes()).await;
            }
            SessionEvent::Ended(reason) => {
                if let Some(session) = self.session.take() {
                    session.close().await;
                }
                self.emit(&s::response(
                    0,
                    response::Body::ServerDisconnected(s::ServerDisconnected { reason }),
                ))
                .await;
            }
        }
    }

    /// Forward the events the client core already produced (before the session closes, so
    /// every event of the session reaches the caller, in order).
    async fn drain_session_events(&mut self) {
        while let Some(ev) = self.pending_session_event() {
            self.session_event(ev).await;
        }
    }

    fn pending_session_event(&mut self) -> Option<SessionEvent> {
        match self.session.as_mut().map(|s| &mut s.link) {
            Some(Link::Client { events, .. }) => match events.try_recv() {
                Ok(ev) => Some(SessionEvent::Client(ev)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => Some(SessionEvent::Lagged(n)),
                Err(_) => None,
            },
            _ => None,
        }
    }

    /// Stop: answer what is pending (on shutdown), disconnect, say `closed` (on shutdown).
    async fn finish(&mut self, reason: CloseReason, rx: &mut mpsc::Receiver<WorkerInput>) {
        rx.close();
        self.inflight = FuturesOrdered::new();
        let mut pending: Vec<u32> = self.inflight_ids.drain(..).collect();
        if let Some(b) = self.barrier.take() {
            pending.push(b.id);
        }
        while let Ok(input) = rx.try_recv() {
            if let WorkerInput::Request(r) = input {
                pending.push(r.id);
            }
        }
        if matches!(reason, CloseReason::Shutdown(_)) {
            self.drain_session_events().await;
        }
        if let Some(session) = self.session.take() {
            session.close().await;
        }
        if let CloseReason::Shutdown(reason) = reason {
            while let Ok(op) = self.sim_rx.try_recv() {
                self.emit(&s::response(0, response::Body::SimulatorOp(op)))
                    .await;
            }
            for id in pending {
                self.emit(&s::error_response(
                    id,
                    ErrorCode::Shutdown,
                    "the context shut down before the request completed",
                ))
                .await;
            }
            self.emit(&s::response(
                0,
                response::Body::Closed(s::Closed { reason }),
            ))
            .await;
        }
        debug!("client {} worker finished", self.client.key);
    }
}

fn ready(reply: Reply) -> BoxFuture<'static, Reply> {
    futures::future::ready(reply).boxed()
}

fn panicked(payload: &(dyn std::any::Any + Send)) -> Reply {
    let text = panic_message(payload);
    tracing::error!("panic while handling a request: {text}");
    err(ErrorCode::Panic, format!("panic: {text}"))
}
