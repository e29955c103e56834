//! The C ABI (`include/teleplug.h`): the only module with `unsafe` code. Each `unsafe` block
//! carries a `// SAFETY:` comment.
//!
//! Shape: a [`context`] owns a tokio runtime and one [`dispatcher`] thread; a client (see
//! [`client`]) has one long-lived [`worker`] task that decodes nothing (decoding happens in
//! `tp_client_send`, so bad input fails synchronously), runs requests concurrently with replies
//! in request order, and emits responses to the dispatcher (sink mode) or to its poll queue.
//! Handles are keys into [`handles`] maps, never raw pointers; every export runs inside the
//! panic boundary of [`status`]. The message schema is [`schema`].

#![allow(unsafe_code)]
#![deny(clippy::undocumented_unsafe_blocks)]

pub mod abi;
mod buffer;
mod client;
mod context;
mod convert;
mod dispatcher;
pub mod exports;
mod handles;
mod log;
mod queue;
pub mod schema;
mod session;
mod status;
mod worker;

pub use abi::*;
/// Limits of a client: requests queued towards its worker, and run by it at once.
pub use client::REQUEST_CAPACITY;
pub use exports::*;
pub use worker::MAX_INFLIGHT;
