//! The C ABI, embedded: `tp_client_send` of an `output` request (protobuf or JSON) → worker →
//! client core → server → simulated Hush write → reply delivered to the event callback on the
//! context's dispatcher thread. Called through the exported `extern "C"` functions as a C
//! program would; requests are encoded before the clock starts. Device writes are timestamped
//! by a process-wide simulated-device observer (the device lives inside the context).

use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use parking_lot::RwLock;
use prost::Message;
use teleplug::ffi::schema::{self as s, request, response};
use teleplug::ffi::{
    TP_FORMAT_JSON, TP_FORMAT_PROTOBUF, TP_OK, tp_client, tp_client_free, tp_client_new,
    tp_client_send, tp_context, tp_context_free, tp_context_new,
};
use teleplug::hardware::simulated::{SimOp, observe_process};

use crate::Settings;
use crate::ffi_sink::{Delivered, free_sink, on_event, sink};
use crate::rig::{self, WriteLatency, WriteLog};
use crate::stats::{Summary, rate};

/// Write logs by device address.
type Logs = RwLock<Vec<(String, Arc<WriteLog>)>>;

/// Write logs of simulated devices by address, fed by the process-wide observer.
fn write_logs() -> &'static Logs {
    static LOGS: OnceLock<Logs> = OnceLock::new();
    LOGS.get_or_init(|| {
        observe_process(|address, op| {
            if let SimOp::Write { .. } = op {
                let now = Instant::now();
                for (a, log) in write_logs().read().iter() {
                    if a == address {
                        log.push(now);
                    }
                }
            }
        });
        RwLock::new(Vec::new())
    })
}

/// A context with one connected client and one simulated Hush.
struct Abi {
    ctx: *mut tp_context,
    client: *mut tp_client,
    format: i32,
    rx: mpsc::Receiver<Delivered>,
    next_id: u32,
    device: u32,
    log: Arc<WriteLog>,
    seq: usize,
}

fn body_of(format: i32, bytes: &[u8]) -> s::Response {
    if format == TP_FORMAT_PROTOBUF {
        s::Response::decode(bytes).expect("protobuf response")
    } else {
        serde_json::from_slice(bytes).expect("JSON response")
    }
}

impl Abi {
    fn open(format: i32, address: &str) -> Abi {
        let log = Arc::new(WriteLog::default());
        write_logs()
            .write()
            .push((address.to_string(), log.clone()));
        let mut ctx = std::ptr::null_mut();
        // SAFETY: `ctx` is a valid out-pointer.
        assert_eq!(unsafe { tp_context_new(0, &mut ctx) }, TP_OK);
        let (user_data, rx) = sink();
        let name = b"bench";
        let mut client = std::ptr::null_mut();
        // SAFETY: valid name buffer, callbacks match the header's types, out-pointer valid.
        let status = unsafe {
            tp_client_new(
                ctx,
                format,
                name.as_ptr(),
                name.len(),
                Some(on_event),
                user_data,
                Some(free_sink),
                &mut client,
            )
        };
        assert_eq!(status, TP_OK);
        let mut abi = Abi {
            ctx,
            client,
            format,
            rx,
            next_id: 1,
            device: 0,
            log,
            seq: 0,
        };
        // No hardware transport (Bluetooth, serial, HID, gamepads): the simulated toy only.
        let embedded = s::EmbeddedOptions {
            disabled_transports: 15,
            ..Default::default()
        };
        abi.call(request::Body::Connect(s::Connect {
            mode: Some(s::connect::Mode::Embedded(embedded)),
        }));
        abi.call(request::Body::SimulatorAdvertise(s::SimulatorAdvertise {
            device: Some(s::simulator_advertise::Device::Lovense(
                s::SimulatedLovense {
                    address: address.into(),
                    type_reply: String::new(),
                    battery: 90,
                },
            )),
            observe: false,
        }));
        abi.call(request::Body::StartScanning(s::Empty {}));
        abi.device = loop {
            let d = abi
                .rx
                .recv_timeout(Duration::from_secs(20))
                .expect("device");
            if let Some(response::Body::DeviceAdded(a)) = body_of(format, &d.bytes).body {
                break a.device.expect("device").index;
            }
        };
        abi.call(request::Body::StopScanning(s::Empty {}));
        abi
    }

    fn encode(&mut self, body: request::Body) -> Vec<u8> {
        let req = s::Request {
            id: self.next_id,
            schema_version: 1,
            body: Some(body),
        };
        self.next_id += 1;
        if self.format == TP_FORMAT_PROTOBUF {
            req.encode_to_vec()
        } else {
            serde_json::to_vec(&req).expect("JSON")
        }
    }

