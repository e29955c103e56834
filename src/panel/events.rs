//! Server-sent events: the server's state and its changes for the page and scripts, the
//! Intiface Engine 5 event stream, and the log tail.
//!
//! Memory does not grow with open streams or with time: each stream reads the server's event
//! broadcast (a fixed ring shared by all readers) and encodes one event at a time as the HTTP
//! connection asks for it. A reader that falls behind (a tab in the background, a slow link)
//! loses its place in the ring; it is then sent the whole state again (`state` event) and
//! continues from there. A tab left open reconnects on its own after a network drop (the page
//! retries; every stream opens with the full state). [`OpenStreams`] counts the streams open
//! (`GET /api/server` shows it), so a test can see that reconnecting tabs leave none behind.

use std::convert::Infallible;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use axum::response::sse::{Event, KeepAlive, Sse};
use futures::Stream;
use serde_json::{Value, json};
use tokio::sync::broadcast::{self, error::RecvError};

use super::Shared;
use super::log::LogTail;
use crate::server::{ConnectedClient, ServerEvent};

/// Comment lines sent while nothing happens, so proxies and browsers keep the stream open and
/// a dead connection is noticed.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The number of event and log streams open now (a stream ends when its connection closes).
#[derive(Clone, Default)]
pub struct OpenStreams(Arc<AtomicUsize>);

/// One open stream, counted until dropped.
struct Counted(Arc<AtomicUsize>);

impl Drop for Counted {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl OpenStreams {
    pub fn get(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }

