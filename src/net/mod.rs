//! Networking: the Buttplug WebSocket server in front of a [`crate::server::Server`]
//! ([`ws_server`]), the WebSocket client connector ([`ws_client`]), the listener for devices
//! that dial in ([`device_server`]) and the simulator control endpoint ([`simulator`]).
//!
//! Shared pieces: [`link`] (one socket, one task: bounded outbound queue, write timeout,
//! WebSocket ping), [`listen`] (binding, upgrade, accept loop), [`pending`] (the bounded set of
//! connections waiting for their upgrade), [`backoff`] (pacing of failed accepts), [`origin`]
//! (which web pages may connect), [`device_auth`] (which devices may dial in).
//!
//! Intiface Engine's other modes: [`ws_client_server`] (the server dialing out to its client,
//! `--websocket-client-address`), [`repeater`] (a WebSocket proxy, `--repeater`) and
//! [`frontend`] (Intiface Central's channel to watch and stop the engine,
//! `--frontend-websocket-port`).
//!
//! [`mdns`] (cargo feature `mdns`) announces the server on the local network, as Intiface
//! Engine's `--broadcast-server-mdns` does.

pub mod backoff;
pub mod device_auth;
pub mod device_server;
pub mod frontend;
pub mod link;
pub mod listen;
#[cfg(feature = "mdns")]
pub mod mdns;
pub mod origin;
pub mod pending;
pub mod repeater;
pub mod sim_protocol;
pub mod simulator;
pub mod ws_client;
pub mod ws_client_server;
pub mod ws_server;

use std::net::SocketAddr;

pub use link::LinkConfig;
pub use listen::ListenerHandle;
pub use origin::OriginPolicy;
pub use ws_server::{WsServer, WsServerHandle, WsServerOptions};

/// Network setup failures.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum NetError {
    #[error("cannot listen on {address} for the {what}: {reason}")]
    Bind {
        what: String,
        address: SocketAddr,
        reason: String,
    },
}

impl NetError {
    /// Whether binding failed because the port is taken.
    pub fn port_in_use(&self) -> bool {
        match self {
            NetError::Bind { reason, .. } => reason == listen::PORT_IN_USE,
        }
    }
}
