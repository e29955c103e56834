//! One long-lived task per client: reads decoded requests from the client's channel, routes
//! each (`route`), runs them concurrently with replies in request order (`FuturesOrdered`, like
//! the server's connection loop), forwards session events, simulated-device operations and log
//! records, and runs connect/disconnect as barriers (after every earlier request was answered).
//! Every request gets exactly one response, also when its handler panics or the context shuts
//! down.

use std::collections::VecDeque;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;

use futures::future::BoxFuture;
use futures::stream::FuturesOrdered;
use futures::{FutureExt, StreamExt};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, warn};

use super::client::{ClientShared, CloseReason, WorkerInput};
use super::connect;
use super::reply::{Reply, ReplyFuture, err, ok, panicked, ready, to_response};
use super::route::{At, Barrier, Route, route};
use super::schema::{self as s, ErrorCode, Response, response};
use super::session::{Link, Session, SessionEvent};
use super::status::panic_message;
use crate::client::ClientEvent;

/// Simulated-device operations buffered before they are dropped.
const SIM_OP_CAPACITY: usize = 4096;
/// Requests a client's worker runs at once. Beyond it the worker takes no new request until
/// one is answered: the request queue fills and `tp_client_send` reports TP_ERR_BUSY, so memory
/// stays bounded even behind a request that takes long (an input read is bounded by its own
/// timeout).
pub const MAX_INFLIGHT: usize = 4096;

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
    /// A connect/disconnect (and its request id) waiting for earlier requests to be answered.
    barrier: Option<(u32, Barrier)>,
    sim_tx: mpsc::Sender<s::SimulatorOp>,
    sim_rx: mpsc::Receiver<s::SimulatorOp>,
}

impl Worker {
    async fn run(
        &mut self,
        mut rx: mpsc::Receiver<WorkerInput>,
        mut close: oneshot::Receiver<CloseReason>,
    ) {
        loop {
            if self.barrier.is_some() && self.inflight.is_empty() {
                let (id, barrier) = self.barrier.take().expect("checked");
                let reply = AssertUnwindSafe(self.barrier_request(barrier))
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
                ev = Session::next_event(&mut self.session) => self.session_event(ev).await,
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
                let Some(body) = req.body else {
                    // tp_client_send refuses requests without a body; answered all the same.
                    self.push(id, ready(err(ErrorCode::InvalidArgument, "empty request")));
                    return;
                };
                let at = At {
                    client: &self.client,
                    session: &mut self.session,
                    sim_ops: &self.sim_tx,
                };
                match route(body, at) {
                    Route::Run(reply) => self.push(id, reply),
                    Route::Barrier(barrier) => self.barrier = Some((id, barrier)),
                }
            }
            WorkerInput::Frame(text) => self.raw_frame(text).await,
            WorkerInput::Log(record) => {
                self.emit(&s::response(0, response::Body::Log(record)))
                    .await;
            }
        }
    }

    /// Run a request's reply future among the requests in flight, guarded against panics.
    fn push(&mut self, id: u32, reply: ReplyFuture) {
        let guarded = AssertUnwindSafe(reply)
            .catch_unwind()
            .map(move |r| to_response(id, r.unwrap_or_else(|p| panicked(&*p))));
        self.inflight.push_back(guarded.boxed());
        self.inflight_ids.push_back(id);
    }

    async fn barrier_request(&mut self, barrier: Barrier) -> Reply {
        match barrier {
            Barrier::Connect(c) => {
                // A server that went away is noticed before deciding "already connected".
                self.drain_session_events().await;
                if self.session.is_some() {
                    return err(ErrorCode::AlreadyConnected, "already connected");
                }
                let session = connect::connect(&self.client, c).await?;
                let reply = session.connected_reply();
                self.session = Some(session);
                Ok(reply)
            }
            Barrier::Disconnect => {
                self.drain_session_events().await;
                if let Some(session) = self.session.take() {
                    session.close().await;
                }
                ok()
            }
        }
    }

    async fn raw_frame(&mut self, text: String) {
        if self.session.is_none() {
            match connect::connect(&self.client, s::Connect { mode: None }).await {
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
            SessionEvent::Client(ClientEvent::Disconnected(reason)) => {
                if let Some(session) = self.session.take() {
                    session.close().await;
                }
                self.emit(&s::response(
                    0,
                    response::Body::ServerDisconnected(s::ServerDisconnected { reason }),
                ))
                .await;
            }
            SessionEvent::Client(ev) => {
                let body = self.session.as_mut().and_then(|sess| sess.event_body(ev));
                if let Some(body) = body {
                    self.emit(&s::response(0, body)).await;
                }
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
        while let Some(ev) = self.session.as_mut().and_then(Session::pending_event) {
            self.session_event(ev).await;
        }
    }

    /// Stop: answer what is pending (on shutdown), disconnect, say `closed` (on shutdown).
    async fn finish(&mut self, reason: CloseReason, rx: &mut mpsc::Receiver<WorkerInput>) {
        rx.close();
        self.inflight = FuturesOrdered::new();
        let mut pending: Vec<u32> = self.inflight_ids.drain(..).collect();
        if let Some((id, _)) = self.barrier.take() {
            pending.push(id);
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
