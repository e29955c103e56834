//! Where a connection's messages go, without ever making the connection wait: each message is
//! handed to the sink now or held (in order) until the sink has room, while the connection goes
//! on watching its ping deadline and its client. For JSON sinks, replies that are ready together
//! are packed into one frame (a Buttplug frame is an array of messages in every spec version),
//! so a client that reads gets every reply however many messages one of its frames held.

use std::collections::VecDeque;

use futures::future::BoxFuture;
use tokio::sync::mpsc;

use crate::wire::{AnyServerMessage, json};
use crate::wire::{ServerMessage, SpecVersion};

/// Most bytes packed into one JSON frame of replies (one message may exceed it alone).
pub const FRAME_BUDGET: usize = 64 << 10;

/// A frame a [`FrameSink`] did not take.
#[derive(Debug, PartialEq, Eq)]
pub enum FrameRefused {
    /// No room now: the frame is handed back.
    Full(String),
    /// The sink is gone.
    Closed,
}

/// Takes a JSON connection's outgoing frames (e.g. a WebSocket's send queue). Never waits:
/// a frame is taken now or handed back; [`FrameSink::ready`] says when to try again. Dropped
/// when the connection ends.
pub trait FrameSink: Send + 'static {
    /// Take `frame` now.
    fn try_send(&mut self, frame: String) -> Result<(), FrameRefused>;
    /// Resolves once a frame of `len` bytes would be taken (true) or the sink is gone (false).
    fn ready(&mut self, len: usize) -> BoxFuture<'_, bool>;
}

impl FrameSink for mpsc::Sender<String> {
    fn try_send(&mut self, frame: String) -> Result<(), FrameRefused> {
        mpsc::Sender::try_send(self, frame).map_err(|e| match e {
            mpsc::error::TrySendError::Full(f) => FrameRefused::Full(f),
            mpsc::error::TrySendError::Closed(_) => FrameRefused::Closed,
        })
    }

    fn ready(&mut self, _len: usize) -> BoxFuture<'_, bool> {
        // The connection is the only sender: a slot seen free stays free for its retry.
        Box::pin(async move { self.reserve().await.is_ok() })
    }
}

/// The kinds of sink a connection can have.
pub enum Sink {
    /// v4 messages, no JSON (the embedded path).
    Typed(mpsc::Sender<ServerMessage>),
    /// Buttplug JSON text frames.
    Json(Box<dyn FrameSink>),
}

/// Something the sink had no room for yet.
enum Held {
    Typed(ServerMessage),
    Frame(String),
}

impl Held {
    fn len(&self) -> usize {
        match self {
            Held::Frame(f) => f.len(),
            _ => 1,
        }
    }
}

/// A connection's sink and what waits for room in it.
pub struct Outbox {
    sink: Sink,
    held: VecDeque<Held>,
}

impl Outbox {
    pub fn new(sink: Sink) -> Outbox {
        Outbox {
            sink,
            held: VecDeque::new(),
        }
    }

    /// Whether the sink speaks v4 values only (the client is always served spec v4).
    pub fn is_typed(&self) -> bool {
        matches!(self.sink, Sink::Typed(_))
    }

    /// Whether something waits for room: the connection should produce nothing more until
    /// [`Outbox::unblock`] has handed it over.
    pub fn is_blocked(&self) -> bool {
        !self.held.is_empty()
    }

    /// Hand over `out`; for a JSON sink, replies that `more` yields ready at once go into the
    /// same frame. False when the sink is gone.
    pub fn send(
        &mut self,
        version: SpecVersion,
        out: AnyServerMessage,
        more: impl FnMut() -> Option<AnyServerMessage>,
    ) -> bool {
        let held = match &self.sink {
            Sink::Typed(_) => match out {
                AnyServerMessage::V4(m) => Held::Typed(m),
                // Legacy messages have no v4 form: a typed client is always at v4.
                AnyServerMessage::Legacy(_) => return true,
            },
            Sink::Json(_) => match pack(version, out, more) {
                Some(frame) => Held::Frame(frame),
                None => return true,
            },
        };
        if self.is_blocked() {
            self.held.push_back(held);
            return true;
        }
        self.offer(held)
    }

