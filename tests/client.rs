//! The Rust client core end to end against the embedded server with simulated devices: device
//! list and events, outputs in steps and fractions, inputs, stops, errors, automatic pings, and
//! what happens when the server goes away.

mod support;

use std::time::Duration;

use support::ops::{next_data, next_op, until_connected};
use teleplug::client::{Client, ClientError, ClientEvent, EmbeddedConnector, fraction_to_step};
use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::{ButtplugError, DeviceError, InputType, OutputCommand, OutputType};
use tokio::sync::broadcast;

const WAIT: Duration = Duration::from_secs(10);

fn server(max_ping: Duration) -> Server {
    Server::new(ServerOptions {
        max_ping_time: max_ping,
        transports: Transports::none(),
        ..ServerOptions::default()
    })
}

async fn client(server: &Server) -> Client {
    Client::connect_with(
        "client test",
        EmbeddedConnector::connect_to(server).unwrap(),
    )
    .await
    .unwrap()
}

async fn event(
    events: &mut broadcast::Receiver<ClientEvent>,
    want: fn(&ClientEvent) -> bool,
) -> ClientEvent {
    tokio::time::timeout(WAIT, async {
        loop {
            let ev = events.recv().await.expect("event stream open");
            if want(&ev) {
                return ev;
            }
        }
    })
    .await
    .expect("event in time")
}

fn hush(address: &str) -> SimulatedDevice {
    SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        address,
        "Z:11:0082059AD3BD;",
        64,
    ))
}

#[tokio::test]
async fn device_events_and_list_follow_the_server() {
    let s = server(Duration::ZERO);
    s.simulator()
        .set_scan_duration(Some(Duration::from_millis(50)));
    let c = client(&s).await;
    assert_eq!(c.server_info().unwrap().server_name, "Teleplug Server");
    let mut events = c.events();
    let toy = hush("c1");
    let mut ops = toy.op_receiver();
    s.advertise(toy.clone());
    c.start_scanning().await.unwrap();
    let added = event(&mut events, |e| matches!(e, ClientEvent::DeviceAdded(_))).await;
    let ClientEvent::DeviceAdded(entry) = added else {
        unreachable!()
    };
    assert_eq!(entry.device_name, "Lovense Hush");
    event(&mut events, |e| matches!(e, ClientEvent::DeviceListChanged)).await;
    event(&mut events, |e| matches!(e, ClientEvent::ScanningFinished)).await;
    until_connected(&mut ops).await;
    let devices = c.devices();
    assert_eq!(devices.len(), 1);
    let d = &devices[0];
    assert_eq!(d.name(), "Lovense Hush");
    assert_eq!(d.features().len(), 2);
    assert_eq!(d.features_with_output(OutputType::Vibrate).len(), 1);
    assert_eq!(
        d.feature(0).unwrap().output_range(OutputType::Vibrate),
        Some([0, 20])
    );

    toy.disconnect();
    let removed = event(&mut events, |e| matches!(e, ClientEvent::DeviceRemoved(_))).await;
    let ClientEvent::DeviceRemoved(entry) = removed else {
        unreachable!()
    };
    assert_eq!(entry.device_index, 0);
    assert!(c.devices().is_empty());
}

#[tokio::test]
async fn outputs_inputs_and_stops_reach_the_device() {
    let s = server(Duration::ZERO);
    let toy = hush("c2");
    let mut ops = toy.op_receiver();
    s.advertise(toy);
    let c = client(&s).await;
    c.start_scanning().await.unwrap();
    until_connected(&mut ops).await;
    let d = c.devices().remove(0);
    let vib = d.feature(0).unwrap();
    // Steps.
    vib.run_output(OutputCommand::new(OutputType::Vibrate, 7, 0))
        .await
        .unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:7;");
    // Fractions: ceil(20 · 0.5) = 10, ceil(20 · 0.01) = 1.
    vib.vibrate(0.5).await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:10;");
    d.vibrate(0.01).await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:1;");
    // Battery (the simulated toy answers 64).
    assert_eq!(d.battery().await.unwrap(), 64);
    assert_eq!(next_data(&mut ops).await, b"Battery;");
    // Feature stop, then device stop (already zero: nothing more is written).
    vib.stop().await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
    d.stop().await.unwrap();
    c.output(0, 0, OutputCommand::new(OutputType::Vibrate, 3, 0))
        .await
        .unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:3;");
    c.stop_all().await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
}

