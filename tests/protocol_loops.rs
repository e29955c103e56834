//! Protocols whose packets come from their own loops or handshakes, driven end to end through
//! the server and a simulated device: Honey Play Box (signed packets, idle refresh), JoyHub
//! (spray auto-off) and the Kiiroo Onyx (position loop).

mod support;

use std::time::{Duration, Instant};

use serde_json::json;
use support::ops::{next_op, next_write, subscribe_op, write_op};
use support::scan::{output_ok, scanning_client};
use support::wire::{WireClient, body};
use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{AutoReply, SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio::sync::mpsc::UnboundedReceiver;

fn server() -> Server {
    Server::new(ServerOptions {
        name: "Test Server".into(),
        max_ping_time: Duration::ZERO,
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

/// Advertise `spec`, connect a v4 client, scan and wait until the device is added. Returns the
/// client and the ops seen before the device was added.
async fn connect(
    s: &Server,
    spec: SimulatedDeviceSpec,
) -> (WireClient, UnboundedReceiver<SimOp>, Vec<SimOp>) {
    let dev = SimulatedDevice::new(spec);
    let mut ops = dev.op_receiver();
    s.advertise(dev);
    let c = scanning_client(s, "test").await;
    let mut before = Vec::new();
    loop {
        match next_op(&mut ops).await {
            SimOp::Connected { .. } => return (c, ops, before),
            op => before.push(op),
        }
    }
}

const HPB_REQUEST: [u8; 16] = [
    0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x02, 0x00, 0x10, 0x03, 0x36, 0x86,
];

#[tokio::test]
async fn honeyplaybox_handshake_signed_packets_refresh_and_battery() {
    let s = server();
    let mut spec = SimulatedDeviceSpec::new("JXT002", "hpb1");
    let mut reply = vec![
        0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x12, 0x90, 0x00,
    ];
    reply.extend(1..=16u8);
    reply.extend([0x03, 0x00, 0x00]);
    // The reply arrives in two notifications.
    spec.auto_replies = vec![
        AutoReply {
            on_write: HPB_REQUEST.to_vec(),
            endpoint: Endpoint::Rx,
            reply: reply[..9].to_vec(),
        },
        AutoReply {
            on_write: HPB_REQUEST.to_vec(),
            endpoint: Endpoint::Rx,
            reply: reply[9..].to_vec(),
        },
    ];
    spec.read_values = vec![(Endpoint::RxBleBattery, vec![64])];
    let (mut c, mut ops, before) = connect(&s, spec).await;
    assert_eq!(
        before,
        vec![
            subscribe_op(Endpoint::Rx),
            write_op(Endpoint::Tx, &HPB_REQUEST, true),
        ]
    );
    output_ok(&mut c, json!(0), 0, json!({"Vibrate":{"Value":50}})).await;
    let first: Vec<u8> = [
        "02 A5 5A 55 AA F0 02 B1 03 00 18 01 00 05 00 3C 00 00 32 11 00 05 00 3C 00 00 00",
        "3C AB 13 93 4E 4C B8 57 03 32 91",
    ]
    .join(" ")
    .split_whitespace()
    .map(|b| u8::from_str_radix(b, 16).unwrap())
    .collect();
    let t = Instant::now();
    assert_eq!(next_write(&mut ops).await, (Endpoint::Tx, first, true));
    // Idle: the same state again, next counter, after about 500 ms.
    let (_, again, wwr) = next_write(&mut ops).await;
    assert!(
        t.elapsed() >= Duration::from_millis(450),
        "{:?}",
        t.elapsed()
    );
    assert!(wwr);
    assert_eq!((again[6], again[18], again[26]), (3, 0x32, 0));
    let read = c.msg(
        "InputCmd",
        json!({"DeviceIndex":0,"FeatureIndex":2,"Type":"Battery","Command":"Read"}),
    );
    let r = c.request(vec![read]).await.remove(0);
    assert_eq!(body(&r)["Reading"], json!({"Battery":{"Value":64}}), "{r}");
}

#[tokio::test]
async fn joyhub_spray_is_switched_off_after_a_second() {
    let s = server();
    let (mut c, mut ops, before) = connect(&s, SimulatedDeviceSpec::new("J-Dodge", "jh1")).await;
    assert!(before.is_empty(), "{before:?}");
    output_ok(&mut c, json!(0), 7, json!({"Spray":{"Value":1}})).await;
    let t = Instant::now();
    assert_eq!(
        next_write(&mut ops).await,
        (Endpoint::Tx, vec![0xA0, 0x24, 1, 0, 1, 0xFF], false)
    );
    assert_eq!(
        next_write(&mut ops).await,
        (Endpoint::Tx, vec![0xA0, 0x24, 0, 0, 0, 0], false)
    );
    let dt = t.elapsed();
    assert!(
        dt >= Duration::from_millis(950) && dt < Duration::from_millis(1500),
        "{dt:?}"
    );
}

#[tokio::test]
async fn kiiroo_onyx_init_and_position_loop() {
    let s = server();
    let (mut c, mut ops, before) = connect(&s, SimulatedDeviceSpec::new("ONYX", "ky1")).await;
    assert_eq!(
        before,
        vec![
            subscribe_op(Endpoint::Rx),
            write_op(Endpoint::Command, &[1, 0], true),
            write_op(Endpoint::Tx, b"0,", true),
        ]
    );
    // Idle repeats of the start position while nothing moves.
    assert_eq!(next_write(&mut ops).await.1, b"0,\n");
    // Buttplug 0 is ring position 4 (inverted); 300 ms ramps through the positions.
    output_ok(
        &mut c,
        json!(0),
        0,
        json!({"HwPositionWithDuration":{"Value":0,"Duration":300}}),
    )
    .await;
    let mut seen = Vec::new();
    while seen.last() != Some(&b'4') {
        let (e, d, wwr) = next_write(&mut ops).await;
        assert_eq!((e, wwr), (Endpoint::Tx, false));
        if d != b"0,\n" || !seen.is_empty() {
            seen.push(d[0]);
        }
    }
    // Every tick that changes the rounded position writes it (1, 2, 3, 4 at 50 ms ticks; a
    // late tick on a busy machine may skip one).
    assert!(seen.windows(2).all(|w| w[0] < w[1]), "{seen:?}");
    assert!(seen.len() >= 2, "{seen:?}");
}
