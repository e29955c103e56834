//! Lovense Connect (`--use-lovense-connect`): toys connected to the vendor's Lovense Connect
//! app, driven over its HTTP API on the local network, as the reference's manager does
//! (docs/protocols/lovense-dongle-and-connect.md, "Lovense Connect").
//!
//! - Hosts: the ones given (`--lovense-connect-host http://192.168.1.5:20010`), else those the
//!   cloud discovery endpoint ([`DISCOVERY_URL`], or another base given for tests) names; a
//!   discovered host that stops answering is forgotten (discovery runs again), a given one is
//!   kept.
//! - A scan asks every host `GET {host}/GetToys` now and every [`RESCAN_PERIOD`] until
//!   StopScanning (it never finishes on its own, like the reference's); each connected toy not
//!   in use is offered as an [`AdvertisementKind::LovenseConnect`] advertisement (name = the
//!   app's toy name, which picks the `lovense-connect-service` definition; address = the toy
//!   id).
//! - A connected toy (`toy`) polls GetToys every second; its writes are GETs; its battery
//!   comes from the poll.
//!
//! Off unless asked for: see the README's transport table.

mod http;
mod replies;
mod toy;

use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::task::JoinHandle;
use tracing::{debug, info, warn};

use super::{
    Advertisement, AdvertisementKind, DeviceCandidate, HardwareError, HardwareManager,
    ManagerEvent, ManagerEventSender,
};
pub use http::REQUEST_TIMEOUT;
pub use toy::POLL_PERIOD;

/// The manager's name in logs, errors and scanning bookkeeping.
pub const NAME: &str = "lovense-connect";
/// The cloud endpoint that names the Lovense Connect apps of the network (the reference's).
pub const DISCOVERY_URL: &str = "https://api.lovense.com/api/lan/getToys";
/// How often a scan asks the hosts again (the reference's 10 s).
pub const RESCAN_PERIOD: Duration = Duration::from_secs(10);

/// Where to find the apps.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LovenseConnectOptions {
    /// Apps given directly (`http://192.168.1.5:20010`): no discovery call is made.
    pub hosts: Vec<String>,
    /// The discovery endpoint instead of [`DISCOVERY_URL`] (tests point it at a local fixture).
    pub discovery_url: Option<String>,
}

/// Checks a host given by a user: `http://` or `https://`, a host, no path; the trailing `/`
/// is dropped. The error says what is wrong.
pub fn parse_host(host: &str) -> Result<String, String> {
    let trimmed = host.trim_end_matches('/');
    let rest = trimmed
        .strip_prefix("http://")
        .or_else(|| trimmed.strip_prefix("https://"))
        .ok_or_else(|| {
            format!("{host}: give it as http://IP:PORT (e.g. http://192.168.1.5:20010)")
        })?;
    if rest.is_empty() || rest.contains('/') {
        return Err(format!("{host}: give it as http://IP:PORT, without a path"));
    }
    trimmed
        .parse::<hyper::Uri>()
        .map_err(|e| format!("{host}: {e}"))?;
    Ok(trimmed.to_string())
}

/// The Lovense Connect manager.
pub struct LovenseConnectManager {
    inner: Arc<Inner>,
}

struct Inner {
    events: ManagerEventSender,
    options: LovenseConnectOptions,
    client: Option<http::HttpClient>,
    /// Hosts found by discovery (given hosts are always asked).
    discovered: Mutex<BTreeSet<String>>,
    /// Toy ids connecting or connected.
    in_use: Arc<Mutex<HashSet<String>>>,
    scan: Mutex<Option<JoinHandle<()>>>,
}

impl LovenseConnectManager {
    pub fn new(events: ManagerEventSender, options: LovenseConnectOptions) -> Self {
        let client = http::HttpClient::new()
            .inspect_err(|e| warn!("Lovense Connect unavailable: {e}"))
            .ok();
        LovenseConnectManager {
            inner: Arc::new(Inner {
                events,
                options,
                client,
                discovered: Mutex::new(BTreeSet::new()),
                in_use: Arc::new(Mutex::new(HashSet::new())),
                scan: Mutex::new(None),
            }),
        }
    }
}

