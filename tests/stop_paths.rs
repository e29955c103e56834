//! The stop reaches the device on every path that ends a session or the process: the client
//! going away, a TCP drop, a ping timeout, Disconnect, SIGTERM and SIGINT, `tp_context_shutdown`,
//! `tp_client_free` of an embedded client, `Server::shutdown` and dropping the `Server`. Each with
//! a message gap of 0, 75 and 300 ms and a command still waiting in the gap when the session
//! ends: the toy ran `Vibrate:5;`, `Vibrate:10;` was accepted (queued behind the gap, or written
//! when there is none), and then the toy must get `Vibrate:0;` before anything lets it go.
//!
//! In-process paths run on tokio's paused clock, so the sequences and delays are exact; paths
//! through sockets, processes and the C ABI run in real time and accept `Vibrate:10;` being
//! written before the stop when the machine was slower than the gap.

mod ffi_support;
mod support;

use std::collections::HashMap;
use std::sync::OnceLock;
use std::time::Duration;

use ffi_support::{Client as FfiClient, Ctx, Mode as FfiMode, empty, req};
use parking_lot::Mutex;
use serde_json::json;
use support::ops::{next_op, until_connected};
use support::scan::{device_list_of, output_ok, scanning_client};
use support::serve::Serve;
use support::wire::{WireClient, msg_type};
use support::ws::{Peer, SimPeer};
use teleplug::ffi::schema::{self as s, request};
use teleplug::ffi::{TP_FORMAT_PROTOBUF, TP_OK, tp_context_shutdown};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::net::{WsServer, WsServerOptions};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio::sync::mpsc::{UnboundedReceiver, UnboundedSender, unbounded_channel};
use tokio::time::Instant;

/// What a Hush answers to `DeviceType;`.
const HUSH: &str = "Z:11:0082059AD3BD;";

