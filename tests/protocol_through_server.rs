//! Protocols through a whole server: which database entry a device's advertised name picks,
//! what its identify and initialize steps write, and what the device task does on its own once
//! connected (stop at connect, keep-alive). The byte-level unit tests live beside each protocol
//! in src/protocols/; these need the server's matching and device task, so they live here.

use std::time::Duration;

use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use tokio::sync::mpsc::UnboundedReceiver;

/// A simulated device connected through a whole server.
struct Served {
    server: Server,
    /// Ops before the server added the device (identify and initialize).
    setup: Vec<SimOp>,
    /// (protocol key, device name) the server chose.
    chosen: (String, String),
    /// Ops from then on.
    ops: UnboundedReceiver<SimOp>,
}

/// Advertise a device named `name` (answering `reads` in order) to a fresh server and wait
/// until it is added.
async fn serve(name: &str, reads: &[(Endpoint, &[u8])]) -> Served {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let device = SimulatedDevice::new(SimulatedDeviceSpec::new(name, format!("addr-{name}")));
    for (endpoint, data) in reads {
        device.queue_read(*endpoint, data.to_vec());
    }
    let mut ops = device.op_receiver();
    server.advertise(device);
    server.start_scanning().await;
    let mut setup = Vec::new();
    let chosen = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match ops.recv().await.expect("device ops") {
                SimOp::Connected { protocol, name } => return (protocol, name),
                op => setup.push(op),
            }
        }
    })
    .await
    .expect("device never connected");
    Served {
        server,
        setup,
        chosen,
        ops,
    }
}

/// The next op within a second, if any.
async fn next_op(ops: &mut UnboundedReceiver<SimOp>) -> Option<SimOp> {
    tokio::time::timeout(Duration::from_secs(1), ops.recv())
        .await
        .ok()
        .flatten()
}

fn write_op(endpoint: Endpoint, data: &[u8], write_with_response: bool) -> SimOp {
    SimOp::Write {
        endpoint,
        data: data.to_vec(),
        write_with_response,
    }
}

fn chosen(protocol: &str, name: &str) -> (String, String) {
    (protocol.into(), name.into())
}

#[tokio::test]
async fn prettylove_any_aogu_name_gets_the_defaults() {
    let s = serve("Aogu BLE 5", &[]).await;
    assert_eq!(s.chosen, chosen("prettylove", "Pretty Love Device"));
}

#[tokio::test]
async fn magic_motion_1_exact_names_pick_models_and_wildcards_the_defaults() {
    assert_eq!(
        serve("Magic Cell", &[]).await.chosen.1,
        "MagicMotion Dante/Candy/Rise"
    );
    assert_eq!(
        serve("Smart Mini Vibe3", &[]).await.chosen.1,
        "MagicMotion Vini"
    );
    assert_eq!(
        serve("Smart Mini Vibe2", &[]).await.chosen.1,
        "Magic Motion V1 Device"
    );
}

#[tokio::test]
async fn muse_connect_stops_and_keeps_alive() {
    let mut s = serve("WB-TDD", &[]).await;
    assert_eq!(s.chosen, chosen("muse", "Galaku Panty Vib"));
    let off = write_op(Endpoint::Tx, &[0, 0], false);
    assert_eq!(next_op(&mut s.ops).await, Some(off.clone()));
    assert_eq!(next_op(&mut s.ops).await, Some(off));
}

#[tokio::test]
async fn mysteryvibe_connect_sends_mode_then_zeros_and_keeps_alive() {
    let mut s = serve("MV Tenuto   ", &[]).await;
    assert_eq!(s.chosen, chosen("mysteryvibe", "MysteryVibe Tenuto"));
    assert_eq!(
        s.setup,
        vec![write_op(Endpoint::TxMode, &[0x43, 0x02, 0x00], true)]
    );
    let zeros = write_op(Endpoint::TxVibrate, &[0; 6], false);
    assert_eq!(next_op(&mut s.ops).await, Some(zeros.clone()));
    // Repeated while idle.
    assert_eq!(next_op(&mut s.ops).await, Some(zeros));
    let s = serve("MV Poco     ", &[]).await;
    assert_eq!(s.chosen.1, "MysteryVibe Poco");
}

#[tokio::test]
async fn magic_motion_4_models_through_the_server() {
    let mut s = serve("bobi2", &[]).await;
    assert_eq!(s.chosen, chosen("magic-motion-4", "MagicMotion Bobi"));
    assert!(s.setup.is_empty());
    assert_eq!(next_op(&mut s.ops).await, None, "no stop at connect");
    assert_eq!(serve("nyx", &[]).await.chosen.1, "MagicMotion Nyx");
}

#[tokio::test]
async fn monsterpub_challenge_and_stop_through_the_server() {
    let mut challenge = vec![0x00];
    challenge.extend([0x11; 15]);
    let mut s = serve(
        "MonsterPub",
        &[
            (Endpoint::RxBleModel, b"MP_SUCKBANG_P5\0\0"),
            (Endpoint::Rx, &challenge),
        ],
    )
    .await;
    assert_eq!(s.chosen, chosen("monsterpub", "Sistalk MonsterPub Pop"));
    let response: Vec<u8> = b"2IPO2IPO2IPO2IP".iter().map(|k| k ^ 0x11).collect();
    assert_eq!(
        s.setup.last(),
        Some(&write_op(Endpoint::Rx, &response, true))
    );
    s.server.stop_all_devices(Duration::from_secs(1)).await;
    assert_eq!(
        next_op(&mut s.ops).await,
        Some(write_op(Endpoint::TxVibrate, &[0, 0], false))
    );
}

#[tokio::test]
async fn patoo_devil_through_the_server() {
    let s = serve("PBT01", &[]).await;
    assert_eq!(s.chosen, chosen("patoo", "Patoo Devil"));
    assert!(s.setup.is_empty());
    let s = serve("PTVEA3", &[]).await;
    assert_eq!(s.chosen.1, "Patoo Carrot");
}
