//! The `extern "C"` functions of `include/teleplug.h`. Each one validates its arguments and
//! handles, runs inside the panic boundary (`status_call` / `value_call`), and writes
//! out-parameters only on success. This file and `abi.rs` are what cbindgen reads.

use std::ffi::{c_char, c_void};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use tokio::sync::mpsc::error::TrySendError;

use super::abi::*;
use super::buffer;
use super::client::{ClientShared, Finalizer, Sink, WorkerInput};
use super::context::Context;
use super::handles::{HandleMap, next_key};
use super::queue::Pop;
use super::schema::{self, Format, Incoming, SCHEMA_VERSION};
use super::status::{FfiError, set_last_error, status_call, value_call, with_last_error};

/// How long tp_context_free waits for a context that was not shut down first.
const FREE_SHUTDOWN_TIMEOUT: Duration = Duration::from_secs(5);

struct ClientEntry {
    shared: Arc<ClientShared>,
    context: Arc<Context>,
}

static CONTEXTS: LazyLock<HandleMap<Context>> = LazyLock::new(HandleMap::new);
static CLIENTS: LazyLock<HandleMap<ClientEntry>> = LazyLock::new(HandleMap::new);

fn context(ctx: *mut tp_context) -> Result<Arc<Context>, FfiError> {
    if ctx.is_null() {
        return Err(FfiError::null("context"));
    }
    CONTEXTS
        .get(ctx as usize)
        .ok_or_else(|| FfiError::handle("context"))
}

fn client(c: *mut tp_client) -> Result<Arc<ClientEntry>, FfiError> {
    if c.is_null() {
        return Err(FfiError::null("client"));
    }
    CLIENTS
        .get(c as usize)
        .ok_or_else(|| FfiError::handle("client"))
}

/// Borrow `(ptr, len)` input; NULL with length 0 is empty.
///
/// # Safety
/// When `len > 0` and `ptr` is not NULL, `ptr` must point to `len` readable bytes that stay
/// valid and unmodified for `'a`.
unsafe fn input<'a>(ptr: *const u8, len: usize, what: &str) -> Result<&'a [u8], FfiError> {
    if len == 0 {
        return Ok(&[]);
    }
    if ptr.is_null() {
        return Err(FfiError::null(what));
    }
    // SAFETY: non-NULL, and the caller guarantees `len` readable bytes for the call.
    Ok(unsafe { std::slice::from_raw_parts(ptr, len) })
}

/// Write an out-parameter.
///
/// # Safety
/// `out` must be NULL or valid for a write of `T`.
unsafe fn write_out<T>(out: *mut T, value: T) -> Result<(), FfiError> {
    if out.is_null() {
        return Err(FfiError::null("out"));
    }
    // SAFETY: non-NULL and valid for writes per the caller's contract.
    unsafe { out.write(value) };
    Ok(())
}

/// The ABI version of this library (TP_ABI_VERSION of the header it was built with).
#[unsafe(no_mangle)]
pub extern "C" fn tp_abi_version() -> u32 {
    TP_ABI_VERSION
}

/// The library version ("major.minor.patch"), NUL-terminated, static: never free it.
#[unsafe(no_mangle)]
pub extern "C" fn tp_version_string() -> *const c_char {
    concat!(env!("CARGO_PKG_VERSION"), "\0").as_ptr().cast()
}

/// A short static description of a status code (NUL-terminated, never freed).
#[unsafe(no_mangle)]
pub extern "C" fn tp_status_string(status: i32) -> *const c_char {
    let s: &'static str = match status {
        TP_OK => "ok\0",
        TP_TIMEOUT => "timeout\0",
        TP_CLOSED => "closed\0",
        TP_ERR_NULL_ARG => "a required argument is NULL\0",
        TP_ERR_INVALID_ARG => "invalid argument\0",
        TP_ERR_DECODE => "message cannot be decoded\0",
        TP_ERR_INVALID_HANDLE => "invalid handle\0",
        TP_ERR_SHUTDOWN => "context is shut down\0",
        TP_ERR_PANIC => "internal panic\0",
        TP_ERR_BUSY => "queue full, retry later\0",
        TP_ERR_INTERNAL => "operating system resource unavailable\0",
        _ => "unknown status\0",
    };
    s.as_ptr().cast()
}