    /// Try to hand `held` over now; held back when there is no room. False when the sink is gone.
    fn offer(&mut self, held: Held) -> bool {
        use mpsc::error::TrySendError;
        let refused = match (&mut self.sink, held) {
            (Sink::Typed(tx), Held::Typed(m)) => match tx.try_send(m) {
                Ok(()) => return true,
                Err(TrySendError::Full(m)) => Held::Typed(m),
                Err(TrySendError::Closed(_)) => return false,
            },
            (Sink::Json(sink), Held::Frame(frame)) => match sink.try_send(frame) {
                Ok(()) => return true,
                Err(FrameRefused::Full(frame)) => Held::Frame(frame),
                Err(FrameRefused::Closed) => return false,
            },
            // Held values are made for the sink they wait for.
            _ => return true,
        };
        self.held.push_front(refused);
        true
    }

    /// Wait for room and hand over what is held, in order, until it is all taken or the sink
    /// is full again. False when the sink is gone. Cancel-safe: nothing is lost when the future
    /// is dropped.
    pub async fn unblock(&mut self) -> bool {
        let Some(len) = self.held.front().map(Held::len) else {
            return true;
        };
        let room = match &mut self.sink {
            Sink::Typed(tx) => tx.reserve().await.is_ok(),
            Sink::Json(sink) => sink.ready(len).await,
        };
        if !room {
            return false;
        }
        while let Some(held) = self.held.pop_front() {
            if !self.offer(held) {
                return false;
            }
            if self.is_blocked() {
                break;
            }
        }
        true
    }
}

/// `out` and the replies `more` yields, as one JSON frame of at most [`FRAME_BUDGET`] bytes
/// (unless `out` alone is larger). `None` when nothing of it exists at `version`.
fn pack(
    version: SpecVersion,
    out: AnyServerMessage,
    mut more: impl FnMut() -> Option<AnyServerMessage>,
) -> Option<String> {
    let first = json::encode_server_frame(version, &out);
    let mut frame = match first {
        Some(f) if f.len() >= FRAME_BUDGET => return Some(f),
        Some(f) => f,
        None => String::from("[]"),
    };
    while frame.len() < FRAME_BUDGET {
        let Some(next) = more() else { break };
        let Some(encoded) = json::encode_server_frame(version, &next) else {
            continue;
        };
        // Both are `[...]`: join their contents.
        frame.pop();
        if frame.len() > 1 {
            frame.push(',');
        }
        frame.push_str(&encoded[1..]);
    }
    (frame.len() > 2).then_some(frame)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::json::split_frame;

    fn ok(id: u32) -> AnyServerMessage {
        AnyServerMessage::V4(ServerMessage::ok(id))
    }

    #[test]
    fn ready_replies_share_a_frame_up_to_the_budget() {
        let mut next = 2u32;
        let frame = pack(SpecVersion::V4, ok(1), || {
            next += 1;
            (next <= 10_001).then(|| ok(next - 1))
        })
        .unwrap();
        let values = split_frame(&frame).unwrap();
        assert!(frame.len() >= FRAME_BUDGET && frame.len() < FRAME_BUDGET + 64);
        assert_eq!(values.len(), frame.matches("\"Ok\"").count());
        // In order, starting with the first.
        for (i, v) in values.iter().enumerate() {
            assert_eq!(v["Ok"]["Id"], i as u64 + 1);
        }
    }

    #[test]
    fn a_lone_reply_is_a_frame_of_one() {
        let frame = pack(SpecVersion::V4, ok(7), || None).unwrap();
        assert_eq!(frame, r#"[{"Ok":{"Id":7}}]"#);
    }

    #[tokio::test]
    async fn what_finds_no_room_is_held_in_order_and_handed_over_later() {
        let (tx, mut rx) = mpsc::channel::<ServerMessage>(1);
        let mut outbox = Outbox::new(Sink::Typed(tx));
        for id in 1..=3 {
            assert!(outbox.send(SpecVersion::V4, ok(id), || None));
        }
        assert!(outbox.is_blocked());
        assert_eq!(rx.recv().await, Some(ServerMessage::ok(1)));
        assert!(outbox.unblock().await);
        assert_eq!(rx.recv().await, Some(ServerMessage::ok(2)));
        assert!(outbox.unblock().await);
        assert!(!outbox.is_blocked());
        assert_eq!(rx.recv().await, Some(ServerMessage::ok(3)));
        drop(rx);
        assert!(!outbox.send(SpecVersion::V4, ok(4), || None));
    }
}
