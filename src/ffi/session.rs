//! A client's connection once it is made: the link (the client core, or a raw Buttplug JSON
//! channel), the embedded server and its simulated devices, the device list as last reported,
//! what the session reports to the caller, and closing it. Making one is `connect`'s job;
//! the requests it serves are in `commands` and `simulator`.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use tokio::sync::{broadcast, mpsc};

use super::convert;
use super::schema::{self as s, response};
use crate::client::{Client, ClientEvent};
use crate::hardware::simulated::SimulatedDevice;
use crate::lovense_api::LovenseApiHandle;
use crate::server::{ConnectionSender, Server};

/// How long disconnecting waits for devices to stop.
pub const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);

pub enum Link {
    /// The client core (TP_FORMAT_PROTOBUF / TP_FORMAT_JSON).
    Client {
        client: Client,
        events: broadcast::Receiver<ClientEvent>,
    },
    /// A Buttplug JSON connection (TP_FORMAT_BUTTPLUG_JSON).
    Raw {
        sender: ConnectionSender,
        frames: mpsc::Receiver<String>,
    },
}

pub struct Session {
    pub link: Link,
    /// The embedded server (None for remote connections).
    server: Option<Server>,
    /// The Lovense local API of the embedded server (`lovense_api_port`), ended with it.
    lovense: Option<LovenseApiHandle>,
    /// Simulated devices by address.
    sims: HashMap<String, SimulatedDevice>,
    /// The device list as of the last event forwarded (so `device_list_changed` carries the
    /// list of that change, not of the moment it is forwarded).
    devices: BTreeMap<u32, s::Device>,
}

/// The simulated devices of a session's embedded server.
pub struct Simulated<'a> {
    pub server: &'a Server,
    /// By address.
    pub devices: &'a mut HashMap<String, SimulatedDevice>,
}

/// Something the session did on its own.
pub enum SessionEvent {
    /// An event of the client core.
    Client(ClientEvent),
    /// The client core's event queue overflowed: this many were dropped.
    Lagged(u64),
    /// A Buttplug frame of a raw channel.
    Frame(String),
    /// The session ended (the server went away).
    Ended(String),
}

impl Session {
    pub fn new(link: Link, server: Option<Server>) -> Session {
        let mut session = Session {
            link,
            server,
            lovense: None,
            sims: HashMap::new(),
            devices: BTreeMap::new(),
        };
        session.devices = session
            .device_list()
            .devices
            .into_iter()
            .map(|d| (d.index, d))
            .collect();
        session
    }

    /// The reply to a successful connect.
    pub fn connected_reply(&self) -> response::Body {
        let mut c = s::Connected::default();
        if let Some(server) = &self.server {
            c.server_name = server.options().name.clone();
            c.max_ping_time_ms = server.options().max_ping_time.as_millis() as u32;
        }
        if let Link::Client { client, .. } = &self.link {
            if let Some(info) = client.server_info() {
                c.server_name = info.server_name;
                c.max_ping_time_ms = info.max_ping_time;
                c.protocol_version_major = info.protocol_version_major;
                c.protocol_version_minor = info.protocol_version_minor;
            }
            c.devices = self.device_list().devices;
        }
        response::Body::Connected(c)
    }

    /// The embedded server, if this session has one.
    pub fn server(&self) -> Option<Server> {
        self.server.clone()
    }

    /// The client core, unless this is a raw channel.
    pub fn client(&self) -> Option<&Client> {
        match &self.link {
            Link::Client { client, .. } => Some(client),
            Link::Raw { .. } => None,
        }
    }

    /// The embedded server's simulated devices (None for remote connections).
    pub fn simulated(&mut self) -> Option<Simulated<'_>> {
        let server = self.server.as_ref()?;
        Some(Simulated {
            server,
            devices: &mut self.sims,
        })
    }

    /// The client's current device list.
    pub fn device_list(&self) -> s::DeviceList {
        match &self.link {
            Link::Client { client, .. } => s::DeviceList {
                devices: client
                    .devices()
                    .iter()
                    .map(|d| convert::device(d.entry()))
                    .collect(),
            },
            Link::Raw { .. } => s::DeviceList::default(),
        }
    }

    /// The next thing the session does on its own (never, without a session).
    pub async fn next_event(session: &mut Option<Session>) -> SessionEvent {
        match session.as_mut().map(|s| &mut s.link) {
            Some(Link::Client { events, .. }) => match events.recv().await {
                Ok(ev) => SessionEvent::Client(ev),
                Err(broadcast::error::RecvError::Lagged(n)) => SessionEvent::Lagged(n),
                Err(broadcast::error::RecvError::Closed) => {
                    SessionEvent::Ended("the client core stopped".into())
                }
            },
            Some(Link::Raw { frames, .. }) => match frames.recv().await {
                Some(f) => SessionEvent::Frame(f),
                None => SessionEvent::Ended("server closed the connection".into()),
            },
            None => std::future::pending().await,
        }
    }

    /// An event of the client core that already happened, if any.
    pub fn pending_event(&mut self) -> Option<SessionEvent> {
        match &mut self.link {
            Link::Client { events, .. } => match events.try_recv() {
                Ok(ev) => Some(SessionEvent::Client(ev)),
                Err(broadcast::error::TryRecvError::Lagged(n)) => Some(SessionEvent::Lagged(n)),
                Err(_) => None,
            },
            Link::Raw { .. } => None,
        }
    }

    /// The event body of a client-core event, keeping the device list up to date. `None` for
    /// a disconnect, which ends the session instead.
    pub fn event_body(&mut self, ev: ClientEvent) -> Option<response::Body> {
        Some(match ev {
            ClientEvent::DeviceAdded(e) => {
                let device = convert::device(&e);
                self.devices.insert(device.index, device.clone());
                response::Body::DeviceAdded(s::DeviceAdded {
                    device: Some(device),
                })
            }
            ClientEvent::DeviceRemoved(e) => {
                self.devices.remove(&e.device_index);
                response::Body::DeviceRemoved(s::DeviceRemoved {
                    device: Some(convert::device(&e)),
                })
            }
            ClientEvent::DeviceListChanged => response::Body::DeviceListChanged(s::DeviceList {
                devices: self.devices.values().cloned().collect(),
            }),
            ClientEvent::ScanningFinished => response::Body::ScanningFinished(s::Empty {}),
            ClientEvent::InputReading(r) => response::Body::InputReading(convert::reading(&r)),
            ClientEvent::ServerError(e) => response::Body::Error(s::Error {
                code: convert::wire_code(e.error_code) as i32,
                message: e.error_message,
            }),
            ClientEvent::Disconnected(_) => return None,
        })
    }

    /// Keep the embedded server's Lovense local API with the session.
    pub fn with_lovense_api(mut self, handle: Option<LovenseApiHandle>) -> Session {
        self.lovense = handle;
        self
    }

    /// Disconnect; every device stops, the embedded server shuts down.
    pub async fn close(self) {
        if let Some(h) = self.lovense {
            h.shutdown(CLOSE_TIMEOUT).await;
        }
        match self.link {
            Link::Client { client, events } => {
                drop(events);
                let _ = tokio::time::timeout(CLOSE_TIMEOUT, client.disconnect()).await;
            }
            Link::Raw { sender, frames } => {
                drop(sender);
                drop(frames);
            }
        }
        if let Some(server) = self.server {
            server.shutdown(CLOSE_TIMEOUT).await;
        }
    }
}
