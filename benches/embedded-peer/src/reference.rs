//! The reference side: crates.io buttplug's `ButtplugClient` connected through its in-process
//! connector to an embedded `ButtplugServer`, whose device manager has one hardware
//! communication manager written here: a fake Bluetooth LE adapter that finds one Lovense Hush.
//!
//! The fake toy goes through buttplug's real device path: its advertisement (name `LVS-Z001`)
//! is matched by the device configuration to the lovense protocol, the Lovense identifier
//! subscribes to Rx and writes `DeviceType;`, the toy answers `Z:11:0082059AD3BD;` as an Rx
//! notification, and the protocol handler's `Vibrate:N;` writes reach the fake hardware's write
//! handler, which timestamps them. No message gap (`None`, so the device task writes at once)
//! and no keepalive (as buttplug's own BLE manager outside iOS).

use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use buttplug_client::device::{
    ClientDeviceCommandValue, ClientDeviceFeature, ClientDeviceOutputCommand,
};
use buttplug_client::{ButtplugClient, ButtplugClientEvent};
use buttplug_client_in_process::ButtplugInProcessClientConnectorBuilder;
use buttplug_core::ButtplugResultFuture;
use buttplug_core::errors::ButtplugDeviceError;
use buttplug_core::message::OutputType;
use buttplug_server::ButtplugServerBuilder;
use buttplug_server::device::ServerDeviceManagerBuilder;
use buttplug_server::device::hardware::communication::{
    HardwareCommunicationManager, HardwareCommunicationManagerBuilder,
    HardwareCommunicationManagerEvent,
};
use buttplug_server::device::hardware::{
    GenericHardwareSpecializer, Hardware, HardwareConnector, HardwareEvent, HardwareInternal,
    HardwareReadCmd, HardwareReading, HardwareSpecializer, HardwareSubscribeCmd,
    HardwareUnsubscribeCmd, HardwareWriteCmd,
};
use buttplug_server_device_config::{
    BluetoothLESpecifier, Endpoint, ProtocolCommunicationSpecifier, load_protocol_configs,
};
use futures::StreamExt;
use futures::future::{self, BoxFuture, FutureExt};
use tokio::sync::{broadcast, mpsc};

use crate::measure::{HUSH_TYPE_REPLY, Raw, WriteLog, drive};

/// The crates measured, as printed in the table's header.
pub const VERSION: &str = "12.0.2";
pub const DETAIL: &str = "buttplug_server 12.0.2, buttplug_client 11.0.1, \
     buttplug_client_in_process 12.0.4 (in-process connector), device config 12.0.1";

const NAME: &str = "LVS-Z001";
const ADDRESS: &str = "EE:00:00:00:00:01";

/// The toy's side of the link: answers `DeviceType;` on Rx, timestamps every other write.
struct FakeHush {
    log: Arc<WriteLog>,
    events: broadcast::Sender<HardwareEvent>,
}

impl HardwareInternal for FakeHush {
    fn disconnect(&self) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        let _ = self
            .events
            .send(HardwareEvent::Disconnected(ADDRESS.to_owned()));
        future::ready(Ok(())).boxed()
    }

    fn event_stream(&self) -> broadcast::Receiver<HardwareEvent> {
        self.events.subscribe()
    }

    fn read_value(
        &self,
        msg: &HardwareReadCmd,
    ) -> BoxFuture<'static, Result<HardwareReading, ButtplugDeviceError>> {
        future::ready(Ok(HardwareReading::new(msg.endpoint(), &[]))).boxed()
    }

    fn write_value(
        &self,
        msg: &HardwareWriteCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        let at = Instant::now();
        if msg.data().as_slice() == b"DeviceType;" {
            let _ = self.events.send(HardwareEvent::Notification(
                ADDRESS.to_owned(),
                Endpoint::Rx,
                HUSH_TYPE_REPLY.as_bytes().to_vec(),
            ));
        } else {
            self.log.record(at, msg.data());
        }
        future::ready(Ok(())).boxed()
    }

    fn subscribe(
        &self,
        _msg: &HardwareSubscribeCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        future::ready(Ok(())).boxed()
    }

    fn unsubscribe(
        &self,
        _msg: &HardwareUnsubscribeCmd,
    ) -> BoxFuture<'static, Result<(), ButtplugDeviceError>> {
        future::ready(Ok(())).boxed()
    }
}

/// The found toy before it is connected: what the device manager matches against its config.
#[derive(Debug)]
struct FakeHushConnector {
    log: Arc<WriteLog>,
}

#[async_trait]
impl HardwareConnector for FakeHushConnector {
    fn specifier(&self) -> ProtocolCommunicationSpecifier {
        ProtocolCommunicationSpecifier::BluetoothLE(BluetoothLESpecifier::new_from_device(
            NAME,
            &HashMap::new(),
            &[],
        ))
    }

