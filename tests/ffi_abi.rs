//! The C ABI through its exported functions: every status code, null/invalid arguments and
//! handles, the embedded scenario in both encodings and both delivery modes (same results),
//! freeing inside callbacks and racing callbacks, shutdown and recreation, panics, logging,
//! the raw Buttplug channel and request ordering.

mod ffi_support;

use std::ffi::c_void;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ffi_support::*;
use teleplug::ffi::schema::{self as s, ErrorCode, request, response};
use teleplug::ffi::*;

// ---- the embedded scenario -------------------------------------------------------------------

/// Connect, advertise a simulated Lovense toy, scan, drive and read it, stop, remove it,
/// disconnect, shut down. Returns the replies in order and every event until `closed`.
fn scenario(format: i32, mode: Mode) -> (Vec<s::Response>, Vec<s::Response>) {
    use request::Body as B;
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, format, mode);
    let mut ev = Vec::new();
    let mut replies = Vec::new();
    let mut call = |c: &Client, ev: &mut Vec<s::Response>, id: u32, body: B| {
        let r = c.call_collect(req(id, body), ev);
        replies.push(r.clone());
        r
    };
    let r = call(&c, &mut ev, 1, connect_sim());
    connected(&r);
    assert!(is_ok(&call(
        &c,
        &mut ev,
        2,
        lovense("11:22:33:44:55:66", true)
    )));
    assert!(is_ok(&call(&c, &mut ev, 3, B::StartScanning(empty()))));
    let added = c.wait_device_added(&mut ev);
    ev.push(added.clone());
    let dev = added_device(&added);
    assert_eq!(dev.name, "Lovense Hush");
    let battery = dev
        .features
        .iter()
        .find(|f| {
            f.inputs
                .iter()
                .any(|i| i.r#type == s::InputType::Battery as i32)
        })
        .expect("battery feature")
        .index;
    let vib = &dev.features[0];
    assert_eq!(vib.outputs[0].r#type, s::OutputType::Vibrate as i32);
    assert_eq!(vib.outputs[0].value, Some(s::Range { min: 0, max: 20 }));
    assert!(is_ok(&call(&c, &mut ev, 4, B::StopScanning(empty()))));
    let r = call(&c, &mut ev, 5, B::RequestDeviceList(empty()));
    let Some(response::Body::DeviceList(list)) = &r.body else {
        panic!("{r:?}")
    };
    assert_eq!(list.devices, vec![dev.clone()]);
    assert!(is_ok(&call(&c, &mut ev, 6, output_steps(dev.index, 0, 10))));
    assert!(is_ok(&call(
        &c,
        &mut ev,
        7,
        output_fraction(dev.index, 0, 0.25)
    )));
    let r = call(&c, &mut ev, 8, read_battery(dev.index, battery));
    assert_eq!(
        r.body,
        input_reading(dev.index, battery, s::InputType::Battery, 87)
    );
    let stop_feature = s::StopCommand {
        device_index: Some(dev.index),
        feature_index: Some(0),
        ..Default::default()
    };
    assert!(is_ok(&call(&c, &mut ev, 9, B::Stop(stop_feature))));
    assert!(is_ok(&call(&c, &mut ev, 10, output_steps(dev.index, 0, 3))));
    let stop_device = s::StopCommand {
        device_index: Some(dev.index),
        ..Default::default()
    };
    assert!(is_ok(&call(&c, &mut ev, 11, B::Stop(stop_device))));
    assert!(is_ok(&call(
        &c,
        &mut ev,
        12,
        B::Stop(s::StopCommand::default())
    )));
    assert!(is_ok(&call(&c, &mut ev, 13, B::Ping(empty()))));
    let r = call(&c, &mut ev, 14, output_steps(9, 0, 1));
    assert_eq!(error_code(&r), Some(ErrorCode::Device), "{r:?}");
    let r = call(&c, &mut ev, 15, output_fraction(dev.index, 0, 2.0));
    assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument), "{r:?}");
    let disconnect_toy = B::SimulatorDisconnect(s::SimulatorDevice {
        address: "11:22:33:44:55:66".into(),
    });
    assert!(is_ok(&call(&c, &mut ev, 16, disconnect_toy)));
    let removed = c.wait_event(&mut ev, |e| {
        matches!(e.body, Some(response::Body::DeviceRemoved(_)))
    });
    ev.push(removed);
    // The list change follows the removal; wait for it so the disconnect cannot overtake it.
    let changed = c.wait_event(
        &mut ev,
        |e| matches!(&e.body, Some(response::Body::DeviceListChanged(l)) if l.devices.is_empty()),
    );
    ev.push(changed);
    assert!(is_ok(&call(&c, &mut ev, 17, B::Disconnect(empty()))));
    assert_eq!(ctx.shutdown(), TP_OK);
    // Drain to the end: `closed` is the last message.
    let wait = if mode == Mode::Poll { 1000 } else { 0 };
    c.drain_into(&mut ev, Duration::from_millis(wait));
    assert!(
        matches!(
            ev.last().and_then(|e| e.body.as_ref()),
            Some(response::Body::Closed(_))
        ),
        "closed comes last: {:?}",
        ev.last()
    );
    c.free();
    (replies, ev)
}

