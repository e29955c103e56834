//! Helpers for driving the C ABI from Rust tests through the exported functions: contexts,
//! clients in poll or sink mode and either encoding, typed requests and responses.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use prost::Message;
use teleplug::ffi::schema::{self as s, Request, Response, request, response};
use teleplug::ffi::*;

pub const WAIT: Duration = Duration::from_secs(10);

pub fn last_error() -> String {
    // SAFETY (test): sizing call with NULL, then a buffer of that size.
    let n = unsafe { tp_last_error_message(std::ptr::null_mut(), 0) };
    let mut buf = vec![0u8; n];
    let m = unsafe { tp_last_error_message(buf.as_mut_ptr(), buf.len()) };
    assert_eq!(m, n);
    String::from_utf8(buf).unwrap()
}

pub struct Ctx(pub *mut tp_context);

impl Ctx {
    pub fn new(flags: u32) -> Ctx {
        let mut ctx = std::ptr::null_mut();
        let st = unsafe { tp_context_new(flags, &mut ctx) };
        assert_eq!(st, TP_OK, "tp_context_new: {}", last_error());
        assert!(!ctx.is_null());
        Ctx(ctx)
    }

    pub fn shutdown(&self) -> i32 {
        tp_context_shutdown(self.0, 5000)
    }
}

impl Drop for Ctx {
    fn drop(&mut self) {
        tp_context_free(self.0);
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Poll,
    Sink,
}

/// What a sink-mode client's callback sees; `user_data` points at it.
pub struct SinkData {
    pub tx: Mutex<mpsc::Sender<Vec<u8>>>,
    pub calls: AtomicUsize,
    pub finalized: Arc<AtomicUsize>,
    /// Called inside the callback with the call number (1-based).
    pub hook: Option<Box<dyn Fn(usize) + Send + Sync>>,
}

pub unsafe extern "C" fn sink_cb(user_data: *mut c_void, buf: *const u8, len: usize) {
    let d = unsafe { &*(user_data as *const SinkData) };
    let n = d.calls.fetch_add(1, Ordering::SeqCst) + 1;
    let bytes = unsafe { std::slice::from_raw_parts(buf, len) }.to_vec();
    let _ = d.tx.lock().send(bytes);
    if let Some(h) = &d.hook {
        h(n);
    }
}

pub unsafe extern "C" fn sink_free(user_data: *mut c_void) {
    let d = unsafe { Box::from_raw(user_data as *mut SinkData) };
    d.finalized.fetch_add(1, Ordering::SeqCst);
}

pub struct Client {
    pub c: *mut tp_client,
    pub format: i32,
    pub rx: Option<mpsc::Receiver<Vec<u8>>>,
    pub finalized: Arc<AtomicUsize>,
    pub data: *const SinkData,
}

// SAFETY (test): the raw handle is only a key; the library is thread-safe.
unsafe impl Send for Client {}
unsafe impl Sync for Client {}

impl Client {
    pub fn new(ctx: &Ctx, format: i32, mode: Mode) -> Client {
        Client::with_hook(ctx, format, mode, None)
    }

    pub fn with_hook(
        ctx: &Ctx,
        format: i32,
        mode: Mode,
        hook: Option<Box<dyn Fn(usize) + Send + Sync>>,
    ) -> Client {
        let finalized = Arc::new(AtomicUsize::new(0));
        let mut c = std::ptr::null_mut();
        let name = "rust test";
        let (rx, data) = match mode {
            Mode::Poll => {
                let st =
                    unsafe { poll_client_new(ctx.0, format, name.as_ptr(), name.len(), &mut c) };
                assert_eq!(st, TP_OK, "tp_client_new: {}", last_error());
                (None, std::ptr::null())
            }
            Mode::Sink => {
                let (tx, rx) = mpsc::channel();
                let data = Box::into_raw(Box::new(SinkData {
                    tx: Mutex::new(tx),
                    calls: AtomicUsize::new(0),
                    finalized: finalized.clone(),
                    hook,
                }));
                let st = unsafe {
                    tp_client_new(
                        ctx.0,
                        format,
                        name.as_ptr(),
                        name.len(),
                        Some(sink_cb),
                        data as *mut c_void,
                        Some(sink_free),
                        &mut c,
                    )
                };
                assert_eq!(st, TP_OK, "tp_client_new: {}", last_error());
                (Some(rx), data as *const SinkData)
            }
        };
        Client {
            c,
            format,
            rx,
            finalized,
            data,
        }
    }

    pub fn encode(&self, r: &Request) -> Vec<u8> {
        if self.format == TP_FORMAT_PROTOBUF {
            r.encode_to_vec()
        } else {
            serde_json::to_vec(r).unwrap()
        }
    }

    pub fn decode(&self, bytes: &[u8]) -> Response {
        if self.format == TP_FORMAT_PROTOBUF {
            Response::decode(bytes).expect("protobuf Response")
        } else {
            serde_json::from_slice(bytes)
                .unwrap_or_else(|e| panic!("JSON Response {e}: {}", String::from_utf8_lossy(bytes)))
        }
    }

