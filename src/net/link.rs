//! One WebSocket connection driven by one task: frames from the peer come out of a channel,
//! frames to the peer go through a queue bounded in bytes (never buffered without bound: a
//! producer that cannot wait drops a peer that does not keep up; one that can wait, such as the
//! Buttplug connection, waits for room), every write has a timeout (a peer that stops reading
//! is dropped after it), and a WebSocket Ping is sent every `ping_interval`: a peer that has not
//! answered the previous one is dropped. Used by the client server, the simulator control
//! endpoint and the device listener alike.

use std::sync::Arc;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::sync::{Notify, Semaphore, mpsc};
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tracing::{debug, warn};

/// How long to wait for the peer's answer to our Close frame.
const CLOSE_GRACE: Duration = Duration::from_secs(1);
/// Frames from the peer buffered before reading pauses.
const INBOUND_QUEUE: usize = 64;

/// Limits of a link.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkConfig {
    /// Period of WebSocket Pings; the peer must answer each before the next.
    pub ping_interval: Duration,
    /// Longest a single write may take before the peer is dropped.
    pub write_timeout: Duration,
    /// Bytes queued towards the peer (frames not yet written) at most. A frame larger than
    /// this counts as this many bytes.
    pub queue_bytes: usize,
}

/// Default of [`LinkConfig::queue_bytes`].
pub const DEFAULT_QUEUE_BYTES: usize = 8 << 20;

impl Default for LinkConfig {
    fn default() -> Self {
        LinkConfig {
            ping_interval: Duration::from_secs(10),
            write_timeout: Duration::from_secs(10),
            queue_bytes: DEFAULT_QUEUE_BYTES,
        }
    }
}

/// A frame from the peer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Inbound {
    Text(String),
    Binary(Vec<u8>),
}

enum Outbound {
    Frame(Message),
    Close(CloseCode, String),
}

/// Why a link ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LinkEnd {
    /// The peer closed the connection (Close frame or end of stream).
    PeerClosed,
    /// We closed it (a close request, or every handle and the consumer went away).
    Closed,
    /// The peer did not answer a WebSocket Ping in time.
    PingTimeout,
    /// A write did not complete in time.
    WriteTimeout,
    /// The peer did not read fast enough: the outbound queue filled up.
    QueueOverflow,
    /// The peer sent a message over the size limit.
    TooBig,
    /// A transport or protocol error.
    Error(String),
}

/// A frame was not queued.
#[derive(Debug, PartialEq, Eq)]
pub enum TrySend {
    /// No room now (the frame is handed back); wait with [`LinkHandle::ready`].
    Full(String),
    /// The link has ended.
    Closed,
}

/// Sends frames to the peer. Cheap to clone. The queue is bounded in bytes: the `send_*`
/// methods never wait (a full queue drops the peer), [`LinkHandle::try_send_text`] with
/// [`LinkHandle::ready`] and [`LinkHandle::send_binary_wait`] wait for room instead.
#[derive(Clone)]
pub struct LinkHandle {
    tx: mpsc::UnboundedSender<(Outbound, u32)>,
    /// Free bytes of the queue.
    room: Arc<Semaphore>,
    capacity: usize,
    kill: Arc<Notify>,
}

impl LinkHandle {
    /// What a frame of `len` bytes takes from the queue (at least 1, at most all of it).
    fn cost(&self, len: usize) -> u32 {
        u32::try_from(len.clamp(1, self.capacity)).unwrap_or(u32::MAX)
    }

    fn enqueue(&self, out: Outbound, cost: u32) -> bool {
        self.tx.send((out, cost)).is_ok()
    }

    fn push(&self, out: Outbound, len: usize) -> bool {
        let cost = self.cost(len);
        match self.room.try_acquire_many(cost) {
            Ok(permit) => {
                permit.forget();
                self.enqueue(out, cost)
            }
            Err(tokio::sync::TryAcquireError::NoPermits) => {
                self.kill.notify_one();
                false
            }
            Err(tokio::sync::TryAcquireError::Closed) => false,
        }
    }

    /// Queue a text frame. False when the link is gone (or was just dropped for overflow).
    pub fn send_text(&self, text: String) -> bool {
        let len = text.len();
        self.push(Outbound::Frame(Message::text(text)), len)
    }

