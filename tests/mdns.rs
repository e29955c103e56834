//! `--broadcast-server-mdns`: the server is announced as Intiface Engine announces itself
//! (`_intiface_engine._tcp.local.`, instance `Intiface <6 random> <suffix>`, the WebSocket port,
//! TXT `path=/`), a browser using the same crate (mdns-sd) finds it and a client reaches it at
//! what was found, and SIGTERM withdraws it (goodbye).
//!
//! Each test runs in a private network namespace that has only loopback (`unshare`, which needs
//! root or CAP_SYS_ADMIN), and the server and the browser inherit it: no multicast packet (nor
//! the IGMP join mdns-sd makes on every interface as it starts) can reach the machine's network.
#![cfg(all(target_os = "linux", feature = "mdns"))]

mod engine;
mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::process::Command;
use std::time::Instant;

use engine::{Engine, WAIT};
use mdns_sd::{ResolvedService, ServiceDaemon, ServiceEvent};
use support::wire::msg_type;
use support::ws::Peer;
use teleplug::net::mdns::SERVICE_TYPE;

/// Move this thread (and so the processes and threads it starts) into a new network namespace
/// with its loopback interface up.
fn private_network() {
    // SAFETY: unshare takes no pointers; it changes only this thread's network namespace.
    let rc = unsafe { libc::unshare(libc::CLONE_NEWNET) };
    assert_eq!(
        rc,
        0,
        "unshare(CLONE_NEWNET) failed ({}): the mDNS tests need root or CAP_SYS_ADMIN to keep \
         their multicast off the machine's network",
        std::io::Error::last_os_error()
    );
    let up = Command::new("ip")
        .args(["link", "set", "lo", "up"])
        .status()
        .expect("run `ip` (iproute2)");
    assert!(up.success(), "ip link set lo up");
}

/// The next event of `events` for the instance `fullname` that `pick` accepts.
fn next_event<T>(
    events: &mdns_sd::Receiver<ServiceEvent>,
    mut pick: impl FnMut(ServiceEvent) -> Option<T>,
) -> T {
    let deadline = Instant::now() + WAIT;
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.recv_timeout(left).expect("no mDNS event in time");
        if let Some(found) = pick(event) {
            return found;
        }
    }
}

/// Start `teleplug <args>` (which must announce itself), browse, and check what is found
/// against what it printed; a Buttplug handshake at the resolved address and port; then SIGTERM
/// and the goodbye. Returns the resolved service.
async fn announce_and_find(args: &[&str], suffix: &str) -> Box<ResolvedService> {
    let browser = ServiceDaemon::new().expect("mDNS daemon");
    let events = browser.browse(SERVICE_TYPE).expect("browse");
    let mut server = Engine::start(args);
    let url = server.url();
    let port: u16 = url.rsplit(':').next().unwrap().parse().expect("a port");
    let line = server.line_with("announced by mDNS as");
    let instance = line.split('"').nth(1).expect("a quoted instance name");
    let words: Vec<&str> = instance.split(' ').collect();
    assert_eq!(words.len(), 3, "{instance}");
    assert_eq!(words[0], "Intiface");
    assert!(
        words[1].len() == 6 && words[1].chars().all(|c| c.is_ascii_alphanumeric()),
        "{instance}"
    );
    assert_eq!(words[2], suffix);
    let fullname = format!("{instance}.{SERVICE_TYPE}");

    let found = next_event(&events, |e| match e {
        ServiceEvent::ServiceResolved(s) if s.get_fullname() == fullname => Some(s),
        _ => None,
    });
    assert_eq!(found.get_port(), port);
    assert_eq!(found.get_property_val_str("path"), Some("/"));
    let v4 = found.get_addresses_v4();
    assert!(v4.contains(&Ipv4Addr::LOCALHOST), "{v4:?}");

    // What was found is the server.
    let address = IpAddr::V4(Ipv4Addr::LOCALHOST);
    let mut client = Peer::connect(&format!("ws://{address}:{}", found.get_port())).await;
    assert_eq!(
        msg_type(&client.handshake("mDNS Test", 4).await),
        "ServerInfo"
    );

    assert_eq!(server.terminate().code(), Some(0));
    next_event(&events, |e| match e {
        ServiceEvent::ServiceRemoved(_, name) if name == fullname => Some(()),
        _ => None,
    });
    let _ = browser.shutdown();
    found
}

#[tokio::test]
async fn a_loopback_server_is_announced_on_loopback_and_withdrawn_on_exit() {
    private_network();
    announce_and_find(
        &[
            "--websocket-port",
            "0",
            "--broadcast-server-mdns",
            "--mdns-suffix",
            "desk",
        ],
        "desk",
    )
    .await;
}

#[tokio::test]
async fn a_server_on_all_interfaces_is_announced_without_ipv6() {
    private_network();
    let found = announce_and_find(
        &[
            "--websocket-port",
            "0",
            "--websocket-use-all-interfaces",
            "--broadcast-server-mdns",
            "--mdns-suffix",
            "all",
        ],
        "all",
    )
    .await;
    // 0.0.0.0 takes no IPv6 connection: no IPv6 address may be announced.
    assert!(
        found
            .get_addresses()
            .iter()
            .all(|a| a.to_ip_addr().is_ipv4()),
        "{:?}",
        found.get_addresses()
    );
}
