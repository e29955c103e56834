//! Logging across the ABI: a tracing layer (installed once per process as the global
//! subscriber, if none is set) forwards records to the replaceable log callback, on its own
//! thread through a bounded queue (dropping and counting on overflow), and to clients that
//! subscribed to `log` events. The callback is never called from inside an API call, from
//! `Drop`, or while a library lock is held; after `tp_log_set_callback` returns, the previous
//! callback is not running and never runs again.

use std::ffi::c_void;
use std::fmt::Write as _;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Once};
use std::thread::{JoinHandle, ThreadId};

use parking_lot::{Condvar, Mutex};
use tokio::sync::mpsc;
use tracing::field::{Field, Visit};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use super::abi::{TP_LOG_OFF, TP_LOG_TRACE};
use super::client::WorkerInput;
use super::queue::{Pop, Queue};
use super::schema::LogRecord;
use super::status::FfiError;

/// Log records waiting for the callback.
pub const LOG_QUEUE_CAPACITY: usize = 1024;

struct LogSink {
    f: unsafe extern "C" fn(*mut c_void, i32, *const u8, usize),
    user_data: *mut c_void,
    level: i32,
}

// SAFETY: the caller of tp_log_set_callback promises the callback may be called with
// `user_data` from the library's log thread; the library never dereferences `user_data`.
unsafe impl Send for LogSink {}

#[derive(Default)]
struct LogState {
    sink: Option<LogSink>,
    /// The log thread is inside the callback.
    calling: bool,
    queue: Option<Arc<Queue<(i32, String)>>>,
    thread: Option<JoinHandle<()>>,
    thread_id: Option<ThreadId>,
}

struct Subscription {
    client: usize,
    level: i32,
    tx: mpsc::Sender<WorkerInput>,
}

struct Hub {
    /// The most verbose level anyone wants (0: off).
    level: AtomicI32,
    state: Mutex<LogState>,
    idle: Condvar,
    clients: Mutex<Vec<Subscription>>,
    dropped: AtomicU64,
}

static HUB: LazyLock<Hub> = LazyLock::new(|| Hub {
    level: AtomicI32::new(TP_LOG_OFF),
    state: Mutex::new(LogState::default()),
    idle: Condvar::new(),
    clients: Mutex::new(Vec::new()),
    dropped: AtomicU64::new(0),
});

static INSTALL: Once = Once::new();

/// Install the forwarding layer as the global subscriber (once, when the first log consumer
/// registers; skipped if the host already installed one, so Rust hosts keep their own).
pub fn install() {
    INSTALL.call_once(|| {
        let subscriber = tracing_subscriber::registry().with(ForwardLayer);
        let _ = tracing::subscriber::set_global_default(subscriber);
    });
}

fn level_number(level: &Level) -> i32 {
    match *level {
        Level::ERROR => 1,
        Level::WARN => 2,
        Level::INFO => 3,
        Level::DEBUG => 4,
        Level::TRACE => 5,
    }
}

fn recompute_level(state: &LogState) {
    let cb = state.sink.as_ref().map_or(TP_LOG_OFF, |s| s.level);
    let clients = HUB
        .clients
        .lock()
        .iter()
        .map(|s| s.level)
        .max()
        .unwrap_or(TP_LOG_OFF);
    HUB.level.store(cb.max(clients), Ordering::SeqCst);
}

/// tp_log_set_callback.
pub fn set_callback(
    f: Option<unsafe extern "C" fn(*mut c_void, i32, *const u8, usize)>,
    user_data: *mut c_void,
    max_level: i32,
) -> Result<(), FfiError> {
    if !(TP_LOG_OFF..=TP_LOG_TRACE).contains(&max_level) {
        return Err(FfiError::invalid(format!(
            "log level {max_level} is not TP_LOG_OFF..TP_LOG_TRACE"
        )));
    }
    install();
    let me = std::thread::current().id();
    let mut st = HUB.state.lock();
    let on_log_thread = st.thread_id == Some(me);
    let mut join = None;
    match f {
        Some(f) => {
            st.sink = Some(LogSink {
                f,
                user_data,
                level: max_level,
            });
            if st.thread.is_none() {
                let queue = Arc::new(Queue::new(LOG_QUEUE_CAPACITY));
                let q = queue.clone();
                let t = std::thread::Builder::new()
                    .name("teleplug-log".into())
                    .spawn(move || deliver(q))
                    .map_err(|e| FfiError::new(super::abi::TP_ERR_INTERNAL, e.to_string()))?;
                st.thread_id = Some(t.thread().id());
                st.thread = Some(t);
                st.queue = Some(queue);
            }
        }
        None => {
            st.sink = None;
            if let Some(q) = st.queue.take() {
                q.close();
            }
            join = st.thread.take();
            st.thread_id = None;
        }
    }
    recompute_level(&st);
    if !on_log_thread {
        while st.calling {
            HUB.idle.wait(&mut st);
        }
    }
    drop(st);
    if let Some(t) = join {
        if !on_log_thread {
            let _ = t.join();
        }
    }
    Ok(())
}

