//! Scanning across hardware managers: StartScanning starts every enabled manager,
//! ScanningFinished comes once when all stopped on their own or once after StopScanning, a scan
//! with a listener on (simulator endpoint, device WebSocket) or with serial ports listed again
//! and again (hot-plug, tests/hotplug.rs) lasts until StopScanning, StopScanning is idempotent,
//! and transports switched off are not started.

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;

use teleplug::hardware::simulated::{SimulatedDevice, SimulatedDeviceSpec};
use teleplug::hardware::{
    HardwareError, HardwareManager, ManagerEvent, ManagerEventSender, Transports,
    add_platform_managers,
};
use teleplug::net::device_server::DeviceServerOptions;
use teleplug::server::{Server, ServerEvent, ServerOptions};
use tokio::sync::broadcast;

const TIMEOUT: Duration = Duration::from_secs(5);
/// How long "nothing more happens" is watched for.
const QUIET: Duration = Duration::from_millis(300);

fn serial_only() -> Transports {
    Transports {
        serial: true,
        ..Transports::none()
    }
}

fn server(transports: Transports) -> Server {
    Server::new(ServerOptions {
        transports,
        ..ServerOptions::default()
    })
}

async fn finished(events: &mut broadcast::Receiver<ServerEvent>) -> Vec<ServerEvent> {
    let mut seen = Vec::new();
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let e = events.recv().await.expect("events");
            if e == ServerEvent::ScanningFinished {
                return;
            }
            seen.push(e);
        }
    })
    .await
    .expect("ScanningFinished");
    seen
}

/// Events during the next QUIET period.
async fn quiet(events: &mut broadcast::Receiver<ServerEvent>) -> Vec<ServerEvent> {
    let mut seen = Vec::new();
    let _ = tokio::time::timeout(QUIET, async {
        while let Ok(e) = events.recv().await {
            seen.push(e);
        }
    })
    .await;
    seen
}

/// A manager that looks once per scan and stops on its own (as gamepads do).
struct OneShot(ManagerEventSender);

#[async_trait]
impl HardwareManager for OneShot {
    fn name(&self) -> &'static str {
        "one-shot"
    }
    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let _ = self.0.send(ManagerEvent::ScanningStopped("one-shot"));
        Ok(())
    }
    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        Ok(())
    }
}

#[tokio::test]
async fn finished_once_when_a_one_shot_scan_and_a_timed_simulated_scan_both_ended() {
    let s = server(Transports::none());
    s.add_manager(|events| Arc::new(OneShot(events)));
    let mut events = s.events();
    s.simulator()
        .set_scan_duration(Some(Duration::from_millis(100)));
    let dev = SimulatedDevice::new(SimulatedDeviceSpec::new("Massage Demo", "sim-1"));
    s.advertise(dev);
    let started = tokio::time::Instant::now();
    s.start_scanning().await;
    let before = finished(&mut events).await;
    // The simulated scan (100 ms) outlasts the one-shot look.
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert!(before.contains(&ServerEvent::DeviceAdded(0)), "{before:?}");
    assert!(
        !before.iter().any(|e| matches!(e, ServerEvent::Error(_))),
        "{before:?}"
    );
    assert_eq!(quiet(&mut events).await, Vec::new());
    // A new scan runs the managers again and finishes again.
    s.start_scanning().await;
    finished(&mut events).await;
}

#[tokio::test]
async fn stop_scanning_is_idempotent_and_reports_finished_once() {
    let s = server(serial_only());
    let mut events = s.events();
    // The simulator scans until stopped (it has a device): the scan stays open.
    s.advertise(SimulatedDevice::new(SimulatedDeviceSpec::new(
        "Massage Demo",
        "sim-2",
    )));
    s.start_scanning().await;
    s.start_scanning().await;
    let seen = quiet(&mut events).await;
    assert!(!seen.contains(&ServerEvent::ScanningFinished), "{seen:?}");
    s.stop_scanning().await;
    s.stop_scanning().await;
    let mut seen = finished(&mut events).await;
    seen.extend(quiet(&mut events).await);
    assert!(
        !seen.contains(&ServerEvent::ScanningFinished),
        "a second ScanningFinished: {seen:?}"
    );
}

