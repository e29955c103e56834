//! The one task that turns running programs into Buttplug commands: it holds the backdoor
//! connection, wakes when a request changed the programs or a program's level changes, sends
//! only the outputs whose command differs from the last one sent (so a flood of requests
//! coalesces to the latest value per output: the state is one map, the queue to the server is
//! bounded), runs the watchdog, and forgets everything when the server stopped all devices.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use parking_lot::Mutex;
use tokio::sync::{Notify, broadcast, mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::program::{Level, Program, Shape, command, earliest};
use super::toys::{Output, OutputKey};
use crate::server::{ConnectionSender, Server, ServerEvent};
use crate::wire::{ClientMessage, OutputCmd, OutputCommand, ServerMessage, StopCmd};

/// At most this many programs stay layered on one toy (`stopPrevious: 0`); older ones go.
const MAX_PROGRAMS_PER_TOY: usize = 32;

/// What requests change and the engine reads.
pub struct State {
    /// Device index → its programs, oldest first (a later one wins on an output both drive).
    pub programs: BTreeMap<u32, Vec<Program>>,
    /// Devices to stop with a StopCmd (`None`: every device).
    pub stops: Vec<Option<u32>>,
    /// When the last request arrived (the watchdog's reference).
    pub last_request: Instant,
    /// Outputs whose next command goes out even if it equals the last one sent (a new stroke's
    /// first move may be to where the previous one ended).
    pub resend: Vec<OutputKey>,
}

impl State {
    /// Add a program to a device: replacing all earlier ones, or layered over them (earlier
    /// programs whose outputs it all covers are dropped, so the list stays bounded).
    pub fn add(&mut self, device: u32, program: Program, stop_previous: bool) {
        let list = self.programs.entry(device).or_default();
        if stop_previous {
            list.clear();
        } else {
            let keys: Vec<OutputKey> = program.keys().collect();
            list.retain(|p| !p.keys().all(|k| keys.contains(&k)));
            if list.len() >= MAX_PROGRAMS_PER_TOY {
                list.remove(0);
            }
        }
        if matches!(program.shape, Shape::Stroke { .. }) {
            self.resend.extend(program.keys());
        }
        list.push(program);
    }

    /// Stop a device: its programs end and it gets a StopCmd.
    pub fn stop(&mut self, device: u32) {
        self.programs.remove(&device);
        self.stops.push(Some(device));
    }
}

/// The engine's shared half.
pub struct Engine {
    pub state: Mutex<State>,
    wake: Notify,
    sender: ConnectionSender,
    next_id: AtomicU32,
    pending: Arc<Pending>,
    watchdog: Duration,
}

/// Replies awaited, by request id.
type Pending = Mutex<HashMap<u32, oneshot::Sender<ServerMessage>>>;

impl Engine {
    /// Tell the engine the programs changed.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    fn id(&self) -> u32 {
        loop {
            let id = self.next_id.fetch_add(1, Ordering::Relaxed);
            if id != 0 {
                return id;
            }
        }
    }

    /// Send one message and wait (up to `timeout`) for its reply.
    pub async fn ask(
        &self,
        mut message: ClientMessage,
        timeout: Duration,
    ) -> Option<ServerMessage> {
        let id = self.id();
        message.set_id(id);
        let (tx, rx) = oneshot::channel();
        self.pending.lock().insert(id, tx);
        let reply = async {
            self.sender.send(vec![message]).await.ok()?;
            rx.await.ok()
        };
        let r = tokio::time::timeout(timeout, reply).await.ok().flatten();
        self.pending.lock().remove(&id);
        r
    }
}

/// Start the engine on a backdoor connection of `server`. The engine ends when the server's
/// events end, or when `Engine` is dropped by every holder and the task is aborted.
pub fn start(
    server: &Server,
    watchdog: Duration,
) -> Result<(Arc<Engine>, tokio::task::JoinHandle<()>), crate::server::ConnectError> {
    let conn = server.connect_backdoor("Lovense local API")?;
    let engine = Arc::new(Engine {
        state: Mutex::new(State {
            programs: BTreeMap::new(),
            stops: Vec::new(),
            last_request: Instant::now(),
            resend: Vec::new(),
        }),
        wake: Notify::new(),
        sender: conn.sender,
        next_id: AtomicU32::new(1),
        pending: Arc::new(Mutex::new(HashMap::new())),
        watchdog,
    });
    // Replies are read by their own task: the engine may wait on a full queue to the server,
    // which must not wait on the engine reading its replies.
    tokio::spawn(drain(engine.pending.clone(), conn.receiver));
    let events = server.events();
    let task = tokio::spawn(run(Arc::downgrade(&engine), events, server.clone()));
    Ok((engine, task))
}

