//! A raw HTTP/1.1 client for the panel tests: any method, path and headers (including a wrong
//! Host or a browser's Origin and Sec-Fetch-Site), one request per connection; and a reader of
//! server-sent events. Every wait is bounded by [`super::ws::WAIT`].

use std::net::SocketAddr;

use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use super::ws::WAIT;

/// An answer: status, headers (lowercase names) and body.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: String,
}

impl Answer {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }

    /// The body as JSON (panics naming the body if it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {:?}", self.body))
    }
}

fn request_text(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> String {
    let mut text = format!("{method} {path} HTTP/1.1\r\n");
    if !headers.iter().any(|(n, _)| n.eq_ignore_ascii_case("host")) {
        text.push_str(&format!("Host: {addr}\r\n"));
    }
    for (n, v) in headers {
        text.push_str(&format!("{n}: {v}\r\n"));
    }
    if let Some(b) = body {
        text.push_str(&format!("Content-Length: {}\r\n", b.len()));
    }
    text.push_str("Connection: close\r\n\r\n");
    if let Some(b) = body {
        text.push_str(b);
    }
    text
}

/// Send one request and read the whole answer.
pub async fn request(
    addr: SocketAddr,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&str>,
) -> Answer {
    let text = request_text(addr, method, path, headers, body);
    tokio::time::timeout(WAIT, async {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(text.as_bytes()).await.expect("write");
        let mut raw = Vec::new();
        s.read_to_end(&mut raw).await.expect("read");
        parse(&String::from_utf8_lossy(&raw))
    })
    .await
    .unwrap_or_else(|_| panic!("no answer to {method} {path}"))
}

/// A JSON request with a JSON content type.
pub async fn send_json(addr: SocketAddr, method: &str, path: &str, body: &str) -> Answer {
    request(
        addr,
        method,
        path,
        &[("Content-Type", "application/json")],
        Some(body),
    )
    .await
}

fn parse(raw: &str) -> Answer {
    let (head, body) = raw.split_once("\r\n\r\n").unwrap_or((raw, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no status line in {raw:?}"));
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.trim().to_ascii_lowercase(), v.trim().to_string()))
        .collect();
    let chunked = headers
        .iter()
        .any(|(n, v)| n == "transfer-encoding" && v.contains("chunked"));
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_string()
    };
    Answer {
        status,
        headers,
        body,
    }
}

fn dechunk(mut s: &str) -> String {
    let mut out = String::new();
    while let Some((size, rest)) = s.split_once("\r\n") {
        let Ok(n) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if n == 0 || rest.len() < n {
            break;
        }
        out.push_str(&rest[..n]);
        s = rest[n..].trim_start_matches("\r\n");
    }
    out
}

/// An open server-sent event stream.
pub struct Events {
    stream: TcpStream,
    buf: String,
    pub status: u16,
}

impl Events {
    /// Open `path` as an event stream (status in [`Events::status`]).
    pub async fn open(addr: SocketAddr, path: &str, headers: &[(&str, &str)]) -> Events {
        let text = request_text(addr, "GET", path, headers, None);
        let mut stream = TcpStream::connect(addr).await.expect("connect");
        stream.write_all(text.as_bytes()).await.expect("write");
        let mut ev = Events {
            stream,
            buf: String::new(),
            status: 0,
        };
        let head = ev.read_until("\r\n\r\n").await;
        ev.status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .expect("status");
        ev
    }

    async fn read_until(&mut self, end: &str) -> String {
        tokio::time::timeout(WAIT, async {
            loop {
                if let Some(i) = self.buf.find(end) {
                    let out = self.buf[..i].to_string();
                    self.buf.drain(..i + end.len());
                    return out;
                }
                let mut chunk = [0u8; 4096];
                let n = self.stream.read(&mut chunk).await.expect("read");
                assert!(n > 0, "the event stream ended");
                self.buf.push_str(&String::from_utf8_lossy(&chunk[..n]));
            }
        })
        .await
        .expect("no event in time")
    }

    /// The next event (name, data), skipping keep-alive comments. Chunk framing lines are
    /// skipped too (they hold only hex digits).
    pub async fn next(&mut self) -> (String, String) {
        loop {
            let block = self.read_until("\n\n").await;
            let mut name = String::from("message");
            let mut data = Vec::new();
            for line in block.lines() {
                if let Some(n) = line.strip_prefix("event:") {
                    name = n.trim().to_string();
                } else if let Some(d) = line.strip_prefix("data:") {
                    data.push(d.strip_prefix(' ').unwrap_or(d).to_string());
                }
            }
            if !data.is_empty() {
                return (name, data.join("\n"));
            }
        }
    }

    /// The next event named `name` (others skipped), its data as JSON.
    pub async fn next_named(&mut self, name: &str) -> Value {
        loop {
            let (n, d) = self.next().await;
            if n == name {
                return serde_json::from_str(&d).unwrap_or(Value::String(d));
            }
        }
    }
}