    /// `tp_client_poll` into `buf`: the status.
    pub fn poll_into(&self, timeout_ms: u32, buf: &mut tp_buffer) -> i32 {
        unsafe { tp_client_poll(self.c, timeout_ms, buf) }
    }

    pub fn send_raw(&self, bytes: &[u8]) -> i32 {
        unsafe { tp_client_send(self.c, bytes.as_ptr(), bytes.len()) }
    }

    pub fn send(&self, r: &Request) -> i32 {
        self.send_raw(&self.encode(r))
    }

    /// The next message as bytes (None: timeout or closed).
    pub fn next_bytes(&self, timeout: Duration) -> Option<Vec<u8>> {
        match &self.rx {
            Some(rx) => rx.recv_timeout(timeout).ok(),
            None => {
                let mut buf = empty_buffer();
                let st = self.poll_into(timeout.as_millis() as u32, &mut buf);
                if st != TP_OK {
                    return None;
                }
                let v = if buf.len == 0 {
                    Vec::new()
                } else {
                    unsafe { std::slice::from_raw_parts(buf.data, buf.len) }.to_vec()
                };
                tp_buffer_free(buf);
                Some(v)
            }
        }
    }

    pub fn next(&self, timeout: Duration) -> Option<Response> {
        self.next_bytes(timeout).map(|b| self.decode(&b))
    }

    /// Send and wait for the reply with the same id; events meanwhile go to `events`.
    pub fn call_collect(&self, r: Request, events: &mut Vec<Response>) -> Response {
        let id = r.id;
        let st = self.send(&r);
        assert_eq!(st, TP_OK, "send {r:?}: {}", last_error());
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self
                .next(left)
                .unwrap_or_else(|| panic!("no reply to {r:?} within {WAIT:?}"));
            if m.id == id {
                return m;
            }
            assert_eq!(m.id, 0, "reply to another request: {m:?}");
            events.push(m);
        }
    }

    pub fn call(&self, r: Request) -> Response {
        let mut events = Vec::new();
        self.call_collect(r, &mut events)
    }

    /// Wait for an event matching `pred` (taken from `events` if it came already, ahead of a
    /// reply); other messages go to `events`.
    pub fn wait_event(
        &self,
        events: &mut Vec<Response>,
        pred: impl Fn(&Response) -> bool,
    ) -> Response {
        // It may have come already, ahead of a reply that was being waited for.
        if let Some(i) = events.iter().position(&pred) {
            return events.remove(i);
        }
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let m = self.next(left).expect("event within the wait");
            if pred(&m) {
                return m;
            }
            events.push(m);
        }
    }

    /// A sink-mode client whose callback counts the calls made once the returned flag is set
    /// (the returned counter): calls that must no longer happen.
    pub fn counting_late_calls(
        ctx: &Ctx,
        format: i32,
    ) -> (Client, Arc<AtomicBool>, Arc<AtomicUsize>) {
        let after = Arc::new(AtomicBool::new(false));
        let late = Arc::new(AtomicUsize::new(0));
        let (a2, l2) = (after.clone(), late.clone());
        let c = Client::with_hook(
            ctx,
            format,
            Mode::Sink,
            Some(Box::new(move |_| {
                if a2.load(Ordering::SeqCst) {
                    l2.fetch_add(1, Ordering::SeqCst);
                }
            })),
        );
        (c, after, late)
    }

    /// Wait for a `deviceAdded` event; other messages go to `events`.
    pub fn wait_device_added(&self, events: &mut Vec<Response>) -> Response {
        self.wait_event(events, |e| {
            matches!(e.body, Some(response::Body::DeviceAdded(_)))
        })
    }

    /// Everything that arrives until nothing comes within `wait` (or the client closed) goes
    /// to `events`.
    pub fn drain_into(&self, events: &mut Vec<Response>, wait: Duration) {
        while let Some(m) = self.next(wait) {
            events.push(m);
        }
    }

    pub fn calls(&self) -> usize {
        assert!(!self.data.is_null());
        // The SinkData lives until the finalizer ran; only read before that.
        unsafe { &*self.data }.calls.load(Ordering::SeqCst)
    }

    pub fn free(&self) {
        tp_client_free(self.c);
    }
}

/// `tp_client_new` without a sink callback (a poll-mode client).
///
/// # Safety
/// As for `tp_client_new`: `name` points at `name_len` bytes (or is NULL), `out` is NULL or
/// writable.
pub unsafe fn poll_client_new(
    ctx: *mut tp_context,
    format: i32,
    name: *const u8,
    name_len: usize,
    out: *mut *mut tp_client,
) -> i32 {
    unsafe {
        tp_client_new(
            ctx,
            format,
            name,
            name_len,
            None,
            std::ptr::null_mut(),
            None,
            out,
        )
    }
}

/// A buffer holding nothing, for `tp_client_poll` to fill.
pub fn empty_buffer() -> tp_buffer {
    tp_buffer {
        data: std::ptr::null_mut(),
        len: 0,
    }
}

