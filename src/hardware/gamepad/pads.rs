//! The gamepad I/O thread: the one place that drives the [`GamepadIo`] backend, for the manager
//! (scans) and every open pad's transport (writes, battery reads, closing), through [`Command`]s.
//! It keeps what docs/protocols/sdl-gamepad.md asks of the transport:
//!
//! - which pads were offered, are open, or are known but idle, each under its instance id;
//! - a write's four values `[low, high, left, right]`: a non-zero pair the pad cannot play is an
//!   error, the others are armed for [`ARM`];
//! - the refresh: every [`REFRESH`] each non-zero pair of an open pad is armed again, alternating
//!   a dithered pair (lowest bit of the first non-zero value flipped) and the exact one, starting
//!   dithered after each write;
//! - removal: every [`POLL`] each open pad is checked; a pad gone (or a rumble that failed) is
//!   zeroed, let go, and its transport told [`HardwareEvent::Disconnected`].
//!
//! Safety: closing a pad, losing it and ending the thread (every sender dropped, or a panic
//! unwinding) all zero its motors first.

use std::collections::BTreeMap;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use super::io::{Capabilities, GamepadIo, GamepadIoFactory, PadInfo};
use crate::hardware::{HardwareError, HardwareEvent};

/// How long a rumble is armed for: it ends by itself if nothing re-arms it.
pub const ARM: Duration = Duration::from_millis(60_000);
/// How often non-zero rumble is armed again.
pub const REFRESH: Duration = Duration::from_millis(100);
/// How often an open pad is checked for removal.
pub const POLL: Duration = Duration::from_millis(500);

/// The values of one write: `[low, high, left trigger, right trigger]`.
pub type Values = [u16; 4];

/// A reply to a command.
pub type Reply<T> = oneshot::Sender<Result<T, HardwareError>>;

/// What the manager and the transports ask of the I/O thread.
pub enum Command {
    /// List the pads not offered or open yet, and offer them.
    Scan(Reply<Vec<PadInfo>>),
    /// The server will not connect to this offered pad: offer it again at the next scan.
    Abandon(u32),
    /// Open an offered pad; its removal is reported on `events`.
    Open {
        id: u32,
        events: mpsc::Sender<HardwareEvent>,
        reply: Reply<Capabilities>,
    },
    /// Set an open pad's rumble.
    Write {
        id: u32,
        values: Values,
        reply: Reply<()>,
    },
    /// Read an open pad's battery byte.
    Battery { id: u32, reply: Reply<u8> },
    /// Zero an open pad and let it go (it may be offered again).
    Close(u32),
}

/// Starts an I/O thread over the backend `factory` makes (on that thread). Blocking: returns
/// once the backend is made, with the thread's command sender, or the backend's error.
pub fn spawn(factory: GamepadIoFactory) -> Result<std_mpsc::Sender<Command>, HardwareError> {
    let (commands, rx) = std_mpsc::channel();
    let (ready, started) = std_mpsc::channel();
    std::thread::Builder::new()
        .name("gamepad io".into())
        .spawn(move || match factory() {
            Ok(io) => {
                let _ = ready.send(Ok(()));
                run(Pads::new(io), rx);
            }
            Err(e) => {
                let _ = ready.send(Err(e));
            }
        })
        .map_err(|e| HardwareError::Unavailable(format!("cannot start the gamepad thread: {e}")))?;
    started.recv().unwrap_or_else(|_| {
        Err(HardwareError::Unavailable(
            "the gamepad backend panicked".into(),
        ))
    })?;
    Ok(commands)
}

/// Sends the command `make` builds and waits (at most `timeout`) for its reply.
pub async fn ask<T>(
    commands: &std_mpsc::Sender<Command>,
    timeout: Duration,
    make: impl FnOnce(Reply<T>) -> Command,
) -> Result<T, HardwareError> {
    let (reply, answer) = oneshot::channel();
    commands
        .send(make(reply))
        .map_err(|_| HardwareError::Disconnected)?;
    crate::hardware::reply_within(timeout, answer).await
}

/// The thread's loop: commands as they come, refreshes and removal checks when due; ends when
/// every sender is gone.
fn run(mut pads: Pads, commands: std_mpsc::Receiver<Command>) {
    loop {
        let command = match pads.next_due() {
            None => commands.recv().ok(),
            Some(due) => {
                let wait = due.saturating_duration_since(Instant::now());
                match commands.recv_timeout(wait) {
                    Ok(c) => Some(c),
                    Err(std_mpsc::RecvTimeoutError::Timeout) => {
                        pads.run_due(Instant::now());
                        continue;
                    }
                    Err(std_mpsc::RecvTimeoutError::Disconnected) => None,
                }
            }
        };
        let Some(command) = command else { break };
        pads.handle(command, Instant::now());
    }
    debug!("gamepad thread ends");
}