    /// Queue a text frame if there is room now, without dropping the peer when there is not.
    pub fn try_send_text(&self, text: String) -> Result<(), TrySend> {
        let cost = self.cost(text.len());
        match self.room.try_acquire_many(cost) {
            Ok(permit) => {
                permit.forget();
                if self.enqueue(Outbound::Frame(Message::text(text)), cost) {
                    Ok(())
                } else {
                    Err(TrySend::Closed)
                }
            }
            Err(tokio::sync::TryAcquireError::NoPermits) => Err(TrySend::Full(text)),
            Err(tokio::sync::TryAcquireError::Closed) => Err(TrySend::Closed),
        }
    }

    /// Resolves once a frame of `len` bytes fits in the queue (true), or the link has ended
    /// (false).
    pub async fn ready(&self, len: usize) -> bool {
        self.room.acquire_many(self.cost(len)).await.is_ok()
    }

    /// Queue a binary frame.
    pub fn send_binary(&self, data: Vec<u8>) -> bool {
        let len = data.len();
        self.push(Outbound::Frame(Message::binary(data)), len)
    }

    /// Queue a binary frame, waiting for room (for producers that tolerate back-pressure).
    pub async fn send_binary_wait(&self, data: Vec<u8>) -> bool {
        let cost = self.cost(data.len());
        match self.room.acquire_many(cost).await {
            Ok(permit) => {
                permit.forget();
                self.enqueue(Outbound::Frame(Message::binary(data)), cost)
            }
            Err(_) => false,
        }
    }

    /// Close the connection after the frames already queued, with this code and reason.
    /// Takes no room: a close always gets through.
    pub fn close(&self, code: CloseCode, reason: &str) {
        self.enqueue(Outbound::Close(code, reason.to_string()), 0);
    }

    /// Whether the link has ended.
    pub fn is_closed(&self) -> bool {
        self.tx.is_closed()
    }
}

/// A running link.
pub struct Link {
    pub handle: LinkHandle,
    /// Frames from the peer; ends when the link ends.
    pub inbound: mpsc::Receiver<Inbound>,
    /// Resolves to why the link ended.
    pub done: JoinHandle<LinkEnd>,
}

/// Drive `ws` on its own task.
pub fn spawn<S>(ws: WebSocketStream<S>, config: LinkConfig, peer: String) -> Link
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
{
    let (in_tx, in_rx) = mpsc::channel(INBOUND_QUEUE);
    let (handle, done) = spawn_direct(ws, config, peer, move |inbound| {
        let tx = in_tx.clone();
        async move { tx.send(inbound).await.is_ok() }
    });
    Link {
        handle,
        inbound: in_rx,
        done,
    }
}

/// Drive `ws` on its own task, handing each frame from the peer to `deliver` in that task (no
/// channel and no task in between: one task hop less per frame). Reading pauses while
/// `deliver` waits; `deliver` returning false closes the link. Returns the sending handle and
/// why the link ended.
pub fn spawn_direct<S, F, Fut>(
    ws: WebSocketStream<S>,
    config: LinkConfig,
    peer: String,
    deliver: F,
) -> (LinkHandle, JoinHandle<LinkEnd>)
where
    S: AsyncRead + AsyncWrite + Unpin + Send + 'static,
    F: FnMut(Inbound) -> Fut + Send + 'static,
    Fut: Future<Output = bool> + Send,
{
    let (out_tx, out_rx) = mpsc::unbounded_channel();
    let kill = Arc::new(Notify::new());
    let capacity = config.queue_bytes.clamp(1, Semaphore::MAX_PERMITS);
    let room = Arc::new(Semaphore::new(capacity));
    let handle = LinkHandle {
        tx: out_tx,
        room: room.clone(),
        capacity,
        kill: kill.clone(),
    };
    let done = tokio::spawn(async move {
        let end = run(ws, &config, out_rx, deliver, kill, &room).await;
        // Producers waiting for room learn that the link has ended.
        room.close();
        debug!(%peer, ?end, "websocket link ended");
        end
    });
    (handle, done)
}