pub fn req(id: u32, body: request::Body) -> Request {
    Request {
        id,
        schema_version: 0,
        body: Some(body),
    }
}

pub fn empty() -> s::Empty {
    s::Empty {}
}

pub fn connect_sim() -> request::Body {
    request::Body::Connect(s::Connect {
        mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
            disabled_transports: 7,
            ..Default::default()
        })),
    })
}

pub fn lovense(address: &str, observe: bool) -> request::Body {
    request::Body::SimulatorAdvertise(s::SimulatorAdvertise {
        device: Some(s::simulator_advertise::Device::Lovense(
            s::SimulatedLovense {
                address: address.into(),
                type_reply: String::new(),
                battery: 87,
            },
        )),
        observe,
    })
}

/// A connect request for a remote server at `url`.
pub fn connect_remote(url: &str) -> request::Body {
    request::Body::Connect(s::Connect {
        mode: Some(s::connect::Mode::Remote(s::RemoteOptions {
            url: url.into(),
        })),
    })
}

/// A vibrate command to `feature` of `device` with `value`.
fn vibrate(device: u32, feature: u32, value: s::output_command::Value) -> request::Body {
    request::Body::Output(s::OutputCommand {
        device_index: device,
        feature_index: feature,
        r#type: s::OutputType::Vibrate as i32,
        value: Some(value),
        duration_ms: 0,
    })
}

pub fn output_steps(device: u32, feature: u32, steps: i32) -> request::Body {
    vibrate(device, feature, s::output_command::Value::Steps(steps))
}

pub fn output_fraction(device: u32, feature: u32, f: f64) -> request::Body {
    vibrate(device, feature, s::output_command::Value::Fraction(f))
}

/// A debug request (the context needs `TP_CONTEXT_DEBUG`) doing `action`.
pub fn debug(action: s::debug_request::Action) -> request::Body {
    request::Body::Debug(s::DebugRequest {
        action: Some(action),
    })
}

/// A debug request that panics in the request's task.
pub fn panic_in_task() -> request::Body {
    debug(s::debug_request::Action::Panic(s::PanicSite::Task as i32))
}

/// A debug request that sleeps `ms` milliseconds before its reply.
pub fn sleep_ms(ms: u32) -> request::Body {
    debug(s::debug_request::Action::SleepMs(ms))
}

pub fn read_battery(device: u32, feature: u32) -> request::Body {
    request::Body::Input(s::InputCommand {
        device_index: device,
        feature_index: feature,
        r#type: s::InputType::Battery as i32,
        command: s::InputCommandType::Read as i32,
    })
}

pub fn is_ok(r: &Response) -> bool {
    matches!(r.body, Some(response::Body::Ok(_)))
}

/// The body of an `inputReading` of `value` from input `r#type` of `feature` of `device`.
pub fn input_reading(
    device: u32,
    feature: u32,
    r#type: s::InputType,
    value: i32,
) -> Option<response::Body> {
    Some(response::Body::InputReading(s::InputReading {
        device_index: device,
        feature_index: feature,
        r#type: r#type as i32,
        value,
    }))
}

/// The server info of a `connected` reply (panics on any other response).
pub fn connected(r: &Response) -> s::Connected {
    match &r.body {
        Some(response::Body::Connected(info)) => info.clone(),
        _ => panic!("not connected: {r:?}"),
    }
}

/// The device of a `deviceAdded` event (panics on any other response).
pub fn added_device(r: &Response) -> s::Device {
    match &r.body {
        Some(response::Body::DeviceAdded(s::DeviceAdded { device: Some(d) })) => d.clone(),
        _ => panic!("not a deviceAdded with a device: {r:?}"),
    }
}

pub fn error_code(r: &Response) -> Option<s::ErrorCode> {
    match &r.body {
        Some(response::Body::Error(e)) => s::ErrorCode::try_from(e.code).ok(),
        _ => None,
    }
}

/// The oneof member name of a response (for grouping events by kind).
pub fn kind(r: &Response) -> String {
    let v = serde_json::to_value(r).unwrap();
    v.as_object()
        .unwrap()
        .keys()
        .find(|k| *k != "id" && *k != "schemaVersion")
        .cloned()
        .unwrap_or_default()
}

/// Events grouped by kind, each group in arrival order.
pub fn by_kind(events: &[Response]) -> BTreeMap<String, Vec<Response>> {
    let mut m: BTreeMap<String, Vec<Response>> = BTreeMap::new();
    for e in events {
        m.entry(kind(e)).or_default().push(e.clone());
    }
    m
}

/// The bytes a simulated device received, as text, from `simulator_op` events.
pub fn writes(events: &[Response]) -> Vec<String> {
    events
        .iter()
        .filter_map(|e| match &e.body {
            Some(response::Body::SimulatorOp(op))
                if op.kind == s::SimulatorOpKind::Write as i32 =>
            {
                Some(op.text.clone())
            }
            _ => None,
        })
        .collect()
}