#[tokio::test]
async fn bad_requests_are_typed_errors() {
    let s = server(Duration::ZERO);
    let toy = hush("c3");
    let mut ops = toy.op_receiver();
    s.advertise(toy);
    let c = client(&s).await;
    c.start_scanning().await.unwrap();
    until_connected(&mut ops).await;
    let err = c
        .output(4, 0, OutputCommand::new(OutputType::Vibrate, 1, 0))
        .await
        .unwrap_err();
    assert_eq!(
        err.buttplug_error(),
        Some(ButtplugError::ButtplugDeviceError(
            DeviceError::DeviceNotAvailable(4)
        ))
    );
    let err = c
        .output(0, 0, OutputCommand::new(OutputType::Vibrate, 21, 0))
        .await
        .unwrap_err();
    assert_eq!(
        err.buttplug_error(),
        Some(ButtplugError::ButtplugDeviceError(
            DeviceError::DeviceStepRangeError(0, 21)
        ))
    );
    // Fractions outside the range and unknown outputs never reach the server.
    assert!(matches!(
        c.output_fraction(0, 0, OutputType::Vibrate, 1.5, 0).await,
        Err(ClientError::InvalidArgument(_))
    ));
    assert!(matches!(
        c.output_fraction(0, 0, OutputType::Rotate, 0.5, 0).await,
        Err(ClientError::InvalidArgument(_))
    ));
    assert!(matches!(
        c.read_input(0, 0, InputType::Battery).await,
        Err(ClientError::Server(_))
    ));
    // Nothing was written.
    assert!(ops.try_recv().is_err());
}

#[tokio::test]
async fn fractions_round_up_like_legacy_clients() {
    assert_eq!(fraction_to_step(0.0, 20), 0);
    assert_eq!(fraction_to_step(0.5, 20), 10);
    assert_eq!(fraction_to_step(0.51, 20), 11);
    assert_eq!(fraction_to_step(1.0, 20), 20);
    assert_eq!(fraction_to_step(1e-9, 20), 0);
    assert_eq!(fraction_to_step(-0.5, 20), -10);
}

#[tokio::test]
async fn subscriptions_arrive_as_events() {
    let s = server(Duration::ZERO);
    let boost = SimulatedDevice::new(SimulatedDeviceSpec::new("Boost", "c4"));
    let mut ops = boost.op_receiver();
    s.advertise(boost.clone());
    let c = client(&s).await;
    let mut events = c.events();
    c.start_scanning().await.unwrap();
    until_connected(&mut ops).await;
    c.subscribe_input(0, 1, InputType::Pressure).await.unwrap();
    assert_eq!(
        next_op(&mut ops).await,
        SimOp::Subscribe {
            endpoint: Endpoint::RxPressure
        }
    );
    assert!(boost.notify(Endpoint::RxPressure, vec![0, 1, 4, 0, 0, 0x05, 0xD3]));
    let ev = event(&mut events, |e| matches!(e, ClientEvent::InputReading(_))).await;
    let ClientEvent::InputReading(r) = ev else {
        unreachable!()
    };
    assert_eq!((r.feature_index, r.reading.value), (1, 1491));
    c.unsubscribe_input(0, 1, InputType::Pressure)
        .await
        .unwrap();
    assert_eq!(
        next_op(&mut ops).await,
        SimOp::Unsubscribe {
            endpoint: Endpoint::RxPressure
        }
    );
}

#[tokio::test(start_paused = true)]
async fn the_client_pings_when_the_server_asks() {
    let s = server(Duration::from_millis(100));
    let toy = hush("c5");
    let mut ops = toy.op_receiver();
    s.advertise(toy);
    let c = client(&s).await;
    let mut events = c.events();
    assert_eq!(c.server_info().unwrap().max_ping_time, 100);
    c.start_scanning().await.unwrap();
    until_connected(&mut ops).await;
    c.devices()[0].vibrate(1.0).await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:20;");
    // Ten ping periods later the connection is still up and the toy still runs.
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert!(c.connected());
    assert!(ops.try_recv().is_err(), "nothing stopped the toy");
    c.ping().await.unwrap();
    while let Ok(ev) = events.try_recv() {
        assert!(
            !matches!(
                ev,
                ClientEvent::ServerError(_) | ClientEvent::Disconnected(_)
            ),
            "{ev:?}"
        );
    }
}

#[tokio::test]
async fn the_client_learns_when_the_server_goes_away() {
    let s = server(Duration::ZERO);
    let c = client(&s).await;
    let mut events = c.events();
    s.shutdown(Duration::from_secs(1)).await;
    let ev = event(&mut events, |e| matches!(e, ClientEvent::Disconnected(_))).await;
    assert!(matches!(ev, ClientEvent::Disconnected(_)));
    assert!(!c.connected());
    assert_eq!(c.ping().await, Err(ClientError::NotConnected));
}

#[tokio::test]
async fn disconnect_stops_devices_and_is_idempotent() {
    let s = server(Duration::ZERO);
    let toy = hush("c7");
    let mut ops = toy.op_receiver();
    s.advertise(toy);
    let c = client(&s).await;
    c.start_scanning().await.unwrap();
    until_connected(&mut ops).await;
    c.devices()[0].vibrate(0.25).await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:5;");
    c.disconnect().await.unwrap();
    assert_eq!(next_data(&mut ops).await, b"Vibrate:0;");
    c.disconnect().await.unwrap();
    assert!(!c.connected());
}