/// Copy the calling thread's last error message (UTF-8, no NUL added) into `buf`, at most
/// `len` bytes. Returns the full length of the message (0 if none); call with NULL/0 to size.
///
/// # Safety
/// `buf` must be NULL or valid for writes of `len` bytes.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tp_last_error_message(buf: *mut u8, len: usize) -> usize {
    value_call(0, || {
        with_last_error(|m| {
            if !buf.is_null() {
                let n = m.len().min(len);
                // SAFETY: `buf` is valid for `len` >= n bytes (caller contract); the source is
                // a separate Rust string.
                unsafe { std::ptr::copy_nonoverlapping(m.as_ptr(), buf, n) };
            }
            m.len()
        })
    })
}

/// Create a context: its async runtime (2 worker threads) and its dispatcher thread.
/// `flags`: 0 or TP_CONTEXT_DEBUG. `*out` is written on TP_OK.
///
/// # Safety
/// `out` must be NULL or valid for a write of a pointer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tp_context_new(flags: u32, out: *mut *mut tp_context) -> i32 {
    status_call(|| {
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        if flags & !TP_CONTEXT_DEBUG != 0 {
            return Err(FfiError::invalid(format!(
                "unknown context flags {flags:#x}"
            )));
        }
        let key = next_key();
        let ctx = Context::new(key, flags)?;
        CONTEXTS.insert(key, ctx);
        // SAFETY: checked non-NULL above; valid for writes per the contract.
        unsafe { write_out(out, key as *mut tp_context) }
    })
}

/// Shut a context down within `timeout_ms`: every client's pending requests are answered
/// (ERROR_CODE_SHUTDOWN), devices stop and disconnect, each client gets a final `closed`
/// event, every library thread of the context is joined and the remaining finalizers run.
/// Stopping the devices is waited for even past `timeout_ms` (it ends as soon as they are
/// stopped; at most 5 s): a device within its message gap writes its stop first.
/// After it returns no callback of this context runs (messages still queued at the deadline
/// are dropped; a callback running at the deadline cannot be interrupted and is waited for).
/// Idempotent. Not allowed inside a
/// callback of the same context (TP_ERR_INVALID_ARG). Client handles stay valid until freed:
/// sends fail with TP_ERR_SHUTDOWN, polls drain and then return TP_CLOSED.
#[unsafe(no_mangle)]
pub extern "C" fn tp_context_shutdown(ctx: *mut tp_context, timeout_ms: u32) -> i32 {
    status_call(|| context(ctx)?.shutdown(Duration::from_millis(u64::from(timeout_ms))))
}

/// Free a context (shutting it down first if needed, with a 5 s bound) and every client
/// handle still open in it. NULL, freed and foreign handles are ignored. Not allowed inside a
/// callback of the same context (ignored then; the last error says so).
#[unsafe(no_mangle)]
pub extern "C" fn tp_context_free(ctx: *mut tp_context) {
    let status = status_call(|| {
        if ctx.is_null() {
            return Ok(());
        }
        let Some(c) = CONTEXTS.get(ctx as usize) else {
            return Ok(());
        };
        c.shutdown(FREE_SHUTDOWN_TIMEOUT)?;
        CONTEXTS.remove(ctx as usize);
        for key in c.client_keys() {
            if let Some(entry) = CLIENTS.remove(key) {
                entry.shared.free();
            }
            c.remove_client(key);
        }
        Ok(())
    });
    let _ = status;
}