fn server(max_ping: Duration) -> Server {
    Server::new(ServerOptions {
        max_ping_time: max_ping,
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

/// A simulated Lovense Hush whose link needs `gap_ms` between writes.
fn hush(address: &str, gap_ms: u64) -> SimulatedDevice {
    let mut spec = SimulatedDeviceSpec::lovense(address, HUSH, 80);
    spec.message_gap = Duration::from_millis(gap_ms);
    SimulatedDevice::new(spec)
}

/// A client that scanned, found the Hush, ran it at 5 and then asked for 10 (accepted, and
/// within the gap when there is one). Returns the client and the toy's ops.
async fn running_hush(server: &Server, gap_ms: u64) -> (WireClient, UnboundedReceiver<SimOp>) {
    let toy = hush("hush-1", gap_ms);
    let mut ops = toy.op_receiver();
    server.advertise(toy);
    let mut c = scanning_client(server, "stop test").await;
    until_connected(&mut ops).await;
    device_list_of(&mut c, Duration::from_secs(5), 1).await;
    output_ok(&mut c, json!(0), 0, json!({"Vibrate": {"Value": 5}})).await;
    output_ok(&mut c, json!(0), 0, json!({"Vibrate": {"Value": 10}})).await;
    (c, ops)
}

/// What the toy must receive from its first command on: 10 is superseded by the stop while it
/// waits for the gap, and written first when there is no gap.
fn expected(gap_ms: u64) -> Vec<&'static str> {
    if gap_ms == 0 {
        vec!["Vibrate:5;", "Vibrate:10;", "Vibrate:0;"]
    } else {
        vec!["Vibrate:5;", "Vibrate:0;"]
    }
}

/// The toy's writes up to and including the stop, and when the stop arrived.
async fn writes_until_stop(ops: &mut UnboundedReceiver<SimOp>) -> (Vec<String>, Instant) {
    let mut writes = Vec::new();
    loop {
        match next_op(ops).await {
            SimOp::Write { data, .. } => {
                let text = String::from_utf8_lossy(&data).into_owned();
                let stop = text == "Vibrate:0;";
                writes.push(text);
                if stop {
                    return (writes, Instant::now());
                }
            }
            SimOp::Disconnected => panic!("let go before the stop: {writes:?}"),
            _ => {}
        }
    }
}

/// The next op after the stop is the link being closed.
async fn then_disconnected(ops: &mut UnboundedReceiver<SimOp>) {
    loop {
        match next_op(ops).await {
            SimOp::Disconnected => return,
            SimOp::Write { data, .. } => {
                panic!(
                    "written after the stop: {:?}",
                    String::from_utf8_lossy(&data)
                )
            }
            _ => {}
        }
    }
}

/// Exact check for the paused clock: the writes of [`expected`], and the stop no later than the
/// gap after the session ended (`since`) plus `extra` (a deadline that had to pass first).
async fn check_stop(
    ops: &mut UnboundedReceiver<SimOp>,
    gap_ms: u64,
    since: Instant,
    extra: Duration,
) {
    check_writes(ops, expected(gap_ms), gap_ms, since, extra).await
}

/// [`check_stop`] with the writes expected given.
async fn check_writes(
    ops: &mut UnboundedReceiver<SimOp>,
    expected: Vec<&str>,
    gap_ms: u64,
    since: Instant,
    extra: Duration,
) {
    let (writes, at) = writes_until_stop(ops).await;
    assert_eq!(writes, expected, "gap {gap_ms} ms");
    let took = at - since;
    assert!(
        took <= Duration::from_millis(gap_ms) + extra,
        "stop {took:?} after the end of the session (gap {gap_ms} ms)"
    );
}

/// Check for real-time paths: `Vibrate:10;` may have been written before the stop if the
/// machine took longer than the gap to end the session.
fn assert_stopped(writes: &[String], gap_ms: u64) {
    let allowed = [
        expected(gap_ms),
        vec!["Vibrate:5;", "Vibrate:10;", "Vibrate:0;"],
    ];
    assert!(
        allowed.iter().any(|a| a == writes),
        "gap {gap_ms} ms: {writes:?}"
    );
}

macro_rules! for_each_gap {
    ($attr:meta, $run:ident: $($name:ident = $gap:expr),+) => {
        $(
            #[$attr]
            async fn $name() {
                $run($gap).await
            }
        )+
    };
}

// ---- in process, paused clock -------------------------------------------------------------

async fn client_goes_away(gap: u64) {
    let s = server(Duration::ZERO);
    let (c, mut ops) = running_hush(&s, gap).await;
    let since = Instant::now();
    drop(c);
    check_stop(&mut ops, gap, since, Duration::ZERO).await;
    // The server keeps the device for the next client.
    assert!(s.device_list().devices.contains_key(&0));
}

for_each_gap!(tokio::test(start_paused = true), client_goes_away:
    client_goes_away_gap_0 = 0, client_goes_away_gap_75 = 75, client_goes_away_gap_300 = 300);

async fn disconnect_message(gap: u64) {
    let s = server(Duration::ZERO);
    let (mut c, mut ops) = running_hush(&s, gap).await;
    let m = c.msg("Disconnect", json!({}));
    let since = Instant::now();
    c.send(vec![m]).await;
    check_stop(&mut ops, gap, since, Duration::ZERO).await;
}

for_each_gap!(tokio::test(start_paused = true), disconnect_message:
    disconnect_message_gap_0 = 0, disconnect_message_gap_75 = 75, disconnect_message_gap_300 = 300);

async fn ping_timeout(gap: u64) {
    let max_ping = Duration::from_millis(150);
    let s = server(max_ping);
    // The deadline runs from the handshake: no Ping is ever sent.
    let since = Instant::now();
    let (mut c, mut ops) = running_hush(&s, gap).await;
    // A gap shorter than the deadline has let 10 through before the client pinged out.
    let expected = if Duration::from_millis(gap) < max_ping {
        vec!["Vibrate:5;", "Vibrate:10;", "Vibrate:0;"]
    } else {
        expected(gap)
    };
    check_writes(&mut ops, expected, gap, since, max_ping).await;
    let err = c.recv().await.expect("the PingedOut error");
    assert_eq!(msg_type(&err), "Error", "{err}");
}

for_each_gap!(tokio::test(start_paused = true), ping_timeout:
    ping_timeout_gap_0 = 0, ping_timeout_gap_75 = 75, ping_timeout_gap_300 = 300);

async fn server_shutdown(gap: u64) {
    let s = server(Duration::ZERO);
    let (_c, mut ops) = running_hush(&s, gap).await;
    let since = Instant::now();
    let shutdown = tokio::spawn({
        let s = s.clone();
        async move { s.shutdown(Duration::from_secs(3)).await }
    });
    check_stop(&mut ops, gap, since, Duration::ZERO).await;
    then_disconnected(&mut ops).await;
    shutdown.await.unwrap();
}

/// A caller in a hurry: the shutdown's own timeout is far shorter than the gap, yet the device
/// writes its stop (after the gap) before it is let go.
async fn hurried_server_shutdown(gap: u64) {
    let s = server(Duration::ZERO);
    let (_c, mut ops) = running_hush(&s, gap).await;
    let since = Instant::now();
    let shutdown = tokio::spawn({
        let s = s.clone();
        async move { s.shutdown(Duration::from_millis(1)).await }
    });
    check_stop(&mut ops, gap, since, Duration::ZERO).await;
    then_disconnected(&mut ops).await;
    shutdown.await.unwrap();
}

for_each_gap!(tokio::test(start_paused = true), hurried_server_shutdown:
    hurried_server_shutdown_gap_0 = 0, hurried_server_shutdown_gap_75 = 75,
    hurried_server_shutdown_gap_300 = 300);

for_each_gap!(tokio::test(start_paused = true), server_shutdown:
    server_shutdown_gap_0 = 0, server_shutdown_gap_75 = 75, server_shutdown_gap_300 = 300);

async fn server_dropped(gap: u64) {
    let s = server(Duration::ZERO);
    let (c, mut ops) = running_hush(&s, gap).await;
    let since = Instant::now();
    // The client's connection holds no handle of the Server: dropping the last one shuts down.
    drop(s);
    check_stop(&mut ops, gap, since, Duration::ZERO).await;
    then_disconnected(&mut ops).await;
    drop(c);
}

for_each_gap!(tokio::test(start_paused = true), server_dropped:
    server_dropped_gap_0 = 0, server_dropped_gap_75 = 75, server_dropped_gap_300 = 300);

// ---- over WebSocket, real time ------------------------------------------------------------

/// Over WebSocket: vibrate device 0 at 5, then ask for 10 (both acknowledged).
async fn run_at_5_then_10(c: &mut Peer) {
    for v in [5, 10] {
        let r = c
            .request(
                "OutputCmd",
                json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":v}}}),
            )
            .await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
    }
}

/// A WebSocket server on a free loopback port, a client that ran the Hush at 5 and asked for
/// 10, and the toy's ops.
async fn ws_running_hush(gap: u64) -> (Server, Peer, UnboundedReceiver<SimOp>) {
    let s = server(Duration::ZERO);
    let bound = WsServer::bind(
        s.clone(),
        WsServerOptions {
            address: "127.0.0.1:0".parse().unwrap(),
            ..WsServerOptions::default()
        },
    )
    .await
    .unwrap();
    let url = format!("ws://{}", bound.local_addr());
    // The listener runs until the test's runtime ends.
    std::mem::forget(bound.spawn());
    let toy = hush("hush-ws", gap);
    let mut ops = toy.op_receiver();
    s.advertise(toy);
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("stop test", 4).await), "ServerInfo");
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    until_connected(&mut ops).await;
    c.event("DeviceList").await;
    run_at_5_then_10(&mut c).await;
    (s, c, ops)
}