fn deliver(queue: Arc<Queue<(i32, String)>>) {
    loop {
        match queue.pop(None) {
            Pop::Item((level, text)) => {
                let target = {
                    let mut st = HUB.state.lock();
                    match &st.sink {
                        Some(s) if level <= s.level => {
                            let t = (s.f, s.user_data);
                            st.calling = true;
                            Some(t)
                        }
                        _ => None,
                    }
                };
                if let Some((f, user_data)) = target {
                    let _ = std::panic::catch_unwind(|| {
                        // SAFETY: the callback and user_data registered by tp_log_set_callback;
                        // it stays registered (set_callback waits for `calling` to clear before
                        // returning), and the text is valid for the call.
                        unsafe { f(user_data, level, text.as_ptr(), text.len()) }
                    });
                    HUB.state.lock().calling = false;
                    HUB.idle.notify_all();
                }
            }
            Pop::Timeout => continue,
            Pop::Closed => break,
        }
    }
}

/// Deliver log records up to `level` to a client as `log` events (OFF stops).
pub fn subscribe(client: usize, level: i32, tx: mpsc::Sender<WorkerInput>) {
    install();
    {
        let mut clients = HUB.clients.lock();
        clients.retain(|s| s.client != client);
        if level > TP_LOG_OFF {
            clients.push(Subscription {
                client,
                level: level.min(TP_LOG_TRACE),
                tx,
            });
        }
    }
    recompute_level(&HUB.state.lock());
}

pub fn unsubscribe(client: usize) {
    let removed = {
        let mut clients = HUB.clients.lock();
        let before = clients.len();
        clients.retain(|s| s.client != client);
        before != clients.len()
    };
    if removed {
        recompute_level(&HUB.state.lock());
    }
}

struct ForwardLayer;

#[derive(Default)]
struct Text {
    message: String,
    fields: String,
}

impl Visit for Text {
    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            let _ = write!(self.message, "{value:?}");
        } else {
            let _ = write!(self.fields, " {}={value:?}", field.name());
        }
    }
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message.push_str(value);
        } else {
            let _ = write!(self.fields, " {}={value}", field.name());
        }
    }
}

impl<S: Subscriber> Layer<S> for ForwardLayer {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::sometimes()
    }

    fn enabled(&self, meta: &Metadata<'_>, _: Context<'_, S>) -> bool {
        level_number(meta.level()) <= HUB.level.load(Ordering::Relaxed)
    }

    fn on_event(&self, event: &Event<'_>, _: Context<'_, S>) {
        let level = level_number(event.metadata().level());
        let mut text = Text::default();
        event.record(&mut text);
        text.message.push_str(&text.fields);
        let target = event.metadata().target();
        // The callback queue (never blocks: drop and count when full).
        let queue = HUB.state.lock().queue.clone();
        if let Some(q) = queue {
            let dropped = HUB.dropped.swap(0, Ordering::Relaxed);
            if dropped > 0 {
                let note = format!("teleplug: {dropped} log records were dropped");
                let _ = q.try_push((2, note));
            }
            if q.try_push((level, format!("{target}: {}", text.message)))
                .is_err()
            {
                HUB.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
        let clients = HUB.clients.lock();
        for s in clients.iter().filter(|s| level <= s.level) {
            let _ = s.tx.try_send(WorkerInput::Log(LogRecord {
                level,
                target: target.to_string(),
                message: text.message.clone(),
            }));
        }
    }
}