/// An open pad's rumble and bookkeeping.
struct Open {
    values: Values,
    /// The next refresh arms the dithered pairs.
    dither_next: bool,
    /// When non-zero rumble is armed again (None: all zero).
    refresh_at: Option<Instant>,
    /// When the pad is checked for removal.
    poll_at: Instant,
    events: mpsc::Sender<HardwareEvent>,
}

enum State {
    /// Reported by a scan, not connected yet.
    Offered,
    /// Known (keeps its instance id) but neither offered nor open: offered at the next scan.
    Idle,
    Open(Open),
}

struct Known {
    capabilities: Capabilities,
    state: State,
}

/// Every pad the thread knows, and the backend.
pub struct Pads {
    io: Box<dyn GamepadIo>,
    known: BTreeMap<u32, Known>,
}

/// `pair` with the lowest bit of its first non-zero value flipped (a 1/65535 change that makes
/// a re-arm differ from the last one).
fn dithered([a, b]: [u16; 2]) -> [u16; 2] {
    if a != 0 { [a ^ 1, b] } else { [a, b ^ 1] }
}

impl Pads {
    pub fn new(io: Box<dyn GamepadIo>) -> Pads {
        Pads {
            io,
            known: BTreeMap::new(),
        }
    }

    /// Serves one command.
    pub fn handle(&mut self, command: Command, now: Instant) {
        match command {
            Command::Scan(reply) => {
                let _ = reply.send(self.scan(now));
            }
            Command::Abandon(id) => {
                if let Some(k) = self.known.get_mut(&id) {
                    if matches!(k.state, State::Offered) {
                        k.state = State::Idle;
                    }
                }
            }
            Command::Open { id, events, reply } => {
                let _ = reply.send(self.open(id, events, now));
            }
            Command::Write { id, values, reply } => {
                let _ = reply.send(self.write(id, values, now));
            }
            Command::Battery { id, reply } => {
                let _ = reply.send(self.battery(id));
            }
            Command::Close(id) => self.close(id),
        }
    }

    /// The backend's pads, minus those without rumble; the new or idle ones are offered and
    /// returned. Open pads the backend no longer lists are removed.
    fn scan(&mut self, now: Instant) -> Result<Vec<PadInfo>, HardwareError> {
        let listed = self.io.pads()?;
        let gone: Vec<u32> = self
            .known
            .keys()
            .filter(|id| !listed.iter().any(|p| p.id == **id))
            .copied()
            .collect();
        for id in gone {
            self.remove(id, "no longer listed");
        }
        let mut offered = Vec::new();
        for pad in listed {
            if !pad.capabilities.any() {
                debug!(id = pad.id, name = %pad.name, "gamepad without rumble skipped");
                continue;
            }
            let known = self.known.entry(pad.id).or_insert(Known {
                capabilities: pad.capabilities,
                state: State::Idle,
            });
            if matches!(known.state, State::Idle) {
                known.state = State::Offered;
                offered.push(pad);
            }
        }
        self.run_due(now);
        Ok(offered)
    }

    fn open(
        &mut self,
        id: u32,
        events: mpsc::Sender<HardwareEvent>,
        now: Instant,
    ) -> Result<Capabilities, HardwareError> {
        let connected = self.io.is_connected(id);
        let Some(known) = self.known.get_mut(&id) else {
            return Err(HardwareError::Disconnected);
        };
        match known.state {
            State::Open(_) => Err(HardwareError::ConnectionFailed(format!(
                "gamepad {id} is already open"
            ))),
            _ if !connected => {
                self.known.remove(&id);
                Err(HardwareError::Disconnected)
            }
            _ => {
                known.state = State::Open(Open {
                    values: [0; 4],
                    dither_next: false,
                    refresh_at: None,
                    poll_at: now + POLL,
                    events,
                });
                Ok(known.capabilities)
            }
        }
    }

    /// Applies a write: both pairs armed (each if the pad has its motors); a non-zero pair the
    /// pad has no motors for is refused; a failing backend call loses the pad.
    fn write(&mut self, id: u32, values: Values, now: Instant) -> Result<(), HardwareError> {
        let Some(Known {
            capabilities,
            state: State::Open(open),
        }) = self.known.get_mut(&id)
        else {
            return Err(HardwareError::Disconnected);
        };
        let [low, high, left, right] = values;
        if (low, high) != (0, 0) && !capabilities.rumble {
            return Err(HardwareError::Unsupported("main rumble on this gamepad"));
        }
        if (left, right) != (0, 0) && !capabilities.trigger_rumble {
            return Err(HardwareError::Unsupported("trigger rumble on this gamepad"));
        }
        open.values = values;
        open.dither_next = true;
        open.refresh_at = (values != [0; 4]).then_some(now + REFRESH);
        let capabilities = *capabilities;
        let r = arm(&mut *self.io, id, capabilities, values, Arming::Set);
        if r.is_err() {
            self.remove(id, "rumble failed");
        }
        r
    }