/// Create a client in `ctx`.
/// - `format`: TP_FORMAT_PROTOBUF, TP_FORMAT_JSON, or TP_FORMAT_BUTTPLUG_JSON (raw channel: send
///   Buttplug JSON arrays, receive the server's Buttplug frames; JSON objects are `Request`s
///   in TP_FORMAT_JSON, for connect options and simulated devices. The embedded server starts
///   with default options at the first frame unless a `connect` came first).
/// - `name`: the client name for the handshake (UTF-8, may be empty).
/// - `on_event`: the event sink, called on the context's dispatcher thread with each message;
///   NULL selects poll mode (tp_client_poll).
/// - `user_data`: passed to `on_event` and `user_data_free`.
/// - `user_data_free`: optional; runs exactly once, after the last callback (at tp_client_free,
///   after the callback that freed the client returns, or at context shutdown).
///
/// # Safety
/// `name` must be valid for `name_len` bytes (or NULL with 0); `out` valid for a write;
/// `on_event`/`user_data_free` must be safe to call from other threads with `user_data`.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tp_client_new(
    ctx: *mut tp_context,
    format: i32,
    name: *const u8,
    name_len: usize,
    on_event: tp_event_fn,
    user_data: *mut c_void,
    user_data_free: tp_free_fn,
    out: *mut *mut tp_client,
) -> i32 {
    status_call(|| {
        let context = context(ctx)?;
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        let format = Format::from_i32(format)
            .ok_or_else(|| FfiError::invalid(format!("unknown format {format}")))?;
        // SAFETY: the caller guarantees `name_len` readable bytes at `name` for this call.
        let name = unsafe { input(name, name_len, "name") }?;
        let name = std::str::from_utf8(name)
            .map_err(|e| FfiError::invalid(format!("name is not UTF-8: {e}")))?
            .to_string();
        if context.is_shut_down() {
            return Err(FfiError::shutdown());
        }
        let sink = on_event.map(|f| Sink { f, user_data });
        let finalizer = user_data_free.map(|f| Finalizer { f, user_data });
        let key = next_key();
        let shared = context.new_client(key, format, name, sink, finalizer)?;
        CLIENTS.insert(key, Arc::new(ClientEntry { shared, context }));
        // SAFETY: checked non-NULL above.
        unsafe { write_out(out, key as *mut tp_client) }
    })
}

/// Send one message (a `Request` in the client's format; for raw channels also a Buttplug
/// JSON frame). Returns once it is queued; the reply arrives as a message with the same id.
/// TP_ERR_DECODE: not decodable; TP_ERR_INVALID_ARG: id 0, no body, or a newer schema;
/// TP_ERR_BUSY: the request queue is full; TP_ERR_SHUTDOWN: the context is shut down.
///
/// # Safety
/// `msg` must be valid for `len` bytes (or NULL with 0).
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tp_client_send(c: *mut tp_client, msg: *const u8, len: usize) -> i32 {
    status_call(|| {
        let entry = client(c)?;
        // SAFETY: the caller guarantees `len` readable bytes at `msg` for this call.
        let bytes = unsafe { input(msg, len, "msg") }?;
        if entry.context.is_shut_down() {
            return Err(FfiError::shutdown());
        }
        let shared = &entry.shared;
        let input = match schema::decode(shared.format, bytes)
            .map_err(|m| FfiError::new(TP_ERR_DECODE, m))?
        {
            Incoming::Request(r) => {
                check_request(shared, &r)?;
                WorkerInput::Request(r)
            }
            Incoming::Frame(f) => WorkerInput::Frame(f),
        };
        shared.requests.try_send(input).map_err(|e| match e {
            TrySendError::Full(_) => FfiError::new(TP_ERR_BUSY, "the request queue is full"),
            TrySendError::Closed(_) if shared.is_freed() => FfiError::handle("client"),
            TrySendError::Closed(_) => FfiError::shutdown(),
        })
    })
}

