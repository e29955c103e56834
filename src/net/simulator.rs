//! The simulator control endpoint (`teleplug serve --simulator-port`): a WebSocket on which a
//! test harness or an application developer advertises simulated devices and plays their part
//! (notifications, read replies, disconnects) while seeing every write, read and subscription the
//! server makes, in order. Messages: [`super::sim_protocol`]. Built on
//! [`SimulatedDevice`]: each device's ops are observed and sent as frames. Several devices per
//! control connection; closing the connection disconnects its devices. A bad control frame gets
//! an `Error` frame, never a crash.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::Arc;

use tokio::net::TcpStream;
use tokio::sync::watch;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tracing::info;

use super::NetError;
use super::link::{self, Inbound, LinkConfig, LinkHandle};
use super::listen::{self, ListenerHandle};
use super::sim_protocol::{ControlEvent, ControlRequest, DeviceData};
use crate::hardware::simulated::SimulatedDevice;
use crate::server::Server;

/// Frames queued towards a control connection before it counts as stuck.
const CONTROL_QUEUE: usize = 8192;

/// Open the simulator control endpoint on `address` and serve it.
pub async fn start(
    server: Server,
    address: SocketAddr,
    link: LinkConfig,
) -> Result<ListenerHandle, NetError> {
    let listener = listen::bind(address, "simulator control endpoint").await?;
    let link = LinkConfig {
        queue: link.queue.max(CONTROL_QUEUE),
        ..link
    };
    Ok(listen::spawn_accept_loop(
        listener,
        "simulator control endpoint",
        move |stream, peer, shutdown| {
            control_connection(stream, peer, server.clone(), link.clone(), shutdown)
        },
    ))
}

async fn control_connection(
    stream: TcpStream,
    peer: SocketAddr,
    server: Server,
    config: LinkConfig,
    mut shutdown: watch::Receiver<bool>,
) {
    let Some(ws) = listen::upgrade_ungated(stream, peer, "simulator control").await else {
        return;
    };
    info!(%peer, "simulator control connection opened");
    let link::Link {
        handle,
        mut inbound,
        done,
    } = link::spawn(ws, config, peer.to_string());
    let mut control = Control {
        server,
        link: handle.clone(),
        devices: HashMap::new(),
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
                    d.queue_read(endpoint, data);
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
