//! Who may use the control panel and its API (src/panel/guard.rs), over real sockets: a web
//! site the user visits cannot act through the user's browser (foreign Origin, cross-site or
//! same-site fetches, CORS preflights), a DNS-rebinding Host is refused, and with a token every
//! API request needs it in a header (not a cookie, not the URL). Refusals are 4xx JSON and drive
//! nothing.

mod support;

use serde_json::json;
use support::http::{Events, request};
use teleplug::panel::{self, PanelOptions};
use teleplug::server::{Server, ServerOptions, Transports};

async fn panel_with(
    token: Option<&str>,
    origins: &[&str],
) -> (Server, teleplug::panel::PanelHandle, std::net::SocketAddr) {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let bound = panel::bind(
        &server,
        PanelOptions {
            address: "127.0.0.1:0".parse().unwrap(),
            token: token.map(str::to_owned),
            allowed_origins: origins.iter().map(|s| s.to_string()).collect(),
            log: None,
            settings: json!({}),
        },
    )
    .await
    .expect("bind");
    let addr = bound.local_addr();
    (server, bound.spawn(), addr)
}

fn code(a: &support::http::Answer) -> String {
    a.json()["code"].as_str().unwrap_or_default().to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn other_sites_and_rebound_names_are_refused_on_loopback() {
    let (_server, panel, addr) = panel_with(None, &[]).await;
    let own = format!("http://{addr}");
    // Engine 5 scripts send no credentials: on loopback they work.
    let ok = request(addr, "PUT", "/api/v1/devices/stop", &[], None).await;
    assert_eq!(ok.status, 200, "{}", ok.body);
    // The panel's own page: same origin.
    let ok = request(
        addr,
        "POST",
        "/api/stop",
        &[("Origin", &own), ("Sec-Fetch-Site", "same-origin")],
        None,
    )
    .await;
    assert_eq!(ok.status, 200, "{}", ok.body);

    let refused = [
        (
            request(
                addr,
                "GET",
                "/api/v1/devices",
                &[("Host", "rebind.evil.example:12346")],
                None,
            )
            .await,
            "host_refused",
        ),
        (
            request(addr, "GET", "/", &[("Host", "rebind.evil.example")], None).await,
            "host_refused",
        ),
        (
            request(
                addr,
                "PUT",
                "/api/v1/devices/stop",
                &[("Origin", "https://evil.example")],
                None,
            )
            .await,
            "origin_refused",
        ),
        // Engine's state-changing GET, as an <img> on another site (no Origin header).
        (
            request(
                addr,
                "GET",
                "/api/v1/start-scanning",
                &[("Sec-Fetch-Site", "cross-site")],
                None,
            )
            .await,
            "cross_site_refused",
        ),
        (
            request(
                addr,
                "POST",
                "/api/stop",
                &[
                    ("Origin", "http://localhost:3000"),
                    ("Sec-Fetch-Site", "same-site"),
                ],
                None,
            )
            .await,
            "cross_site_refused",
        ),
        (
            request(
                addr,
                "OPTIONS",
                "/api/devices/0/features/0/output",
                &[
                    ("Origin", "https://evil.example"),
                    ("Access-Control-Request-Method", "POST"),
                ],
                None,
            )
            .await,
            "origin_refused",
        ),
        (
            request(
                addr,
                "OPTIONS",
                "/api/stop",
                &[
                    ("Origin", "http://localhost:3000"),
                    ("Access-Control-Request-Method", "POST"),
                ],
                None,
            )
            .await,
            "preflight_refused",
        ),
    ];
    for (answer, expected) in refused {
        assert_eq!(answer.status, 403, "{answer:?}");
        assert_eq!(code(&answer), expected, "{answer:?}");
        assert_eq!(answer.header("access-control-allow-origin"), None);
    }
    panel.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_listed_origin_gets_cors_answers() {
    let (_server, panel, addr) = panel_with(None, &["https://app.example"]).await;
    let pre = request(
        addr,
        "OPTIONS",
        "/api/stop",
        &[
            ("Origin", "https://app.example"),
            ("Access-Control-Request-Method", "POST"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        None,
    )
    .await;
    assert_eq!(pre.status, 204);
    assert_eq!(
        pre.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    let a = request(
        addr,
        "GET",
        "/api/devices",
        &[
            ("Origin", "https://app.example"),
            ("Sec-Fetch-Site", "cross-site"),
        ],
        None,
    )
    .await;
    assert_eq!(a.status, 200);
    assert_eq!(
        a.header("access-control-allow-origin"),
        Some("https://app.example")
    );
    panel.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_a_token_every_api_request_needs_it_in_a_header() {
    let (_server, panel, addr) = panel_with(Some("s3cret-token"), &[]).await;
    for (headers, status) in [
        (vec![], 401),
        (vec![("X-Teleplug-Token", "wrong")], 401),
        (
            vec![(
                "Cookie",
                "X-Teleplug-Token=s3cret-token; token=s3cret-token",
            )],
            401,
        ),
        (vec![("X-Teleplug-Token", "s3cret-token")], 200),
        (vec![("Authorization", "Bearer s3cret-token")], 200),
    ] {
        let a = request(addr, "GET", "/api/v1/devices", &headers, None).await;
        assert_eq!(a.status, status, "{headers:?}: {}", a.body);
        if status == 401 {
            assert_eq!(code(&a), "token_required");
        }
    }
    let in_url = request(addr, "GET", "/api/devices?token=s3cret-token", &[], None).await;
    assert_eq!(in_url.status, 401, "not in the URL");
    let stop = request(addr, "POST", "/api/stop", &[], None).await;
    assert_eq!(stop.status, 401, "not even STOP without it");
    let events = Events::open(addr, "/api/events", &[]).await;
    assert_eq!(events.status, 401, "nor the event stream");
    let events = Events::open(addr, "/api/events", &[("X-Teleplug-Token", "s3cret-token")]).await;
    assert_eq!(events.status, 200);
    // The page (no data, drives nothing) loads without it, and may not be framed.
    let page = request(addr, "GET", "/", &[], None).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("STOP ALL"));
    assert!(
        page.header("content-security-policy")
            .is_some_and(|c| c.contains("frame-ancestors 'none'")),
        "{:?}",
        page.headers
    );
    assert_eq!(page.header("x-frame-options"), Some("DENY"));
    assert_eq!(page.header("set-cookie"), None);
    panel.shutdown(std::time::Duration::from_secs(1)).await;
}

#[tokio::test]
async fn beyond_loopback_a_token_is_required_to_start() {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let e = panel::bind(
        &server,
        PanelOptions {
            address: "0.0.0.0:0".parse().unwrap(),
            token: None,
            allowed_origins: Vec::new(),
            log: None,
            settings: json!({}),
        },
    )
    .await
    .err()
    .expect("refused");
    assert!(e.to_string().contains("token"), "{e}");
    let token = panel::new_token().unwrap();
    assert_eq!(token.len(), 48);
    assert_ne!(token, panel::new_token().unwrap());
}

/// Reads until the server closes the connection; the bytes read.
async fn read_to_close(stream: &mut tokio::net::TcpStream) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut all = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        match stream.read(&mut chunk).await {
            Ok(0) | Err(_) => return all,
            Ok(n) => all.extend_from_slice(&chunk[..n]),
        }
    }
}

/// Half a request line holds no connection open: it is closed once [`panel::HEAD_TIMEOUT`]
/// has passed (paused clock), while a head sent in pieces within the time is answered and an
/// event stream, once its request is read, stays open past it.
#[tokio::test(start_paused = true)]
async fn a_connection_without_a_complete_request_head_is_closed_in_time() {
    use tokio::io::AsyncWriteExt;
    use tokio::time::{Instant, timeout};
    let (server, panel, addr) = panel_with(None, &[]).await;
    let limit = panel::HEAD_TIMEOUT;

    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /api/ser").await.unwrap();
    let t0 = Instant::now();
    let got = timeout(limit * 3, read_to_close(&mut slow))
        .await
        .expect("the connection was not closed");
    let waited = t0.elapsed();
    assert!(got.is_empty(), "{}", String::from_utf8_lossy(&got));
    assert!(
        waited >= limit && waited < limit * 2,
        "closed after {waited:?}"
    );

    // A head in two pieces, the second one just before the limit: answered.
    let mut pieces = tokio::net::TcpStream::connect(addr).await.unwrap();
    pieces.write_all(b"GET /api/server HT").await.unwrap();
    tokio::time::sleep(limit - std::time::Duration::from_millis(100)).await;
    let rest = format!("TP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    pieces.write_all(rest.as_bytes()).await.unwrap();
    let answer = timeout(limit, read_to_close(&mut pieces)).await.unwrap();
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    // An event stream outlives the limit many times over.
    let mut events = Events::open(addr, "/api/events", &[]).await;
    events.next_named("state").await;
    tokio::time::sleep(limit * 5).await;
    server
        .stop_all_devices(std::time::Duration::from_secs(1))
        .await;
    assert_eq!(events.next_named("stopped").await, json!({}));
    panel.shutdown(std::time::Duration::from_secs(1)).await;
}
