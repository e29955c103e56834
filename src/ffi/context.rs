//! A `tp_context`: the tokio runtime (2 workers), the dispatcher thread, and the clients
//! created in it. Shutdown is bounded, answers or fails every pending request, sends each
//! client a final `closed` event, joins every thread of the context, and runs the remaining
//! finalizers, after which no callback of this context runs.

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use futures::FutureExt;
use parking_lot::Mutex;
use tokio::runtime::{Handle, Runtime};
use tokio::task::JoinHandle;

use super::abi::{TP_CONTEXT_DEBUG, TP_ERR_INTERNAL};
use super::client::{ClientShared, CloseReason, Finalizer, Sink};
use super::dispatcher::Dispatcher;
use super::schema::Format;
use super::status::FfiError;
use super::worker;

/// Runtime worker threads per context.
pub const RUNTIME_WORKERS: usize = 2;
/// Shutdown waits this long for the clients to stop their devices even when the caller's
/// timeout is shorter (it ends as soon as they are stopped): a device in a message gap, or one
/// whose stop must be retried, is never let go running because the caller was in a hurry.
pub const DEVICE_STOP_FLOOR: Duration = Duration::from_secs(5);
/// Time left to deliver the last messages when stopping the devices ran past the deadline.
const DELIVERY_GRACE: Duration = Duration::from_millis(100);

pub struct Context {
    pub flags: u32,
    runtime: Mutex<Option<Runtime>>,
    handle: Handle,
    dispatcher: Arc<Dispatcher>,
    clients: Mutex<HashMap<usize, Arc<ClientShared>>>,
    workers: Mutex<Vec<JoinHandle<()>>>,
    shut_down: AtomicBool,
    /// Serialises shutdown; true once it completed.
    finished: Mutex<bool>,
}

impl Context {
    pub fn new(key: usize, flags: u32) -> Result<Arc<Context>, FfiError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(RUNTIME_WORKERS)
            .max_blocking_threads(2)
            .thread_name("teleplug-rt")
            .enable_all()
            .build()
            .map_err(|e| FfiError::new(TP_ERR_INTERNAL, format!("cannot start runtime: {e}")))?;
        let dispatcher = Dispatcher::start(key)
            .map_err(|e| FfiError::new(TP_ERR_INTERNAL, format!("cannot start dispatcher: {e}")))?;
        Ok(Arc::new(Context {
            flags,
            handle: runtime.handle().clone(),
            runtime: Mutex::new(Some(runtime)),
            dispatcher,
            clients: Mutex::new(HashMap::new()),
            workers: Mutex::new(Vec::new()),
            shut_down: AtomicBool::new(false),
            finished: Mutex::new(false),
        }))
    }

    pub fn is_shut_down(&self) -> bool {
        self.shut_down.load(Ordering::SeqCst)
    }

    /// Create a client and start its worker.
    pub fn new_client(
        &self,
        key: usize,
        format: Format,
        name: String,
        sink: Option<Sink>,
        finalizer: Option<Finalizer>,
    ) -> Result<Arc<ClientShared>, FfiError> {
        let mut clients = self.clients.lock();
        if self.is_shut_down() {
            return Err(FfiError::shutdown());
        }
        let (client, rx, close) = ClientShared::new(
            key,
            format,
            name,
            self.flags & TP_CONTEXT_DEBUG != 0,
            sink,
            finalizer,
            self.dispatcher.clone(),
        );
        let join = self.handle.spawn(worker::run(client.clone(), rx, close));
        {
            let mut workers = self.workers.lock();
            workers.retain(|w| !w.is_finished());
            workers.push(join);
        }
        clients.insert(key, client.clone());
        Ok(client)
    }

    /// Forget a freed client.
    pub fn remove_client(&self, key: usize) {
        self.clients.lock().remove(&key);
    }

    /// The clients still alive (not freed).
    pub fn client_keys(&self) -> Vec<usize> {
        self.clients.lock().keys().copied().collect()
    }

    /// tp_context_shutdown.
    pub fn shutdown(&self, timeout: Duration) -> Result<(), FfiError> {
        if self.dispatcher.is_current_thread() {
            return Err(FfiError::invalid(
                "tp_context_shutdown cannot run inside a callback of the same context",
            ));
        }
        if Handle::try_current().is_ok() {
            return Err(FfiError::invalid(
                "tp_context_shutdown cannot run inside an async runtime",
            ));
        }
        let mut finished = self.finished.lock();
        if *finished {
            return Ok(());
        }
        let deadline = Instant::now() + timeout;
        let clients: Vec<Arc<ClientShared>> = {
            let clients = self.clients.lock();
            self.shut_down.store(true, Ordering::SeqCst);
            clients.values().cloned().collect()
        };
        for c in &clients {
            c.close(CloseReason::Shutdown("the context shut down".into()));
        }
        let runtime = self.runtime.lock().take();
        if let Some(runtime) = runtime {
            let workers: Vec<JoinHandle<()>> = self.workers.lock().drain(..).collect();
            let wait = futures::future::join_all(workers).map(|_| ());
            // The workers stop their devices: that is waited for even past the caller's timeout.
            let left = deadline
                .saturating_duration_since(Instant::now())
                .max(DEVICE_STOP_FLOOR);
            runtime.block_on(async {
                let _ = tokio::time::timeout(left, wait).await;
            });
            for c in &clients {
                c.close_poll_queue();
            }
            // Stopping the devices may have taken past the caller's deadline: the last messages
            // (replies, `closed`) still get a moment to be delivered.
            let deadline = deadline.max(Instant::now() + DELIVERY_GRACE);
            self.dispatcher.stop(deadline);
            let left = deadline.saturating_duration_since(Instant::now());
            runtime.shutdown_timeout(left.max(Duration::from_millis(100)));
        }
        for c in &clients {
            c.close_poll_queue();
            c.finalize();
        }
        *finished = true;
        Ok(())
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.get_mut().take() {
            // Not shut down properly (a bug elsewhere): never block in Drop.
            rt.shutdown_background();
        }
    }
}
