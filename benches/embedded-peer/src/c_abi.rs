//! Teleplug through its C ABI, as an app linking the shared library would use it: the exported
//! `extern "C"` functions (`tp_context_new`, `tp_client_new`, `tp_client_send`, …) with
//! protobuf requests, and replies delivered to the event callback on the context's dispatcher
//! thread. The context connects an embedded server (no hardware transports) and advertises a
//! simulated Lovense Hush through the simulator requests; the toy lives inside the context, so
//! its writes are timestamped by the process-wide simulated-device observer (the same write
//! path as the Rust API side's device observer).

use std::sync::mpsc;
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use prost::Message;
use teleplug::ffi::schema::{self as s, request, response};
use teleplug::ffi::{
    TP_FORMAT_PROTOBUF, TP_OK, tp_client, tp_client_free, tp_client_new, tp_client_send,
    tp_context, tp_context_free, tp_context_new,
};
use teleplug::hardware::simulated::{SimOp, observe_process};

use crate::ffi_sink::{Delivered, free_sink, on_event, sink};
use crate::measure::{HUSH_TYPE_REPLY, REPLY_TIMEOUT, Raw, WriteLog, value};

const ADDRESS: &str = "EE:00:00:00:00:03";

/// The C ABI toy's write log, fed by the process-wide observer (installed on first use, so the
/// sides measured before this one do not pay for it).
fn write_log() -> &'static Arc<WriteLog> {
    static LOG: OnceLock<Arc<WriteLog>> = OnceLock::new();
    LOG.get_or_init(|| {
        let log = WriteLog::new();
        let l = log.clone();
        observe_process(move |address, op| {
            if let SimOp::Write { data, .. } = op
                && address == ADDRESS
            {
                l.record(Instant::now(), data);
            }
        });
        log
    })
}

/// A context with one connected client and one simulated Hush.
pub struct CAbi {
    ctx: *mut tp_context,
    client: *mut tp_client,
    rx: mpsc::Receiver<Delivered>,
    next_id: u32,
    device: u32,
    pub log: Arc<WriteLog>,
    seq: usize,
}