async fn ws_close(gap: u64) {
    let (_s, mut c, mut ops) = ws_running_hush(gap).await;
    c.ws.close(None).await.unwrap();
    let (writes, _) = writes_until_stop(&mut ops).await;
    assert_stopped(&writes, gap);
}

for_each_gap!(tokio::test, ws_close: ws_close_gap_0 = 0, ws_close_gap_75 = 75, ws_close_gap_300 = 300);

async fn tcp_drop(gap: u64) {
    let (_s, c, mut ops) = ws_running_hush(gap).await;
    // No close frame: the socket just goes away.
    drop(c);
    let (writes, _) = writes_until_stop(&mut ops).await;
    assert_stopped(&writes, gap);
}

for_each_gap!(tokio::test, tcp_drop: tcp_drop_gap_0 = 0, tcp_drop_gap_75 = 75, tcp_drop_gap_300 = 300);

// ---- the teleplug binary: SIGTERM and SIGINT ------------------------------------------------

async fn signal(name: &str, gap: u64) {
    let mut serve = Serve::start(&["--simulator-port", "0"]);
    let sim_url = serve.url("simulator control on");
    let url = serve.url("Buttplug server listening on");
    let mut sim = SimPeer::connect(&sim_url).await;
    let mut c = Peer::connect(&url).await;
    assert_eq!(msg_type(&c.handshake("stop test", 4).await), "ServerInfo");
    assert_eq!(msg_type(&c.request("StartScanning", json!({})).await), "Ok");
    sim.send(json!({"Advertise": {"id": "toy", "name": "LVS-Hush",
        "address": "AA:BB:CC:DD:EE:01", "message_gap_ms": gap}}))
        .await;
    sim.lovense_until_connected("toy").await;
    c.event("DeviceList").await;
    run_at_5_then_10(&mut c).await;
    serve.signal(name);
    // Every write from the first command on, until the simulator is told the toy is gone.
    let mut writes = Vec::new();
    loop {
        let f = sim.next().await;
        if let Some(w) = f.get("Write") {
            let bytes: Vec<u8> = serde_json::from_value(w["data"].clone()).unwrap();
            let text = String::from_utf8_lossy(&bytes).into_owned();
            if text.starts_with("Vibrate:") {
                writes.push(text);
            }
        }
        if f.get("Disconnected").is_some() {
            break;
        }
    }
    assert_stopped(&writes, gap);
    assert_eq!(serve.exit_status().code(), Some(0));
}

