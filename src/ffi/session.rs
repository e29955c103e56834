//! A client's connection to a server: connecting (embedded server options, raw channel),
//! disconnecting, the requests that drive the client core, and the simulated devices of the
//! embedded server.

use std::collections::{BTreeMap, HashMap};
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use futures::future::BoxFuture;
use tokio::sync::{broadcast, mpsc};
use uuid::Uuid;

use super::client::ClientShared;
use super::convert;
use super::schema::{self as s, ErrorCode, Format, request, response};
use super::worker::{Reply, err, ok};
use crate::client::{Client, ClientError, ClientEvent, EmbeddedConnector};
use crate::device_config::DeviceConfig;
use crate::hardware::Endpoint;
use crate::hardware::simulated::{AutoReply, SimOp, SimulatedDevice, SimulatedDeviceSpec};
use crate::server::{ConnectionInfo, ConnectionSender, Server, ServerOptions, Transports};
use crate::wire::{InputCommandType, OutputCommand};

/// How long disconnecting waits for devices to stop.
const CLOSE_TIMEOUT: Duration = Duration::from_secs(2);
/// The reply of the default simulated Lovense toy to `DeviceType;` (a Hush).
const DEFAULT_LOVENSE_TYPE: &str = "Z:11:0082059AD3BD;";

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
    /// Simulated devices by address.
    sims: HashMap<String, SimulatedDevice>,
    /// The device list as of the last event forwarded (so `device_list_changed` carries the
    /// list of that change, not of the moment it is forwarded).
    pub devices: BTreeMap<u32, s::Device>,
}

/// Connect as the Connect request says.
pub async fn connect(
    client: &Arc<ClientShared>,
    c: s::Connect,
) -> Result<Session, (ErrorCode, String)> {
    match c.mode {
        None => embedded(client, s::EmbeddedOptions::default()).await,
        Some(s::connect::Mode::Embedded(o)) => embedded(client, o).await,
        Some(s::connect::Mode::Remote(r)) => remote(client, r).await,
    }
}

fn client_name(client: &ClientShared) -> &str {
    if client.name.is_empty() {
        "teleplug"
    } else {
        &client.name
    }
}

/// Connect the client core to a remote Buttplug server over WebSocket.
async fn remote(
    client: &Arc<ClientShared>,
    r: s::RemoteOptions,
) -> Result<Session, (ErrorCode, String)> {
    if client.format == Format::ButtplugJson {
        return Err((
            ErrorCode::Unsupported,
            "a raw channel talks to the embedded server only".into(),
        ));
    }
    let conn = crate::net::ws_client::connect(&r.url)
        .await
        .map_err(|e| convert::client_error(&e))?;
    let c = Client::connect_with(client_name(client), conn)
        .await
        .map_err(|e| convert::client_error(&e))?;
    Ok(Session::new(
        Link::Client {
            events: c.events(),
            client: c,
        },
        None,
    ))
}

fn server_options(o: &s::EmbeddedOptions) -> Result<ServerOptions, (ErrorCode, String)> {
    let invalid =
        |e: crate::device_config::ConfigError| (ErrorCode::InvalidArgument, e.to_string());
    let mut config = if o.device_config_json.is_empty() {
        DeviceConfig::embedded()
    } else {
        DeviceConfig::from_base_json(&o.device_config_json).map_err(invalid)?
    };
    if !o.user_config_json.is_empty() {
        config = config
            .with_user_config_json(&o.user_config_json)
            .map_err(invalid)?;
    }
    let off = o.disabled_transports;
    let defaults = ServerOptions::default();
    Ok(ServerOptions {
        name: if o.server_name.is_empty() {
            defaults.name
        } else {
            o.server_name.clone()
        },
        max_ping_time: Duration::from_millis(u64::from(o.max_ping_time_ms)),
        device_config: config,
        transports: Transports {
            bluetooth: off & s::TransportBit::Bluetooth as u32 == 0,
            serial: off & s::TransportBit::Serial as u32 == 0,
            hid: off & s::TransportBit::Hid as u32 == 0,
            serial_ports: o.serial_ports.clone(),
        },
        allowed_clients: o.allowed_clients.clone(),
        approver: None,
    })
}

