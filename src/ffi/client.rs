//! The library side of a `tp_client`: its encoding, its event sink or poll queue, its
//! finalizer, and the channel to its worker task. Emitting, freeing and finalizing live here;
//! requests are run by its `worker`.

use std::ffi::c_void;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use parking_lot::Mutex;
use tokio::sync::{mpsc, oneshot};

use super::dispatcher::{Dispatcher, Recipient};
use super::queue::Queue;
use super::schema::{self, Format};

/// Requests (and log records) queued towards one client's worker.
pub const REQUEST_CAPACITY: usize = 4096;
/// Messages a poll-mode client can hold before its worker waits.
pub const POLL_CAPACITY: usize = 4096;

/// The caller's event sink.
pub struct Sink {
    pub f: unsafe extern "C" fn(*mut c_void, *const u8, usize),
    pub user_data: *mut c_void,
}

/// The caller's finalizer of `user_data`.
pub struct Finalizer {
    pub f: unsafe extern "C" fn(*mut c_void),
    pub user_data: *mut c_void,
}

// SAFETY: the caller of tp_client_new promises (header contract) that the sink and finalizer
// may be called with `user_data` from the library's dispatcher thread and the thread calling
// tp_client_free / tp_context_shutdown; the pointers are only passed back, never dereferenced.
unsafe impl Send for Sink {}
// SAFETY: as above; the library never reads through `user_data`.
unsafe impl Sync for Sink {}
// SAFETY: as above.
unsafe impl Send for Finalizer {}

/// What a worker receives.
pub enum WorkerInput {
    Request(schema::Request),
    /// A Buttplug JSON frame (raw channels).
    Frame(String),
    /// A log record for a client subscribed to logs.
    Log(schema::LogRecord),
}

/// Why a worker stops.
#[derive(Debug)]
pub enum CloseReason {
    /// tp_client_free: nobody listens any more.
    Freed,
    /// The context shuts down: pending requests get error replies, then a `closed` event.
    Shutdown(String),
}

pub struct ClientShared {
    pub key: usize,
    pub format: Format,
    pub name: String,
    /// The context was created with TP_CONTEXT_DEBUG.
    pub debug: bool,
    sink: Option<Sink>,
    finalizer: Mutex<Option<Finalizer>>,
    freed: AtomicBool,
    pub poll: Option<Queue<Vec<u8>>>,
    dispatcher: Arc<Dispatcher>,
    pub requests: mpsc::Sender<WorkerInput>,
    close: Mutex<Option<oneshot::Sender<CloseReason>>>,
}

impl ClientShared {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        key: usize,
        format: Format,
        name: String,
        debug: bool,
        sink: Option<Sink>,
        finalizer: Option<Finalizer>,
        dispatcher: Arc<Dispatcher>,
    ) -> (
        Arc<ClientShared>,
        mpsc::Receiver<WorkerInput>,
        oneshot::Receiver<CloseReason>,
    ) {
        let (tx, rx) = mpsc::channel(REQUEST_CAPACITY);
        let (close_tx, close_rx) = oneshot::channel();
        let poll = sink.is_none().then(|| Queue::new(POLL_CAPACITY));
        let c = Arc::new(ClientShared {
            key,
            format,
            name,
            debug,
            sink,
            finalizer: Mutex::new(finalizer),
            freed: AtomicBool::new(false),
            poll,
            dispatcher,
            requests: tx,
            close: Mutex::new(Some(close_tx)),
        });
        (c, rx, close_rx)
    }

    pub fn is_freed(&self) -> bool {
        self.freed.load(Ordering::SeqCst)
    }

    /// Send one encoded message to the caller.
    pub async fn emit_bytes(self: &Arc<Self>, bytes: Vec<u8>) {
        if self.is_freed() {
            return;
        }
        match &self.poll {
            Some(q) => {
                let _ = q.push(bytes).await;
            }
            None => self.dispatcher.deliver(self.clone(), bytes).await,
        }
    }

    /// Run the finalizer, at most once.
    pub fn finalize(&self) {
        let fin = self.finalizer.lock().take();
        if let Some(fin) = fin {
            let _ = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: the caller's finalizer, called exactly once (taken above) with its own
                // user_data, after the last callback (see `free` and the dispatcher).
                unsafe { (fin.f)(fin.user_data) }
            }));
        }
    }

    /// Tell the worker to stop. On shutdown a poll queue stops waiting for room: the caller
    /// is inside tp_context_shutdown, not polling, and the replies to pending requests and the
    /// `closed` event must still be queued.
    pub fn close(&self, reason: CloseReason) {
        if let (CloseReason::Shutdown(_), Some(q)) = (&reason, &self.poll) {
            q.lift_bound();
        }
        if let Some(tx) = self.close.lock().take() {
            let _ = tx.send(reason);
        }
    }

    /// tp_client_free: stop the worker, wait until no callback of this client runs (unless
    /// called from inside it), run the finalizer after the last callback. Idempotent.
    pub fn free(&self) {
        if self.freed.swap(true, Ordering::SeqCst) {
            return;
        }
        self.close(CloseReason::Freed);
        if let Some(q) = &self.poll {
            q.close();
            drop(q.clear());
        }
        if self.dispatcher.is_current_thread() {
            if self.dispatcher.is_running(self.key) {
                // Inside our own callback: the dispatcher finalizes once it returns.
                return;
            }
        } else {
            self.dispatcher.wait_idle(self.key);
        }
        self.finalize();
    }

    /// After the context shut down: poll clients drain, then see TP_CLOSED.
    pub fn close_poll_queue(&self) {
        if let Some(q) = &self.poll {
            q.close();
        }
    }
}

impl Recipient for ClientShared {
    fn key(&self) -> usize {
        self.key
    }
    fn is_freed(&self) -> bool {
        ClientShared::is_freed(self)
    }
    /// Run the sink (dispatcher thread only).
    fn call(&self, bytes: &[u8]) {
        if let Some(sink) = &self.sink {
            let f = sink.f;
            let user_data = sink.user_data;
            // A Rust `extern "C"` sink that panics aborts; keep our side unwind-free anyway.
            let _ = catch_unwind(AssertUnwindSafe(|| {
                // SAFETY: `f` and `user_data` come from tp_client_new, whose contract makes them
                // valid until the finalizer runs; the buffer is valid for the call's duration.
                unsafe { f(user_data, bytes.as_ptr(), bytes.len()) }
            }));
        }
    }
    fn finalize(&self) {
        ClientShared::finalize(self)
    }
}