async fn sigterm(gap: u64) {
    signal("TERM", gap).await
}

async fn sigint(gap: u64) {
    signal("INT", gap).await
}

for_each_gap!(tokio::test, sigterm: sigterm_gap_0 = 0, sigterm_gap_75 = 75, sigterm_gap_300 = 300);
for_each_gap!(tokio::test, sigint: sigint_gap_0 = 0, sigint_gap_75 = 75, sigint_gap_300 = 300);

// ---- the C ABI ------------------------------------------------------------------------------

/// Every op of every simulated device of this process, by address: devices behind the C ABI
/// are seen this way even after their client was freed.
fn process_ops(address: &str) -> UnboundedReceiver<SimOp> {
    static ROUTES: OnceLock<Mutex<HashMap<String, UnboundedSender<SimOp>>>> = OnceLock::new();
    let routes = ROUTES.get_or_init(|| {
        teleplug::hardware::simulated::observe_process(|address, op| {
            if let Some(tx) = ROUTES.get().and_then(|r| r.lock().get(address).cloned()) {
                let _ = tx.send(op.clone());
            }
        });
        Mutex::new(HashMap::new())
    });
    let (tx, rx) = unbounded_channel();
    routes.lock().insert(address.to_string(), tx);
    rx
}

/// An embedded client running a simulated Hush (message gap `gap`) at 5 that asked for 10.
fn ffi_running_hush(ctx: &Ctx, address: &str, gap: u64) -> FfiClient {
    use request::Body as B;
    let c = FfiClient::new(ctx, TP_FORMAT_PROTOBUF, FfiMode::Poll);
    let mut ev = Vec::new();
    c.call_collect(req(1, ffi_support::connect_sim()), &mut ev);
    let spec = s::SimulatedDeviceSpec {
        name: "LVS-Hush".into(),
        address: address.into(),
        auto_replies: vec![
            s::AutoReply {
                on_write: b"DeviceType;".to_vec(),
                endpoint: "rx".into(),
                reply: HUSH.as_bytes().to_vec(),
            },
            s::AutoReply {
                on_write: b"Battery;".to_vec(),
                endpoint: "rx".into(),
                reply: b"80;".to_vec(),
            },
        ],
        message_gap_ms: gap as u32,
        ..Default::default()
    };
    let advertise = B::SimulatorAdvertise(s::SimulatorAdvertise {
        device: Some(s::simulator_advertise::Device::Spec(spec)),
        observe: false,
    });
    assert!(ffi_support::is_ok(
        &c.call_collect(req(2, advertise), &mut ev)
    ));
    c.call_collect(req(3, B::StartScanning(empty())), &mut ev);
    c.wait_device_added(&mut ev);
    for (id, v) in [(4, 5), (5, 10)] {
        let r = c.call_collect(req(id, ffi_support::output_steps(0, 0, v)), &mut ev);
        assert!(ffi_support::is_ok(&r), "{r:?}");
    }
    c
}

