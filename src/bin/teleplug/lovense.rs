//! `serve --lovense-api`: the flags of the Lovense local API (the library's `lovense_api`) and
//! the options they make.

use std::collections::BTreeMap;
use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use clap::Args;
use teleplug::lovense_api::{DEFAULT_PORT, DEFAULT_TLS_PORT, LovenseApiOptions, TlsOptions};

use crate::Failure;

#[derive(Args, Debug, Clone)]
pub struct LovenseArgs {
    /// Answer the Lovense app's local API (Lovense Remote "Game Mode", Lovense Connect) so games
    /// that drive only Lovense toys drive every device; the server then scans at start. See the
    /// README, "Games that speak Lovense".
    #[arg(long)]
    pub lovense_api: bool,
    /// Port of the Lovense local API (Lovense Remote PC's game-mode port by default; on the
    /// address of the client port: loopback unless --listen-all or --address).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_PORT, requires = "lovense_api")]
    pub lovense_api_port: u16,
    /// Stop every device when a game sent nothing for this long while a toy runs without end
    /// (`timeSec` 0), in seconds; 0 = never.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 60,
        requires = "lovense_api"
    )]
    pub lovense_api_watchdog: u64,
    /// The Lovense model a device is shown as (repeatable): KEY=MODEL, KEY a toy id, device
    /// address, device name or display name, MODEL a lowercase Lovense name (lush, nora, max,
    /// edge, gravity, solace pro …). Without it a model matching the device's outputs is chosen;
    /// Lovense devices keep their own.
    #[arg(
        long = "lovense-api-name",
        value_name = "KEY=MODEL",
        requires = "lovense_api"
    )]
    pub lovense_api_names: Vec<String>,
    /// Also serve the API over HTTPS, with a self-signed certificate kept in DIR
    /// (lovense-api-cert.pem, lovense-api-key.pem; made at first start). Only clients that skip
    /// certificate checks, or whose user trusts that certificate, accept it (README).
    #[arg(long, value_name = "DIR", requires = "lovense_api")]
    pub lovense_api_tls: Option<PathBuf>,
    /// Port of the HTTPS listener (the Lovense apps' 30010 by default).
    #[arg(long, value_name = "PORT", default_value_t = DEFAULT_TLS_PORT, requires = "lovense_api_tls")]
    pub lovense_api_tls_port: u16,
}

impl LovenseArgs {
    /// The API's options on `host`, when the API is asked for.
    pub fn options(&self, host: IpAddr) -> Result<Option<LovenseApiOptions>, Failure> {
        if !self.lovense_api {
            return Ok(None);
        }
        let mut names = BTreeMap::new();
        for pair in &self.lovense_api_names {
            match pair.split_once('=') {
                Some((k, v)) if !k.trim().is_empty() && !v.trim().is_empty() => {
                    names.insert(k.trim().to_string(), v.trim().to_lowercase());
                }
                _ => {
                    return Err(Failure::Usage(format!(
                        "--lovense-api-name {pair:?}: give KEY=MODEL, e.g. \"My Vibe=lush\""
                    )));
                }
            }
        }
        Ok(Some(LovenseApiOptions {
            address: SocketAddr::new(host, self.lovense_api_port),
            watchdog: Duration::from_secs(self.lovense_api_watchdog),
            scan: true,
            names,
            tls: self.lovense_api_tls.as_ref().map(|dir| TlsOptions {
                address: SocketAddr::new(host, self.lovense_api_tls_port),
                dir: dir.clone(),
            }),
        }))
    }
}
