//! The simulator control endpoint (`teleplug serve --simulator-port`): a WebSocket on which a
//! test harness or an application developer advertises simulated devices and plays their part
//! (notifications, read replies, disconnects) while seeing every write, read and subscription the
//! server makes, in order. Messages: [`super::sim_protocol`]. Built on
//! [`SimulatedDevice`]: each device's ops are observed and sent as frames. Several devices per
//! control connection (at most [`MAX_DEVICES_PER_CONNECTION`], each holding at most
//! [`MAX_QUEUED_READS`] read replies); closing the connection disconnects its devices. A bad
//! control frame, or one over a limit, gets an `Error` frame, never a crash. Web pages are held
//! to the client port's Origin policy.

use std::collections::HashMap;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::info;

use super::NetError;
use super::link::{self, Inbound, LinkConfig, LinkHandle};
use super::listen::{self, ListenerHandle, PendingConnection};
use super::origin::OriginPolicy;
use super::sim_protocol::{ControlEvent, ControlRequest, DeviceData};
use crate::hardware::simulated::{MAX_QUEUED_READS, SimulatedDevice};
use crate::server::Server;

/// Bytes queued towards a control connection before it counts as stuck (events of many busy
/// devices).
const CONTROL_QUEUE_BYTES: usize = 16 << 20;

/// Devices one control connection may advertise at once (a benchmark drives 1,000).
pub const MAX_DEVICES_PER_CONNECTION: usize = 1024;

/// Settings of the simulator control endpoint.
#[derive(Clone, Debug)]
pub struct SimulatorOptions {
    /// Where to listen. Default 127.0.0.1, port 0 (any free port).
    pub address: SocketAddr,
    /// Ping period, write timeout; the outbound queue is at least 8192 frames.
    pub link: LinkConfig,
    /// Which web pages may connect: the client port's policy.
    pub origins: OriginPolicy,
    /// Devices one control connection may have advertised at once.
    pub max_devices: usize,
}

impl Default for SimulatorOptions {
    fn default() -> Self {
        SimulatorOptions {
            address: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
            link: LinkConfig::default(),
            origins: OriginPolicy::default(),
            max_devices: MAX_DEVICES_PER_CONNECTION,
        }
    }
}

/// Open the simulator control endpoint on `address` and serve it, with the default settings
/// otherwise.
pub async fn start(
    server: Server,
    address: SocketAddr,
    link: LinkConfig,
) -> Result<ListenerHandle, NetError> {
    start_with(
        server,
        SimulatorOptions {
            address,
            link,
            ..SimulatorOptions::default()
        },
    )
    .await
}

/// Open the simulator control endpoint and serve it.
pub async fn start_with(
    server: Server,
    options: SimulatorOptions,
) -> Result<ListenerHandle, NetError> {
    let listener = listen::bind(options.address, "simulator control endpoint").await?;
    // Devices may be advertised here at any moment: scans last until StopScanning.
    server.simulator().set_open_ended(true);
    let options = Arc::new(SimulatorOptions {
        link: LinkConfig {
            queue_bytes: options.link.queue_bytes.max(CONTROL_QUEUE_BYTES),
            ..options.link
        },
        ..options
    });
    Ok(listen::spawn_accept_loop(
        listener,
        "simulator control endpoint",
        move |conn, peer, shutdown| {
            control_connection(conn, peer, server.clone(), options.clone(), shutdown)
        },
    ))
}

async fn control_connection(
    conn: PendingConnection,
    peer: SocketAddr,
    server: Server,
    options: Arc<SimulatorOptions>,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some((ws, _upgraded)) =
        listen::upgrade_ungated(conn, &options.origins, peer, "simulator control").await
    else {
        return;
    };
    info!(%peer, "simulator control connection opened");
    let link::Link {
        handle,
        mut inbound,
        done,
    } = link::spawn(ws, options.link.clone(), peer.to_string());
    let mut control = Control {
        server,
        link: handle.clone(),
        devices: HashMap::new(),
        max_devices: options.max_devices,
    };
    loop {
        tokio::select! {
            frame = inbound.recv() => match frame {
                Some(Inbound::Text(text)) => control.handle(&text),
                Some(Inbound::Binary(_)) => {
                    control.error("binary frames are not control frames; send JSON text");
                }
                None => break,
            },
            _ = listen::shutdown_requested(&mut shutdown) => break,
        }
    }
    control.disconnect_all();
    handle.close(CloseCode::Away, "simulator control endpoint closing");
    drop(handle);
    drop(control);
    let _ = done.await;
    info!(%peer, "simulator control connection closed");
}

struct Control {
    server: Server,
    link: LinkHandle,
    devices: HashMap<String, SimulatedDevice>,
    max_devices: usize,
}

impl Control {
    fn error(&self, message: impl Into<String>) {
        self.link.send_text(ControlEvent::error(message).to_json());
    }

    fn device(&self, id: &str) -> Option<&SimulatedDevice> {
        let d = self.devices.get(id);
        if d.is_none() {
            self.error(format!("no device with id {id:?} on this connection"));
        }
        d
    }

    fn handle(&mut self, text: &str) {
        let request = match ControlRequest::parse(text) {
            Ok(r) => r,
            Err(e) => return self.error(e),
        };
        match request {
            ControlRequest::Advertise(a) => {
                if self.devices.contains_key(&a.id) {
                    return self.error(format!("device id {:?} is already in use", a.id));
                }
                if self.devices.len() >= self.max_devices {
                    return self.error(format!(
                        "Advertise {:?} refused: this connection has {} devices, the limit \
                         (send Disconnect for one first)",
                        a.id, self.max_devices
                    ));
                }
                let spec = match a.to_spec() {
                    Ok(s) => s,
                    Err(e) => return self.error(e),
                };
                let device = SimulatedDevice::new(spec);
                let out = self.link.clone();
                let id: Arc<str> = a.id.as_str().into();
                device.observe(move |op| {
                    out.send_text(ControlEvent::from_op(&id, op).to_json());
                });
                self.devices.insert(a.id, device.clone());
                self.server.advertise(device);
            }
            ControlRequest::Notify(DeviceData { id, endpoint, data }) => {
                if let Some(d) = self.device(&id) {
                    if !d.notify(endpoint, data) {
                        self.error(format!(
                            "notification of {id:?} on {endpoint} dropped: not connected or not subscribed"
                        ));
                    }
                }
            }
            ControlRequest::ReadReply(DeviceData { id, endpoint, data }) => {
                if let Some(d) = self.device(&id) {
                    if !d.queue_read(endpoint, data) {
                        self.error(format!(
                            "ReadReply for {id:?} dropped: {MAX_QUEUED_READS} replies already \
                             wait for reads, the limit"
                        ));
                    }
                }
            }
            ControlRequest::Disconnect(d) => {
                if let Some(device) = self.device(&d.id).cloned() {
                    self.server.simulator().remove(&device);
                    device.disconnect();
                    self.devices.remove(&d.id);
                }
            }
        }
    }

    fn disconnect_all(&mut self) {
        for (_, d) in self.devices.drain() {
            self.server.simulator().remove(&d);
            d.disconnect();
        }
    }
}