    fn send(&self, bytes: &[u8]) {
        // SAFETY: `bytes` is valid for its length during the call.
        let status = unsafe { tp_client_send(self.client, bytes.as_ptr(), bytes.len()) };
        assert_eq!(status, TP_OK, "tp_client_send");
    }

    /// Send a request and wait for its reply (skipping events), which must not be an error.
    fn call(&mut self, body: request::Body) -> s::Response {
        let id = self.next_id;
        let bytes = self.encode(body);
        self.send(&bytes);
        loop {
            let d = self
                .rx
                .recv_timeout(Duration::from_secs(20))
                .expect("reply");
            let r = body_of(self.format, &d.bytes);
            if r.id == id {
                assert!(!matches!(r.body, Some(response::Body::Error(_))), "{r:?}");
                return r;
            }
        }
    }

    /// `n` encoded output requests with distinct consecutive values (first id returned).
    fn outputs(&mut self, n: usize) -> (u32, Vec<Vec<u8>>) {
        let first = self.next_id;
        let frames = (0..n)
            .map(|_| {
                let value = rig::value(self.seq);
                self.seq += 1;
                self.encode(request::Body::Output(s::OutputCommand {
                    device_index: self.device,
                    feature_index: 0,
                    r#type: s::OutputType::Vibrate as i32,
                    value: Some(s::output_command::Value::Steps(value)),
                    duration_ms: 0,
                }))
            })
            .collect();
        (first, frames)
    }

    /// `n` outputs with at most `window` in flight: (send → write, send → reply, elapsed).
    fn run(&mut self, n: usize, window: usize) -> (WriteLatency, Summary, Duration) {
        let (first, frames) = self.outputs(n);
        self.log.expect(n);
        let mut sends = Vec::with_capacity(n);
        let mut replies = vec![None; n];
        let mut inflight = 0;
        let mut next = 0;
        let mut done = 0;
        let start = Instant::now();
        while done < n {
            while next < n && inflight < window {
                sends.push(Instant::now());
                self.send(&frames[next]);
                next += 1;
                inflight += 1;
            }
            let d = self
                .rx
                .recv_timeout(Duration::from_secs(20))
                .expect("reply");
            let r = body_of(self.format, &d.bytes);
            if r.id == 0 {
                continue;
            }
            assert!(matches!(r.body, Some(response::Body::Ok(_))), "{r:?}");
            let i = (r.id - first) as usize;
            assert!(replies[i].is_none(), "one reply per request");
            replies[i] = Some(d.at);
            inflight -= 1;
            done += 1;
        }
        let elapsed = start.elapsed();
        let replies: Vec<Instant> = replies.into_iter().map(|r| r.expect("reply")).collect();
        let (write, reply) = rig::latencies(&sends, &self.log, &replies);
        (write, reply, elapsed)
    }
}

impl Drop for Abi {
    fn drop(&mut self) {
        tp_client_free(self.client);
        tp_context_free(self.ctx);
    }
}

/// The C ABI section.
pub fn run(settings: &Settings) {
    println!(
        "\n### Embedded through the C ABI: `tp_client_send` → simulated Hush write → callback (context: 2-worker runtime + dispatcher thread), gap 0\n"
    );
    println!("| format | in flight | send → device write | send → reply callback | commands/s |");
    println!("|---|---|---|---|---|");
    for (format, name) in [(TP_FORMAT_PROTOBUF, "protobuf"), (TP_FORMAT_JSON, "JSON")] {
        let mut abi = Abi::open(format, &format!("FF:00:00:00:00:{format:02X}"));
        for window in [1, 16, 256] {
            let n = if window == 1 {
                settings.commands
            } else {
                settings.commands * 4
            };
            abi.run(settings.warmup, window);
            let (w, r, elapsed) = abi.run(n, window);
            println!("| {name} | {window} | {w} | {r} | {} |", rate(n, elapsed));
        }
    }
}

/// A fixed workload for instruction counting (`profile ffi N`): one command in flight.
pub fn profile(n: usize) {
    let mut abi = Abi::open(TP_FORMAT_PROTOBUF, "FF:00:00:00:00:99");
    let (_, frames) = abi.outputs(n);
    for f in frames {
        abi.send(&f);
        while body_of(abi.format, &abi.rx.recv().expect("reply").bytes).id == 0 {}
    }
}
