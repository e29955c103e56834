//! What a request handler gives back: a [`Reply`] (a response body, or an error code and text),
//! usually as a [`ReplyFuture`] so requests run concurrently. Shared by the router, the
//! handlers and the worker that turns replies into responses.

use futures::FutureExt;
use futures::future::BoxFuture;

use super::schema::{self as s, ErrorCode, Response, response};
use super::status::panic_message;
use crate::client::ClientError;

/// Why a request failed: the schema's error code and a text for the caller.
pub type Failure = (ErrorCode, String);

/// A handler's outcome.
pub type Reply = Result<response::Body, Failure>;

/// A handler's outcome, once it is ready.
pub type ReplyFuture = BoxFuture<'static, Reply>;

/// The `ok` reply.
pub fn ok() -> Reply {
    Ok(response::Body::Ok(s::Empty {}))
}

/// An error reply.
pub fn err(code: ErrorCode, message: impl Into<String>) -> Reply {
    Err((code, message.into()))
}

/// A reply known at once, as a future.
pub fn ready(reply: Reply) -> ReplyFuture {
    futures::future::ready(reply).boxed()
}

/// `ok`, or the schema error of a failed client-core call.
pub fn from_client(r: Result<(), ClientError>) -> Reply {
    r.map(|()| response::Body::Ok(s::Empty {}))
        .map_err(|e| super::convert::client_error(&e))
}

/// The response carrying a reply to request `id`.
pub fn to_response(id: u32, reply: Reply) -> Response {
    match reply {
        Ok(body) => s::response(id, body),
        Err((code, message)) => s::error_response(id, code, message),
    }
}

/// The reply of a request whose handler panicked (docs/FFI.md A9); the panic is logged.
pub fn panicked(payload: &(dyn std::any::Any + Send)) -> Reply {
    let text = panic_message(payload);
    tracing::error!("panic while handling a request: {text}");
    err(ErrorCode::Panic, format!("panic: {text}"))
}