#[test]
fn embedded_scenario_gives_the_same_results_in_every_encoding_and_mode() {
    let (replies, events) = scenario(TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(
        writes(&events),
        [
            "DeviceType;",
            "Vibrate:10;",
            "Vibrate:5;",
            "Battery;",
            "Vibrate:0;",
            "Vibrate:3;",
            "Vibrate:0;"
        ],
        "bytes the toy received"
    );
    let kinds = by_kind(&events);
    for k in [
        "deviceAdded",
        "deviceRemoved",
        "deviceListChanged",
        "simulatorOp",
        "closed",
    ] {
        assert!(kinds.contains_key(k), "no {k} event: {:?}", kinds.keys());
    }
    for (format, mode) in [
        (TP_FORMAT_JSON, Mode::Sink),
        (TP_FORMAT_PROTOBUF, Mode::Poll),
        (TP_FORMAT_PROTOBUF, Mode::Sink),
    ] {
        let (r, e) = scenario(format, mode);
        assert_eq!(r, replies, "replies differ for format {format} {mode:?}");
        assert_eq!(
            by_kind(&e),
            kinds,
            "events differ for format {format} {mode:?}"
        );
    }
}

/// The exact message sequence of a pipelined burst (replies only: one ordered source).
fn burst(format: i32, mode: Mode) -> Vec<Vec<u8>> {
    use request::Body as B;
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    let c = Client::new(&ctx, format, mode);
    for id in 1..=300u32 {
        let body = match id % 4 {
            0 => B::Ping(empty()),
            1 => sleep_ms(id % 3),
            2 => output_steps(id, 0, 1),
            _ => panic_in_task(),
        };
        assert_eq!(c.send(&req(id, body)), TP_OK);
    }
    let out: Vec<Vec<u8>> = (0..300)
        .map(|_| c.next_bytes(WAIT).expect("reply"))
        .collect();
    c.free();
    out
}

#[test]
fn poll_and_sink_modes_deliver_the_same_sequence() {
    for format in [TP_FORMAT_JSON, TP_FORMAT_PROTOBUF] {
        let polled = burst(format, Mode::Poll);
        let sunk = burst(format, Mode::Sink);
        assert_eq!(polled, sunk, "format {format}");
        let c = Client {
            c: std::ptr::null_mut(),
            format,
            rx: None,
            finalized: Default::default(),
            data: std::ptr::null(),
        };
        let ids: Vec<u32> = polled.iter().map(|b| c.decode(b).id).collect();
        assert_eq!(ids, (1..=300).collect::<Vec<u32>>());
    }
}

#[test]
fn shutdown_stops_a_running_toy() {
    use request::Body as B;
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_PROTOBUF, Mode::Poll);
    let mut ev = Vec::new();
    c.call_collect(req(1, connect_sim()), &mut ev);
    c.call_collect(req(2, lovense("run-away", true)), &mut ev);
    c.call_collect(req(3, B::StartScanning(empty())), &mut ev);
    c.wait_device_added(&mut ev);
    assert!(is_ok(
        &c.call_collect(req(4, output_steps(0, 0, 15)), &mut ev)
    ));
    // No stop, no disconnect: the context goes away with the toy running.
    assert_eq!(ctx.shutdown(), TP_OK);
    c.drain_into(&mut ev, Duration::from_millis(1000));
    let w = writes(&ev);
    let run = w.iter().position(|x| x == "Vibrate:15;").expect("ran");
    assert!(
        w[run..].iter().any(|x| x == "Vibrate:0;"),
        "the toy was stopped at shutdown: {w:?}"
    );
}

// ---- status codes ----------------------------------------------------------------------------

#[test]
fn version_queries() {
    assert_eq!(tp_abi_version(), TP_ABI_VERSION);
    let v = unsafe { std::ffi::CStr::from_ptr(tp_version_string()) };
    assert_eq!(v.to_str().unwrap(), env!("CARGO_PKG_VERSION"));
    let s = unsafe { std::ffi::CStr::from_ptr(tp_status_string(TP_ERR_DECODE)) };
    assert!(s.to_str().unwrap().contains("decode"));
    let s = unsafe { std::ffi::CStr::from_ptr(tp_status_string(-12345)) };
    assert_eq!(s.to_str().unwrap(), "unknown status");
}

#[test]
fn null_arguments() {
    let ctx = Ctx::new(0);
    assert_eq!(
        unsafe { tp_context_new(0, std::ptr::null_mut()) },
        TP_ERR_NULL_ARG
    );
    assert!(last_error().contains("NULL"), "{}", last_error());
    let mut c = std::ptr::null_mut();
    let st = unsafe {
        poll_client_new(
            std::ptr::null_mut(),
            TP_FORMAT_JSON,
            std::ptr::null(),
            0,
            &mut c,
        )
    };
    assert_eq!(st, TP_ERR_NULL_ARG);
    assert!(c.is_null(), "out written only on success");
    let st = unsafe {
        poll_client_new(
            ctx.0,
            TP_FORMAT_JSON,
            std::ptr::null(),
            0,
            std::ptr::null_mut(),
        )
    };
    assert_eq!(st, TP_ERR_NULL_ARG);
    // NULL name with a length.
    let st = unsafe { poll_client_new(ctx.0, TP_FORMAT_JSON, std::ptr::null(), 3, &mut c) };
    assert_eq!(st, TP_ERR_NULL_ARG);
    // NULL with length 0 is a valid empty name.
    let client = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(
        unsafe { tp_client_send(client.c, std::ptr::null(), 5) },
        TP_ERR_NULL_ARG
    );
    // NULL/0 is an empty message: not a JSON Request.
    assert_eq!(
        unsafe { tp_client_send(client.c, std::ptr::null(), 0) },
        TP_ERR_DECODE
    );
    assert_eq!(
        unsafe { tp_client_send(std::ptr::null_mut(), b"{}".as_ptr(), 2) },
        TP_ERR_NULL_ARG
    );
    assert_eq!(
        unsafe { tp_client_poll(client.c, 0, std::ptr::null_mut()) },
        TP_ERR_NULL_ARG
    );
    assert_eq!(
        tp_context_shutdown(std::ptr::null_mut(), 0),
        TP_ERR_NULL_ARG
    );
    // Void functions ignore NULL.
    tp_client_free(std::ptr::null_mut());
    tp_context_free(std::ptr::null_mut());
    tp_buffer_free(empty_buffer());
}

