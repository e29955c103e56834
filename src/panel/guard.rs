//! Who may use the panel and the API. The panel drives hardware on someone's body, and a browser
//! will send requests to `127.0.0.1` on behalf of any web site the user visits, so every request
//! passes these checks before a route sees it:
//!
//! 1. **Host** (DNS rebinding): the `Host` header must name the address listened on — a loopback
//!    address or `localhost` when listening on loopback, the address itself (or, listening on
//!    every interface, any IP address) otherwise. A page whose domain was re-pointed at
//!    127.0.0.1 sends its own name and is refused.
//! 2. **Origin**: a request carrying an `Origin` is accepted only from the panel itself (same
//!    origin) or an origin the WebSocket server would accept (`--allowed-origin`; without it,
//!    pages served from this machine).
//! 3. **Sec-Fetch-Site**: requests a browser marks `cross-site` or `same-site` (an `<img>`, a
//!    form or a script of another page; they may carry no `Origin`) are refused, unless their
//!    Origin is one the user listed with `--allowed-origin` (a link on another site may still
//!    open the page itself: a GET of static files). CORS preflights are answered only for
//!    listed origins.
//! 4. **Token**: when the panel has a token (always beyond loopback; `--panel-token` on
//!    loopback too) every API request carries it in `Authorization: Bearer …` or
//!    `X-Teleplug-Token`, never in a cookie. The static page itself (no data, drives nothing) is
//!    served without it; the page asks for the token.
//!
//! Refusals are 4xx JSON errors. The page is also not to be framed by another site.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use crate::net::OriginPolicy;

/// The header the page sends the token in (`Authorization: Bearer` works too).
pub const TOKEN_HEADER: &str = "x-teleplug-token";

/// The checks' settings.
#[derive(Clone, Debug)]
pub struct Guard {
    /// The address listened on.
    pub bound: IpAddr,
    /// The secret every API request must carry, if any.
    pub token: Option<String>,
    /// `--allowed-origin` as given (empty: pages served from this machine).
    pub allowed_origins: Vec<String>,
}

/// What the checks decided for an accepted request.
#[derive(Debug, PartialEq, Eq)]
pub struct Accepted {
    /// A listed cross-origin page: answer with CORS headers for it.
    pub cors_origin: Option<String>,
}

fn header_str(headers: &HeaderMap, name: impl header::AsHeaderName) -> Option<&str> {
    headers.get(name).and_then(|v| v.to_str().ok())
}

/// The host name of a `Host` header (without port; IPv6 without brackets).
fn host_name(host: &str) -> Option<&str> {
    let host = host.trim();
    if let Some(v6) = host.strip_prefix('[') {
        let (name, tail) = v6.split_once(']')?;
        return (tail.is_empty() || tail.starts_with(':')).then_some(name);
    }
    match host.rsplit_once(':') {
        Some((name, port)) if port.chars().all(|c| c.is_ascii_digit()) => Some(name),
        Some(_) => None,
        None => Some(host),
    }
}

/// Constant-time comparison of two secrets (the time taken does not tell how much matched).
fn same_secret(a: &str, b: &str) -> bool {
    use sha2::{Digest, Sha256};
    let (x, y) = (Sha256::digest(a.as_bytes()), Sha256::digest(b.as_bytes()));
    x.iter()
        .zip(y.iter())
        .fold(0u8, |acc, (p, q)| acc | (p ^ q))
        == 0
}

impl Guard {
    fn policy(&self) -> OriginPolicy {
        OriginPolicy::new(self.allowed_origins.clone())
    }

    /// Whether `Host` names this server (see the module's rule 1).
    pub fn host_allowed(&self, host: &str) -> bool {
        let Some(name) = host_name(host) else {
            return false;
        };
        let name = name.to_ascii_lowercase();
        let ip: Option<IpAddr> = name.parse().ok();
        if self.bound.is_unspecified() {
            return name == "localhost" || ip.is_some();
        }
        if self.bound.is_loopback() {
            return name == "localhost" || ip.is_some_and(|ip| ip.is_loopback());
        }
        ip == Some(self.bound)
    }

    /// Whether the origin is one the user listed with `--allowed-origin`.
    fn listed(&self, origin: &str) -> bool {
        !self.allowed_origins.is_empty() && self.policy().allows(Some(origin))
    }

