//! USB HID: real hidapi enumeration (no HID devices exist on CI machines, and none can be
//! created), and the HID transport driven end to end by the server with an in-process fake
//! device behind the same [`HidIo`] trait hidapi devices are driven through: a Joy-Con found,
//! initialized, rumbled, and removed when it is unplugged.
#![cfg(feature = "hid")]

mod support;

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::json;
use support::ops::next_hardware_event;
use support::scan::{device_list_of, first_listed, output_ok, scanning_client};
use teleplug::device_config::CommunicationSpecifier;
use teleplug::hardware::hid::{HidIo, enumerate, transport_from_io};
use teleplug::hardware::{
    Advertisement, AdvertisementKind, DeviceCandidate, DeviceConnector, HardwareError,
    HardwareManager, ManagerEvent, ManagerEventSender, Transport,
};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::sync::mpsc;

const TIMEOUT: Duration = Duration::from_secs(5);

#[test]
fn hidapi_enumeration_runs() {
    let devices = enumerate().expect("enumeration works without devices");
    assert!(devices.iter().all(|d| !d.path.is_empty()));
}

#[tokio::test]
async fn hid_scanning_runs_until_stop_scanning_without_error() {
    let server = Server::new(ServerOptions {
        transports: Transports {
            hid: true,
            ..Transports::none()
        },
        ..ServerOptions::default()
    });
    let mut events = server.events();
    // HID devices are listed again every second until StopScanning (hot-plug,
    // tests/hotplug.rs); a listing that fails at the start would be an Error event.
    server.start_scanning().await;
    server.stop_scanning().await;
    let seen = tokio::time::timeout(TIMEOUT, async {
        let mut seen = Vec::new();
        loop {
            match events.recv().await.expect("events") {
                ServerEvent::ScanningFinished => return seen,
                e => seen.push(e),
            }
        }
    })
    .await
    .expect("ScanningFinished after StopScanning");
    assert!(
        !seen.iter().any(|e| matches!(e, ServerEvent::Error(_))),
        "{seen:?}"
    );
}

/// What the fake device saw and what the test makes it do.
enum Input {
    Report(Vec<u8>),
    Unplug,
}

struct FakeJoycon {
    writes: mpsc::UnboundedSender<Vec<u8>>,
    input: std_mpsc::Receiver<Input>,
    unplugged: bool,
}

impl HidIo for FakeJoycon {
    fn write(&mut self, data: &[u8]) -> Result<(), HardwareError> {
        if self.unplugged {
            return Err(HardwareError::Io("No such device".into()));
        }
        let _ = self.writes.send(data.to_vec());
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError> {
        match self.input.recv_timeout(timeout) {
            Ok(Input::Report(r)) => {
                let n = r.len().min(buf.len());
                buf[..n].copy_from_slice(&r[..n]);
                Ok(n)
            }
            Ok(Input::Unplug) => {
                self.unplugged = true;
                Err(HardwareError::Io("No such device".into()))
            }
            Err(std_mpsc::RecvTimeoutError::Timeout) => Ok(0),
            Err(std_mpsc::RecvTimeoutError::Disconnected) => Err(HardwareError::Io("gone".into())),
        }
    }
}

/// Offers one fake Joy-Con (vendor 0x057E, product 0x2007) per scan, like the HID manager.
struct FakeHidManager {
    events: ManagerEventSender,
    device: parking_lot::Mutex<Option<FakeJoycon>>,
}

struct FakeConnector(parking_lot::Mutex<Option<FakeJoycon>>);

#[async_trait]
impl DeviceConnector for FakeConnector {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<Arc<dyn Transport>, HardwareError> {
        assert!(matches!(specifier, CommunicationSpecifier::Hid(_)));
        let io = self.0.lock().take().ok_or(HardwareError::Disconnected)?;
        Ok(transport_from_io(Box::new(io)))
    }
}

#[async_trait]
impl HardwareManager for FakeHidManager {
    fn name(&self) -> &'static str {
        "fake-hid"
    }

