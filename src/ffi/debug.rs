//! Test hooks (`debug` requests), honoured only in contexts created with TP_CONTEXT_DEBUG:
//! a panic injected at `tp_client_send` or in the request's task (docs/FFI.md A9), a slow request,
//! and shutting the embedded server down under the client.

use std::time::Duration;

use futures::FutureExt;

use super::reply::{ReplyFuture, err, ok, ready};
use super::schema::{self as s, ErrorCode, debug_request::Action};
use crate::server::Server;

/// At `tp_client_send`, on the caller's thread: panic if the request asks for it.
pub fn at_send(debug: bool, r: &s::Request) {
    if let Some(s::request::Body::Debug(s::DebugRequest {
        action: Some(Action::Panic(site)),
    })) = &r.body
    {
        if debug && *site == s::PanicSite::Send as i32 {
            panic!("injected panic in tp_client_send (debug request {})", r.id)
        }
    }
}

/// A `debug` request; `server` is the session's embedded server.
pub fn run(d: s::DebugRequest, debug: bool, server: Option<Server>) -> ReplyFuture {
    if !debug {
        return ready(err(
            ErrorCode::Unsupported,
            "debug requests need a context created with TP_CONTEXT_DEBUG",
        ));
    }
    match d.action {
        Some(Action::Panic(_)) => async { panic!("injected panic (debug request)") }.boxed(),
        Some(Action::SleepMs(ms)) => async move {
            tokio::time::sleep(Duration::from_millis(u64::from(ms))).await;
            ok()
        }
        .boxed(),
        Some(Action::ShutdownServer(_)) => match server {
            Some(server) => async move {
                server.shutdown(Duration::from_secs(2)).await;
                ok()
            }
            .boxed(),
            None => ready(err(ErrorCode::NotConnected, "no embedded server")),
        },
        None => ready(ok()),
    }
}
