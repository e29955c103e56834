//! Intiface Engine's other ways to run, for `serve.rs`: the frontend channel
//! (`--frontend-websocket-port`: waiting for the frontend, telling it what happens, its Stop
//! requests), the Buttplug server dialing out to its client (`--websocket-client-address`) and
//! the repeater (`--repeater`), which runs instead of the server.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use teleplug::net::frontend::{EngineErrorDetail, EngineMessage, Frontend, FrontendListener};
use teleplug::net::repeater::{self, RepeaterOptions};
use teleplug::net::ws_client_server::{self, DialOutHandle};
use teleplug::net::{LinkConfig, NetError, OriginPolicy, WsServerHandle};
use teleplug::server::Server;

use crate::Failure;
use crate::serve::{ServeArgs, announce};
use crate::stop_request::StopRequests;

/// The frontend, once connected, with the tasks telling it about the server and the logs.
pub struct Watched {
    pub frontend: Frontend,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

/// Where the Buttplug client is served.
pub enum ClientSide {
    /// On a port (`--websocket-port`, `--port`…).
    Listening(WsServerHandle),
    /// Over connections made to `--websocket-client-address`.
    DialingOut(DialOutHandle),
}

impl ClientSide {
    pub async fn shutdown(self, timeout: Duration) {
        match self {
            ClientSide::Listening(h) => h.shutdown(timeout).await,
            ClientSide::DialingOut(h) => h.shutdown(timeout).await,
        }
    }
}

/// `--websocket-client-address`, with `ws://` added when it has no scheme; a bad URL is a usage
/// error.
pub fn dial_out_url(args: &ServeArgs) -> Result<Option<String>, Failure> {
    args.intiface
        .websocket_client_address
        .as_deref()
        .map(|url| {
            ws_client_server::normalize_url(url)
                .map_err(|e| Failure::Usage(format!("--websocket-client-address: {e}")))
        })
        .transpose()
}

/// The link settings of every socket (`--ws-ping-interval`).
pub fn link_config(args: &ServeArgs) -> LinkConfig {
    LinkConfig {
        ping_interval: Duration::from_millis(args.ws_ping_interval),
        ..LinkConfig::default()
    }
}

/// With `--frontend-websocket-port`: open the port on 127.0.0.1, wait for the frontend and send
/// it EngineStarted. `Ok(None)` without the flag; `Err(which)` when a stop request came while
/// waiting.
pub async fn wait_for_frontend(
    args: &ServeArgs,
    stop: &mut StopRequests,
) -> Result<Option<Watched>, Result<&'static str, Failure>> {
    let Some(port) = args.intiface.frontend_websocket_port else {
        return Ok(None);
    };
    let listener = FrontendListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port)))
        .await
        .map_err(|e| Err(Failure::Runtime(e.to_string())))?;
    announce(format!(
        "waiting for the frontend on ws://{}",
        listener.local_addr()
    ));
    let frontend = tokio::select! {
        f = listener.accept(link_config(args), teleplug_version()) => f,
        which = stop.next() => return Err(Ok(which)),
    };
    let tasks = vec![frontend.forward_logs()];
    frontend.send(&EngineMessage::EngineStarted {});
    announce("frontend connected".into());
    Ok(Some(Watched { frontend, tasks }))
}

fn teleplug_version() -> &'static str {
    env!("CARGO_PKG_VERSION")
}

impl Watched {
    /// The server is up: EngineServerCreated (with the mDNS announcement's details when there is
    /// one, as Intiface), then the server's clients and devices.
    pub fn server_created(&mut self, server: &Server, mdns: Option<(&str, u16)>) {
        let message = match mdns {
            Some((instance, port)) => EngineMessage::EngineServerCreated {
                service_type: Some(intiface_service_type()),
                instance_name: Some(instance.to_string()),
                port: Some(port),
                txt_records: Some(vec!["path=/".into()]),
            },
            None => EngineMessage::EngineServerCreated {
                service_type: None,
                instance_name: None,
                port: None,
                txt_records: None,
            },
        };
        self.frontend.send(&message);
        self.tasks.push(self.frontend.watch_server(server));
    }

    /// Tell the frontend why the engine cannot run (port in use gets Intiface's detail).
    pub fn failed(&self, what: &str, e: &NetError) {
        let detail = match e {
            NetError::Bind { address, .. } if e.port_in_use() => {
                Some(EngineErrorDetail::PortInUse {
                    address: address.ip().to_string(),
                    port: address.port(),
                })
            }
            _ => None,
        };
        self.frontend.send(&EngineMessage::EngineError {
            error: format!("{what}: {e}"),
            detail,
        });
    }

    /// EngineStopped, then the channel closes.
    pub async fn close(self) {
        for t in self.tasks {
            t.abort();
        }
        self.frontend.close().await;
    }
}

/// Intiface's service type in EngineServerCreated: without the `.local.` domain.
fn intiface_service_type() -> String {
    #[cfg(feature = "mdns")]
    let full = teleplug::net::mdns::SERVICE_TYPE;
    #[cfg(not(feature = "mdns"))]
    let full = "_intiface_engine._tcp.local.";
    full.trim_end_matches('.')
        .trim_end_matches(".local")
        .to_string()
}

/// The server could not start: the frontend hears why (and EngineStopped); the failure to
/// exit with.
pub async fn failed(watched: Option<Watched>, what: &str, e: NetError) -> Failure {
    if let Some(w) = watched {
        w.failed(what, &e);
        w.close().await;
    }
    Failure::Runtime(e.to_string())
}

/// The next stop request: a signal, or the frontend's Stop (or the frontend going away).
pub async fn next_stop(stop: &mut StopRequests, watched: Option<&Watched>) -> &'static str {
    match watched {
        Some(w) => tokio::select! {
            which = stop.next() => which,
            which = w.frontend.stop_requested() => which,
        },
        None => stop.next().await,
    }
}

/// Repeater mode: no Buttplug server, no devices; WebSocket connections on
/// 127.0.0.1:`--repeater-port` are passed to `--websocket-client-address` until a stop request.
pub async fn run_repeater(
    args: &ServeArgs,
    remote: String,
    watched: Option<Watched>,
    stop: &mut StopRequests,
) -> Result<(), Failure> {
    let port = args.intiface.repeater_port.unwrap_or_default();
    let options = RepeaterOptions {
        address: SocketAddr::from((Ipv4Addr::LOCALHOST, port)),
        remote: remote.clone(),
        link: link_config(args),
        origins: OriginPolicy::new(args.allowed_origins.clone()),
    };
    let handle = match repeater::start(options).await {
        Ok(h) => h,
        Err(e) => {
            return Err(failed(watched, "repeater", e).await);
        }
    };
    announce(format!("repeater remote: {remote}"));
    announce(format!(
        "repeater listening on ws://{}",
        handle.local_addr()
    ));
    let which = next_stop(stop, watched.as_ref()).await;
    announce(format!("{which} received: stopping the repeater"));
    handle.shutdown(Duration::from_secs(3)).await;
    if let Some(w) = watched {
        w.close().await;
    }
    announce("stopped".into());
    Ok(())
}
