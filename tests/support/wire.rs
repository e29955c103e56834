//! A raw Buttplug client for tests: JSON values in and out over an in-process JSON connection of
//! the server (text frames, every spec version).

use std::collections::{HashMap, VecDeque};
use std::time::Duration;

use serde_json::{Value, json};
use teleplug::server::{ConnectionInfo, JsonConnection, Server};
use teleplug::wire::SpecVersion;

/// A test client speaking raw messages at one spec version.
pub struct WireClient {
    link: JsonConnection,
    pub version: SpecVersion,
    next_id: u32,
    replies: HashMap<u32, Value>,
    /// Messages with Id 0 received so far.
    pub events: Vec<Value>,
    /// Messages of a frame received but not returned yet (replies ready together share a frame).
    unread: VecDeque<Value>,
    /// Frames received so far.
    pub frames: usize,
}

pub const REPLY_TIMEOUT: Duration = Duration::from_secs(5);

/// The single key of a message object.
pub fn msg_type(v: &Value) -> &str {
    v.as_object()
        .and_then(|o| o.keys().next())
        .map(|k| k.as_str())
        .unwrap_or("")
}

/// The body of a message object.
pub fn body(v: &Value) -> &Value {
    v.as_object()
        .and_then(|o| o.values().next())
        .unwrap_or(&Value::Null)
}

/// The ErrorCode of an Error message (99 if it has none); `None` for any other message.
pub fn error_code(v: &Value) -> Option<u64> {
    (msg_type(v) == "Error").then(|| body(v)["ErrorCode"].as_u64().unwrap_or(99))
}

impl WireClient {
    pub fn connect(server: &Server, version: SpecVersion) -> WireClient {
        let link = server
            .connect_json(ConnectionInfo::default())
            .expect("connect");
        WireClient {
            link,
            version,
            next_id: 1,
            replies: HashMap::new(),
            events: Vec::new(),
            unread: VecDeque::new(),
            frames: 0,
        }
    }

    /// Next id for a request.
    pub fn id(&mut self) -> u32 {
        let id = self.next_id;
        self.next_id += 1;
        id
    }

    /// Send messages as one frame.
    pub async fn send(&mut self, msgs: Vec<Value>) {
        self.send_text(&Value::Array(msgs).to_string()).await;
    }

    /// Send a raw text frame.
    pub async fn send_text(&mut self, text: &str) {
        self.link
            .sender
            .send_text(text.to_string())
            .await
            .expect("send");
    }

    /// The next message from the server, or None when the connection closed.
    pub async fn recv(&mut self) -> Option<Value> {
        while self.unread.is_empty() {
            let text = self.link.receiver.recv().await?;
            self.frames += 1;
            let v: Value = serde_json::from_str(&text).expect("server sent JSON");
            let Value::Array(arr) = v else {
                panic!("server frames are arrays: {text}");
            };
            assert!(!arr.is_empty(), "server sent an empty frame");
            self.unread.extend(arr);
        }
        self.unread.pop_front()
    }

    /// Receive until the reply with `id` arrives; events are kept in `events`.
    pub async fn reply(&mut self, id: u32) -> Value {
        tokio::time::timeout(REPLY_TIMEOUT, async {
            loop {
                if let Some(v) = self.replies.remove(&id) {
                    return v;
                }
                let m = self.recv().await.expect("connection closed while waiting");
                let mid = body(&m)["Id"].as_u64().unwrap_or(0) as u32;
                if mid == 0 {
                    self.events.push(m);
                } else {
                    self.replies.insert(mid, m);
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("no reply to Id {id}"))
    }

    /// Send a frame and wait for the replies to every message in it.
    pub async fn request(&mut self, msgs: Vec<Value>) -> Vec<Value> {
        let ids: Vec<u32> = msgs
            .iter()
            .map(|m| body(m)["Id"].as_u64().unwrap_or(0) as u32)
            .collect();
        self.send(msgs).await;
        let mut out = Vec::new();
        for id in ids {
            out.push(self.reply(id).await);
        }
        out
    }

    /// Handshake at the client's version.
    pub async fn handshake(&mut self, name: &str) -> Value {
        let id = self.id();
        let rsi = match self.version {
            SpecVersion::V4 => json!({"RequestServerInfo": {"Id": id, "ClientName": name,
                "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}),
            SpecVersion::V0 => json!({"RequestServerInfo": {"Id": id, "ClientName": name}}),
            v => json!({"RequestServerInfo": {"Id": id, "ClientName": name,
                "MessageVersion": v.major()}}),
        };
        self.request(vec![rsi]).await.remove(0)
    }

    /// A message with a fresh id: `msg("Ping", json!({}))`.
    pub fn msg(&mut self, name: &str, mut fields: Value) -> Value {
        let id = self.id();
        fields["Id"] = json!(id);
        json!({ name: fields })
    }
}