    async fn connect(&mut self) -> Result<Box<dyn HardwareSpecializer>, ButtplugDeviceError> {
        let (events, _) = broadcast::channel(256);
        let hardware = Hardware::new(
            NAME,
            ADDRESS,
            &[Endpoint::Tx, Endpoint::Rx],
            &None,
            false,
            Box::new(FakeHush {
                log: self.log.clone(),
                events,
            }),
        );
        Ok(Box::new(GenericHardwareSpecializer::new(hardware)))
    }
}

/// A fake BLE adapter: scanning finds the one toy (once per process run of the side).
struct FakeBle {
    sender: mpsc::Sender<HardwareCommunicationManagerEvent>,
    log: Arc<WriteLog>,
    found: Arc<AtomicBool>,
}

impl HardwareCommunicationManager for FakeBle {
    fn name(&self) -> &'static str {
        "BenchFakeBle"
    }

    fn start_scanning(&mut self) -> ButtplugResultFuture {
        let sender = self.sender.clone();
        let log = self.log.clone();
        let first = !self.found.swap(true, Ordering::SeqCst);
        async move {
            if first {
                let _ = sender
                    .send(HardwareCommunicationManagerEvent::DeviceFound {
                        name: NAME.to_owned(),
                        address: ADDRESS.to_owned(),
                        creator: Box::new(FakeHushConnector { log }),
                    })
                    .await;
            }
            let _ = sender
                .send(HardwareCommunicationManagerEvent::ScanningFinished)
                .await;
            Ok(())
        }
        .boxed()
    }

    fn stop_scanning(&mut self) -> ButtplugResultFuture {
        future::ready(Ok(())).boxed()
    }

    fn can_scan(&self) -> bool {
        true
    }
}

struct FakeBleBuilder {
    log: Arc<WriteLog>,
}

impl HardwareCommunicationManagerBuilder for FakeBleBuilder {
    fn finish(
        &mut self,
        sender: mpsc::Sender<HardwareCommunicationManagerEvent>,
    ) -> Box<dyn HardwareCommunicationManager> {
        Box::new(FakeBle {
            sender,
            log: self.log.clone(),
            found: Arc::new(AtomicBool::new(false)),
        })
    }
}

/// An app embedding buttplug: client, in-process connector, server, one connected Hush.
pub struct Reference {
    rt: tokio::runtime::Runtime,
    client: ButtplugClient,
    /// The Hush's vibrator: commands go to it as `ClientDeviceFeature::run_output`.
    vibrator: ClientDeviceFeature,
    pub log: Arc<WriteLog>,
    seq: usize,
}

impl Reference {
    pub fn start() -> Result<Reference, String> {
        let rt = crate::runtime();
        let log = WriteLog::new();
        let (client, vibrator) = rt.block_on(connect(log.clone()))?;
        Ok(Reference {
            rt,
            client,
            vibrator,
            log,
            seq: 0,
        })
    }

    /// `n` vibrate commands through `ClientDeviceFeature::run_output` (in steps), at most
    /// `window` in flight (1: each awaited before the next).
    pub fn run(&mut self, n: usize, window: usize) -> Raw {
        let first = self.seq;
        self.seq += n;
        let vibrator = &self.vibrator;
        self.rt.block_on(drive(n, window, first, |level| {
            vibrator.run_output(&ClientDeviceOutputCommand::Vibrate(
                ClientDeviceCommandValue::Steps(level),
            ))
        }))
    }

    pub fn close(self) {
        let client = self.client;
        let _ = self.rt.block_on(async move {
            tokio::time::timeout(Duration::from_secs(5), client.disconnect()).await
        });
    }
}

async fn connect(log: Arc<WriteLog>) -> Result<(ButtplugClient, ClientDeviceFeature), String> {
    let dcm = load_protocol_configs(&None, &None, false)
        .and_then(|mut b| b.finish())
        .map_err(|e| format!("device config: {e}"))?;
    let mut devices = ServerDeviceManagerBuilder::new(dcm);
    devices.comm_manager(FakeBleBuilder { log });
    let server = ButtplugServerBuilder::new(
        devices
            .finish()
            .map_err(|e| format!("device manager: {e}"))?,
    )
    .finish()
    .map_err(|e| format!("server: {e}"))?;
    let connector = ButtplugInProcessClientConnectorBuilder::default()
        .server(server)
        .finish();
    let client = ButtplugClient::new("bench");
    let mut events = Box::pin(client.event_stream());
    client
        .connect(connector)
        .await
        .map_err(|e| format!("connect: {e}"))?;
    client
        .start_scanning()
        .await
        .map_err(|e| format!("scan: {e}"))?;
    let device = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(event) = events.next().await {
            if let ButtplugClientEvent::DeviceAdded(d) = event {
                return Some(d);
            }
        }
        None
    })
    .await
    .ok()
    .flatten()
    .ok_or("the fake Hush was not added within 20 s")?;
    let _ = client.stop_scanning().await;
    let vibrator = device
        .outputs(OutputType::Vibrate)
        .into_iter()
        .next()
        .ok_or("the Hush has no vibrator")?;
    Ok((client, vibrator))
}
