//! Replies of a connection on their way out, in request order, without an allocation for the
//! usual ones: a reply is ready at once (errors, Ok, ServerInfo, DeviceList), waits for one
//! device acknowledgement (OutputCmd), or is a boxed future (scanning, stops, inputs, legacy
//! messages). [`ReplyQueue`] keeps them in order and polls only what can make progress.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures::future::BoxFuture;
use tokio::sync::oneshot;

use crate::wire::AnyServerMessage;
use crate::wire::{ButtplugError, DeviceError, ServerMessage};

/// What a device answers for one request item.
pub type AckResult = Result<(), ButtplugError>;

/// A v4 reply in the making.
pub enum V4Reply {
    /// Ready now (`None` once taken).
    Ready(Option<ServerMessage>),
    /// `Ok` or `Error` with `id` once the device acknowledges; a dropped acknowledgement means
    /// the device is gone.
    Ack {
        id: u32,
        device: u32,
        rx: oneshot::Receiver<AckResult>,
    },
    /// Anything else.
    Boxed(BoxFuture<'static, ServerMessage>),
}

impl V4Reply {
    pub fn ready(msg: ServerMessage) -> V4Reply {
        V4Reply::Ready(Some(msg))
    }

    pub fn error(id: u32, err: ButtplugError) -> V4Reply {
        V4Reply::ready(ServerMessage::error(id, &err))
    }
}

impl From<BoxFuture<'static, ServerMessage>> for V4Reply {
    fn from(fut: BoxFuture<'static, ServerMessage>) -> V4Reply {
        V4Reply::Boxed(fut)
    }
}

/// The result of a device acknowledgement.
pub fn ack_result(
    device: u32,
    r: Result<AckResult, oneshot::error::RecvError>,
) -> Result<(), ButtplugError> {
    match r {
        Ok(r) => r,
        Err(_) => Err(DeviceError::DeviceNotAvailable(device).into()),
    }
}

impl Future for V4Reply {
    type Output = ServerMessage;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<ServerMessage> {
        match self.get_mut() {
            V4Reply::Ready(msg) => Poll::Ready(msg.take().expect("reply polled after completion")),
            V4Reply::Ack { id, device, rx } => {
                Pin::new(rx).poll(cx).map(|r| match ack_result(*device, r) {
                    Ok(()) => ServerMessage::ok(*id),
                    Err(e) => ServerMessage::error(*id, &e),
                })
            }
            V4Reply::Boxed(fut) => fut.as_mut().poll(cx),
        }
    }
}

/// A reply of any spec version in the making.
pub enum Reply {
    V4(V4Reply),
    Ready(Option<AnyServerMessage>),
    Boxed(BoxFuture<'static, AnyServerMessage>),
}

impl Reply {
    pub fn ready(out: AnyServerMessage) -> Reply {
        Reply::Ready(Some(out))
    }

    pub fn error(id: u32, err: ButtplugError) -> Reply {
        Reply::V4(V4Reply::error(id, err))
    }

    /// Whether polling it may do work (not only wait for an answer), so it must be polled even
    /// while replies before it are pending.
    fn is_boxed(&self) -> bool {
        matches!(self, Reply::Boxed(_) | Reply::V4(V4Reply::Boxed(_)))
    }
}

impl From<BoxFuture<'static, AnyServerMessage>> for Reply {
    fn from(fut: BoxFuture<'static, AnyServerMessage>) -> Reply {
        Reply::Boxed(fut)
    }
}

impl Future for Reply {
    type Output = AnyServerMessage;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<AnyServerMessage> {
        match self.get_mut() {
            Reply::V4(r) => Pin::new(r).poll(cx).map(AnyServerMessage::V4),
            Reply::Ready(out) => Poll::Ready(out.take().expect("reply polled after completion")),
            Reply::Boxed(fut) => fut.as_mut().poll(cx),
        }
    }
}

/// Replies in request order. The head is polled; so is every boxed reply (they may do work, e.g.
/// start scanning, which must not wait for earlier replies); a boxed reply that finishes early
/// keeps its result until its turn. Ready and acknowledgement replies only wait, so they are
/// polled once they are at the head. The buffer is reused: queuing a reply allocates nothing.
#[derive(Default)]
pub struct ReplyQueue {
    items: VecDeque<Reply>,
    /// Boxed replies in `items` that have not finished.
    boxed: usize,
}

impl ReplyQueue {
    pub fn push_back(&mut self, reply: Reply) {
        if reply.is_boxed() {
            self.boxed += 1;
        }
        self.items.push_back(reply);
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// Replies waiting to be sent.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// Drop every pending reply.
    pub fn clear(&mut self) {
        self.items.clear();
        self.boxed = 0;
    }

    /// The next reply in order, once it is ready.
    pub fn poll_next(&mut self, cx: &mut Context<'_>) -> Poll<Option<AnyServerMessage>> {
        let Some(head) = self.items.front_mut() else {
            return Poll::Ready(None);
        };
        let head_boxed = head.is_boxed();
        if let Poll::Ready(out) = Pin::new(head).poll(cx) {
            self.items.pop_front();
            if head_boxed {
                self.boxed -= 1;
            }
            return Poll::Ready(Some(out));
        }
        if self.boxed > usize::from(head_boxed) {
            for r in self.items.iter_mut().skip(1).filter(|r| r.is_boxed()) {
                if let Poll::Ready(out) = Pin::new(&mut *r).poll(cx) {
                    *r = Reply::ready(out);
                    self.boxed -= 1;
                }
            }
        }
        Poll::Pending
    }

    /// [`ReplyQueue::poll_next`] as a future.
    pub async fn next(&mut self) -> Option<AnyServerMessage> {
        std::future::poll_fn(|cx| self.poll_next(cx)).await
    }
}

#[cfg(test)]
mod tests {
    use futures::FutureExt;

    use super::*;

    fn ok(id: u32) -> AnyServerMessage {
        AnyServerMessage::V4(ServerMessage::ok(id))
    }

    #[tokio::test]
    async fn replies_keep_request_order_and_boxed_ones_run_early() {
        let mut q = ReplyQueue::default();
        let (tx, rx) = oneshot::channel();
        q.push_back(Reply::V4(V4Reply::Ack {
            id: 1,
            device: 0,
            rx,
        }));
        let (ran_tx, mut ran) = oneshot::channel();
        q.push_back(Reply::V4(
            async move {
                let _ = ran_tx.send(());
                ServerMessage::ok(2)
            }
            .boxed()
            .into(),
        ));
        q.push_back(Reply::ready(ok(3)));
        // The head waits; the boxed reply behind it has run already.
        assert!(futures::poll!(std::pin::pin!(q.next())).is_pending());
        assert!(ran.try_recv().is_ok());
        tx.send(Ok(())).unwrap();
        assert_eq!(q.next().await, Some(ok(1)));
        assert_eq!(q.next().await, Some(ok(2)));
        assert_eq!(q.next().await, Some(ok(3)));
        assert!(q.is_empty());
        assert_eq!(q.next().await, None);
    }

    #[tokio::test]
    async fn a_dropped_acknowledgement_reports_the_device_gone() {
        let mut q = ReplyQueue::default();
        let (tx, rx) = oneshot::channel::<AckResult>();
        q.push_back(Reply::V4(V4Reply::Ack {
            id: 7,
            device: 3,
            rx,
        }));
        drop(tx);
        let expected = ServerMessage::error(7, &DeviceError::DeviceNotAvailable(3).into());
        assert_eq!(q.next().await, Some(AnyServerMessage::V4(expected)));
    }
}