    /// Run the checks of the module's rules 1–3 (rule 4, the token, is [`Guard::token_ok`]).
    /// Opening the page from a link on another site is allowed: a GET of the static page
    /// changes nothing and the page cannot be framed.
    pub fn check(
        &self,
        method: &Method,
        path: &str,
        headers: &HeaderMap,
    ) -> Result<Accepted, ApiError> {
        let host = header_str(headers, header::HOST)
            .ok_or_else(|| ApiError::bad_request("a Host header is required"))?;
        if !self.host_allowed(host) {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "host_refused",
                format!(
                    "Host {host:?} does not name this server (open the panel by its address, \
                     e.g. http://127.0.0.1:PORT/)"
                ),
            ));
        }
        let origin = header_str(headers, header::ORIGIN);
        let same_origin = origin.is_some_and(|o| {
            let o = o.trim_end_matches('/').to_ascii_lowercase();
            let h = host.to_ascii_lowercase();
            o == format!("http://{h}") || o == format!("https://{h}")
        });
        let listed = origin.is_some_and(|o| self.listed(o));
        if let Some(o) = origin {
            if !same_origin && !self.policy().allows(Some(o)) {
                return Err(ApiError::new(
                    StatusCode::FORBIDDEN,
                    "origin_refused",
                    format!("requests from the web page {o:?} are not allowed (--allowed-origin)"),
                ));
            }
        }
        let site = header_str(headers, "sec-fetch-site").map(str::to_ascii_lowercase);
        let page_view = method == Method::GET && is_page(path);
        if matches!(site.as_deref(), Some("cross-site" | "same-site")) && !listed && !page_view {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "cross_site_refused",
                "requests sent by another web site are not allowed",
            ));
        }
        if method == Method::OPTIONS && !listed {
            return Err(ApiError::new(
                StatusCode::FORBIDDEN,
                "preflight_refused",
                "cross-origin requests are allowed only from origins given with --allowed-origin",
            ));
        }
        Ok(Accepted {
            cors_origin: (listed && !same_origin).then(|| origin.unwrap_or_default().to_owned()),
        })
    }

    /// Whether the request carries the token, when one is required.
    pub fn token_ok(&self, headers: &HeaderMap) -> bool {
        let Some(token) = &self.token else {
            return true;
        };
        let given = header_str(headers, TOKEN_HEADER).or_else(|| {
            header_str(headers, header::AUTHORIZATION).and_then(|a| {
                a.strip_prefix("Bearer ")
                    .or_else(|| a.strip_prefix("bearer "))
            })
        });
        given.is_some_and(|g| same_secret(g.trim(), token))
    }
}

/// Whether a path is the static page (served without the token).
fn is_page(path: &str) -> bool {
    !path.starts_with("/api/")
}

/// The middleware applying the checks to every request.
pub async fn middleware(State(guard): State<Arc<Guard>>, req: Request, next: Next) -> Response {
    let accepted = match guard.check(req.method(), req.uri().path(), req.headers()) {
        Ok(a) => a,
        Err(e) => return e.into_response(),
    };
    let cors = accepted.cors_origin;
    if req.method() == Method::OPTIONS {
        let mut r = StatusCode::NO_CONTENT.into_response();
        add_cors(r.headers_mut(), cors.as_deref(), true);
        return r;
    }
    if !is_page(req.uri().path()) && !guard.token_ok(req.headers()) {
        let mut r = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "token_required",
            "this server needs its panel token: send it in the X-Teleplug-Token header (or \
             Authorization: Bearer)",
        )
        .into_response();
        add_cors(r.headers_mut(), cors.as_deref(), false);
        return r;
    }
    let mut r = next.run(req).await;
    let h = r.headers_mut();
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    add_cors(h, cors.as_deref(), false);
    r
}