/// The engine's task. Holds the engine weakly: when the API is dropped, the backdoor
/// connection's last sender goes with it and the server stops every device.
async fn run(
    engine: std::sync::Weak<Engine>,
    mut events: broadcast::Receiver<ServerEvent>,
    server: Server,
) {
    let mut sent: HashMap<OutputKey, OutputCommand> = HashMap::new();
    loop {
        let Some(e) = engine.upgrade() else { return };
        let next = step(&e, &mut sent).await;
        let wake = e.wake.notified();
        tokio::select! {
            _ = wake => {}
            _ = sleep_until(next) => {}
            event = events.recv() => match event {
                Ok(ServerEvent::AllStopped) => {
                    e.state.lock().programs.clear();
                    sent.clear();
                }
                Ok(ServerEvent::DeviceRemoved(index)) => {
                    e.state.lock().programs.remove(&index);
                    sent.retain(|k, _| k.device != index);
                    // Keep the devices it knows connected, as the Lovense app does.
                    let server = server.clone();
                    tokio::spawn(async move { server.start_scanning().await });
                }
                Ok(_) | Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
        }
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

/// Hands each reply to whoever awaits it; ends with the connection.
async fn drain(pending: Arc<Pending>, mut replies: mpsc::Receiver<ServerMessage>) {
    while let Some(message) = replies.recv().await {
        let id = message.id();
        let waiting = pending.lock().remove(&id);
        match (waiting, message) {
            (Some(tx), message) => {
                let _ = tx.send(message);
            }
            (None, ServerMessage::Error(e)) => debug!("Lovense API: {}", e.error_message),
            _ => {}
        }
    }
}

/// One pass: drop ended programs, run the watchdog, send what changed. Returns when to wake.
async fn step(engine: &Engine, sent: &mut HashMap<OutputKey, OutputCommand>) -> Option<Instant> {
    let now = Instant::now();
    let mut desired: BTreeMap<OutputKey, (Output, Level)> = BTreeMap::new();
    let mut next = None;
    let stops = {
        let mut st = engine.state.lock();
        let open = st.programs.values().flatten().any(Program::open_ended);
        if open && !engine.watchdog.is_zero() {
            let deadline = st.last_request + engine.watchdog;
            if now >= deadline {
                warn!(
                    "Lovense API: no request for {:?} while a toy ran without end: stopping every device",
                    engine.watchdog
                );
                st.programs.clear();
                st.stops.push(None);
            } else {
                next = Some(deadline);
            }
        }
        for list in st.programs.values_mut() {
            list.retain(|p| !p.ended(now));
            for p in list.iter() {
                let (levels, change) = p.at(now);
                next = earliest(next, change);
                for (o, l) in levels {
                    desired.insert(o.key, (o, l));
                }
            }
        }
        st.programs.retain(|_, l| !l.is_empty());
        for key in st.resend.drain(..) {
            sent.remove(&key);
        }
        std::mem::take(&mut st.stops)
    };
    let mut frame = Vec::new();
    for device in stops {
        match device {
            Some(d) => sent.retain(|k, _| k.device != d),
            None => sent.clear(),
        }
        frame.push(ClientMessage::StopCmd(StopCmd {
            device_index: device,
            id: engine.id(),
            ..StopCmd::default()
        }));
    }
    // Outputs no program drives any more go back to 0.
    for (key, last) in sent.iter_mut() {
        if !desired.contains_key(key) && key.output.is_stoppable() && last.value() != 0 {
            *last = OutputCommand::new(key.output, 0, 0);
            frame.push(output(engine, *key, *last));
        }
    }
    for (key, (o, level)) in desired {
        let cmd = command(&o, level);
        if sent.get(&key).is_some_and(|c| c.value() == cmd.value()) {
            continue;
        }
        sent.insert(key, cmd);
        frame.push(output(engine, key, cmd));
    }
    if !frame.is_empty() {
        // Bounded: waits while the server's queue is full (the state keeps coalescing).
        let _ = engine.sender.send(frame).await;
    }
    next
}

fn output(engine: &Engine, key: OutputKey, command: OutputCommand) -> ClientMessage {
    ClientMessage::OutputCmd(OutputCmd {
        command,
        device_index: key.device,
        feature_index: key.feature,
        id: engine.id(),
    })
}