#[test]
fn invalid_arguments() {
    let ctx = Ctx::new(0);
    let mut out = std::ptr::null_mut();
    assert_eq!(
        unsafe { tp_context_new(0x80, &mut out) },
        TP_ERR_INVALID_ARG
    );
    assert!(out.is_null());
    let mut c = std::ptr::null_mut();
    for format in [0, 4, -1] {
        let st = unsafe { poll_client_new(ctx.0, format, std::ptr::null(), 0, &mut c) };
        assert_eq!(st, TP_ERR_INVALID_ARG, "format {format}");
        assert!(last_error().contains("format"));
    }
    let bad_name = [0xffu8, 0xfe];
    let st = unsafe { poll_client_new(ctx.0, TP_FORMAT_JSON, bad_name.as_ptr(), 2, &mut c) };
    assert_eq!(st, TP_ERR_INVALID_ARG);
    assert!(last_error().contains("UTF-8"));
    assert!(c.is_null());
    // A non-ASCII name is fine.
    let name = "Zoë's 玩具";
    let st = unsafe { poll_client_new(ctx.0, TP_FORMAT_JSON, name.as_ptr(), name.len(), &mut c) };
    assert_eq!(st, TP_OK);
    tp_client_free(c);

    let client = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    // id 0, no body, a newer schema.
    assert_eq!(
        client.send_raw(br#"{"id":0,"ping":{}}"#),
        TP_ERR_INVALID_ARG
    );
    assert!(last_error().contains("id"));
    assert_eq!(
        client.send_raw(br#"{"startScanning":{}}"#),
        TP_ERR_INVALID_ARG
    );
    assert_eq!(client.send_raw(br#"{"id":1}"#), TP_ERR_INVALID_ARG);
    assert!(last_error().contains("no body"));
    assert_eq!(
        client.send_raw(br#"{"id":1,"schemaVersion":99,"ping":{}}"#),
        TP_ERR_INVALID_ARG
    );
    assert!(last_error().contains("schema version"));
    // Polling a sink-mode client.
    let sink = Client::new(&ctx, TP_FORMAT_JSON, Mode::Sink);
    let mut buf = empty_buffer();
    assert_eq!(sink.poll_into(0, &mut buf), TP_ERR_INVALID_ARG);
    assert!(buf.data.is_null());
    // Log levels.
    assert_eq!(
        unsafe { tp_log_set_callback(None, std::ptr::null_mut(), 9) },
        TP_ERR_INVALID_ARG
    );
    assert_eq!(
        unsafe { tp_log_set_callback(None, std::ptr::null_mut(), -1) },
        TP_ERR_INVALID_ARG
    );
}

#[test]
fn decode_errors() {
    let ctx = Ctx::new(0);
    let json = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(json.send_raw(b"not json"), TP_ERR_DECODE);
    assert!(last_error().contains("JSON"), "{}", last_error());
    assert_eq!(json.send_raw(br#"{"id":"one","ping":{}}"#), TP_ERR_DECODE);
    assert_eq!(
        json.send_raw(br#"{"id":1,"output":{"type":"OUTPUT_TYPE_NOPE"}}"#),
        TP_ERR_DECODE
    );
    let pb = Client::new(&ctx, TP_FORMAT_PROTOBUF, Mode::Poll);
    assert_eq!(pb.send_raw(&[0xff, 0xff, 0xff]), TP_ERR_DECODE);
    assert!(last_error().contains("protobuf"));
    let raw = Client::new(&ctx, TP_FORMAT_BUTTPLUG_JSON, Mode::Poll);
    assert_eq!(raw.send_raw(b"hello"), TP_ERR_DECODE);
    assert_eq!(raw.send_raw(&[b'[', 0xff, b']']), TP_ERR_DECODE);
}

#[test]
fn invalid_handles() {
    let ctx = Ctx::new(0);
    let client = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    // A client handle is not a context, a context handle is not a client.
    let mut c = std::ptr::null_mut();
    let as_ctx = client.c as *mut tp_context;
    let st = unsafe { poll_client_new(as_ctx, TP_FORMAT_JSON, std::ptr::null(), 0, &mut c) };
    assert_eq!(st, TP_ERR_INVALID_HANDLE);
    let as_client = ctx.0 as *mut tp_client;
    assert_eq!(
        unsafe { tp_client_send(as_client, b"{}".as_ptr(), 2) },
        TP_ERR_INVALID_HANDLE
    );
    // A foreign pointer.
    let mut local = 0u64;
    let foreign = &mut local as *mut u64 as *mut tp_client;
    assert_eq!(
        unsafe { tp_client_send(foreign, b"{}".as_ptr(), 2) },
        TP_ERR_INVALID_HANDLE
    );
    assert!(last_error().contains("handle"));
    tp_client_free(foreign); // ignored
    tp_context_free(foreign as *mut tp_context); // ignored
    assert_eq!(local, 0);
    // A freed client.
    client.free();
    let ping = br#"{"id":1,"ping":{}}"#;
    assert_eq!(client.send_raw(ping), TP_ERR_INVALID_HANDLE);
    let mut buf = empty_buffer();
    assert_eq!(client.poll_into(0, &mut buf), TP_ERR_INVALID_HANDLE);
    client.free(); // double free: no-op
    // A freed context.
    let other = Ctx::new(0);
    let raw = other.0;
    drop(other);
    assert_eq!(tp_context_shutdown(raw, 0), TP_ERR_INVALID_HANDLE);
    let st = unsafe { poll_client_new(raw, TP_FORMAT_JSON, std::ptr::null(), 0, &mut c) };
    assert_eq!(st, TP_ERR_INVALID_HANDLE);
    // Buffers not from the library, and double frees, are ignored.
    let mut junk = [1u8, 2, 3];
    tp_buffer_free(tp_buffer {
        data: junk.as_mut_ptr(),
        len: 3,
    });
    assert_eq!(junk, [1, 2, 3]);
}

#[test]
fn double_buffer_free_is_ignored() {
    let ctx = Ctx::new(0);
    let client = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(client.send_raw(br#"{"id":1,"ping":{}}"#), TP_OK);
    let mut buf = empty_buffer();
    assert_eq!(client.poll_into(10_000, &mut buf), TP_OK);
    let copy = tp_buffer {
        data: buf.data,
        len: buf.len,
    };
    tp_buffer_free(buf);
    tp_buffer_free(copy);
    assert!(last_error().contains("not a live buffer"));
}

#[test]
fn timeouts_and_closed() {
    let ctx = Ctx::new(0);
    let client = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let mut buf = empty_buffer();
    assert_eq!(client.poll_into(0, &mut buf), TP_TIMEOUT);
    assert_eq!(client.poll_into(20, &mut buf), TP_TIMEOUT);
    assert!(buf.data.is_null(), "out written only on success");
    // A request nobody answered before shutdown gets a SHUTDOWN error, then `closed`.
    let ctx2 = Ctx::new(TP_CONTEXT_DEBUG);
    let slow = Client::new(&ctx2, TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(
        slow.send_raw(br#"{"id":7,"debug":{"sleepMs":60000}}"#),
        TP_OK
    );
    assert_eq!(ctx2.shutdown(), TP_OK);
    assert_eq!(ctx2.shutdown(), TP_OK, "idempotent");
    let r = slow.next(WAIT).expect("reply");
    assert_eq!((r.id, error_code(&r)), (7, Some(ErrorCode::Shutdown)));
    let r = slow.next(WAIT).expect("closed");
    assert!(matches!(r.body, Some(response::Body::Closed(_))));
    assert_eq!(slow.poll_into(1000, &mut buf), TP_CLOSED);
    assert_eq!(slow.poll_into(0, &mut buf), TP_CLOSED);
    // After shutdown: sends and new clients fail with SHUTDOWN.
    assert_eq!(slow.send_raw(br#"{"id":8,"ping":{}}"#), TP_ERR_SHUTDOWN);
    let mut c = std::ptr::null_mut();
    let st = unsafe { poll_client_new(ctx2.0, TP_FORMAT_JSON, std::ptr::null(), 0, &mut c) };
    assert_eq!(st, TP_ERR_SHUTDOWN);
    slow.free();
}

#[test]
fn a_full_request_queue_is_busy() {
    let ctx = Ctx::new(0);
    let client = Client::new(&ctx, TP_FORMAT_PROTOBUF, Mode::Poll);
    // Nobody polls: the poll queue fills, the worker waits, then the request queue fills.
    let ping = client.encode(&req(1, request::Body::Ping(empty())));
    let mut busy = false;
    for _ in 0..20_000 {
        match client.send_raw(&ping) {
            TP_OK => continue,
            TP_ERR_BUSY => {
                busy = true;
                break;
            }
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(busy, "the request queue is bounded");
    assert!(last_error().contains("full"));
    // Draining makes room again.
    for _ in 0..100 {
        client.next(WAIT).expect("queued reply");
    }
    // The worker takes the next request once a running one's reply found room: it may need
    // to be scheduled first (bounded by time, not by a count of polls).
    let deadline = std::time::Instant::now() + WAIT;
    let mut sent = false;
    while !sent && std::time::Instant::now() < deadline {
        sent = client.send_raw(&ping) == TP_OK;
        if !sent {
            client.next(WAIT);
        }
    }
    assert!(sent, "room again within {WAIT:?} of draining");
}

#[test]
fn shutdown_answers_every_request_of_a_client_nobody_polls() {
    let ctx = Ctx::new(0);
    let client = Client::new(&ctx, TP_FORMAT_PROTOBUF, Mode::Poll);
    // Nobody polls: the poll queue fills, then the request queue.
    let mut accepted = Vec::new();
    for id in 1..=20_000u32 {
        match client.send_raw(&client.encode(&req(id, request::Body::Ping(empty())))) {
            TP_OK => accepted.push(id),
            TP_ERR_BUSY => break,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(accepted.len() < 20_000, "the queues are bounded");
    // Still nobody polls while the context shuts down: its last messages must not wait for
    // room in the queue (else shutdown runs into its timeout and they are lost).
    assert_eq!(tp_context_shutdown(ctx.0, 60_000), TP_OK);
    let mut answered = std::collections::HashSet::new();
    let mut closed = false;
    while let Some(r) = client.next(WAIT) {
        assert!(!closed, "nothing after closed: {r:?}");
        match r.body {
            Some(response::Body::Closed(_)) => closed = true,
            _ => assert!(answered.insert(r.id), "one reply per request: {r:?}"),
        }
    }
    assert!(closed, "the closed event was delivered");
    let expected: std::collections::HashSet<u32> = accepted.into_iter().collect();
    assert_eq!(answered, expected, "every accepted request was answered");
}

#[test]
fn last_error_is_copied_and_truncated() {
    let ctx = Ctx::new(0);
    let client = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(client.send_raw(b"x"), TP_ERR_DECODE);
    let full = last_error();
    assert!(full.len() > 4);
    let mut small = [0u8; 4];
    let n = unsafe { tp_last_error_message(small.as_mut_ptr(), small.len()) };
    assert_eq!(n, full.len());
    assert_eq!(&small, &full.as_bytes()[..4]);
    // Thread-local: another thread has its own.
    let other = std::thread::spawn(|| unsafe { tp_last_error_message(std::ptr::null_mut(), 0) })
        .join()
        .unwrap();
    assert_eq!(other, 0);
}

// ---- requests --------------------------------------------------------------------------------

#[test]
fn the_lovense_api_port_connect_option_serves_the_lovense_api_for_the_session() {
    use request::Body as B;
    use std::io::{Read, Write};
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let embedded = |port: u32| {
        B::Connect(s::Connect {
            mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
                disabled_transports: 7,
                lovense_api_port: port,
                ..Default::default()
            })),
        })
    };
    let r = c.call(req(1, embedded(70_000)));
    assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument), "{r:?}");
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    connected(&c.call(req(2, embedded(port.into()))));
    let get = || -> std::io::Result<String> {
        let mut s = std::net::TcpStream::connect(("127.0.0.1", port))?;
        s.write_all(b"GET /GetToyName HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")?;
        let mut out = String::new();
        s.read_to_string(&mut out)?;
        Ok(out)
    };
    let out = get().expect("the API answers");
    assert!(out.starts_with("HTTP/1.1 200"), "{out}");
    assert!(
        out.ends_with(r#"{"code":200,"data":[],"type":"OK"}"#),
        "{out}"
    );
    assert!(is_ok(&c.call(req(3, B::Disconnect(empty())))));
    assert!(get().is_err(), "the API ends with the session");
}

#[test]
fn requests_before_connecting_and_connect_errors() {
    use request::Body as B;
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let r = c.call(req(1, B::StartScanning(empty())));
    assert_eq!(error_code(&r), Some(ErrorCode::NotConnected));
    let r = c.call(req(2, lovense("aa", false)));
    assert_eq!(error_code(&r), Some(ErrorCode::NotConnected));
    let r = c.call(req(3, B::Debug(s::DebugRequest { action: None })));
    assert_eq!(
        error_code(&r),
        Some(ErrorCode::Unsupported),
        "debug needs the flag"
    );
    let remote = connect_remote("ws://127.0.0.1:1");
    let r = c.call(req(4, remote));
    assert_eq!(error_code(&r), Some(ErrorCode::ConnectFailed), "{r:?}");
    let bad_url = connect_remote("http://nope");
    let r = c.call(req(40, bad_url));
    assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument), "{r:?}");
    let denied = B::Connect(s::Connect {
        mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
            disabled_transports: 7,
            allowed_clients: vec!["someone else".into()],
            ..Default::default()
        })),
    });
    let r = c.call(req(5, denied));
    assert!(error_code(&r).is_some(), "client not allowed: {r:?}");
    let bad_config = B::Connect(s::Connect {
        mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
            device_config_json: "{nope".into(),
            ..Default::default()
        })),
    });
    let r = c.call(req(6, bad_config));
    assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument), "{r:?}");
    // Defaults (no mode) connect; a second connect is refused; disconnect, connect again.
    let r = c.call(req(7, B::Connect(s::Connect { mode: None })));
    let info = connected(&r);
    assert_eq!(info.server_name, "Teleplug Server");
    assert_eq!(info.protocol_version_major, 4);
    let r = c.call(req(8, connect_sim()));
    assert_eq!(error_code(&r), Some(ErrorCode::AlreadyConnected));
    assert!(is_ok(&c.call(req(9, B::Disconnect(empty())))));
    connected(&c.call(req(10, connect_sim())));
    let stop = s::StopCommand {
        feature_index: Some(0),
        ..Default::default()
    };
    let r = c.call(req(11, B::Stop(stop)));
    assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument));
    let r = c.call(req(
        12,
        B::SimulatorQueueRead(s::SimulatorQueueRead {
            address: "unknown".into(),
            endpoint: "rx".into(),
            data: vec![1],
        }),
    ));
    assert_eq!(error_code(&r), Some(ErrorCode::InvalidArgument));
    let mut bad_type = output_steps(0, 0, 1);
    if let B::Output(o) = &mut bad_type {
        o.r#type = 0;
    }
    assert_eq!(
        error_code(&c.call(req(13, bad_type))),
        Some(ErrorCode::InvalidArgument)
    );
}

#[test]
fn scanning_finishes_and_simulated_inputs_flow() {
    use request::Body as B;
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_PROTOBUF, Mode::Sink);
    let connect = B::Connect(s::Connect {
        mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
            disabled_transports: 7,
            simulator_scan_ms: 50,
            server_name: "scan test".into(),
            ..Default::default()
        })),
    });
    let mut ev = Vec::new();
    let r = c.call_collect(req(1, connect), &mut ev);
    let info = connected(&r);
    assert_eq!(info.server_name, "scan test");
    assert!(is_ok(
        &c.call_collect(req(2, lovense("aa:bb", true)), &mut ev)
    ));
    assert!(is_ok(
        &c.call_collect(req(3, B::StartScanning(empty())), &mut ev)
    ));
    c.wait_event(&mut ev, |e| {
        matches!(e.body, Some(response::Body::ScanningFinished(_)))
    });
    assert!(
        ev.iter()
            .any(|e| matches!(e.body, Some(response::Body::DeviceAdded(_))))
    );
    // The toy answers reads queued through the schema.
    let q = B::SimulatorQueueRead(s::SimulatorQueueRead {
        address: "aa:bb".into(),
        endpoint: "rx".into(),
        data: b"55;".to_vec(),
    });
    assert!(is_ok(&c.call_collect(req(4, q.clone()), &mut ev)));
    // Replies waiting for reads are bounded: one past the limit is refused, not dropped silently.
    let limit = teleplug::hardware::simulated::MAX_QUEUED_READS as u32;
    for id in 1..limit {
        assert!(is_ok(&c.call_collect(req(100 + id, q.clone()), &mut ev)));
    }
    assert_eq!(
        error_code(&c.call_collect(req(100 + limit, q), &mut ev)),
        Some(ErrorCode::InvalidArgument)
    );
    // Notifications on a subscribed endpoint are accepted; unknown endpoints are not.
    let n = B::SimulatorNotify(s::SimulatorNotify {
        address: "aa:bb".into(),
        endpoint: "rx".into(),
        data: b"OK;".to_vec(),
    });
    assert!(is_ok(&c.call_collect(req(5, n), &mut ev)));
    let n = B::SimulatorNotify(s::SimulatorNotify {
        address: "aa:bb".into(),
        endpoint: "no-such-endpoint".into(),
        data: vec![],
    });
    assert_eq!(
        error_code(&c.call_collect(req(6, n), &mut ev)),
        Some(ErrorCode::InvalidArgument)
    );
}