async fn embedded(
    client: &Arc<ClientShared>,
    o: s::EmbeddedOptions,
) -> Result<Session, (ErrorCode, String)> {
    let options = server_options(&o)?;
    let server = Server::new(options);
    if o.simulator_scan_ms > 0 {
        server
            .simulator()
            .set_scan_duration(Some(Duration::from_millis(u64::from(o.simulator_scan_ms))));
    }
    let link = if client.format == Format::ButtplugJson {
        match server.connect_json(ConnectionInfo::default()) {
            Ok(conn) => Ok(Link::Raw {
                sender: conn.sender,
                frames: conn.receiver,
            }),
            Err(e) => Err((ErrorCode::ConnectFailed, e.to_string())),
        }
    } else {
        match EmbeddedConnector::connect_to(&server) {
            Ok(conn) => match Client::connect_with(client_name(client), conn).await {
                Ok(c) => Ok(Link::Client {
                    events: c.events(),
                    client: c,
                }),
                Err(e) => Err(convert::client_error(&e)),
            },
            Err(e) => Err(convert::client_error(&e)),
        }
    };
    match link {
        Ok(link) => Ok(Session::new(link, Some(server))),
        Err(e) => {
            server.shutdown(CLOSE_TIMEOUT).await;
            Err(e)
        }
    }
}