    async fn start_scanning(&self) -> Result<(), HardwareError> {
        if let Some(dev) = self.device.lock().take() {
            let _ = self.events.send(ManagerEvent::DeviceFound(DeviceCandidate {
                advertisement: Advertisement {
                    name: "Joy-Con (R)".into(),
                    address: "/dev/hidraw-fake".into(),
                    manufacturer_data: Vec::new(),
                    services: Vec::new(),
                    kind: AdvertisementKind::Hid {
                        vendor_id: 0x057E,
                        product_id: 0x2007,
                    },
                },
                connector: Box::new(FakeConnector(parking_lot::Mutex::new(Some(dev)))),
            }));
        }
        let _ = self.events.send(ManagerEvent::ScanningStopped("fake-hid"));
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        Ok(())
    }
}

async fn next_write(
    writes: &mut mpsc::UnboundedReceiver<Vec<u8>>,
    pred: impl Fn(&[u8]) -> bool,
) -> Vec<u8> {
    tokio::time::timeout(TIMEOUT, async {
        loop {
            let w = writes.recv().await.expect("device open");
            if pred(&w) {
                return w;
            }
        }
    })
    .await
    .expect("expected write")
}

#[tokio::test]
async fn joycon_through_the_hid_transport() {
    let (wtx, mut writes) = mpsc::unbounded_channel();
    let (input, irx) = std_mpsc::channel();
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    server.add_manager(|events| {
        Arc::new(FakeHidManager {
            events,
            device: parking_lot::Mutex::new(Some(FakeJoycon {
                writes: wtx,
                input: irx,
                unplugged: false,
            })),
        })
    });
    let mut c = scanning_client(&server, "hid test").await;

    // Initialization: report 0x01, sub-command 0x48 (enable vibration) = 1.
    let mut enable = vec![0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0x48, 0x01];
    enable.resize(64, 0);
    assert_eq!(next_write(&mut writes, |w| w[0] == 0x01).await, enable);
    let dev = first_listed(&device_list_of(&mut c, TIMEOUT, 1).await);
    assert_eq!(dev["DeviceName"], json!("Nintendo Joycon"));

    // Input reports flow while nothing is subscribed (kept for reads, never fatal).
    input
        .send(Input::Report(vec![0x30, 1, 2, 3]))
        .expect("device");

    // Rumble loop: full strength is A8 C8 BC 72 on both sides.
    let full_strength = json!({"Vibrate": {"Value": 1000}});
    output_ok(&mut c, dev["DeviceIndex"].clone(), 0, full_strength).await;
    let full = next_write(&mut writes, |w| w[0] == 0x10 && w[2] != 0).await;
    assert_eq!(
        &full[..11],
        &[
            0x10, 0x01, 0xA8, 0xC8, 0xBC, 0x72, 0xA8, 0xC8, 0xBC, 0x72, 0x00
        ]
    );
    assert_eq!(full.len(), 64);

    // Unplugged: the read fails, the device is removed.
    input.send(Input::Unplug).expect("device");
    device_list_of(&mut c, TIMEOUT, 0).await;
    assert!(server.device_list().devices.is_empty());
}

#[tokio::test]
async fn hid_transport_reads_and_notifies_rx() {
    let (wtx, _writes) = mpsc::unbounded_channel();
    let (input, irx) = std_mpsc::channel();
    let t = transport_from_io(Box::new(FakeJoycon {
        writes: wtx,
        input: irx,
        unplugged: false,
    }));
    let mut events = t.take_events().expect("events");
    use teleplug::hardware::{Endpoint, HardwareEvent};
    input.send(Input::Report(vec![0x21, 9])).expect("device");
    assert_eq!(
        t.read(Endpoint::Rx, 64, TIMEOUT).await.expect("read"),
        vec![0x21, 9]
    );
    t.subscribe(Endpoint::Rx).await.expect("subscribe");
    input.send(Input::Report(vec![0x30, 7])).expect("device");
    let ev = next_hardware_event(&mut events, TIMEOUT, "notification").await;
    assert_eq!(
        ev,
        HardwareEvent::Notification {
            endpoint: Endpoint::Rx,
            data: vec![0x30, 7]
        }
    );
    t.disconnect().await;
    assert_eq!(
        t.write(Endpoint::Tx, &[1], false).await,
        Err(HardwareError::Disconnected)
    );
}