#[test]
fn input_subscriptions_deliver_readings_as_events() {
    use request::Body as B;
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Sink);
    let mut ev = Vec::new();
    c.call_collect(req(1, connect_sim()), &mut ev);
    // A KGoal Boost described field by field: name, address, a battery read value.
    let spec = B::SimulatorAdvertise(s::SimulatorAdvertise {
        device: Some(s::simulator_advertise::Device::Spec(
            s::SimulatedDeviceSpec {
                name: "Boost".into(),
                address: "kg1".into(),
                read_values: vec![s::ReadValue {
                    endpoint: "rxblebattery".into(),
                    data: vec![77],
                }],
                ..Default::default()
            },
        )),
        observe: true,
    });
    assert!(is_ok(&c.call_collect(req(2, spec), &mut ev)));
    c.call_collect(req(3, B::StartScanning(empty())), &mut ev);
    let added = c.wait_device_added(&mut ev);
    let dev = added_device(&added);
    let has = |t: s::InputType| {
        dev.features
            .iter()
            .find(|f| f.inputs.iter().any(|i| i.r#type == t as i32))
            .map(|f| f.index)
    };
    let pressure = has(s::InputType::Pressure).expect("pressure feature");
    let battery = has(s::InputType::Battery).expect("battery feature");
    let input = |cmd: s::InputCommandType, feature: u32, t: s::InputType| {
        B::Input(s::InputCommand {
            device_index: dev.index,
            feature_index: feature,
            r#type: t as i32,
            command: cmd as i32,
        })
    };
    let sub = input(
        s::InputCommandType::Subscribe,
        pressure,
        s::InputType::Pressure,
    );
    assert!(is_ok(&c.call_collect(req(4, sub), &mut ev)), "{ev:?}");
    let notify = B::SimulatorNotify(s::SimulatorNotify {
        address: "kg1".into(),
        endpoint: "rxpressure".into(),
        data: vec![0, 0, 0, 0, 42, 0, 42],
    });
    assert!(is_ok(&c.call_collect(req(5, notify), &mut ev)));
    let reading = c.wait_event(&mut ev, |e| {
        matches!(e.body, Some(response::Body::InputReading(_)))
    });
    assert_eq!(reading.id, 0, "a subscription reading is an event");
    assert_eq!(
        reading.body,
        input_reading(dev.index, pressure, s::InputType::Pressure, 42)
    );
    let unsub = input(
        s::InputCommandType::Unsubscribe,
        pressure,
        s::InputType::Pressure,
    );
    assert!(is_ok(&c.call_collect(req(6, unsub), &mut ev)));
    let read = input(s::InputCommandType::Read, battery, s::InputType::Battery);
    let r = c.call_collect(req(7, read), &mut ev);
    let Some(response::Body::InputReading(r)) = r.body else {
        panic!("{r:?}")
    };
    assert_eq!(r.value, 77);
    // The device saw the subscription and the read (op events travel beside the replies).
    for kind in [s::SimulatorOpKind::Subscribe, s::SimulatorOpKind::Read] {
        let seen = |e: &s::Response| matches!(&e.body, Some(response::Body::SimulatorOp(op)) if op.kind == kind as i32);
        if !ev.iter().any(seen) {
            c.wait_event(&mut ev, seen);
        }
    }
}

#[test]
fn a_server_going_away_is_reported_and_the_client_can_reconnect() {
    use request::Body as B;
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    let c = Client::new(&ctx, TP_FORMAT_PROTOBUF, Mode::Poll);
    let mut ev = Vec::new();
    c.call_collect(req(1, connect_sim()), &mut ev);
    let stop = B::Debug(s::DebugRequest {
        action: Some(s::debug_request::Action::ShutdownServer(empty())),
    });
    assert!(is_ok(&c.call_collect(req(2, stop), &mut ev)));
    let gone = c.wait_event(&mut ev, |e| {
        matches!(e.body, Some(response::Body::ServerDisconnected(_)))
    });
    let Some(response::Body::ServerDisconnected(d)) = gone.body else {
        unreachable!()
    };
    assert!(!d.reason.is_empty());
    let r = c.call_collect(req(3, B::Ping(empty())), &mut ev);
    assert_eq!(error_code(&r), Some(ErrorCode::NotConnected));
    let r = c.call_collect(req(4, connect_sim()), &mut ev);
    connected(&r);
    assert!(is_ok(&c.call_collect(req(5, B::Ping(empty())), &mut ev)));
}

#[test]
fn replies_keep_request_order_while_slow_requests_run() {
    use request::Body as B;
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    connected(&c.call(req(1, connect_sim())));
    let slow = sleep_ms(200);
    assert_eq!(c.send(&req(2, slow)), TP_OK);
    for id in 3..50 {
        assert_eq!(c.send(&req(id, B::Ping(empty()))), TP_OK);
    }
    let started = std::time::Instant::now();
    let mut ids = Vec::new();
    while ids.len() < 48 {
        let m = c.next(WAIT).expect("reply");
        if m.id != 0 {
            assert!(is_ok(&m), "{m:?}");
            ids.push(m.id);
        }
    }
    assert_eq!(ids, (2..50).collect::<Vec<u32>>());
    // The pings ran while the slow request slept (replies waited only for order).
    assert!(started.elapsed() < Duration::from_secs(5));
}

#[test]
fn remote_connections_reach_a_websocket_server() {
    use request::Body as B;
    use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
    use teleplug::net::{WsServer, WsServerOptions};
    use teleplug::server::{Server, ServerOptions, Transports};
    // An in-process `teleplug serve`: its own runtime, a simulated Lovense toy, port 0.
    let rt = tokio::runtime::Runtime::new().unwrap();
    let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        "remote-toy",
        "Z:11:0082059AD3BD;",
        66,
    ));
    let mut ops = toy.op_receiver();
    let (addr, handle) = rt.block_on(async {
        let server = Server::new(ServerOptions {
            name: "remote test".into(),
            transports: Transports::none(),
            ..ServerOptions::default()
        });
        server.advertise(toy.clone());
        let ws = WsServer::bind(
            server,
            WsServerOptions {
                address: "127.0.0.1:0".parse().unwrap(),
                ..WsServerOptions::default()
            },
        )
        .await
        .expect("bind");
        (ws.local_addr(), ws.spawn())
    });
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let mut ev = Vec::new();
    let remote = connect_remote(&format!("ws://{addr}"));
    let r = c.call_collect(req(1, remote), &mut ev);
    let info = connected(&r);
    assert_eq!(info.server_name, "remote test");
    assert_eq!(info.protocol_version_major, 4);
    // Simulated devices belong to an embedded server.
    let r = c.call_collect(req(2, lovense("x", false)), &mut ev);
    assert_eq!(error_code(&r), Some(ErrorCode::Unsupported), "{r:?}");
    assert!(is_ok(
        &c.call_collect(req(3, B::StartScanning(empty())), &mut ev)
    ));
    c.wait_device_added(&mut ev);
    assert!(is_ok(
        &c.call_collect(req(4, output_fraction(0, 0, 0.5)), &mut ev)
    ));
    let r = c.call_collect(req(5, read_battery(0, 1)), &mut ev);
    assert!(
        matches!(
            r.body,
            Some(response::Body::InputReading(s::InputReading {
                value: 66,
                ..
            }))
        ),
        "{r:?}"
    );
    assert!(is_ok(
        &c.call_collect(req(6, B::Disconnect(empty())), &mut ev)
    ));
    // The toy saw the command, and was stopped when the client left.
    let seen = rt.block_on(async {
        let mut seen = Vec::new();
        while !seen.iter().any(|w: &String| w == "Vibrate:0;") {
            match tokio::time::timeout(WAIT, ops.recv()).await {
                Ok(Some(SimOp::Write { data, .. })) => {
                    seen.push(String::from_utf8_lossy(&data).into_owned())
                }
                Ok(Some(_)) => {}
                _ => break,
            }
        }
        seen
    });
    assert!(seen.contains(&"Vibrate:10;".to_string()), "{seen:?}");
    assert!(seen.contains(&"Vibrate:0;".to_string()), "{seen:?}");
    drop(ctx);
    rt.block_on(async { drop(handle) });
}

