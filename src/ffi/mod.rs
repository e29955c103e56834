//! The C ABI (`include/teleplug.h`): the only module with `unsafe` code. Each `unsafe` block
//! carries a `// SAFETY:` comment.
//!
//! Shape: a [`context`] owns a tokio runtime and one [`dispatcher`] thread; a client (see
//! [`client`]) has one long-lived [`worker`] task that decodes nothing (decoding happens in
//! `tp_client_send`, so bad input fails synchronously), routes each request in one place
//! ([`route`]), runs requests concurrently with replies in request order, and emits responses
//! to the dispatcher (sink mode) or to its poll queue. A client's connection is a [`session`]
//! (made by [`connect`]); its requests are handled by [`commands`] (the client core),
//! [`simulator`] (simulated devices) and [`debug`] (test hooks), each returning a [`reply`].
//! Handles are keys into [`handles`] maps, never raw pointers; every export runs inside the
//! panic boundary of [`status`]. The message schema is [`schema`].

#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod abi;
mod buffer;
mod client;
mod commands;
mod connect;
mod context;
mod convert;
mod debug;
mod dispatcher;
pub mod exports;
mod handles;
mod log;
mod queue;
mod reply;
mod route;
pub mod schema;
mod session;
mod simulator;
mod status;
mod worker;

pub use abi::*;
/// Limits of a client: requests queued towards its worker, and run by it at once.
pub use client::REQUEST_CAPACITY;
pub use exports::*;
pub use worker::MAX_INFLIGHT;
