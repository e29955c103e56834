//! The dongle's state machine (docs/protocols/lovense-dongle-and-connect.md), one task per opened dongle:
//!
//! - **CheckConnected** (the dongle was just opened, or a scan starts while idle): `statuss`,
//!   then 250 ms for an answer (the dongle locks up if asked anything sooner). A `status` 202
//!   names a toy already connected: DeviceLoop. Otherwise Scanning if a scan is wanted, else
//!   Idle.
//! - **Idle**: a `status` 202 goes to DeviceLoop; a scan goes to CheckConnected (the reference
//!   goes straight to Scanning; checking first finds a toy the server let go that the dongle
//!   still holds).
//! - **Scanning**: `search`; the dongle's own timeout (206) searches again; `toyData` with a toy
//!   goes to StopAndConnect; `toyData` without one ends the scan (Idle); a `status` 202 goes to
//!   DeviceLoop. StopScanning sends `stopSearch` (usb) and goes to Idle.
//! - **StopAndConnect**: `stopSearch`, then the 206 that confirms it (at most
//!   [`STOP_CONFIRM_TIMEOUT`]), the scan ends, DeviceLoop.
//! - **DeviceLoop**: the toy is offered to the server as `LVS-DongleDevice`; protocol writes go
//!   out as `command`, `toyData` strings come back as `rx` notifications, a `status` 403 means
//!   the toy is gone (Idle). One toy at a time: a scan asked for now finishes at once.
//!
//! The dongle being unplugged ends the task (the toy, if any, is disconnected).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::mpsc;
use tokio::time::Instant;
use tracing::{info, warn};

use super::io::{FromDongle, WriteRequest};
use super::messages::{Func, Incoming, Outgoing, code};
use super::request::Request;
use super::toy::{ADVERTISED_NAME, ToyConnector, ToyTransport, toy_address};
use crate::hardware::{
    Advertisement, AdvertisementKind, DeviceCandidate, EVENT_QUEUE_CAPACITY, Endpoint,
    HardwareError, HardwareEvent, ManagerEvent, ManagerEventSender,
};

/// How long the dongle is given to answer `statuss` (the reference's 250 ms: asking it anything
/// sooner locks it up).
pub const STATUS_WAIT: Duration = Duration::from_millis(250);
/// How long StopAndConnect waits for the dongle to confirm the search stopped.
pub const STOP_CONFIRM_TIMEOUT: Duration = Duration::from_secs(1);

enum State {
    CheckConnected { until: Instant },
    Idle,
    Scanning,
    StopAndConnect { id: String, until: Instant },
    DeviceLoop(Toy),
}

struct Toy {
    id: String,
    session: u64,
    events: mpsc::Sender<HardwareEvent>,
}

/// One opened dongle's driver.
pub(super) struct Driver {
    /// The manager's name (scanning bookkeeping).
    pub name: &'static str,
    pub writes: std_mpsc::Sender<WriteRequest>,
    pub from_dongle: mpsc::UnboundedReceiver<FromDongle>,
    pub requests: mpsc::UnboundedReceiver<Request>,
    /// Given to toy transports.
    pub requests_tx: mpsc::UnboundedSender<Request>,
    pub events: ManagerEventSender,
    /// A scan is wanted (shared with the manager).
    pub scanning: Arc<AtomicBool>,
    /// Connection counter (shared across dongles plugged in turn).
    pub sessions: Arc<AtomicU64>,
}

impl Driver {
    pub async fn run(mut self) {
        let mut state = self.check_status();
        loop {
            let deadline = match &state {
                State::CheckConnected { until } | State::StopAndConnect { until, .. } => {
                    Some(*until)
                }
                _ => None,
            };
            let next = tokio::select! {
                m = self.from_dongle.recv() => match m {
                    Some(FromDongle::Message(m)) => self.on_message(state, m),
                    Some(FromDongle::Gone) | None => {
                        self.end(state, "unplugged");
                        return;
                    }
                },
                r = self.requests.recv() => match r {
                    Some(Request::Shutdown) | None => {
                        self.end(state, "closed");
                        return;
                    }
                    Some(r) => self.on_request(state, r),
                },
                _ = sleep_until_opt(deadline) => self.on_timeout(state),
            };
            state = next;
        }
    }

    fn send(&self, message: Outgoing) {
        let _ = self.writes.send(WriteRequest {
            message,
            reply: None,
            quiet_after: Duration::ZERO,
        });
    }

    /// `statuss`, after which the dongle is left alone for [`STATUS_WAIT`] (the I/O thread
    /// holds anything queued meanwhile).
    fn check_status(&self) -> State {
        let _ = self.writes.send(WriteRequest {
            message: Outgoing::status(),
            reply: None,
            quiet_after: STATUS_WAIT,
        });
        State::CheckConnected {
            until: Instant::now() + STATUS_WAIT,
        }
    }

    fn scan_wanted(&self) -> bool {
        self.scanning.load(Ordering::SeqCst)
    }

    /// The dongle ended the scan on its own: the server hears it.
    fn scan_ended(&self) {
        if self.scanning.swap(false, Ordering::SeqCst) {
            let _ = self.events.send(ManagerEvent::ScanningStopped(self.name));
        }
    }

