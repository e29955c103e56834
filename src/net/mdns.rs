//! Announcing the Buttplug server on the local network by mDNS/DNS-SD, as Intiface Engine's
//! `--broadcast-server-mdns` does, so apps can find it without being told an address: service
//! type [`SERVICE_TYPE`], instance name `Intiface <6 random letters/digits>[ <suffix>]`
//! ([`instance_name`]), the WebSocket port, and the TXT record `path=/`.
//!
//! The responder is `mdns-sd` (its own thread; no Avahi or Bonjour needed). Unlike Intiface
//! Engine, which announces on every interface but loopback whatever it listens on, the
//! announcement goes where clients can connect ([`interfaces_for`]): a server listening on
//! 127.0.0.1 is announced on loopback only (apps on this machine find it; the network learns
//! nothing about it), one on 0.0.0.0 on every IPv4 interface, one on a given address on that
//! address's interface.

use std::net::{IpAddr, SocketAddr};
use std::time::Duration;

use mdns_sd::{IfKind, ServiceDaemon, ServiceInfo, UnregisterStatus};

/// The DNS-SD service type Intiface Engine announces (and Intiface Central browses for).
pub const SERVICE_TYPE: &str = "_intiface_engine._tcp.local.";

/// The one TXT record of the announcement: the WebSocket path.
pub const TXT_PATH: (&str, &str) = ("path", "/");

/// How long [`Advertisement::stop`] waits for the goodbye to be sent.
const GOODBYE_TIMEOUT: Duration = Duration::from_secs(1);

/// The announcement could not be made.
#[derive(Debug, thiserror::Error)]
#[error("cannot announce the server by mDNS: {0}")]
pub struct MdnsError(String);

/// Intiface Engine's instance name: `Intiface <random>`, then ` <suffix>` when a suffix that is
/// not blank is given (`--mdns-suffix`). The random part tells apart several servers of one
/// network.
pub fn instance_name(random: &str, suffix: Option<&str>) -> String {
    match suffix.map(str::trim).filter(|s| !s.is_empty()) {
        Some(suffix) => format!("Intiface {random} {suffix}"),
        None => format!("Intiface {random}"),
    }
}

/// Six random ASCII letters and digits, like Intiface Engine's.
fn random_alphanumeric() -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let mut out = String::with_capacity(6);
    while out.len() < 6 {
        let mut bytes = [0u8; 16];
        // Without randomness the name is still valid, only less likely to be unique.
        let _ = getrandom::fill(&mut bytes);
        // 248 = 4 × 62: taking bytes below it keeps every character equally likely.
        for b in bytes.into_iter().filter(|b| *b < 248) {
            if out.len() < 6 {
                out.push(CHARS[usize::from(b) % CHARS.len()] as char);
            }
        }
    }
    out
}

/// Which interfaces announce a server listening on `listen`, as mdns-sd selections applied in
/// order (each later one overrides the earlier ones): where a client can reach it.
pub fn interfaces_for(listen: IpAddr) -> Vec<(bool, IfKind)> {
    match listen {
        IpAddr::V4(ip) if ip.is_loopback() => {
            vec![(false, IfKind::All), (true, IfKind::LoopbackV4)]
        }
        IpAddr::V6(ip) if ip.is_loopback() => {
            vec![(false, IfKind::All), (true, IfKind::LoopbackV6)]
        }
        // 0.0.0.0 takes IPv4 connections only: no IPv6 address is announced.
        IpAddr::V4(ip) if ip.is_unspecified() => vec![(false, IfKind::IPv6)],
        IpAddr::V6(ip) if ip.is_unspecified() => Vec::new(),
        ip => vec![(false, IfKind::All), (true, IfKind::Addr(ip))],
    }
}

/// A running announcement; [`Advertisement::stop`] (or dropping it) withdraws it.
pub struct Advertisement {
    daemon: ServiceDaemon,
    fullname: String,
    instance: String,
}