impl CAbi {
    pub fn start() -> Result<CAbi, String> {
        let log = write_log().clone();
        let mut ctx = std::ptr::null_mut();
        // SAFETY: `ctx` is a valid out-pointer.
        let status = unsafe { tp_context_new(0, &mut ctx) };
        if status != TP_OK {
            return Err(format!("tp_context_new: {status}"));
        }
        let (user_data, rx) = sink();
        let name = b"bench";
        let mut client = std::ptr::null_mut();
        // SAFETY: `ctx` came from tp_context_new; the name buffer is valid for its length; the
        // callbacks have the header's signatures and are thread-safe; `user_data` stays valid
        // until `free_sink` (leaked if the call fails); `client` is a valid out-pointer.
        let status = unsafe {
            tp_client_new(
                ctx,
                TP_FORMAT_PROTOBUF,
                name.as_ptr(),
                name.len(),
                Some(on_event),
                user_data,
                Some(free_sink),
                &mut client,
            )
        };
        let mut abi = CAbi {
            ctx,
            client,
            rx,
            next_id: 1,
            device: 0,
            log,
            seq: 0,
        };
        if status != TP_OK {
            return Err(format!("tp_client_new: {status}"));
        }
        abi.call(request::Body::Connect(s::Connect {
            mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
                // No Bluetooth, serial or HID: the simulated toy only.
                disabled_transports: 7,
                ..Default::default()
            })),
        }))?;
        abi.call(request::Body::SimulatorAdvertise(s::SimulatorAdvertise {
            device: Some(s::simulator_advertise::Device::Lovense(
                s::SimulatedLovense {
                    address: ADDRESS.into(),
                    type_reply: HUSH_TYPE_REPLY.into(),
                    battery: 90,
                },
            )),
            observe: false,
        }))?;
        abi.call(request::Body::StartScanning(s::Empty {}))?;
        let deadline = Instant::now() + Duration::from_secs(20);
        abi.device = loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let d = abi
                .rx
                .recv_timeout(left)
                .map_err(|_| "the simulated Hush was not added within 20 s")?;
            if let Some(response::Body::DeviceAdded(a)) = decode(&d.bytes)?.body {
                break a.device.ok_or("DeviceAdded without a device")?.index;
            }
        };
        abi.call(request::Body::StopScanning(s::Empty {}))?;
        Ok(abi)
    }

    fn encode(&mut self, body: request::Body) -> Vec<u8> {
        let req = s::Request {
            id: self.next_id,
            schema_version: 1,
            body: Some(body),
        };
        self.next_id += 1;
        req.encode_to_vec()
    }

    fn send(&self, bytes: &[u8]) -> Result<(), String> {
        // SAFETY: `self.client` is a live client handle; `bytes` is valid for its length during
        // the call.
        let status = unsafe { tp_client_send(self.client, bytes.as_ptr(), bytes.len()) };
        if status == TP_OK {
            Ok(())
        } else {
            Err(format!("tp_client_send: {status}"))
        }
    }

    /// Send a request and wait for its reply (skipping events), which must not be an error.
    fn call(&mut self, body: request::Body) -> Result<s::Response, String> {
        let id = self.next_id;
        let bytes = self.encode(body);
        self.send(&bytes)?;
        loop {
            let d = self
                .rx
                .recv_timeout(REPLY_TIMEOUT)
                .map_err(|_| format!("no reply to request {id}"))?;
            let r = decode(&d.bytes)?;
            if r.id == id {
                if let Some(response::Body::Error(e)) = r.body {
                    return Err(format!("request {id}: {e:?}"));
                }
                return Ok(r);
            }
        }
    }

    /// `n` output requests (vibrate in steps), at most `window` in flight. Each request is
    /// encoded before the clock starts: the clock covers `tp_client_send` onwards.
    pub fn run(&mut self, n: usize, window: usize) -> Raw {
        let mut raw = Raw::with_capacity(n);
        let first_id = self.next_id;
        let mut inflight = 0;
        let mut done = 0;
        while done < n {
            while raw.sends.len() < n && inflight < window {
                let level = value(self.seq);
                self.seq += 1;
                let frame = self.encode(request::Body::Output(s::OutputCommand {
                    device_index: self.device,
                    feature_index: 0,
                    r#type: s::OutputType::Vibrate as i32,
                    value: Some(s::output_command::Value::Steps(level)),
                    duration_ms: 0,
                }));
                raw.values.push(level);
                raw.sends.push(Instant::now());
                if let Err(e) = self.send(&frame) {
                    raw.error = Some(e);
                    return raw;
                }
                inflight += 1;
            }
            let Ok(d) = self.rx.recv_timeout(REPLY_TIMEOUT) else {
                raw.error = Some(format!("no reply within {REPLY_TIMEOUT:?}"));
                return raw;
            };
            let r = match decode(&d.bytes) {
                Ok(r) => r,
                Err(e) => {
                    raw.error = Some(e);
                    return raw;
                }
            };
            if r.id < first_id {
                // An event (id 0) or a late reply to an earlier request.
                continue;
            }
            let i = (r.id - first_id) as usize;
            if i >= n || raw.replies[i].is_some() {
                raw.error = Some(format!("unexpected reply id {}", r.id));
                return raw;
            }
            if matches!(r.body, Some(response::Body::Ok(_))) {
                raw.replies[i] = Some(d.at);
            } else {
                raw.error
                    .get_or_insert(format!("command {i}: {:?}", r.body));
            }
            inflight -= 1;
            done += 1;
        }
        raw
    }

    pub fn close(self) {
        // Drop frees the client, then the context.
    }
}

impl Drop for CAbi {
    fn drop(&mut self) {
        tp_client_free(self.client);
        tp_context_free(self.ctx);
    }
}

fn decode(bytes: &[u8]) -> Result<s::Response, String> {
    s::Response::decode(bytes).map_err(|e| format!("protobuf response: {e}"))
}
