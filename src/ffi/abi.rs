//! The C-visible vocabulary of the ABI: status codes, formats, flags, log levels, the buffer
//! type, opaque handle types and callback types. cbindgen turns this file and `exports.rs` into
//! `include/teleplug.h`; nothing here has behaviour.

#![allow(non_camel_case_types)]

use std::ffi::c_void;

/// The ABI version. Wrappers compare `tp_abi_version()` with the value they were built against
/// and refuse to run on a mismatch. Bumped on any incompatible change of this header.
pub const TP_ABI_VERSION: u32 = 1;

/// Success.
pub const TP_OK: i32 = 0;
/// `tp_client_poll`: no message arrived within the timeout.
pub const TP_TIMEOUT: i32 = 7001;
/// `tp_client_poll`: the client is finished (context shut down) and every message was drained.
pub const TP_CLOSED: i32 = 7002;
/// A required pointer argument was NULL (or NULL with a non-zero length).
pub const TP_ERR_NULL_ARG: i32 = 7101;
/// An argument is out of range (unknown format, wrong mode, request id 0, ...).
pub const TP_ERR_INVALID_ARG: i32 = 7102;
/// A message could not be decoded in the client's format.
pub const TP_ERR_DECODE: i32 = 7103;
/// The handle was freed, or never came from this library.
pub const TP_ERR_INVALID_HANDLE: i32 = 7104;
/// The context is shut down (or shutting down).
pub const TP_ERR_SHUTDOWN: i32 = 7105;
/// The library panicked inside this call; the call had no effect that can be relied on.
pub const TP_ERR_PANIC: i32 = 7106;
/// The client's request queue is full; retry after draining replies.
pub const TP_ERR_BUSY: i32 = 7107;
/// The operating system refused a resource (thread, runtime).
pub const TP_ERR_INTERNAL: i32 = 7108;

/// Messages are protobuf-encoded `Request`/`Response` (proto/teleplug.proto).
pub const TP_FORMAT_PROTOBUF: i32 = 1;
/// Messages are the canonical proto3 JSON mapping of `Request`/`Response`.
pub const TP_FORMAT_JSON: i32 = 2;
/// A raw channel to the embedded server: JSON arrays are Buttplug spec frames (in and out);
/// JSON objects are `Request`/`Response` in TP_FORMAT_JSON (connect options, simulated devices).
pub const TP_FORMAT_BUTTPLUG_JSON: i32 = 3;

/// `tp_context_new` flag: honour `debug` requests (test hooks such as injected panics).
pub const TP_CONTEXT_DEBUG: u32 = 1;

/// Log levels (`tp_log_set_callback`, and `LogLevel` of the schema).
pub const TP_LOG_OFF: i32 = 0;
pub const TP_LOG_ERROR: i32 = 1;
pub const TP_LOG_WARN: i32 = 2;
pub const TP_LOG_INFO: i32 = 3;
pub const TP_LOG_DEBUG: i32 = 4;
pub const TP_LOG_TRACE: i32 = 5;

/// A library-owned byte buffer (one message). Release it with `tp_buffer_free`.
#[repr(C)]
#[derive(Debug)]
pub struct tp_buffer {
    pub data: *mut u8,
    pub len: usize,
}

/// A library context: runtime, dispatcher thread, clients. Opaque.
pub struct tp_context {
    _private: [u8; 0],
}

/// A client of a context. Opaque.
pub struct tp_client {
    _private: [u8; 0],
}

/// Event sink: one message (a `Response`), borrowed for the duration of the call.
pub type tp_event_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, buf: *const u8, len: usize)>;

/// Finalizer of `user_data`: runs exactly once, after the last callback that receives it.
pub type tp_free_fn = Option<unsafe extern "C" fn(user_data: *mut c_void)>;

/// Log sink: one record (UTF-8 text, borrowed for the duration of the call).
pub type tp_log_fn =
    Option<unsafe extern "C" fn(user_data: *mut c_void, level: i32, msg: *const u8, len: usize)>;
