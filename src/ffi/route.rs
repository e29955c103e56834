//! The one place a request is routed. Each `Request` body is one arm of [`route`] that says
//! whether it is a barrier (runs alone, once every earlier request was answered), what it needs
//! (the session's client core, the embedded server's simulated devices, or nothing) and which
//! handler runs it. Adding a request is one arm here plus its handler; the match is exhaustive,
//! so a body added to the schema does not build until it is routed.

use std::sync::Arc;

use tokio::sync::mpsc;

use super::client::ClientShared;
use super::reply::{Reply, ReplyFuture, err, ok, ready};
use super::schema::{self as s, ErrorCode, request};
use super::session::{Session, Simulated};
use super::{commands, debug, simulator};
use crate::client::Client;

/// How the worker runs a request.
pub enum Route {
    /// Runs at once, concurrently with other requests; its reply keeps the request's place.
    Run(ReplyFuture),
    /// Waits until every earlier request was answered, then runs alone (it changes the
    /// session).
    Barrier(Barrier),
}

/// The barrier requests.
pub enum Barrier {
    Connect(s::Connect),
    Disconnect,
}

/// What a handler may use: the client's worker state when the request arrives.
pub struct At<'a> {
    pub client: &'a Arc<ClientShared>,
    pub session: &'a mut Option<Session>,
    /// Where observed simulated devices report their operations.
    pub sim_ops: &'a mpsc::Sender<s::SimulatorOp>,
}

/// Route one request body.
pub fn route(body: request::Body, at: At<'_>) -> Route {
    use request::Body as B;
    match body {
        B::Connect(c) => Route::Barrier(Barrier::Connect(c)),
        B::Disconnect(_) => Route::Barrier(Barrier::Disconnect),
        B::StartScanning(_) => client_core(at, commands::start_scanning),
        B::StopScanning(_) => client_core(at, commands::stop_scanning),
        B::RequestDeviceList(_) => client_core(at, commands::device_list),
        B::Output(o) => client_core(at, |c| commands::output(c, o)),
        B::Input(i) => client_core(at, |c| commands::input(c, i)),
        B::Stop(st) => client_core(at, |c| commands::stop(c, st)),
        B::Ping(_) => client_core(at, commands::ping),
        B::SubscribeLogs(sub) => {
            let client = at.client;
            super::log::subscribe(client.key, sub.max_level, client.requests.clone());
            Route::Run(ready(ok()))
        }
        B::SimulatorAdvertise(a) => {
            let ops = at.sim_ops;
            simulated(at, |sim| simulator::advertise(sim, a, ops))
        }
        B::SimulatorNotify(n) => simulated(at, |sim| simulator::notify(sim, n)),
        B::SimulatorQueueRead(q) => simulated(at, |sim| simulator::queue_read(sim, q)),
        B::SimulatorDisconnect(d) => simulated(at, |sim| simulator::disconnect(sim, d)),
        B::Debug(d) => {
            let server = at.session.as_ref().and_then(Session::server);
            Route::Run(debug::run(d, at.client.debug, server))
        }
    }
}

/// A request for the client core: needs a session that is not a raw channel.
fn client_core(at: At<'_>, handler: impl FnOnce(&Client) -> ReplyFuture) -> Route {
    Route::Run(match at.session.as_ref().map(Session::client) {
        Some(Some(client)) => handler(client),
        Some(None) => ready(err(
            ErrorCode::Unsupported,
            "a raw channel takes Buttplug JSON frames for this",
        )),
        None => ready(err(ErrorCode::NotConnected, "not connected")),
    })
}

/// A request for the embedded server's simulated devices: needs an embedded session.
fn simulated(at: At<'_>, handler: impl FnOnce(Simulated<'_>) -> Reply) -> Route {
    let reply = match at.session.as_mut().map(Session::simulated) {
        Some(Some(sim)) => handler(sim),
        Some(None) => err(
            ErrorCode::Unsupported,
            "simulated devices need the embedded server",
        ),
        None => err(
            ErrorCode::NotConnected,
            "connect to the embedded server before using simulated devices",
        ),
    };
    Route::Run(ready(reply))
}