// ---- panics ----------------------------------------------------------------------------------

#[test]
fn a_panic_in_a_task_becomes_an_error_reply() {
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    for (format, mode) in [
        (TP_FORMAT_JSON, Mode::Poll),
        (TP_FORMAT_PROTOBUF, Mode::Sink),
    ] {
        let c = Client::new(&ctx, format, mode);
        let panic = panic_in_task();
        let r = c.call(req(41, panic));
        assert_eq!(error_code(&r), Some(ErrorCode::Panic), "{r:?}");
        let Some(response::Body::Error(e)) = r.body else {
            unreachable!()
        };
        assert!(e.message.contains("injected panic"), "{}", e.message);
        // The client keeps working.
        connected(&c.call(req(42, connect_sim())));
        assert!(is_ok(&c.call(req(43, request::Body::Ping(empty())))));
        c.free();
    }
}

#[test]
fn a_panic_at_an_export_returns_tp_err_panic() {
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let panic = br#"{"id":5,"debug":{"panic":"PANIC_SITE_SEND"}}"#;
    assert_eq!(c.send_raw(panic), TP_ERR_PANIC);
    assert!(last_error().contains("injected panic"), "{}", last_error());
    // The client is still usable.
    assert!(is_ok(&c.call(req(6, sleep_ms(1)))));
    // Without the debug flag the hook is refused, not run.
    let plain = Ctx::new(0);
    let c = Client::new(&plain, TP_FORMAT_JSON, Mode::Poll);
    assert_eq!(c.send_raw(panic), TP_OK);
    let r = c.next(WAIT).unwrap();
    assert_eq!((r.id, error_code(&r)), (5, Some(ErrorCode::Unsupported)));
}