impl Session {
    fn new(link: Link, server: Option<Server>) -> Session {
        let mut session = Session {
            link,
            server,
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

    /// Disconnect; every device stops, the embedded server shuts down.
    pub async fn close(self) {
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

fn client_reply(r: Result<(), ClientError>) -> Reply {
    r.map(|_| response::Body::Ok(s::Empty {}))
        .map_err(|e| convert::client_error(&e))
}

/// A request that drives the client core.
pub fn command(session: &Session, body: request::Body) -> BoxFuture<'static, Reply> {
    use request::Body as B;
    let Link::Client { client, .. } = &session.link else {
        return ready(err(
            ErrorCode::Unsupported,
            "a raw channel takes Buttplug JSON frames for this",
        ));
    };
    let c = client.clone();
    match body {
        B::StartScanning(_) => async move { client_reply(c.start_scanning().await) }.boxed(),
        B::StopScanning(_) => async move { client_reply(c.stop_scanning().await) }.boxed(),
        B::Ping(_) => async move { client_reply(c.ping().await) }.boxed(),
        B::RequestDeviceList(_) => async move {
            match c.request_device_list().await {
                Ok(list) => Ok(response::Body::DeviceList(s::DeviceList {
                    devices: list.iter().map(convert::device).collect(),
                })),
                Err(e) => Err(convert::client_error(&e)),
            }
        }
        .boxed(),
        B::Output(o) => output(c, o),
        B::Input(i) => input(c, i),
        B::Stop(st) => {
            if st.device_index.is_none() && st.feature_index.is_some() {
                return ready(err(
                    ErrorCode::InvalidArgument,
                    "stop: a feature index needs a device index",
                ));
            }
            async move {
                client_reply(
                    c.stop(
                        st.device_index,
                        st.feature_index,
                        st.inputs.unwrap_or(true),
                        st.outputs.unwrap_or(true),
                    )
                    .await,
                )
            }
            .boxed()
        }
        _ => ready(err(ErrorCode::Unknown, "not a client command")),
    }
}

fn output(c: Client, o: s::OutputCommand) -> BoxFuture<'static, Reply> {
    let Some(t) = convert::output_type(o.r#type) else {
        return ready(err(
            ErrorCode::InvalidArgument,
            format!("output: unknown output type {}", o.r#type),
        ));
    };
    let cmd = match o.value {
        Some(s::output_command::Value::Steps(v)) => OutputCommand::new(t, v, o.duration_ms),
        Some(s::output_command::Value::Fraction(f)) => {
            match c.fraction_command(o.device_index, o.feature_index, t, f, o.duration_ms) {
                Ok(cmd) => cmd,
                Err(e) => return ready(Err(convert::client_error(&e))),
            }
        }
        None => {
            return ready(err(
                ErrorCode::InvalidArgument,
                "output: set `steps` or `fraction`",
            ));
        }
    };
    async move { client_reply(c.output(o.device_index, o.feature_index, cmd).await) }.boxed()
}

fn input(c: Client, i: s::InputCommand) -> BoxFuture<'static, Reply> {
    let (Some(t), Some(cmd)) = (
        convert::input_type(i.r#type),
        convert::input_command(i.command),
    ) else {
        return ready(err(
            ErrorCode::InvalidArgument,
            "input: set a known `type` and `command`",
        ));
    };
    let (d, f) = (i.device_index, i.feature_index);
    async move {
        match cmd {
            InputCommandType::Read => match c.read_input(d, f, t).await {
                Ok(data) => Ok(response::Body::InputReading(s::InputReading {
                    device_index: d,
                    feature_index: f,
                    r#type: convert::input_type_to(data.input_type) as i32,
                    value: data.value,
                })),
                Err(e) => Err(convert::client_error(&e)),
            },
            InputCommandType::Subscribe => client_reply(c.subscribe_input(d, f, t).await),
            InputCommandType::Unsubscribe => client_reply(c.unsubscribe_input(d, f, t).await),
        }
    }
    .boxed()
}

fn ready(reply: Reply) -> BoxFuture<'static, Reply> {
    futures::future::ready(reply).boxed()
}

// --- simulated devices ---------------------------------------------------------------------

fn endpoint(name: &str) -> Result<Endpoint, (ErrorCode, String)> {
    Endpoint::from_str(name).map_err(|e| (ErrorCode::InvalidArgument, e.to_string()))
}

fn spec_from(p: s::SimulatedDeviceSpec) -> Result<SimulatedDeviceSpec, (ErrorCode, String)> {
    let invalid = |m: String| (ErrorCode::InvalidArgument, m);
    if p.address.is_empty() {
        return Err(invalid("simulated device: `address` is required".into()));
    }
    let mut spec = SimulatedDeviceSpec::new(p.name, p.address);
    spec.services = p
        .services
        .iter()
        .map(|u| Uuid::parse_str(u).map_err(|e| invalid(format!("service {u:?}: {e}"))))
        .collect::<Result<_, _>>()?;
    spec.manufacturer_data = p
        .manufacturer_data
        .into_iter()
        .map(|m| {
            u16::try_from(m.company)
                .map(|c| (c, m.data))
                .map_err(|_| invalid(format!("company id {} is not 16-bit", m.company)))
        })
        .collect::<Result<_, _>>()?;
    spec.auto_replies = p
        .auto_replies
        .into_iter()
        .map(|r| {
            Ok(AutoReply {
                on_write: r.on_write,
                endpoint: endpoint(&r.endpoint)?,
                reply: r.reply,
            })
        })
        .collect::<Result<_, (ErrorCode, String)>>()?;
    spec.read_values = p
        .read_values
        .into_iter()
        .map(|r| Ok((endpoint(&r.endpoint)?, r.data)))
        .collect::<Result<_, (ErrorCode, String)>>()?;
    spec.message_gap = Duration::from_millis(u64::from(p.message_gap_ms));
    Ok(spec)
}

fn sim_op(address: &str, op: &SimOp) -> s::SimulatorOp {
    use s::SimulatorOpKind as K;
    let mut o = s::SimulatorOp {
        address: address.to_string(),
        ..Default::default()
    };
    let kind = match op {
        SimOp::Connected { protocol, name } => {
            o.protocol = protocol.clone();
            o.name = name.clone();
            K::Connected
        }
        SimOp::Write {
            endpoint,
            data,
            write_with_response,
        } => {
            o.endpoint = endpoint.name().into_owned();
            o.text = std::str::from_utf8(data)
                .map(str::to_string)
                .unwrap_or_default();
            o.data = data.clone();
            o.write_with_response = *write_with_response;
            K::Write
        }
        SimOp::Read { endpoint } => {
            o.endpoint = endpoint.name().into_owned();
            K::Read
        }
        SimOp::Subscribe { endpoint } => {
            o.endpoint = endpoint.name().into_owned();
            K::Subscribe
        }
        SimOp::Unsubscribe { endpoint } => {
            o.endpoint = endpoint.name().into_owned();
            K::Unsubscribe
        }
        SimOp::Disconnected => K::Disconnected,
    };
    o.kind = kind as i32;
    o
}

fn embedded_server(session: Option<&Session>) -> Result<(&Session, &Server), (ErrorCode, String)> {
    match session {
        Some(sess) => match &sess.server {
            Some(server) => Ok((sess, server)),
            None => Err((
                ErrorCode::Unsupported,
                "simulated devices need the embedded server".into(),
            )),
        },
        None => Err((
            ErrorCode::NotConnected,
            "connect to the embedded server before using simulated devices".into(),
        )),
    }
}

fn sim<'a>(
    session: Option<&'a Session>,
    address: &str,
) -> Result<&'a SimulatedDevice, (ErrorCode, String)> {
    let (sess, _) = embedded_server(session)?;
    sess.sims.get(address).ok_or_else(|| {
        (
            ErrorCode::InvalidArgument,
            format!("no simulated device with address {address:?}"),
        )
    })
}

