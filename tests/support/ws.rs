//! Raw WebSocket peers for the network tests: a Buttplug client speaking JSON values at any spec
//! version, and the simulator control peer. Every wait is bounded by [`WAIT`].

use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::wire::{body, msg_type};

/// Upper bound of every wait in these tests.
pub const WAIT: Duration = Duration::from_secs(10);

pub type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// Open a WebSocket, optionally with an Origin header.
pub async fn open(
    url: &str,
    origin: Option<&str>,
) -> Result<Ws, tokio_tungstenite::tungstenite::Error> {
    let mut req = url.into_client_request().expect("request");
    if let Some(o) = origin {
        req.headers_mut()
            .insert("Origin", o.parse().expect("header"));
    }
    let (ws, _) = tokio::time::timeout(WAIT, tokio_tungstenite::connect_async(req))
        .await
        .expect("connect timed out")?;
    Ok(ws)
}

/// What ended a stream.
#[derive(Debug)]
pub enum Ending {
    Close(Option<CloseFrame>),
    Eof,
    Error(String),
}

/// The next text frame (skipping pings/pongs), or how the stream ended.
pub async fn next_text(ws: &mut Ws) -> Result<String, Ending> {
    let r = tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Text(t))) => return Ok(t.as_str().to_string()),
                Some(Ok(Message::Close(c))) => return Err(Ending::Close(c)),
                Some(Ok(_)) => continue,
                Some(Err(e)) => return Err(Ending::Error(e.to_string())),
                None => return Err(Ending::Eof),
            }
        }
    })
    .await;
    r.expect("no frame within the time limit")
}

/// Read until the stream ends (the server closed it), returning the Close frame if any.
pub async fn until_closed(ws: &mut Ws) -> Option<CloseFrame> {
    let mut close = None;
    tokio::time::timeout(WAIT, async {
        loop {
            match ws.next().await {
                Some(Ok(Message::Close(c))) => close = c,
                Some(Ok(_)) => {}
                Some(Err(_)) | None => break,
            }
        }
    })
    .await
    .expect("the server did not close the connection");
    close
}

/// Close our side and wait until the server has dropped the connection.
pub async fn close_and_wait(mut ws: Ws) {
    let _ = ws.close(None).await;
    until_closed(&mut ws).await;
}

/// A raw Buttplug client over WebSocket.
pub struct Peer {
    pub ws: Ws,
    next_id: u32,
    /// Id 0 messages received so far.
    pub events: Vec<Value>,
    /// Messages of a frame received but not returned yet.
    unread: std::collections::VecDeque<Value>,
}

impl Peer {
    pub async fn connect(url: &str) -> Peer {
        Peer::from_ws(open(url, None).await.expect("connect"))
    }

    pub fn from_ws(ws: Ws) -> Peer {
        Peer {
            ws,
            next_id: 1,
            events: Vec::new(),
            unread: std::collections::VecDeque::new(),
        }
    }

    pub async fn send_text(&mut self, text: &str) {
        self.ws
            .send(Message::text(text.to_string()))
            .await
            .expect("send");
    }

    /// Next message (replies ready together share a frame).
    pub async fn next_message(&mut self) -> Value {
        while self.unread.is_empty() {
            let text = next_text(&mut self.ws).await.expect("connection ended");
            let v: Value = serde_json::from_str(&text).expect("server frame is JSON");
            let Value::Array(arr) = v else {
                panic!("server frame is an array: {text}");
            };
            assert!(!arr.is_empty(), "server sent an empty frame");
            self.unread.extend(arr);
        }
        self.unread.pop_front().expect("not empty")
    }

    /// Send one message (Id assigned here) and wait for its reply, keeping events.
    pub async fn request(&mut self, name: &str, fields: Value) -> Value {
        let id = self.send_request(name, fields).await;
        self.reply_to(id).await
    }