    fn on_timeout(&mut self, state: State) -> State {
        match state {
            State::CheckConnected { .. } if self.scan_wanted() => self.search(),
            State::CheckConnected { .. } => State::Idle,
            State::StopAndConnect { id, .. } => self.connected(&id),
            other => other,
        }
    }

    fn search(&self) -> State {
        self.send(Outgoing::search());
        State::Scanning
    }

    fn on_message(&mut self, state: State, m: Incoming) -> State {
        let toy_id = m.data.as_ref().and_then(|d| d.id.clone()).or(m.id.clone());
        let connected =
            matches!(m.func, Func::Status | Func::Statuss) && m.code() == Some(code::CONNECTED);
        match state {
            State::DeviceLoop(toy) => self.device_message(toy, m),
            State::CheckConnected { .. } | State::Idle | State::Scanning if connected => {
                match toy_id {
                    Some(id) => self.connected(&id),
                    None => state,
                }
            }
            State::Scanning if m.code() == Some(code::SEARCH_STOPPED) => {
                // The dongle's own search timeout.
                if self.scan_wanted() {
                    self.search()
                } else {
                    State::Idle
                }
            }
            State::Scanning if m.func == Func::ToyData => match toy_id {
                Some(id) => {
                    info!(toy = %id, "Lovense dongle found a toy");
                    self.send(Outgoing::stop_search());
                    State::StopAndConnect {
                        id,
                        until: Instant::now() + STOP_CONFIRM_TIMEOUT,
                    }
                }
                None => {
                    self.scan_ended();
                    State::Idle
                }
            },
            State::StopAndConnect { id, .. } if m.code() == Some(code::SEARCH_STOPPED) => {
                self.connected(&id)
            }
            other => other,
        }
    }

    /// The dongle holds toy `id`: offer it to the server.
    fn connected(&mut self, id: &str) -> State {
        self.scan_ended();
        let session = self.sessions.fetch_add(1, Ordering::SeqCst) + 1;
        let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
        let transport = Arc::new(ToyTransport::new(session, self.requests_tx.clone(), rx));
        let advertisement = Advertisement {
            name: ADVERTISED_NAME.to_string(),
            address: toy_address(id),
            manufacturer_data: Vec::new(),
            services: Vec::new(),
            kind: AdvertisementKind::Btle,
        };
        info!(toy = %id, address = %advertisement.address, "toy connected to the Lovense dongle");
        let _ = self.events.send(ManagerEvent::DeviceFound(DeviceCandidate {
            advertisement,
            connector: Box::new(ToyConnector {
                transport: Mutex::new(Some(transport)),
                session,
                requests: self.requests_tx.clone(),
            }),
        }));
        State::DeviceLoop(Toy {
            id: id.to_string(),
            session,
            events: tx,
        })
    }

    fn device_message(&mut self, toy: Toy, m: Incoming) -> State {
        if m.code() == Some(code::DISCONNECTED) {
            info!(toy = %toy.id, "toy lost by the Lovense dongle");
            let _ = toy.events.try_send(HardwareEvent::Disconnected);
            return State::Idle;
        }
        if m.func == Func::ToyData {
            if let Some(data) = m.data.and_then(|d| d.data) {
                let event = HardwareEvent::Notification {
                    endpoint: Endpoint::Rx,
                    data: data.into_bytes(),
                };
                if toy.events.try_send(event).is_err() {
                    warn!("Lovense dongle notification dropped: event queue full");
                }
            }
        }
        State::DeviceLoop(toy)
    }

    fn on_request(&mut self, state: State, r: Request) -> State {
        match (state, r) {
            (
                State::DeviceLoop(toy),
                Request::Command {
                    session,
                    cmd,
                    reply,
                },
            ) if session == toy.session => {
                let _ = self.writes.send(WriteRequest {
                    message: Outgoing::command(&toy.id, cmd),
                    reply: Some(reply),
                    quiet_after: Duration::ZERO,
                });
                State::DeviceLoop(toy)
            }
            (state, Request::Command { reply, .. }) => {
                let _ = reply.send(Err(HardwareError::Disconnected));
                state
            }
            (State::DeviceLoop(toy), Request::Release { session }) if session == toy.session => {
                info!(toy = %toy.id, "toy behind the Lovense dongle let go");
                State::Idle
            }
            (State::DeviceLoop(toy), Request::StartScan) => {
                // One toy at a time.
                self.scan_ended();
                State::DeviceLoop(toy)
            }
            (State::Idle, Request::StartScan) => self.check_status(),
            (State::Scanning, Request::StopScan) => {
                self.send(Outgoing::stop_search());
                State::Idle
            }
            (state, _) => state,
        }
    }

    fn end(&mut self, state: State, why: &str) {
        info!("Lovense dongle {why}");
        if let State::DeviceLoop(toy) = state {
            let _ = toy.events.try_send(HardwareEvent::Disconnected);
        }
        while let Ok(r) = self.requests.try_recv() {
            if let Request::Command { reply, .. } = r {
                let _ = reply.send(Err(HardwareError::Disconnected));
            }
        }
    }
}

async fn sleep_until_opt(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