// ---- freeing and callbacks -------------------------------------------------------------------

#[test]
fn free_inside_the_clients_own_callback() {
    let ctx = Ctx::new(0);
    let handle = Arc::new(AtomicUsize::new(0));
    let h = handle.clone();
    let c = Client::with_hook(
        &ctx,
        TP_FORMAT_JSON,
        Mode::Sink,
        Some(Box::new(move |n| {
            if n == 1 {
                tp_client_free(h.load(Ordering::SeqCst) as *mut tp_client);
                // Twice, still inside: a no-op.
                tp_client_free(h.load(Ordering::SeqCst) as *mut tp_client);
            }
        })),
    );
    handle.store(c.c as usize, Ordering::SeqCst);
    for id in 1..=20 {
        let st = c.send(&req(id, request::Body::Ping(empty())));
        assert!(st == TP_OK || st == TP_ERR_INVALID_HANDLE, "{st}");
    }
    // The first reply frees the client; nothing else is delivered, the finalizer runs once.
    c.rx.as_ref()
        .unwrap()
        .recv_timeout(WAIT)
        .expect("first reply");
    assert_eq!(ctx.shutdown(), TP_OK);
    assert_eq!(c.finalized.load(Ordering::SeqCst), 1);
    assert!(
        c.rx.as_ref().unwrap().try_recv().is_err(),
        "no callback after the free"
    );
    c.free();
    assert_eq!(c.finalized.load(Ordering::SeqCst), 1);
}