    /// Send one message without waiting; returns its Id.
    pub async fn send_request(&mut self, name: &str, mut fields: Value) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        fields["Id"] = json!(id);
        self.send_text(&json!([{ name: fields }]).to_string()).await;
        id
    }

    pub async fn reply_to(&mut self, id: u32) -> Value {
        loop {
            let m = self.next_message().await;
            if body(&m)["Id"] == json!(id) {
                return m;
            }
            self.events.push(m);
        }
    }

    /// Wait for an event of this type (already received or coming).
    pub async fn event(&mut self, name: &str) -> Value {
        if let Some(pos) = self.events.iter().position(|e| msg_type(e) == name) {
            return self.events.remove(pos);
        }
        loop {
            let m = self.next_message().await;
            if msg_type(&m) == name && body(&m)["Id"] == json!(0) {
                return m;
            }
            self.events.push(m);
        }
    }

    /// RequestServerInfo in the layout of `version`.
    pub async fn handshake(&mut self, name: &str, version: u32) -> Value {
        let fields = match version {
            4 => json!({"ClientName": name, "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}),
            0 => json!({"ClientName": name}),
            v => json!({"ClientName": name, "MessageVersion": v}),
        };
        self.request("RequestServerInfo", fields).await
    }
}

/// The simulator control peer.
pub struct SimPeer {
    pub ws: Ws,
}

impl SimPeer {
    pub async fn connect(url: &str) -> SimPeer {
        SimPeer {
            ws: open(url, None).await.expect("connect to the simulator"),
        }
    }

    pub async fn send(&mut self, v: Value) {
        self.ws
            .send(Message::text(v.to_string()))
            .await
            .expect("send");
    }

    pub async fn advertise(&mut self, id: &str, name: &str, address: &str) {
        self.send(json!({"Advertise": {"id": id, "name": name, "address": address}}))
            .await;
    }

    pub async fn notify(&mut self, id: &str, endpoint: &str, data: &[u8]) {
        self.send(json!({"Notify": {"id": id, "endpoint": endpoint, "data": data}}))
            .await;
    }

    /// The next frame from the server.
    pub async fn next(&mut self) -> Value {
        let text = next_text(&mut self.ws)
            .await
            .expect("simulator connection ended");
        serde_json::from_str(&text).expect("simulator frame is JSON")
    }

    /// The next Write (skipping other frames), as text.
    pub async fn next_write(&mut self) -> String {
        loop {
            let f = self.next().await;
            if let Some(w) = f.get("Write") {
                let bytes: Vec<u8> = serde_json::from_value(w["data"].clone()).expect("bytes");
                return String::from_utf8_lossy(&bytes).into_owned();
            }
        }
    }

    /// Play a Lovense toy of model `Z` (Hush) until it is connected: answer DeviceType.
    pub async fn lovense_until_connected(&mut self, id: &str) -> Value {
        loop {
            let f = self.next().await;
            if let Some(w) = f.get("Write") {
                let bytes: Vec<u8> = serde_json::from_value(w["data"].clone()).expect("bytes");
                if bytes == b"DeviceType;" {
                    self.notify(id, "rx", b"Z:11:0082059AD3BD;").await;
                }
            }
            if f.get("Connected").is_some() {
                return f;
            }
        }
    }
}

/// A user config naming the simulated devices that dial in: `SimAneros` (an Aneros Vivi) and
/// `LVSDevice` (a Lovense).
pub const DIAL_IN_USER_CONFIG: &str = r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
  "aneros":{"communication":[{"websocket":{"name":"SimAneros"}}]},
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}"#;

/// A device dialing in at `url` with this handshake frame.
pub async fn dial_in_with(url: &str, handshake: Value) -> Ws {
    let mut dev = open(url, None).await.expect("device upgrade");
    dev.send(Message::text(handshake.to_string()))
        .await
        .expect("send the handshake");
    dev
}

/// A device dialing in at `url`: connect and send the handshake.
pub async fn dial_in(url: &str, identifier: &str, address: &str) -> Ws {
    dial_in_with(
        url,
        json!({"identifier": identifier, "address": address, "version": 0}),
    )
    .await
}

/// The Close frame a refused device gets: its code and reason.
pub async fn refusal(
    dev: &mut Ws,
) -> (
    tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode,
    String,
) {
    let close = until_closed(dev).await.expect("a Close frame");
    (close.code, close.reason.as_str().to_string())
}

/// The next binary frame a device that dialed in receives.
pub async fn next_binary(dev: &mut Ws) -> Vec<u8> {
    tokio::time::timeout(WAIT, async {
        loop {
            match dev.next().await {
                Some(Ok(Message::Binary(b))) => return b.to_vec(),
                Some(Ok(Message::Text(t))) => panic!("text frame to the device: {t}"),
                Some(Ok(_)) => continue,
                other => panic!("device socket ended: {other:?}"),
            }
        }
    })
    .await
    .expect("no frame for the device")
}
