//! Replies held behind a slow one stay bounded: an input read the device never answers gets an
//! Error reply after the read timeout, and meanwhile a connection holds a bounded number of
//! replies (it stops reading the client beyond that) — then answers every message it took, in
//! order. The C ABI's worker is bounded the same way: past its in-flight limit the request queue
//! fills and `tp_client_send` says TP_ERR_BUSY. (Frames of 1,025 and 100,000 messages over
//! WebSocket: tests/net_server.rs.)

mod ffi_support;
mod support;

use std::time::Duration;

use ffi_support::{Client as FfiClient, Ctx, Mode as FfiMode, req, sleep_ms};
use support::ops::until_connected;
use teleplug::ffi::{
    MAX_INFLIGHT, REQUEST_CAPACITY, TP_CONTEXT_DEBUG, TP_ERR_BUSY, TP_FORMAT_PROTOBUF, TP_OK,
};
use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{AutoReply, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::connection::{CONNECTION_QUEUE, MAX_PENDING_REPLIES};
use teleplug::server::device::INPUT_TIMEOUT;
use teleplug::server::{ConnectionInfo, Server, ServerOptions, Transports};
use teleplug::wire::{
    ClientMessage, IdOnly, InputCmd, InputCommandType, InputType, RequestServerInfo, ServerMessage,
};
use tokio::sync::mpsc::error::TrySendError;
use tokio::time::Instant;

/// A Lovense Hush that identifies itself but never answers `Battery;`.
fn mute_hush(server: &Server) -> SimulatedDevice {
    let mut spec = SimulatedDeviceSpec::new("LVS-Z36", "mute");
    spec.auto_replies = vec![AutoReply {
        on_write: b"DeviceType;".to_vec(),
        endpoint: Endpoint::Rx,
        reply: b"Z:11:0082059AD3BD;".to_vec(),
    }];
    let toy = SimulatedDevice::new(spec);
    server.advertise(toy.clone());
    toy
}

#[tokio::test(start_paused = true)]
async fn replies_behind_a_read_that_never_comes_are_bounded() {
    let s = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let toy = mute_hush(&s);
    let mut ops = toy.op_receiver();
    let mut conn = s.connect_typed(ConnectionInfo::default()).unwrap();
    let hello: RequestServerInfo = serde_json::from_value(serde_json::json!(
        {"Id": 1, "ClientName": "flood", "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}
    ))
    .unwrap();
    conn.sender
        .send(vec![
            ClientMessage::RequestServerInfo(hello),
            ClientMessage::StartScanning(IdOnly::new(2)),
        ])
        .await
        .unwrap();
    until_connected(&mut ops).await;
    while !matches!(
        conn.receiver.recv().await,
        Some(ServerMessage::DeviceList(_))
    ) {}

    let read = ClientMessage::InputCmd(InputCmd {
        command: InputCommandType::Read,
        device_index: 0,
        feature_index: 1,
        id: 10,
        input_type: InputType::Battery,
    });
    conn.sender.send(vec![read]).await.unwrap();
    let since = Instant::now();

    // Pings, one frame each, until the connection takes no more: it stops reading at its bound.
    let mut accepted = 0u32;
    loop {
        let ping = ClientMessage::Ping(IdOnly::new(100 + accepted));
        match conn.sender.try_send_one(ping) {
            Ok(()) => accepted += 1,
            Err(TrySendError::Full(ping)) => {
                for _ in 0..100 {
                    tokio::task::yield_now().await;
                }
                match conn.sender.try_send_one(ping) {
                    Ok(()) => accepted += 1,
                    Err(TrySendError::Full(_)) => break,
                    Err(TrySendError::Closed(_)) => panic!("connection closed"),
                }
            }
            Err(TrySendError::Closed(_)) => panic!("connection closed"),
        }
    }
    let bound = (MAX_PENDING_REPLIES + CONNECTION_QUEUE) as u32;
    assert!(
        accepted >= MAX_PENDING_REPLIES as u32 && accepted <= bound,
        "{accepted} messages taken behind the read (bound {bound})"
    );
    // Nothing overtakes the read's reply.
    assert!(conn.receiver.try_recv().is_err());

    // The read gets its Error at the timeout, then every Ping its Ok, in order.
    let first = conn.receiver.recv().await.unwrap();
    assert!(
        matches!(first, ServerMessage::Error(ref e) if e.id == 10),
        "{first:?}"
    );
    assert_eq!(Instant::now() - since, INPUT_TIMEOUT);
    for i in 0..accepted {
        assert_eq!(
            conn.receiver.recv().await,
            Some(ServerMessage::ok(100 + i)),
            "reply {i}"
        );
    }
    // Reading resumed.
    let ping = ClientMessage::Ping(IdOnly::new(1_000_000));
    conn.sender.send(vec![ping]).await.unwrap();
    assert_eq!(
        conn.receiver.recv().await,
        Some(ServerMessage::ok(1_000_000))
    );
}

#[test]
fn the_c_abi_worker_runs_a_bounded_number_of_requests() {
    let ctx = Ctx::new(TP_CONTEXT_DEBUG);
    let c = FfiClient::new(&ctx, TP_FORMAT_PROTOBUF, FfiMode::Poll);
    // Requests that take a minute each: the worker takes MAX_INFLIGHT of them, the queue holds
    // REQUEST_CAPACITY more, and then every send is refused until one is answered.
    let mut accepted = 0usize;
    let mut busy_in_a_row = 0;
    while busy_in_a_row < 1_000 {
        let r = req(1 + accepted as u32, sleep_ms(60_000));
        match c.send(&r) {
            st if st == TP_OK => {
                accepted += 1;
                busy_in_a_row = 0;
            }
            st if st == TP_ERR_BUSY => {
                busy_in_a_row += 1;
                std::thread::yield_now();
            }
            st => panic!("unexpected status {st}"),
        }
        assert!(
            accepted <= MAX_INFLIGHT + REQUEST_CAPACITY,
            "{accepted} requests taken"
        );
    }
    assert!(accepted >= REQUEST_CAPACITY, "{accepted} requests taken");
    // Shutdown still answers every request that was taken.
    assert_eq!(ctx.shutdown(), TP_OK);
    let mut answered = 0;
    while let Some(m) = c.next(Duration::from_millis(200)) {
        if m.id != 0 {
            answered += 1;
        }
    }
    assert_eq!(answered, accepted);
}
