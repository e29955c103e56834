//! Which web pages may open a WebSocket to the server. Browsers send an `Origin` header with
//! every WebSocket request and cannot forge it; native apps usually send none. Without the check,
//! any web page the user happens to visit could connect to `ws://127.0.0.1:12345` and drive
//! their devices.
//!
//! Policy: requests without `Origin` are accepted (native clients). With an allow-list, only the
//! listed origins are accepted (`*` accepts every origin, as Intiface does). Without one, only
//! pages served from this machine (`localhost`, `127.0.0.0/8`, `[::1]`) are accepted.

/// The origin policy of a listener.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OriginPolicy {
    /// Allowed origins as given (`https://example.com`, `http://localhost:8080`, or `*`).
    /// Empty: only loopback origins.
    allowed: Vec<String>,
}

/// Lowercase scheme and host, no trailing slash, default ports removed.
fn normalize(origin: &str) -> String {
    let o = origin.trim().trim_end_matches('/').to_ascii_lowercase();
    for (scheme, port) in [("http://", ":80"), ("https://", ":443")] {
        if let Some(rest) = o.strip_prefix(scheme) {
            if let Some(host) = rest.strip_suffix(port) {
                return format!("{scheme}{host}");
            }
        }
    }
    o
}

/// Whether an origin is a page served from this machine.
fn is_loopback(origin: &str) -> bool {
    let o = normalize(origin);
    let Some(rest) = o
        .strip_prefix("http://")
        .or_else(|| o.strip_prefix("https://"))
    else {
        return false;
    };
    let host = if let Some(v6) = rest.strip_prefix('[') {
        match v6.split_once(']') {
            Some((h, tail)) if tail.is_empty() || tail.starts_with(':') => h,
            _ => return false,
        }
    } else {
        rest.split(':').next().unwrap_or("")
    };
    if host == "localhost" || host == "::1" {
        return true;
    }
    match host.parse::<std::net::Ipv4Addr>() {
        Ok(ip) => ip.is_loopback(),
        Err(_) => false,
    }
}

impl OriginPolicy {
    /// A policy accepting these origins (and requests without Origin).
    pub fn new(allowed: impl IntoIterator<Item = impl Into<String>>) -> OriginPolicy {
        OriginPolicy {
            allowed: allowed.into_iter().map(Into::into).collect(),
        }
    }

    /// A policy accepting every origin.
    pub fn any() -> OriginPolicy {
        OriginPolicy::new(["*"])
    }

    /// Whether a request with this `Origin` header (None = no header) may connect.
    pub fn allows(&self, origin: Option<&str>) -> bool {
        let Some(origin) = origin else {
            return true;
        };
        if self.allowed.is_empty() {
            return is_loopback(origin);
        }
        let o = normalize(origin);
        self.allowed
            .iter()
            .any(|a| a.trim() == "*" || normalize(a) == o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_origin_is_a_native_client() {
        assert!(OriginPolicy::default().allows(None));
        assert!(OriginPolicy::new(["https://a.example"]).allows(None));
    }

    #[test]
    fn default_accepts_only_loopback_pages() {
        let p = OriginPolicy::default();
        assert!(p.allows(Some("http://localhost:3000")));
        assert!(p.allows(Some("http://127.0.0.1")));
        assert!(p.allows(Some("http://127.1.2.3:8080")));
        assert!(p.allows(Some("http://[::1]:8080")));
        assert!(!p.allows(Some("https://evil.example")));
        assert!(!p.allows(Some("http://localhost.evil.example")));
        assert!(!p.allows(Some("null")));
        assert!(!p.allows(Some("file://")));
    }

    #[test]
    fn allow_list_is_exact_up_to_case_and_default_port() {
        let p = OriginPolicy::new(["https://App.Example/", "http://localhost:8080"]);
        assert!(p.allows(Some("https://app.example")));
        assert!(p.allows(Some("https://app.example:443")));
        assert!(p.allows(Some("http://localhost:8080")));
        assert!(!p.allows(Some("http://app.example")));
        assert!(!p.allows(Some("https://app.example.evil")));
        assert!(!p.allows(Some("http://localhost:3000")));
    }

    #[test]
    fn star_accepts_everything() {
        assert!(OriginPolicy::any().allows(Some("https://anything.example")));
    }
}