impl Inner {
    /// The hosts to ask: the given ones, else the discovered ones (discovering if none).
    async fn hosts(&self, client: &http::HttpClient) -> Vec<String> {
        if !self.options.hosts.is_empty() {
            return self.options.hosts.clone();
        }
        if self.discovered.lock().is_empty() {
            let url = self
                .options
                .discovery_url
                .as_deref()
                .unwrap_or(DISCOVERY_URL);
            match client.get(url).await.and_then(|b| replies::hosts(&b)) {
                Ok(hosts) => {
                    if !hosts.is_empty() {
                        info!(?hosts, "Lovense Connect apps found");
                    }
                    self.discovered.lock().extend(hosts);
                }
                Err(e) => debug!("Lovense Connect discovery: {e}"),
            }
        }
        self.discovered.lock().iter().cloned().collect()
    }

    /// One pass: every host's connected toys not in use are offered.
    async fn scan_once(&self, client: &http::HttpClient) {
        for host in self.hosts(client).await {
            let toys = client
                .get(&format!("{host}/GetToys"))
                .await
                .and_then(|b| replies::toys(&b));
            let toys = match toys {
                Ok(t) => t,
                Err(e) => {
                    debug!("Lovense Connect: {e}");
                    // A discovered app that no longer answers is forgotten.
                    self.discovered.lock().remove(&host);
                    continue;
                }
            };
            for t in toys.into_iter().filter(|t| t.connected) {
                if !self.in_use.lock().insert(t.id.clone()) {
                    continue;
                }
                let in_use = self.in_use.clone();
                let id = t.id.clone();
                let candidate = DeviceCandidate {
                    advertisement: Advertisement {
                        name: t.name.clone(),
                        address: t.id.clone(),
                        manufacturer_data: Vec::new(),
                        services: Vec::new(),
                        kind: AdvertisementKind::LovenseConnect,
                    },
                    connector: Box::new(toy::ToyConnector {
                        host: host.clone(),
                        id: t.id.clone(),
                        battery: t.battery,
                        client: client.clone(),
                        release: Mutex::new(Some(Box::new(move || {
                            in_use.lock().remove(&id);
                        }))),
                    }),
                };
                debug!(toy = %t.id, name = %t.name, %host, "Lovense Connect toy offered");
                let _ = self.events.send(ManagerEvent::DeviceFound(candidate));
            }
        }
    }
}

#[async_trait]
impl HardwareManager for LovenseConnectManager {
    fn name(&self) -> &'static str {
        NAME
    }

    /// Asks the apps now and every [`RESCAN_PERIOD`] until StopScanning.
    async fn start_scanning(&self) -> Result<(), HardwareError> {
        let Some(client) = self.inner.client.clone() else {
            return Err(HardwareError::Unavailable(
                "Lovense Connect: no HTTP client".into(),
            ));
        };
        let mut scan = self.inner.scan.lock();
        if scan.as_ref().is_some_and(|s| !s.is_finished()) {
            return Ok(());
        }
        let inner = self.inner.clone();
        *scan = Some(tokio::spawn(async move {
            loop {
                inner.scan_once(&client).await;
                tokio::time::sleep(RESCAN_PERIOD).await;
            }
        }));
        Ok(())
    }

    async fn stop_scanning(&self) -> Result<(), HardwareError> {
        if let Some(s) = self.inner.scan.lock().take() {
            s.abort();
        }
        Ok(())
    }
}

impl Drop for LovenseConnectManager {
    fn drop(&mut self) {
        if let Some(s) = self.inner.scan.lock().take() {
            s.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::parse_host;

    #[test]
    fn hosts_are_urls_without_a_path() {
        assert_eq!(
            parse_host("http://192.168.1.5:20010/").as_deref(),
            Ok("http://192.168.1.5:20010")
        );
        assert!(
            parse_host("192.168.1.5:20010")
                .unwrap_err()
                .contains("http://IP:PORT")
        );
        assert!(parse_host("http://192.168.1.5:20010/GetToys").is_err());
        assert!(parse_host("http://").is_err());
        assert!(parse_host("http://bad host:1").is_err());
    }
}