/// The envelope checks of a request (the body is routed by the worker, `route`).
fn check_request(shared: &ClientShared, r: &schema::Request) -> Result<(), FfiError> {
    if r.id == 0 {
        return Err(FfiError::invalid("request id must be >= 1"));
    }
    if r.schema_version > SCHEMA_VERSION {
        return Err(FfiError::invalid(format!(
            "request schema version {} is newer than this library's {SCHEMA_VERSION}",
            r.schema_version
        )));
    }
    if r.body.is_none() {
        return Err(FfiError::invalid(
            "request has no body (or one this library does not know)",
        ));
    }
    super::debug::at_send(shared.debug, r);
    Ok(())
}

/// Poll-mode clients: wait up to `timeout_ms` (0: don't wait; UINT32_MAX: no limit) for one
/// message. TP_OK: `*out` holds it (release with tp_buffer_free); TP_TIMEOUT: nothing came;
/// TP_CLOSED: the client is finished (context shut down or client freed) and drained.
/// Sink-mode clients: TP_ERR_INVALID_ARG.
///
/// # Safety
/// `out` must be NULL or valid for a write of a tp_buffer.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tp_client_poll(
    c: *mut tp_client,
    timeout_ms: u32,
    out: *mut tp_buffer,
) -> i32 {
    status_call(|| {
        let entry = client(c)?;
        if out.is_null() {
            return Err(FfiError::null("out"));
        }
        let Some(queue) = &entry.shared.poll else {
            return Err(FfiError::invalid(
                "tp_client_poll needs a poll-mode client (created with on_event NULL)",
            ));
        };
        let timeout =
            (timeout_ms != u32::MAX).then(|| Duration::from_millis(u64::from(timeout_ms)));
        match queue.pop(timeout) {
            Pop::Item(bytes) => {
                let buf = buffer::into_buffer(bytes);
                // SAFETY: checked non-NULL above.
                unsafe { write_out(out, buf) }
            }
            Pop::Timeout => Err(FfiError::new(TP_TIMEOUT, "no message within the timeout")),
            Pop::Closed => Err(FfiError::new(TP_CLOSED, "the client is closed")),
        }
    })
}

/// Release a buffer returned by tp_client_poll. Buffers not from this library, and second
/// frees, are ignored.
#[unsafe(no_mangle)]
pub extern "C" fn tp_buffer_free(buf: tp_buffer) {
    value_call((), || {
        if buf.data.is_null() {
            return;
        }
        if buffer::take_buffer(&buf).is_none() {
            set_last_error("tp_buffer_free: not a live buffer of this library");
        }
    })
}

/// Free a client: its connection closes (every device stops). Idempotent; NULL, freed and
/// foreign handles are ignored. Safe from any thread and from inside this client's own
/// callback. Blocks until no callback of this client runs (except when called from inside
/// it); no callback of this client starts after it returns.
#[unsafe(no_mangle)]
pub extern "C" fn tp_client_free(c: *mut tp_client) {
    value_call((), || {
        if c.is_null() {
            return;
        }
        if let Some(entry) = CLIENTS.remove(c as usize) {
            entry.context.remove_client(entry.shared.key);
            entry.shared.free();
        }
    })
}

/// Set, replace or clear (NULL) the process-wide log callback. Records up to `max_level`
/// (TP_LOG_ERROR..TP_LOG_TRACE; TP_LOG_OFF silences) are delivered on a library log thread
/// through a bounded queue (overflow is dropped and counted). When it returns, the previous
/// callback is not running and is never called again (unless called from inside the log
/// callback itself).
///
/// # Safety
/// `cb` must be safe to call from another thread with `user_data` until replaced or cleared.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn tp_log_set_callback(
    cb: tp_log_fn,
    user_data: *mut c_void,
    max_level: i32,
) -> i32 {
    status_call(|| super::log::set_callback(cb, user_data, max_level))
}