/// The toy's writes until it is let go, waited for in real time.
fn ffi_writes_until_disconnected(ops: &mut UnboundedReceiver<SimOp>) -> Vec<String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut writes = Vec::new();
        loop {
            match next_op(ops).await {
                SimOp::Write { data, .. } => writes.push(String::from_utf8_lossy(&data).into()),
                SimOp::Disconnected => return writes,
                _ => {}
            }
        }
    })
}

/// The writes from the first command on.
fn from_first_command(writes: Vec<String>) -> Vec<String> {
    let first = writes
        .iter()
        .position(|w| w == "Vibrate:5;")
        .expect("ran at 5");
    writes[first..].to_vec()
}

/// An embedded client of a fresh context ran the Hush at 5 and asked for 10, then `end` ends
/// the session: the toy must get its stop before it is let go.
fn ffi_path(name: &str, gap: u64, end: impl FnOnce(&Ctx, &FfiClient)) {
    let address = format!("ffi-{name}-{gap}");
    let mut ops = process_ops(&address);
    let ctx = Ctx::new(0);
    let c = ffi_running_hush(&ctx, &address, gap);
    end(&ctx, &c);
    let writes = from_first_command(ffi_writes_until_disconnected(&mut ops));
    assert_stopped(&writes, gap);
}

fn context_shutdown(gap: u64) {
    ffi_path("shutdown", gap, |ctx, _| {
        assert_eq!(tp_context_shutdown(ctx.0, 5000), TP_OK)
    });
}

/// `tp_context_shutdown` with no time at all: the devices' stops are still waited for.
fn hurried_context_shutdown(gap: u64) {
    ffi_path("hurried", gap, |ctx, _| {
        assert_eq!(tp_context_shutdown(ctx.0, 0), TP_OK)
    });
}

fn client_free(gap: u64) {
    ffi_path("free", gap, |_, c| c.free());
}

fn disconnect_request(gap: u64) {
    ffi_path("disconnect", gap, |_, c| {
        let r = c.call(req(9, request::Body::Disconnect(empty())));
        assert!(ffi_support::is_ok(&r), "{r:?}");
    });
}

macro_rules! ffi_for_each_gap {
    ($run:ident: $($name:ident = $gap:expr),+) => {
        $(
            #[test]
            fn $name() {
                $run($gap)
            }
        )+
    };
}

ffi_for_each_gap!(context_shutdown:
    context_shutdown_gap_0 = 0, context_shutdown_gap_75 = 75, context_shutdown_gap_300 = 300);
ffi_for_each_gap!(hurried_context_shutdown:
    hurried_context_shutdown_gap_0 = 0, hurried_context_shutdown_gap_75 = 75,
    hurried_context_shutdown_gap_300 = 300);
ffi_for_each_gap!(client_free:
    client_free_gap_0 = 0, client_free_gap_75 = 75, client_free_gap_300 = 300);
ffi_for_each_gap!(disconnect_request:
    disconnect_request_gap_0 = 0, disconnect_request_gap_75 = 75, disconnect_request_gap_300 = 300);