fn add_cors(h: &mut HeaderMap, origin: Option<&str>, preflight: bool) {
    let Some(origin) = origin.and_then(|o| HeaderValue::from_str(o).ok()) else {
        return;
    };
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    if preflight {
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET, PUT, POST, DELETE"),
        );
        h.insert(
            header::ACCESS_CONTROL_ALLOW_HEADERS,
            HeaderValue::from_static("content-type, authorization, x-teleplug-token"),
        );
        h.insert(
            header::ACCESS_CONTROL_MAX_AGE,
            HeaderValue::from_static("600"),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn guard(bound: &str, token: Option<&str>, origins: &[&str]) -> Guard {
        Guard {
            bound: bound.parse().unwrap(),
            token: token.map(str::to_owned),
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, v.parse().unwrap());
        }
        h
    }

    fn code(g: &Guard, m: Method, pairs: &[(&'static str, &str)]) -> Option<&'static str> {
        g.check(&m, "/api/v1/devices", &headers(pairs))
            .err()
            .map(|e| e.code)
    }

    #[test]
    fn loopback_accepts_loopback_hosts_only() {
        let g = guard("127.0.0.1", None, &[]);
        for ok in [
            "127.0.0.1:12346",
            "localhost:12346",
            "LOCALHOST",
            "[::1]:80",
            "127.0.0.1",
        ] {
            assert!(g.host_allowed(ok), "{ok}");
        }
        for bad in [
            "evil.example:12346",
            "192.168.1.2:12346",
            "localhost.evil",
            "[::1",
            "",
        ] {
            assert!(!g.host_allowed(bad), "{bad}");
        }
        assert_eq!(
            code(&g, Method::GET, &[("host", "rebind.evil.example:12346")]),
            Some("host_refused")
        );
        assert_eq!(
            code(&g, Method::GET, &[]),
            Some("bad_request"),
            "no Host at all"
        );
    }

    #[test]
    fn a_specific_address_accepts_only_itself_and_all_interfaces_any_ip() {
        let g = guard("192.168.1.5", Some("t"), &[]);
        assert!(g.host_allowed("192.168.1.5:12346"));
        assert!(!g.host_allowed("192.168.1.6:12346"));
        assert!(!g.host_allowed("panel.evil.example"));
        let all = guard("0.0.0.0", Some("t"), &[]);
        assert!(all.host_allowed("10.0.0.7:1"));
        assert!(all.host_allowed("localhost"));
        assert!(!all.host_allowed("evil.example"));
    }

    #[test]
    fn other_pages_are_refused_and_the_panel_itself_is_not() {
        let g = guard("127.0.0.1", None, &[]);
        let host = ("host", "127.0.0.1:9");
        assert_eq!(
            code(&g, Method::PUT, &[host, ("origin", "https://evil.example")]),
            Some("origin_refused")
        );
        assert_eq!(
            code(&g, Method::GET, &[host, ("sec-fetch-site", "cross-site")]),
            Some("cross_site_refused"),
            "an <img> of another site carries no Origin"
        );
        assert_eq!(
            code(
                &g,
                Method::POST,
                &[
                    host,
                    ("origin", "http://localhost:3000"),
                    ("sec-fetch-site", "same-site")
                ]
            ),
            Some("cross_site_refused"),
            "another local page is same-site, not the panel"
        );
        assert_eq!(
            code(
                &g,
                Method::OPTIONS,
                &[host, ("origin", "http://localhost:3000")]
            ),
            Some("preflight_refused")
        );
        assert_eq!(
            code(
                &g,
                Method::POST,
                &[
                    host,
                    ("origin", "http://127.0.0.1:9"),
                    ("sec-fetch-site", "same-origin")
                ]
            ),
            None
        );
        assert_eq!(code(&g, Method::GET, &[host]), None, "curl");
    }

    #[test]
    fn a_link_on_another_site_may_open_the_page_but_not_call_the_api() {
        let g = guard("127.0.0.1", None, &[]);
        let h = headers(&[("host", "127.0.0.1:9"), ("sec-fetch-site", "cross-site")]);
        assert!(g.check(&Method::GET, "/", &h).is_ok());
        assert!(g.check(&Method::GET, "/panel.js", &h).is_ok());
        assert!(g.check(&Method::GET, "/api/v1/start-scanning", &h).is_err());
        assert!(g.check(&Method::POST, "/", &h).is_err());
    }

    #[test]
    fn a_listed_origin_may_call_across_sites_with_cors() {
        let g = guard("127.0.0.1", None, &["https://app.example"]);
        let h = &[
            ("host", "127.0.0.1:9"),
            ("origin", "https://app.example"),
            ("sec-fetch-site", "cross-site"),
        ];
        let a = g.check(&Method::OPTIONS, "/api/stop", &headers(h)).unwrap();
        assert_eq!(a.cors_origin.as_deref(), Some("https://app.example"));
        assert_eq!(
            code(
                &g,
                Method::PUT,
                &[("host", "127.0.0.1:9"), ("origin", "https://other.example")]
            ),
            Some("origin_refused")
        );
    }

    #[test]
    fn the_token_is_read_from_a_header_only() {
        let g = guard("127.0.0.1", Some("s3cret"), &[]);
        assert!(g.token_ok(&headers(&[("x-teleplug-token", "s3cret")])));
        assert!(g.token_ok(&headers(&[("authorization", "Bearer s3cret")])));
        assert!(!g.token_ok(&headers(&[("x-teleplug-token", "s3cre")])));
        assert!(!g.token_ok(&headers(&[("cookie", "x-teleplug-token=s3cret")])));
        assert!(!g.token_ok(&HeaderMap::new()));
        assert!(guard("127.0.0.1", None, &[]).token_ok(&HeaderMap::new()));
    }
}