    fn battery(&mut self, id: u32) -> Result<u8, HardwareError> {
        match self.known.get(&id) {
            Some(Known {
                state: State::Open(_),
                ..
            }) => self.io.power(id).battery_percent(),
            _ => Err(HardwareError::Disconnected),
        }
    }

    /// Zeroes an open pad and lets it go; it stays known, to be offered again.
    fn close(&mut self, id: u32) {
        if let Some(known) = self.known.get_mut(&id) {
            if matches!(known.state, State::Open(_)) {
                known.state = State::Idle;
                let _ = arm(&mut *self.io, id, known.capabilities, [0; 4], Arming::Set);
                self.io.release(id);
                info!(id, "gamepad closed");
            }
        }
    }

    /// Forgets a pad that is gone; an open one is zeroed (in case it is not quite gone) and its
    /// transport told.
    fn remove(&mut self, id: u32, why: &str) {
        let Some(known) = self.known.remove(&id) else {
            return;
        };
        if let State::Open(open) = known.state {
            info!(id, "gamepad removed: {why}");
            let _ = arm(&mut *self.io, id, known.capabilities, [0; 4], Arming::Set);
            let _ = open.events.try_send(HardwareEvent::Disconnected);
        }
        self.io.release(id);
    }

    /// The earliest refresh or removal check.
    pub fn next_due(&self) -> Option<Instant> {
        self.known
            .values()
            .filter_map(|k| match &k.state {
                State::Open(o) => Some(o.refresh_at.map_or(o.poll_at, |r| r.min(o.poll_at))),
                _ => None,
            })
            .min()
    }

    /// An open pad's capabilities and state.
    fn open_mut(&mut self, id: u32) -> Option<(Capabilities, &mut Open)> {
        match self.known.get_mut(&id) {
            Some(Known {
                capabilities,
                state: State::Open(open),
            }) => Some((*capabilities, open)),
            _ => None,
        }
    }

    /// Runs the removal checks and refreshes due at `now`.
    pub fn run_due(&mut self, now: Instant) {
        let ids: Vec<u32> = self.known.keys().copied().collect();
        for id in ids {
            let Some((_, open)) = self.open_mut(id) else {
                continue;
            };
            if open.poll_at <= now {
                open.poll_at = now + POLL;
                if !self.io.is_connected(id) {
                    self.remove(id, "unplugged");
                    continue;
                }
            }
            let Some((capabilities, open)) = self.open_mut(id) else {
                continue;
            };
            if open.refresh_at.is_none_or(|at| at > now) {
                continue;
            }
            let how = Arming::Refresh {
                dithered: open.dither_next,
            };
            open.dither_next = !open.dither_next;
            open.refresh_at = Some(now + REFRESH);
            let values = open.values;
            if arm(&mut *self.io, id, capabilities, values, how).is_err() {
                warn!(id, "gamepad rumble refresh failed");
                self.remove(id, "rumble failed");
            }
        }
    }
}

/// How [`arm`] treats the pairs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Arming {
    /// Both pairs as they are (a write, a stop).
    Set,
    /// Only the non-zero pairs, dithered or exact.
    Refresh { dithered: bool },
}

/// Arms the pairs of `values` on the motors the pad has.
fn arm(
    io: &mut dyn GamepadIo,
    id: u32,
    capabilities: Capabilities,
    values: Values,
    how: Arming,
) -> Result<(), HardwareError> {
    let [low, high, left, right] = values;
    let pairs = [
        (capabilities.rumble, [low, high]),
        (capabilities.trigger_rumble, [left, right]),
    ];
    for (index, (present, pair)) in pairs.into_iter().enumerate() {
        let [a, b] = match how {
            _ if !present => continue,
            Arming::Set => pair,
            Arming::Refresh { .. } if pair == [0, 0] => continue,
            Arming::Refresh { dithered: true } => dithered(pair),
            Arming::Refresh { dithered: false } => pair,
        };
        if index == 0 {
            io.rumble(id, a, b, ARM)?;
        } else {
            io.trigger_rumble(id, a, b, ARM)?;
        }
    }
    Ok(())
}