/// Advertise a simulated device (again, if the address is known).
pub fn advertise(
    session: Option<&mut Session>,
    a: s::SimulatorAdvertise,
    ops: &mpsc::Sender<s::SimulatorOp>,
) -> Reply {
    let Some(session) = session else {
        return embedded_server(None).map(|_| response::Body::Ok(s::Empty {}));
    };
    let server = match &session.server {
        Some(server) => server.clone(),
        None => return embedded_server(Some(session)).map(|_| response::Body::Ok(s::Empty {})),
    };
    let spec = match a.device {
        Some(s::simulator_advertise::Device::Spec(p)) => spec_from(p)?,
        Some(s::simulator_advertise::Device::Lovense(l)) => {
            if l.address.is_empty() {
                return err(
                    ErrorCode::InvalidArgument,
                    "simulated Lovense: `address` is required",
                );
            }
            let type_reply = if l.type_reply.is_empty() {
                DEFAULT_LOVENSE_TYPE
            } else {
                &l.type_reply
            };
            SimulatedDeviceSpec::lovense(l.address, type_reply, l.battery.min(100) as u8)
        }
        None => {
            return err(
                ErrorCode::InvalidArgument,
                "simulator_advertise: set `spec` or `lovense`",
            );
        }
    };
    let address = spec.address.clone();
    let device = match session.sims.get(&address) {
        Some(d) => d.clone(),
        None => {
            let d = SimulatedDevice::new(spec);
            if a.observe {
                let tx = ops.clone();
                let addr = address.clone();
                d.observe(move |op| {
                    let _ = tx.try_send(sim_op(&addr, op));
                });
            }
            session.sims.insert(address, d.clone());
            d
        }
    };
    server.advertise(device);
    ok()
}

pub fn notify(session: Option<&Session>, n: s::SimulatorNotify) -> Reply {
    let device = sim(session, &n.address)?;
    if device.notify(endpoint(&n.endpoint)?, n.data) {
        ok()
    } else {
        err(
            ErrorCode::Device,
            format!(
                "{}: not delivered (device not connected or {} not subscribed)",
                n.address, n.endpoint
            ),
        )
    }
}

pub fn queue_read(session: Option<&Session>, q: s::SimulatorQueueRead) -> Reply {
    let device = sim(session, &q.address)?;
    if device.queue_read(endpoint(&q.endpoint)?, q.data) {
        ok()
    } else {
        err(
            ErrorCode::InvalidArgument,
            format!(
                "{}: read reply dropped: {} replies already wait for reads",
                q.address,
                crate::hardware::simulated::MAX_QUEUED_READS
            ),
        )
    }
}

pub fn disconnect_device(session: Option<&Session>, d: s::SimulatorDevice) -> Reply {
    sim(session, &d.address)?.disconnect();
    ok()
}