    /// `stream`, counted while it exists.
    fn count<T, S: Stream<Item = T>>(&self, stream: S) -> impl Stream<Item = T> + use<T, S> {
        self.0.fetch_add(1, Ordering::Relaxed);
        let counted = Counted(self.0.clone());
        futures::StreamExt::map(stream, move |item| {
            let _ = &counted;
            item
        })
    }
}

/// The client app as the API shows it.
pub fn client_json(client: Option<ConnectedClient>) -> Value {
    match client {
        None => Value::Null,
        Some(c) => json!({
            "name": c.info.name,
            "address": c.info.address,
            "spec_version": c.info.spec_version.major(),
            "since_ms": c.since.duration_since(UNIX_EPOCH).map(|d| d.as_millis() as u64).unwrap_or(0),
        }),
    }
}

/// Everything the page shows, at once.
pub fn state_json(shared: &Shared) -> Value {
    json!({
        "devices": shared.devices_json(),
        "client": client_json(shared.server.client()),
        "scanning": shared.scanning(),
    })
}

/// The JSON event for a server event (`None`: nothing to tell). `device`: only events of this
/// device index (and the stop of every device).
fn event_json(
    shared: &Shared,
    ev: &ServerEvent,
    device: Option<u32>,
) -> Option<(&'static str, Value)> {
    let for_device = |index: u32| device.is_none_or(|d| d == index);
    match ev {
        ServerEvent::DeviceAdded(i) | ServerEvent::DeviceRemoved(i) if for_device(*i) => Some((
            "devices",
            json!({"devices": shared.devices_json(), "added": matches!(ev, ServerEvent::DeviceAdded(_)), "index": i}),
        )),
        ServerEvent::ScanningFinished if device.is_none() => {
            Some(("scanning", json!({"scanning": false})))
        }
        ServerEvent::InputReading(r) if for_device(r.device_index) => Some((
            "input",
            json!({
                "device": r.device_index,
                "feature": r.feature_index,
                "type": r.reading.input_type.as_str(),
                "value": r.reading.value,
            }),
        )),
        ServerEvent::Error(message) if device.is_none() => {
            Some(("error", json!({"error": message})))
        }
        ServerEvent::AllStopped => Some(("stopped", json!({}))),
        ServerEvent::ClientConnected | ServerEvent::ClientDisconnected if device.is_none() => {
            Some((
                "client",
                json!({"client": client_json(shared.server.client())}),
            ))
        }
        _ => None,
    }
}

fn sse_event(kind: &str, data: &Value) -> Result<Event, Infallible> {
    Ok(Event::default().event(kind).data(data.to_string()))
}

/// What a stream still has to send before reading the next server event.
struct Reader {
    shared: Arc<Shared>,
    rx: broadcast::Receiver<ServerEvent>,
    /// Send the whole state first (at the start and after falling behind).
    resync: bool,
    device: Option<u32>,
}

/// The panel's events (`GET /api/events`, and `GET /api/v1/devices/{index}/events` for one
/// device): a `state` event, then `devices`, `scanning`, `input`, `client`, `stopped`, `error`;
/// `state` again after falling behind.
pub(crate) fn panel_events(
    shared: Arc<Shared>,
    device: Option<u32>,
) -> impl Stream<Item = (&'static str, Value)> {
    let reader = Reader {
        rx: shared.server.events(),
        shared,
        resync: true,
        device,
    };
    futures::stream::unfold(reader, |mut r| async move {
        loop {
            if std::mem::take(&mut r.resync) {
                let data = match r.device {
                    None => state_json(&r.shared),
                    Some(d) => json!({"device": r.shared.device_json(d)}),
                };
                return Some((("state", data), r));
            }
            match r.rx.recv().await {
                Ok(ev) => {
                    if let Some(item) = event_json(&r.shared, &ev, r.device) {
                        return Some((item, r));
                    }
                }
                Err(RecvError::Lagged(_)) => r.resync = true,
                Err(RecvError::Closed) => return None,
            }
        }
    })
}

/// [`panel_events`] as server-sent events.
pub fn panel_stream(
    shared: Arc<Shared>,
    device: Option<u32>,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    use futures::StreamExt;
    let streams = shared.streams.clone();
    let stream = panel_events(shared, device).map(|(kind, data)| sse_event(kind, &data));
    Sse::new(streams.count(stream)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// Intiface Engine 5's `GET /api/v1/events`: one `data:` line per server event, its debug
/// text (Engine sends the Rust debug text of its client's events; neither is a stable format).
pub fn engine_stream(shared: Arc<Shared>) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let rx = shared.server.events();
    let stream = futures::stream::unfold(rx, |mut rx| async move {
        let text = match rx.recv().await {
            Ok(ev) => format!("{ev:?}"),
            Err(RecvError::Lagged(n)) => format!("Lagged({n})"),
            Err(RecvError::Closed) => return None,
        };
        Some((Ok(Event::default().data(text)), rx))
    });
    Sse::new(shared.streams.count(stream)).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

/// `GET /api/log`: the lines kept (`line` events), then each new line; a reader that fell
/// behind gets a `skipped` event with the number of lines it missed.
pub fn log_stream(
    tail: LogTail,
    streams: &OpenStreams,
) -> Sse<impl Stream<Item = Result<Event, Infallible>> + use<>> {
    let (kept, rx) = tail.snapshot();
    let kept = futures::stream::iter(
        kept.into_iter()
            .map(|l| Ok(Event::default().event("line").data(l))),
    );
    let live = futures::stream::unfold(rx, |mut rx| async move {
        match rx.recv().await {
            Ok(line) => Some((Ok(Event::default().event("line").data(line)), rx)),
            Err(RecvError::Lagged(n)) => Some((
                Ok(Event::default().event("skipped").data(n.to_string())),
                rx,
            )),
            Err(RecvError::Closed) => None,
        }
    });
    use futures::StreamExt;
    Sse::new(streams.count(kept.chain(live))).keep_alive(KeepAlive::new().interval(KEEP_ALIVE))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::panel::backdoor::Backdoor;
    use crate::server::{Server, ServerOptions, Transports};
    use futures::StreamExt;

    fn shared(server: &Server) -> Arc<Shared> {
        Arc::new(Shared {
            backdoor: Backdoor::connect(server, "test").unwrap(),
            server: server.clone(),
            log: None,
            settings: Value::Null,
            local: "127.0.0.1:1".parse().unwrap(),
            token_required: false,
            streams: OpenStreams::default(),
        })
    }

    #[tokio::test]
    async fn readings_reach_every_stream_and_a_device_stream_only_its_own() {
        let server = Server::new(ServerOptions {
            transports: Transports::none(),
            ..ServerOptions::default()
        });
        let s = shared(&server);
        let reading = ServerEvent::InputReading(crate::wire::InputReading {
            device_index: 2,
            feature_index: 1,
            id: 0,
            reading: crate::wire::InputData {
                input_type: crate::wire::InputType::Pressure,
                value: 512,
            },
        });
        let expected = json!({"device": 2, "feature": 1, "type": "Pressure", "value": 512});
        assert_eq!(
            event_json(&s, &reading, None),
            Some(("input", expected.clone()))
        );
        assert_eq!(event_json(&s, &reading, Some(2)), Some(("input", expected)));
        assert_eq!(event_json(&s, &reading, Some(3)), None);
        assert_eq!(
            event_json(&s, &ServerEvent::DeviceRemoved(3), Some(2)),
            None,
            "another device's removal"
        );
        assert_eq!(
            event_json(&s, &ServerEvent::AllStopped, Some(2)),
            Some(("stopped", json!({}))),
            "a stop of every device is every device's"
        );
        server.shutdown(Duration::from_secs(1)).await;
    }

    #[tokio::test]
    async fn a_reader_that_falls_behind_gets_the_state_again_and_holds_nothing_more() {
        let server = Server::new(ServerOptions {
            transports: Transports::none(),
            ..ServerOptions::default()
        });
        let mut events = Box::pin(panel_events(shared(&server), None));
        assert_eq!(events.next().await.unwrap().0, "state");
        // A tab in the background: 1,500 events while it reads none.
        for _ in 0..1500 {
            server.stop_all_devices(Duration::from_secs(1)).await;
        }
        let (kind, state) = events.next().await.unwrap();
        assert_eq!(kind, "state", "the reader is told the whole state again");
        assert_eq!(state["devices"], json!([]));
        // What is left to read is the ring's worth, not everything that happened.
        let mut stopped = 0;
        while let Some(Some((kind, _))) = futures::FutureExt::now_or_never(events.next()) {
            assert_eq!(kind, "stopped");
            stopped += 1;
        }
        assert!(
            (1..1500).contains(&stopped),
            "{stopped} events kept for a reader that fell behind"
        );
        server.shutdown(Duration::from_secs(1)).await;
    }
}