#[tokio::test]
async fn an_open_simulator_endpoint_holds_the_scan_until_stop_scanning() {
    let s = server(Transports::none());
    let mut events = s.events();
    // Nothing advertised yet, but the control endpoint may advertise at any moment.
    s.simulator().set_open_ended(true);
    s.start_scanning().await;
    let seen = quiet(&mut events).await;
    assert!(!seen.contains(&ServerEvent::ScanningFinished), "{seen:?}");
    // A device advertised mid-scan is found.
    s.advertise(SimulatedDevice::new(SimulatedDeviceSpec::new(
        "Massage Demo",
        "sim-3",
    )));
    let seen = quiet(&mut events).await;
    assert!(seen.contains(&ServerEvent::DeviceAdded(0)), "{seen:?}");
    assert!(!seen.contains(&ServerEvent::ScanningFinished), "{seen:?}");
    s.stop_scanning().await;
    finished(&mut events).await;
}

#[tokio::test]
async fn the_device_websocket_listener_holds_the_scan_until_stop_scanning() {
    let s = server(Transports::none());
    let mut events = s.events();
    let listener = teleplug::net::device_server::start_with(
        &s,
        DeviceServerOptions {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            ..DeviceServerOptions::default()
        },
    )
    .await
    .expect("device listener");
    s.start_scanning().await;
    let seen = quiet(&mut events).await;
    assert!(!seen.contains(&ServerEvent::ScanningFinished), "{seen:?}");
    s.stop_scanning().await;
    finished(&mut events).await;
    drop(listener);
}

#[tokio::test]
async fn with_nothing_to_scan_the_scan_finishes_at_once() {
    let s = server(Transports::none());
    let mut events = s.events();
    s.start_scanning().await;
    assert_eq!(finished(&mut events).await, Vec::new());
}

#[test]
fn transports_switched_off_are_not_created() {
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let names = |t: &Transports| -> Vec<&'static str> {
        add_platform_managers(t, &tx)
            .iter()
            .map(|m| m.name())
            .collect()
    };
    assert_eq!(names(&Transports::none()), Vec::<&str>::new());
    let mut expected = Vec::new();
    if cfg!(feature = "btle") {
        expected.push("bluetooth");
    }
    if cfg!(feature = "serial") {
        expected.push("serial");
    }
    if cfg!(feature = "hid") {
        expected.push("hid");
    }
    if cfg!(feature = "gamepad") {
        expected.push("gamepad");
    }
    assert_eq!(names(&Transports::default()), expected);
    let serial = names(&serial_only());
    assert_eq!(serial.len(), usize::from(cfg!(feature = "serial")));
}

#[tokio::test]
async fn switched_off_bluetooth_is_not_started() {
    // Switched off, Bluetooth is neither started nor reported as unavailable: only the serial
    // scan runs, quietly.
    let s = server(serial_only());
    let mut events = s.events();
    s.start_scanning().await;
    let mut seen = quiet(&mut events).await;
    s.stop_scanning().await;
    // With serial compiled in, the scan lasts until stopped (hot-plug); without it there is
    // nothing to scan and the scan finished at once.
    if !seen.contains(&ServerEvent::ScanningFinished) {
        seen.extend(finished(&mut events).await);
    }
    assert!(
        !seen.iter().any(|e| matches!(e, ServerEvent::Error(_))),
        "{seen:?}"
    );
}

#[cfg(feature = "serial")]
#[tokio::test]
async fn a_serial_scan_lasts_until_stop_scanning() {
    // Serial ports are listed again every 5 s while the scan runs (hot-plug): the scan does not
    // end on its own; ScanningFinished follows StopScanning, once.
    let s = server(serial_only());
    let mut events = s.events();
    s.start_scanning().await;
    let seen = quiet(&mut events).await;
    assert!(!seen.contains(&ServerEvent::ScanningFinished), "{seen:?}");
    s.stop_scanning().await;
    finished(&mut events).await;
    let seen = quiet(&mut events).await;
    assert!(!seen.contains(&ServerEvent::ScanningFinished), "{seen:?}");
}