#[test]
fn free_racing_callbacks_from_another_thread() {
    for round in 0..10 {
        let ctx = Ctx::new(0);
        let (c, freed, late) = Client::counting_late_calls(&ctx, TP_FORMAT_PROTOBUF);
        let ping = c.encode(&req(1, request::Body::Ping(empty())));
        for _ in 0..500 {
            let _ = c.send_raw(&ping);
        }
        // Free once callbacks are flowing, from this (non-dispatcher) thread.
        c.rx.as_ref()
            .unwrap()
            .recv_timeout(WAIT)
            .expect("a callback");
        let finalized = c.finalized.clone();
        let h = c.c as usize;
        std::thread::spawn(move || tp_client_free(h as *mut tp_client))
            .join()
            .unwrap();
        freed.store(true, Ordering::SeqCst);
        assert_eq!(
            finalized.load(Ordering::SeqCst),
            1,
            "round {round}: finalizer after free"
        );
        assert_eq!(ctx.shutdown(), TP_OK);
        assert_eq!(
            late.load(Ordering::SeqCst),
            0,
            "round {round}: callback after free returned"
        );
        assert_eq!(finalized.load(Ordering::SeqCst), 1);
    }
}

#[test]
fn no_callback_after_shutdown_and_finalizers_run_once() {
    let ctx = Ctx::new(0);
    let (c, done, late) = Client::counting_late_calls(&ctx, TP_FORMAT_JSON);
    let ping = br#"{"id":1,"ping":{}}"#;
    for _ in 0..1000 {
        let _ = c.send_raw(ping);
    }
    assert_eq!(ctx.shutdown(), TP_OK);
    done.store(true, Ordering::SeqCst);
    assert_eq!(
        c.finalized.load(Ordering::SeqCst),
        1,
        "finalizer ran at shutdown"
    );
    assert_eq!(late.load(Ordering::SeqCst), 0);
    c.free();
    drop(ctx);
    assert_eq!(c.finalized.load(Ordering::SeqCst), 1, "and not again");
}

extern "C" fn shutdown_inside(user_data: *mut c_void, _buf: *const u8, _len: usize) {
    let probe = unsafe { &*(user_data as *const (AtomicUsize, AtomicUsize)) };
    let ctx = probe.0.load(Ordering::SeqCst) as *mut tp_context;
    let st = tp_context_shutdown(ctx, 1000);
    probe.1.store(st as usize, Ordering::SeqCst);
}