async fn write<S>(ws: &mut WebSocketStream<S>, msg: Message, limit: Duration) -> Option<LinkEnd>
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    match tokio::time::timeout(limit, ws.send(msg)).await {
        Ok(Ok(())) => None,
        Ok(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => Some(LinkEnd::PeerClosed),
        Ok(Err(e)) => Some(LinkEnd::Error(e.to_string())),
        Err(_) => Some(LinkEnd::WriteTimeout),
    }
}

/// Send a Close frame and wait (briefly) for the peer's, so that nothing unread is reset.
async fn close<S>(ws: &mut WebSocketStream<S>, code: CloseCode, reason: &str, limit: Duration)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let frame = CloseFrame {
        code,
        reason: reason.to_string().into(),
    };
    let deadline = Instant::now() + limit.min(CLOSE_GRACE * 5);
    if tokio::time::timeout_at(deadline, ws.close(Some(frame)))
        .await
        .is_err()
    {
        return;
    }
    let grace = Instant::now() + CLOSE_GRACE;
    let _ =
        tokio::time::timeout_at(grace, async { while let Some(Ok(_)) = ws.next().await {} }).await;
}

async fn run<S, F, Fut>(
    mut ws: WebSocketStream<S>,
    config: &LinkConfig,
    mut out_rx: mpsc::UnboundedReceiver<(Outbound, u32)>,
    mut deliver: F,
    kill: Arc<Notify>,
    room: &Semaphore,
) -> LinkEnd
where
    S: AsyncRead + AsyncWrite + Unpin,
    F: FnMut(Inbound) -> Fut,
    Fut: Future<Output = bool>,
{
    let mut ticker = tokio::time::interval_at(
        Instant::now() + config.ping_interval,
        config.ping_interval.max(Duration::from_millis(1)),
    );
    ticker.set_missed_tick_behavior(MissedTickBehavior::Delay);
    let mut awaiting_pong = false;
    loop {
        tokio::select! {
            biased;
            _ = kill.notified() => {
                warn!("peer does not read fast enough; dropping it");
                close(&mut ws, CloseCode::Policy, "too slow: outbound queue full", Duration::from_millis(200)).await;
                return LinkEnd::QueueOverflow;
            }
            out = out_rx.recv() => match out {
                Some((Outbound::Frame(msg), cost)) => {
                    let written = write(&mut ws, msg, config.write_timeout).await;
                    room.add_permits(cost as usize);
                    if let Some(end) = written {
                        return end;
                    }
                }
                Some((Outbound::Close(code, reason), _)) => {
                    close(&mut ws, code, &reason, config.write_timeout).await;
                    return LinkEnd::Closed;
                }
                None => {
                    close(&mut ws, CloseCode::Normal, "", config.write_timeout).await;
                    return LinkEnd::Closed;
                }
            },
            _ = ticker.tick() => {
                if awaiting_pong {
                    warn!("peer did not answer the WebSocket ping; dropping it");
                    return LinkEnd::PingTimeout;
                }
                awaiting_pong = true;
                if let Some(end) = write(&mut ws, Message::Ping(Default::default()), config.write_timeout).await {
                    return end;
                }
            }
            frame = ws.next() => {
                let inbound = match frame {
                    None => return LinkEnd::PeerClosed,
                    Some(Err(WsError::Capacity(e))) => {
                        warn!("peer sent a message over the size limit ({e}); dropping it");
                        close(&mut ws, CloseCode::Size, "message too big", Duration::from_millis(200)).await;
                        return LinkEnd::TooBig;
                    }
                    Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) => return LinkEnd::PeerClosed,
                    Some(Err(e)) => return LinkEnd::Error(e.to_string()),
                    Some(Ok(Message::Text(t))) => Inbound::Text(t.as_str().to_string()),
                    Some(Ok(Message::Binary(b))) => Inbound::Binary(b.to_vec()),
                    Some(Ok(Message::Pong(_))) => {
                        awaiting_pong = false;
                        continue;
                    }
                    // Pings are answered by the library; Close is answered and then the stream ends.
                    Some(Ok(Message::Ping(_) | Message::Close(_) | Message::Frame(_))) => continue,
                };
                if !deliver(inbound).await {
                    close(&mut ws, CloseCode::Normal, "", config.write_timeout).await;
                    return LinkEnd::Closed;
                }
            }
        }
    }
}
