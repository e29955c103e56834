//! The dispatcher: one library-owned thread per context that runs every event-sink callback of
//! the context's clients, one at a time and in order. It never holds a lock while calling out,
//! and it tracks which client's callback is running so `tp_client_free` can wait for it (or,
//! when called from inside that very callback, leave the finalizer to the dispatcher). It sees
//! a client only as a [`Recipient`].

use std::cell::Cell;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;
use std::time::Instant;

use parking_lot::{Condvar, Mutex};

use super::queue::{Pop, Queue};

/// Messages queued towards callbacks, per context.
pub const DISPATCH_CAPACITY: usize = 4096;

thread_local! {
    /// The key of the context whose dispatcher runs on this thread (0: none).
    static DISPATCHER_OF: Cell<usize> = const { Cell::new(0) };
}

/// Whose callbacks the dispatcher runs (a client).
pub trait Recipient: Send + Sync {
    /// Its handle key.
    fn key(&self) -> usize;
    /// Freed: no callback of it may start.
    fn is_freed(&self) -> bool;
    /// Run its callback with one message.
    fn call(&self, bytes: &[u8]);
    /// Run its finalizer (once, after its last callback).
    fn finalize(&self);
}

/// One message for one client's sink.
pub struct Delivery {
    pub client: Arc<dyn Recipient>,
    pub bytes: Vec<u8>,
}

pub struct Dispatcher {
    context_key: usize,
    queue: Queue<Delivery>,
    /// The client whose callback is running.
    running: Mutex<Option<usize>>,
    idle: Condvar,
    /// After a shutdown deadline: drop what is left instead of delivering it.
    abandon: AtomicBool,
    thread: Mutex<Option<JoinHandle<()>>>,
    finished: Mutex<bool>,
    finished_cv: Condvar,
}

impl Dispatcher {
    pub fn start(context_key: usize) -> std::io::Result<Arc<Dispatcher>> {
        let d = Arc::new(Dispatcher {
            context_key,
            queue: Queue::new(DISPATCH_CAPACITY),
            running: Mutex::new(None),
            idle: Condvar::new(),
            abandon: AtomicBool::new(false),
            thread: Mutex::new(None),
            finished: Mutex::new(false),
            finished_cv: Condvar::new(),
        });
        let d2 = d.clone();
        let t = std::thread::Builder::new()
            .name("teleplug-dispatch".into())
            .spawn(move || run(d2))?;
        *d.thread.lock() = Some(t);
        Ok(d)
    }

    /// Queue a message for a client's sink (waits while the queue is full).
    pub async fn deliver(&self, client: Arc<dyn Recipient>, bytes: Vec<u8>) {
        let _ = self.queue.push(Delivery { client, bytes }).await;
    }

    /// Whether the calling thread is this dispatcher.
    pub fn is_current_thread(&self) -> bool {
        DISPATCHER_OF.with(|d| d.get()) == self.context_key
    }

    /// Whether `client`'s callback is running now.
    pub fn is_running(&self, client: usize) -> bool {
        *self.running.lock() == Some(client)
    }

    /// Mark `client` as gone and wait until no callback of it runs. The dispatcher checks the
    /// client's freed flag under the same lock before each callback, so none starts afterwards.
    pub fn wait_idle(&self, client: usize) {
        let mut running = self.running.lock();
        while *running == Some(client) {
            self.idle.wait(&mut running);
        }
    }

    /// Deliver what is queued (until `deadline`, then drop the rest) and end the thread.
    /// Returns whether everything was delivered in time.
    pub fn stop(&self, deadline: Instant) -> bool {
        self.queue.close();
        let mut in_time = true;
        {
            let mut finished = self.finished.lock();
            while !*finished {
                if self
                    .finished_cv
                    .wait_until(&mut finished, deadline)
                    .timed_out()
                {
                    in_time = *finished;
                    break;
                }
            }
        }
        if !in_time {
            // A callback is slow or the queue is long: skip the rest. The join below still
            // waits for a callback that is running, so none runs after we return.
            self.abandon.store(true, Ordering::SeqCst);
        }
        if let Some(t) = self.thread.lock().take() {
            let _ = t.join();
        }
        drop(self.queue.clear());
        in_time
    }
}

fn run(d: Arc<Dispatcher>) {
    DISPATCHER_OF.with(|c| c.set(d.context_key));
    loop {
        match d.queue.pop(None) {
            Pop::Item(Delivery { client, bytes }) => {
                if d.abandon.load(Ordering::SeqCst) {
                    continue;
                }
                {
                    let mut running = d.running.lock();
                    if client.is_freed() {
                        continue;
                    }
                    *running = Some(client.key());
                }
                client.call(&bytes);
                {
                    *d.running.lock() = None;
                    d.idle.notify_all();
                }
                if client.is_freed() {
                    // Freed inside its own callback: this was the last one.
                    client.finalize();
                }
            }
            Pop::Timeout => continue,
            Pop::Closed => break,
        }
    }
    *d.finished.lock() = true;
    d.finished_cv.notify_all();
}
