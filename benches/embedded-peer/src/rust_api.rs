//! Teleplug through its Rust API, as an app embedding it: a `Client` connected with the
//! `EmbeddedConnector` to an in-process `Server` whose only device is a simulated Lovense Hush
//! (`SimulatedDevice`, message gap 0) found by scanning. Commands go through `Client::output`
//! (what `Feature::run_output` calls); the toy's writes are timestamped by a device observer,
//! which runs in the write.

use std::sync::Arc;
use std::time::{Duration, Instant};

use teleplug::client::{Client, EmbeddedConnector};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::{OutputCommand, OutputType};

use crate::measure::{HUSH_TYPE_REPLY, Raw, WriteLog, drive};

const ADDRESS: &str = "EE:00:00:00:00:02";

pub struct RustApi {
    rt: tokio::runtime::Runtime,
    server: Server,
    client: Client,
    /// Keeps the simulated toy alive.
    _toy: SimulatedDevice,
    index: u32,
    pub log: Arc<WriteLog>,
    seq: usize,
}

impl RustApi {
    pub fn start() -> Result<RustApi, String> {
        let rt = crate::runtime();
        let log = WriteLog::new();
        let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(ADDRESS, HUSH_TYPE_REPLY, 90));
        if !toy.spec().message_gap.is_zero() {
            return Err("the simulated Hush has a message gap".into());
        }
        let l = log.clone();
        toy.observe(move |op| {
            if let SimOp::Write { data, .. } = op {
                l.record(Instant::now(), data);
            }
        });
        let (server, client, index) = rt.block_on(connect(&toy))?;
        Ok(RustApi {
            rt,
            server,
            client,
            _toy: toy,
            index,
            log,
            seq: 0,
        })
    }

    /// `n` vibrate commands through `Client::output`, at most `window` in flight.
    pub fn run(&mut self, n: usize, window: usize) -> Raw {
        let first = self.seq;
        self.seq += n;
        let client = &self.client;
        let index = self.index;
        self.rt.block_on(drive(n, window, first, |level| {
            let client = client.clone();
            async move {
                client
                    .output(index, 0, OutputCommand::new(OutputType::Vibrate, level, 0))
                    .await
            }
        }))
    }

    pub fn close(self) {
        let (server, client) = (self.server, self.client);
        self.rt.block_on(async move {
            let _ = tokio::time::timeout(Duration::from_secs(5), client.disconnect()).await;
            server.shutdown(Duration::from_secs(2)).await;
        });
    }
}

async fn connect(toy: &SimulatedDevice) -> Result<(Server, Client, u32), String> {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    server.advertise(toy.clone());
    let mut events = server.events();
    let conn = EmbeddedConnector::connect_to(&server).map_err(|e| format!("connect: {e}"))?;
    let client = Client::connect_with("bench", conn)
        .await
        .map_err(|e| format!("handshake: {e}"))?;
    client
        .start_scanning()
        .await
        .map_err(|e| format!("scan: {e}"))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
    while server.device_list().devices.is_empty() {
        if tokio::time::timeout_at(deadline, events.recv())
            .await
            .is_err()
        {
            return Err("the simulated Hush was not added within 20 s".into());
        }
    }
    let _ = client.stop_scanning().await;
    let index = *server
        .device_list()
        .devices
        .keys()
        .next()
        .ok_or("no device")?;
    Ok((server, client, index))
}