#[test]
fn shutdown_inside_a_callback_is_refused() {
    let ctx = Ctx::new(0);
    let probe = Box::new((
        AtomicUsize::new(ctx.0 as usize),
        AtomicUsize::new(usize::MAX),
    ));
    let mut c = std::ptr::null_mut();
    let st = unsafe {
        tp_client_new(
            ctx.0,
            TP_FORMAT_JSON,
            std::ptr::null(),
            0,
            Some(shutdown_inside),
            &*probe as *const _ as *mut c_void,
            None,
            &mut c,
        )
    };
    assert_eq!(st, TP_OK);
    assert_eq!(
        unsafe { tp_client_send(c, br#"{"id":1,"ping":{}}"#.as_ptr(), 18) },
        TP_OK
    );
    assert_eq!(ctx.shutdown(), TP_OK);
    assert_eq!(probe.1.load(Ordering::SeqCst), TP_ERR_INVALID_ARG as usize);
    tp_client_free(c);
}

#[test]
fn shutdown_then_recreate_many_times() {
    for i in 0..25u32 {
        let ctx = Ctx::new(0);
        let c = Client::new(
            &ctx,
            if i % 2 == 0 {
                TP_FORMAT_JSON
            } else {
                TP_FORMAT_PROTOBUF
            },
            Mode::Poll,
        );
        connected(&c.call(req(1, connect_sim())));
        assert!(is_ok(&c.call(req(2, request::Body::Ping(empty())))));
        if i % 3 == 0 {
            // free alone shuts down
            drop(ctx);
        } else {
            assert_eq!(ctx.shutdown(), TP_OK);
            c.free();
        }
    }
}

// ---- logging ---------------------------------------------------------------------------------

struct LogProbe {
    lines: parking_lot::Mutex<Vec<(i32, String)>>,
}

extern "C" fn log_cb(user_data: *mut c_void, level: i32, msg: *const u8, len: usize) {
    let p = unsafe { &*(user_data as *const LogProbe) };
    let text =
        String::from_utf8_lossy(unsafe { std::slice::from_raw_parts(msg, len) }).into_owned();
    p.lines.lock().push((level, text));
}

fn wait_for_log(p: &LogProbe, needle: &str) -> bool {
    let deadline = std::time::Instant::now() + WAIT;
    while std::time::Instant::now() < deadline {
        if p.lines.lock().iter().any(|(_, l)| l.contains(needle)) {
            return true;
        }
        std::thread::yield_now();
    }
    false
}

#[test]
fn log_callback_is_replaceable_and_clearable_and_clients_can_subscribe() {
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    let a = Box::new(LogProbe {
        lines: Default::default(),
    });
    let b = Box::new(LogProbe {
        lines: Default::default(),
    });
    let pa = &*a as *const LogProbe as *mut c_void;
    let pb = &*b as *const LogProbe as *mut c_void;
    assert_eq!(
        unsafe { tp_log_set_callback(Some(log_cb), pa, TP_LOG_ERROR) },
        TP_OK
    );
    let c = Client::new(&ctx, TP_FORMAT_JSON, Mode::Poll);
    let sub = request::Body::SubscribeLogs(s::LogSubscription {
        max_level: s::LogLevel::Error as i32,
    });
    assert!(is_ok(&c.call(req(1, sub))));
    let mut ev = Vec::new();
    c.call_collect(req(2, panic_in_task()), &mut ev);
    assert!(
        wait_for_log(&a, "panic while handling a request"),
        "log callback got the panic"
    );
    assert!(a.lines.lock().iter().all(|(lvl, _)| *lvl == TP_LOG_ERROR));
    let log = c.wait_event(&mut Vec::new(), |e| {
        matches!(&e.body, Some(response::Body::Log(r)) if r.message.contains("panic while handling"))
    });
    let Some(response::Body::Log(record)) = log.body else {
        unreachable!()
    };
    assert_eq!(record.level, s::LogLevel::Error as i32);
    // Replace: from now on only b.
    assert_eq!(
        unsafe { tp_log_set_callback(Some(log_cb), pb, TP_LOG_WARN) },
        TP_OK
    );
    let a_count = a.lines.lock().len();
    c.call_collect(req(3, panic_in_task()), &mut ev);
    assert!(wait_for_log(&b, "panic while handling a request"));
    assert_eq!(
        a.lines.lock().len(),
        a_count,
        "the replaced callback is not called"
    );
    // Clear: nobody is called.
    assert_eq!(
        unsafe { tp_log_set_callback(None, std::ptr::null_mut(), TP_LOG_OFF) },
        TP_OK
    );
    let b_count = b.lines.lock().len();
    c.call_collect(req(4, panic_in_task()), &mut ev);
    assert_eq!(
        b.lines.lock().len(),
        b_count,
        "no log callback after clearing"
    );
    drop(ctx);
    drop((a, b));
}

// ---- raw channel -----------------------------------------------------------------------------

#[test]
fn raw_channel_speaks_buttplug_json_with_the_embedded_server() {
    let ctx = Ctx::new(0);
    let c = Client::new(&ctx, TP_FORMAT_BUTTPLUG_JSON, Mode::Poll);
    let next_text = || String::from_utf8(c.next_bytes(WAIT).expect("message")).unwrap();
    // Control requests are Request JSON objects; their replies are Response JSON objects.
    assert_eq!(
        c.send_raw(br#"{"id":1,"connect":{"embedded":{"disabledTransports":7}}}"#),
        TP_OK
    );
    let r: serde_json::Value = serde_json::from_str(&next_text()).unwrap();
    assert_eq!(r["id"], 1);
    assert!(r.get("connected").is_some(), "{r}");
    assert_eq!(
        c.send_raw(
            br#"{"id":2,"simulatorAdvertise":{"lovense":{"address":"raw-toy","battery":40}}}"#
        ),
        TP_OK
    );
    let r: serde_json::Value = serde_json::from_str(&next_text()).unwrap();
    assert_eq!(r["id"], 2);
    assert!(r.get("ok").is_some(), "{r}");
    // Buttplug frames (arrays) go to the server as they are.
    let hello = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"raw","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#;
    assert_eq!(c.send_raw(hello.as_bytes()), TP_OK);
    let frame = next_text();
    assert!(
        frame.starts_with('[') && frame.contains("ServerInfo"),
        "{frame}"
    );
    assert_eq!(c.send_raw(br#"[{"StartScanning":{"Id":2}}]"#), TP_OK);
    let mut seen = String::new();
    let deadline = std::time::Instant::now() + WAIT;
    // The device may be announced before or after the scan's Ok.
    while !(seen.contains("Lovense Hush") && seen.contains("\"Ok\""))
        && std::time::Instant::now() < deadline
    {
        seen.push_str(&next_text());
    }
    assert!(seen.contains("\"Ok\""), "{seen}");
    assert!(
        seen.contains("DeviceList") && seen.contains("Lovense Hush"),
        "{seen}"
    );
    assert_eq!(
        c.send_raw(br#"[{"OutputCmd":{"Id":3,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5}}}}]"#),
        TP_OK
    );
    let frame = next_text();
    assert!(
        frame.contains("\"Ok\"") && frame.contains("\"Id\":3"),
        "{frame}"
    );
    // A legacy (v3) client works in-process too: new channel, the server starts at the first frame.
    let old = Client::new(&ctx, TP_FORMAT_BUTTPLUG_JSON, Mode::Sink);
    let hello_v3 = r#"[{"RequestServerInfo":{"Id":1,"ClientName":"v3","MessageVersion":3}}]"#;
    assert_eq!(old.send_raw(hello_v3.as_bytes()), TP_OK);
    let frame = String::from_utf8(old.next_bytes(WAIT).expect("ServerInfo")).unwrap();
    assert!(
        frame.contains("ServerInfo") && frame.contains("\"MessageVersion\":3"),
        "{frame}"
    );
}