impl Advertisement {
    /// Announce the server listening on `listen` (its bound address: the port must not be 0),
    /// with Intiface's instance name and `suffix`.
    pub fn start(listen: SocketAddr, suffix: Option<&str>) -> Result<Advertisement, MdnsError> {
        let random = random_alphanumeric();
        let instance = instance_name(&random, suffix);
        let daemon = ServiceDaemon::new().map_err(|e| MdnsError(e.to_string()))?;
        for (enable, kind) in interfaces_for(listen.ip()) {
            let applied = if enable {
                daemon.enable_interface(kind)
            } else {
                daemon.disable_interface(kind)
            };
            applied.map_err(|e| MdnsError(e.to_string()))?;
        }
        let host = format!("teleplug-{}.local.", random.to_ascii_lowercase());
        let info = ServiceInfo::new(
            SERVICE_TYPE,
            &instance,
            &host,
            "",
            listen.port(),
            &[TXT_PATH][..],
        )
        .map_err(|e| MdnsError(e.to_string()))?
        // The addresses of each announcing interface, kept current by the daemon.
        .enable_addr_auto();
        let fullname = info.get_fullname().to_string();
        daemon
            .register(info)
            .map_err(|e| MdnsError(e.to_string()))?;
        tracing::info!(
            "announced by mDNS as {instance:?} ({SERVICE_TYPE}, port {})",
            listen.port()
        );
        Ok(Advertisement {
            daemon,
            fullname,
            instance,
        })
    }

    /// The instance name announced (`Intiface Ab3xY9 suffix`).
    pub fn instance_name(&self) -> &str {
        &self.instance
    }

    /// Withdraw the announcement: a goodbye (TTL 0) is sent so browsers forget the server at
    /// once; waits at most 1 s for it to go out (blocking), then stops the responder.
    pub fn stop(self) {
        if let Ok(status) = self.daemon.unregister(&self.fullname) {
            match status.recv_timeout(GOODBYE_TIMEOUT) {
                Ok(UnregisterStatus::OK) => {}
                other => tracing::debug!("mDNS goodbye: {other:?}"),
            }
        }
        // Drop shuts the responder down.
    }
}

impl Drop for Advertisement {
    fn drop(&mut self) {
        // Harmless after stop(): the service is already gone.
        let _ = self.daemon.unregister(&self.fullname);
        let _ = self.daemon.shutdown();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    #[test]
    fn instance_names_are_intifaces() {
        assert_eq!(instance_name("AbC123", None), "Intiface AbC123");
        assert_eq!(instance_name("AbC123", Some("  ")), "Intiface AbC123");
        assert_eq!(
            instance_name("AbC123", Some("desk")),
            "Intiface AbC123 desk"
        );
    }

    #[test]
    fn random_parts_are_six_letters_or_digits_and_differ() {
        let a = random_alphanumeric();
        let b = random_alphanumeric();
        for r in [&a, &b] {
            assert_eq!(r.len(), 6);
            assert!(r.chars().all(|c| c.is_ascii_alphanumeric()), "{r}");
        }
        // 62^6 possibilities: equal twice in a row only if randomness is broken.
        assert_ne!(a, b);
    }

    #[test]
    fn loopback_servers_are_announced_on_loopback_only() {
        let v4 = interfaces_for(IpAddr::V4(Ipv4Addr::LOCALHOST));
        assert!(matches!(
            v4[..],
            [(false, IfKind::All), (true, IfKind::LoopbackV4)]
        ));
        let v6 = interfaces_for(IpAddr::V6(Ipv6Addr::LOCALHOST));
        assert!(matches!(
            v6[..],
            [(false, IfKind::All), (true, IfKind::LoopbackV6)]
        ));
        let any = interfaces_for(IpAddr::V4(Ipv4Addr::UNSPECIFIED));
        assert!(matches!(any[..], [(false, IfKind::IPv6)]));
        let one: IpAddr = "192.0.2.7".parse().unwrap();
        assert!(matches!(
            interfaces_for(one)[..],
            [(false, IfKind::All), (true, IfKind::Addr(ip))] if ip == one
        ));
    }
}
