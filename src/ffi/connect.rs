//! Making a session, as a `connect` request (or a raw channel's first frame) asks: the embedded
//! server with its options, the client core over it or a raw Buttplug JSON channel to it, or the
//! client core over WebSocket to a remote server.

use std::sync::Arc;
use std::time::Duration;

use super::client::ClientShared;
use super::convert;
use super::reply::Failure;
use super::schema::{self as s, ErrorCode, Format};
use super::session::{CLOSE_TIMEOUT, Link, Session};
use crate::client::{Client, EmbeddedConnector};
use crate::device_config::DeviceConfig;
use crate::hardware::{TRANSPORTS, Transports};
use crate::server::{ConnectionInfo, Server, ServerOptions};

/// Connect as the Connect request says.
pub async fn connect(client: &Arc<ClientShared>, c: s::Connect) -> Result<Session, Failure> {
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
async fn remote(client: &Arc<ClientShared>, r: s::RemoteOptions) -> Result<Session, Failure> {
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

/// The transports an embedded server scans with: every one but those whose `TransportBit` is
/// set in `disabled` (unknown bits are ignored).
fn transports(disabled: u32, serial_ports: &[String]) -> Transports {
    let mut transports = Transports {
        serial_ports: serial_ports.to_vec(),
        ..Transports::default()
    };
    for t in TRANSPORTS.iter().filter(|t| disabled & t.bit != 0) {
        t.set(&mut transports, false);
    }
    transports
}

fn server_options(o: &s::EmbeddedOptions) -> Result<ServerOptions, Failure> {
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
    let defaults = ServerOptions::default();
    Ok(ServerOptions {
        name: if o.server_name.is_empty() {
            defaults.name
        } else {
            o.server_name.clone()
        },
        max_ping_time: Duration::from_millis(u64::from(o.max_ping_time_ms)),
        device_config: config,
        // The user config came as text: there is no file to write back (docs/FFI.md).
        user_config_file: None,
        transports: transports(o.disabled_transports, &o.serial_ports),
        allowed_clients: o.allowed_clients.clone(),
        approver: None,
    })
}

/// The Lovense local API on 127.0.0.1:`port` (0: none).
async fn lovense_api(
    server: &Server,
    port: u32,
) -> Result<Option<crate::lovense_api::LovenseApiHandle>, Failure> {
    if port == 0 {
        return Ok(None);
    }
    let port = u16::try_from(port).map_err(|_| {
        (
            ErrorCode::InvalidArgument,
            format!("lovense_api_port {port} is not a port"),
        )
    })?;
    let options = crate::lovense_api::LovenseApiOptions {
        address: std::net::SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, port)),
        ..Default::default()
    };
    crate::lovense_api::start(server, options)
        .await
        .map(Some)
        .map_err(|e| (ErrorCode::ConnectFailed, format!("Lovense local API: {e}")))
}

/// Start an embedded server and connect to it: the client core, or a raw channel.
async fn embedded(client: &Arc<ClientShared>, o: s::EmbeddedOptions) -> Result<Session, Failure> {
    let options = server_options(&o)?;
    let server = Server::new(options);
    if o.simulator_scan_ms > 0 {
        server
            .simulator()
            .set_scan_duration(Some(Duration::from_millis(u64::from(o.simulator_scan_ms))));
    }
    let lovense = match lovense_api(&server, o.lovense_api_port).await {
        Ok(h) => h,
        Err(e) => {
            server.shutdown(CLOSE_TIMEOUT).await;
            return Err(e);
        }
    };
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
        Ok(link) => Ok(Session::new(link, Some(server)).with_lovense_api(lovense)),
        Err(e) => {
            if let Some(h) = lovense {
                h.shutdown(CLOSE_TIMEOUT).await;
            }
            server.shutdown(CLOSE_TIMEOUT).await;
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_transport_bit_switches_its_transport_off() {
        assert_eq!(transports(0, &[]), Transports::default());
        let all = TRANSPORTS.iter().fold(0, |bits, t| bits | t.bit);
        assert_eq!(transports(all, &[]), Transports::none());
        for t in TRANSPORTS {
            let got = transports(t.bit, &["/dev/x".into()]);
            assert!(!t.is_on(&got), "{}", t.name);
            assert!(
                TRANSPORTS
                    .iter()
                    .all(|o| o.bit == t.bit || o.is_on(&got) == o.on_by_default)
            );
            assert_eq!(got.serial_ports, ["/dev/x"]);
        }
        // Bits no transport has are ignored.
        assert_eq!(transports(!all, &[]), Transports::default());
    }
}
