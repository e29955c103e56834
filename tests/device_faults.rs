//! Devices that fail: a write that fails leaves the device's state unknown (nothing is
//! deduplicated against it afterwards), a stop that fails is retried and then reported, and a
//! device whose writes hang delays nobody else — neither the other devices' stops nor the
//! client's ping deadline. All on tokio's paused clock: the delays asserted are exact.

mod support;

use std::time::Duration;

use serde_json::{Value, json};
use support::ops::{next_op, until_connected};
use support::scan::{device_list_of, output_ok, scanning_client};
use support::wire::{WireClient, msg_type};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::device::{OP_TIMEOUT, STOP_WRITE_BOUND};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::broadcast;
use tokio::sync::mpsc::UnboundedReceiver;
use tokio::time::Instant;

fn server(max_ping: Duration) -> Server {
    Server::new(ServerOptions {
        max_ping_time: max_ping,
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

/// A simulated Lovense Hush, advertised on `server`, and its ops.
fn hush(server: &Server, address: &str) -> (SimulatedDevice, UnboundedReceiver<SimOp>) {
    let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        address,
        "Z:11:0082059AD3BD;",
        80,
    ));
    let ops = toy.op_receiver();
    server.advertise(toy.clone());
    (toy, ops)
}

/// The next write's text.
async fn next_write(ops: &mut UnboundedReceiver<SimOp>) -> String {
    loop {
        if let SimOp::Write { data, .. } = next_op(ops).await {
            return String::from_utf8_lossy(&data).into_owned();
        }
    }
}

/// No op is waiting in `ops` (after everything runnable has run).
async fn nothing_written(ops: &mut UnboundedReceiver<SimOp>) {
    tokio::task::yield_now().await;
    if let Ok(op) = ops.try_recv() {
        panic!("unexpected op {op:?}");
    }
}

fn vibrate(c: &mut WireClient, device: u32, value: u32) -> Value {
    c.msg(
        "OutputCmd",
        json!({"DeviceIndex": device, "FeatureIndex": 0, "Command": {"Vibrate": {"Value": value}}}),
    )
}

async fn request(c: &mut WireClient, m: Value) -> Value {
    c.request(vec![m]).await.remove(0)
}

/// The next server Error event, and when it came.
async fn error_event(events: &mut broadcast::Receiver<ServerEvent>) -> (String, Instant) {
    let wait = async {
        loop {
            if let ServerEvent::Error(e) = events.recv().await.expect("server events") {
                return (e, Instant::now());
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), wait)
        .await
        .expect("no Error event")
}

#[tokio::test(start_paused = true)]
async fn after_a_failed_write_nothing_is_skipped_as_a_repeat() {
    let s = server(Duration::ZERO);
    let mut events = s.events();
    let (toy, mut ops) = hush(&s, "glitchy");
    let mut c = scanning_client(&s, "faults").await;
    until_connected(&mut ops).await;
    device_list_of(&mut c, Duration::from_secs(5), 1).await;
    output_ok(&mut c, json!(0), 0, json!({"Vibrate": {"Value": 10}})).await;
    assert_eq!(next_write(&mut ops).await, "Vibrate:10;");

    // A stop that fails on every attempt: the client hears it, and so does the server's owner.
    toy.fail_next_writes(3);
    let stop = c.msg("StopCmd", json!({"DeviceIndex": 0}));
    let r = request(&mut c, stop).await;
    assert_eq!(msg_type(&r), "Error", "{r}");
    let (e, _) = error_event(&mut events).await;
    assert!(
        e.contains("stop could not be written after 3 attempt"),
        "{e}"
    );
    nothing_written(&mut ops).await;

    // The toy may still run at 10: the next stop is written, not skipped as a repeat.
    let stop = c.msg("StopCmd", json!({"DeviceIndex": 0}));
    assert_eq!(msg_type(&request(&mut c, stop).await), "Ok");
    assert_eq!(next_write(&mut ops).await, "Vibrate:0;");

    // A command that fails once is written again when repeated.
    toy.fail_next_writes(1);
    let m = vibrate(&mut c, 0, 12);
    assert_eq!(msg_type(&request(&mut c, m).await), "Error");
    let m = vibrate(&mut c, 0, 12);
    assert_eq!(msg_type(&request(&mut c, m).await), "Ok");
    assert_eq!(next_write(&mut ops).await, "Vibrate:12;");
}

#[tokio::test(start_paused = true)]
async fn a_stop_that_fails_is_retried() {
    let s = server(Duration::ZERO);
    let mut events = s.events();
    let (toy, mut ops) = hush(&s, "flaky");
    let mut c = scanning_client(&s, "faults").await;
    until_connected(&mut ops).await;
    device_list_of(&mut c, Duration::from_secs(5), 1).await;
    output_ok(&mut c, json!(0), 0, json!({"Vibrate": {"Value": 10}})).await;
    assert_eq!(next_write(&mut ops).await, "Vibrate:10;");
    toy.fail_next_writes(2);
    let stop = c.msg("StopCmd", json!({"DeviceIndex": 0}));
    assert_eq!(msg_type(&request(&mut c, stop).await), "Ok");
    assert_eq!(next_write(&mut ops).await, "Vibrate:0;");
    nothing_written(&mut ops).await;
    assert!(
        !std::iter::from_fn(|| events.try_recv().ok()).any(|e| matches!(e, ServerEvent::Error(_))),
        "a stop written on its third attempt is no failure"
    );
}

/// Four running toys; the first one's writes hang from now on, with a command on its way to it.
async fn one_stuck_of_four(
    s: &Server,
) -> (WireClient, SimulatedDevice, Vec<UnboundedReceiver<SimOp>>) {
    let mut toys = Vec::new();
    let mut all_ops = Vec::new();
    for address in ["stuck", "ok-1", "ok-2", "ok-3"] {
        let (toy, ops) = hush(s, address);
        toys.push(toy);
        all_ops.push(ops);
    }
    let mut c = scanning_client(s, "faults").await;
    for ops in &mut all_ops {
        until_connected(ops).await;
    }
    device_list_of(&mut c, Duration::from_secs(5), 4).await;
    for (address, ops) in ["stuck", "ok-1", "ok-2", "ok-3"].iter().zip(&mut all_ops) {
        let i = index_of(s, address);
        output_ok(&mut c, json!(i), 0, json!({"Vibrate": {"Value": 10}})).await;
        assert_eq!(next_write(ops).await, "Vibrate:10;");
    }
    let stuck = toys.remove(0);
    stuck.stall_writes(true);
    (c, stuck, all_ops)
}

/// The index (in the server) of the device at `address`.
fn index_of(s: &Server, address: &str) -> u32 {
    (0..8)
        .find(|i| {
            s.device_identity(*i)
                .is_some_and(|id| id.address == address)
        })
        .expect("device listed")
}

#[tokio::test(start_paused = true)]
async fn a_stuck_device_delays_no_other_stop() {
    let s = server(Duration::ZERO);
    let mut events = s.events();
    let (mut c, _stuck, mut ops) = one_stuck_of_four(&s).await;
    let stuck = index_of(&s, "stuck");
    // A command the stuck toy never takes in.
    let m = vibrate(&mut c, stuck, 11);
    c.send(vec![m]).await;
    tokio::task::yield_now().await;

    let since = Instant::now();
    drop(c);
    // The three healthy toys stop at once.
    for ops in &mut ops[1..] {
        assert_eq!(next_write(ops).await, "Vibrate:0;");
        assert_eq!(Instant::now() - since, Duration::ZERO);
    }
    // The stuck one: its hung write times out, its stop is tried and the failure reported, all
    // within the bounds.
    let (e, at) = error_event(&mut events).await;
    assert!(e.contains("stop could not be written"), "{e}");
    assert!(
        at - since <= OP_TIMEOUT + STOP_WRITE_BOUND,
        "{:?}",
        at - since
    );
    // The connection's cleanup is over: a new client may connect.
    assert!(!s.has_client());
}

#[tokio::test(start_paused = true)]
async fn the_ping_deadline_holds_while_a_device_is_stuck() {
    let max_ping = Duration::from_millis(500);
    let s = server(max_ping);
    let (mut c, _stuck, mut ops) = one_stuck_of_four(&s).await;
    let stuck = index_of(&s, "stuck");
    let ping = c.msg("Ping", json!({}));
    assert_eq!(msg_type(&request(&mut c, ping).await), "Ok");
    let last_ping = Instant::now();
    // Far more commands for the stuck toy than any queue of it holds, one frame each.
    for v in 0..2_000 {
        let m = vibrate(&mut c, stuck, 1 + v % 20);
        c.send(vec![m]).await;
    }
    // No Ping: the deadline passes and every healthy toy stops on time.
    for ops in &mut ops[1..] {
        assert_eq!(next_write(ops).await, "Vibrate:0;");
        assert_eq!(Instant::now() - last_ping, max_ping);
    }
}
