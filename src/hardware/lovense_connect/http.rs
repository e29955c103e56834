//! The HTTP client of the Lovense Connect transport: one GET, bounded in time and body size,
//! over plain HTTP (the app on the local network) or HTTPS (the cloud discovery endpoint;
//! rustls on ring with the webpki roots).

use std::time::Duration;

use http_body_util::{BodyExt, Empty, Limited};
use hyper::body::Bytes;
use hyper_rustls::HttpsConnector;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;

/// Upper bound for one request, answer included.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(5);
/// Largest answer read (GetToys lists a few toys).
const MAX_BODY: usize = 1 << 20;

/// A GET-only HTTP client (cheap to clone: connections are shared).
#[derive(Clone)]
pub struct HttpClient {
    client: Client<HttpsConnector<HttpConnector>, Empty<Bytes>>,
}

impl HttpClient {
    pub fn new() -> Result<HttpClient, String> {
        // rustls on ring, deprecated since 0.23.48 for lacking post-quantum key exchange; its
        // alternative (aws-lc-rs) needs cmake and more for every target the project builds.
        #[allow(deprecated)]
        let provider = rustls::crypto::ring::default_provider();
        let https = hyper_rustls::HttpsConnectorBuilder::new()
            .with_provider_and_webpki_roots(provider)
            .map_err(|e| format!("TLS set-up: {e}"))?
            .https_or_http()
            .enable_http1()
            .build();
        Ok(HttpClient {
            client: Client::builder(TokioExecutor::new()).build(https),
        })
    }

    /// GETs `url`: the body of a 2xx answer; anything else (bad URL, no answer within
    /// [`REQUEST_TIMEOUT`], another status, a body over 1 MiB) is an error naming the URL.
    pub async fn get(&self, url: &str) -> Result<Vec<u8>, String> {
        let uri: hyper::Uri = url.parse().map_err(|e| format!("{url}: {e}"))?;
        let request = async {
            let answer = self
                .client
                .get(uri)
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            if !answer.status().is_success() {
                return Err(format!("{url}: HTTP {}", answer.status()));
            }
            let body = Limited::new(answer.into_body(), MAX_BODY)
                .collect()
                .await
                .map_err(|e| format!("{url}: {e}"))?;
            Ok(body.to_bytes().to_vec())
        };
        tokio::time::timeout(REQUEST_TIMEOUT, request)
            .await
            .map_err(|_| format!("{url}: no answer within {REQUEST_TIMEOUT:?}"))?
    }
}
