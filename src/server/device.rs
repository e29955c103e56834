//! One task per connected device. It owns the protocol handler and the transport, and turns
//! validated requests into hardware operations: de-duplication of repeated commands,
//! deterministic coalescing of the commands of one client message (and of a backlog, when the
//! device has fallen behind: latest value wins), the per-device message gap, keep-alive, input
//! reads and subscriptions, and noticing the device go.
//!
//! Safety rules kept here:
//! - a device is never let go (Disconnect, or every sender gone) without its outputs stopped:
//!   a stop still waiting for the message gap is written first, waiting at most the gap plus
//!   the writes' own time limits;
//! - every hardware operation has a time limit ([`OP_TIMEOUT`]), so one stuck device holds only
//!   its own task;
//! - a failed write makes the device state unknown: nothing is de-duplicated against it
//!   afterwards, so the next command and every stop are written;
//! - a stop packet that fails is retried ([`STOP_ATTEMPTS`]) and, if it still fails, reported
//!   in the log and as a server Error event.

use std::collections::{BTreeSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;
use tracing::{debug, warn};

use super::request::{Ack, BatchItem, BatchItems, DeviceRequest};
use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::{Endpoint, HardwareError, HardwareEvent, Transport};
use crate::protocols::{
    HardwareCommand, HardwareOp, InputPlan, Keepalive, ProtocolError, ProtocolHandler, ReplyParser,
};
use crate::wire::{ButtplugError, DeviceError, InputCommandType, InputType, OutputCommand};

/// A reading from a subscription, reported by the task.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SubscriptionReading {
    pub feature: u32,
    pub input: InputType,
    pub value: i32,
}

/// What a device task reports to the server.
pub trait DeviceTaskEvents: Send + Sync + 'static {
    fn reading(&self, device_index: u32, reading: SubscriptionReading);
    /// A stop could not be written after every attempt: the device may still be running.
    fn stop_failed(&self, device_index: u32, message: String);
}

/// Upper bound for any single input read: a device that never answers gets the reader an
/// Error reply after this long.
pub const INPUT_TIMEOUT: Duration = Duration::from_secs(5);
/// Upper bound for any single write, subscribe or unsubscribe.
pub const OP_TIMEOUT: Duration = Duration::from_secs(1);
/// Attempts at writing a stop packet before the failure is reported.
pub const STOP_ATTEMPTS: u32 = 3;
/// Pause between two attempts at a stop packet.
pub const STOP_RETRY_DELAY: Duration = Duration::from_millis(20);
/// Longest a stop's write takes, retries included, once the message gap has passed.
pub const STOP_WRITE_BOUND: Duration = Duration::from_millis(
    OP_TIMEOUT.as_millis() as u64 * STOP_ATTEMPTS as u64
        + STOP_RETRY_DELAY.as_millis() as u64 * (STOP_ATTEMPTS as u64 - 1),
);
/// Requests a device that has fallen behind takes together as one batch (latest value wins).
const MAX_MERGED: usize = 256;

struct QueuedPacket {
    cmd: HardwareCommand,
    /// Which entry of the message produced it (packets of one entry never drop each other).
    entry: usize,
    /// It stops an output: retried when it fails.
    stop: bool,
}

struct PendingNotificationRead {
    parse: ReplyParser,
    reply: oneshot::Sender<Result<Option<i32>, ButtplugError>>,
    deadline: Instant,
}

/// The device task's state.
pub struct DeviceTask {
    pub index: u32,
    pub protocol: String,
    pub definition: Arc<DeviceDefinition>,
    pub handler: Box<dyn ProtocolHandler>,
    pub transport: Arc<dyn Transport>,
    pub events: mpsc::Receiver<HardwareEvent>,
    pub requests: mpsc::UnboundedReceiver<DeviceRequest>,
    pub gap: Duration,
    pub reporter: Arc<dyn DeviceTaskEvents>,
}

struct Runtime {
    /// The last command encoded per feature (a device has a handful: a list beats hashing).
    /// Cleared when a write fails: the device's state is then unknown.
    last_sent: Vec<(u32, OutputCommand)>,
    /// Positional features whose last packet was the protocol's stop (so a second stop is a
    /// repeat); cleared with `last_sent`.
    positional_stopped: BTreeSet<u32>,
    queue: Vec<QueuedPacket>,
    queue_acks: Vec<Ack>,
    last_write_at: Option<Instant>,
    last_packet: Option<(Endpoint, Vec<u8>, bool)>,
    subscriptions: BTreeSet<(u32, InputType)>,
    pending_reads: VecDeque<PendingNotificationRead>,
    keepalive: Keepalive,
    next_tick: Option<Instant>,
    disconnected: bool,
    /// Buffers of `process_batch`, kept between batches so a command allocates none.
    /// Boxed so that taking it out while a batch is planned moves a pointer, not the buffers.
    scratch: Option<Box<Scratch>>,
}

/// One batch on its way to packets; the buffers are kept between batches.
#[derive(Default)]
struct Scratch {
    /// (feature, command, item) to encode, sorted by feature.
    entries: Vec<(u32, OutputCommand, usize)>,
    /// How many entries there were (positional stops are numbered after them).
    entry_count: usize,
    /// Each item's acknowledgement, and whether the item is a stop.
    acks: Vec<(Option<Ack>, bool)>,
    /// Each item's failure, if one of its entries could not be encoded.
    errors: Vec<Option<ButtplugError>>,
    /// Stopped features with positional outputs only.
    positional: Vec<u32>,
    /// Subscriptions a stop ends.
    unsubscribe: Vec<(u32, InputType)>,
    packets: Vec<QueuedPacket>,
}

impl Runtime {
    fn last_sent(&self, feature: u32) -> Option<&OutputCommand> {
        self.last_sent
            .iter()
            .find(|(f, _)| *f == feature)
            .map(|(_, c)| c)
    }

    fn set_last_sent(&mut self, feature: u32, command: OutputCommand) {
        match self.last_sent.iter_mut().find(|(f, _)| *f == feature) {
            Some(slot) => slot.1 = command,
            None => self.last_sent.push((feature, command)),
        }
    }
}

/// Whether a command stops its output.
fn is_stop_command(command: &OutputCommand) -> bool {
    command.value() == 0 && command.output_type().is_stoppable()
}

/// Why the request loop ended.
enum Ending {
    /// The device went away on its own.
    Gone,
    /// Told to disconnect (answer when done).
    Disconnect(oneshot::Sender<()>),
    /// Every sender is gone (the server was dropped).
    Released,
}

impl DeviceTask {
    /// Run until the device disconnects or is told to.
    pub async fn run(mut self) {
        let keepalive = self.handler.keepalive();
        let mut rt = Runtime {
            last_sent: Vec::new(),
            positional_stopped: BTreeSet::new(),
            queue: Vec::new(),
            queue_acks: Vec::new(),
            last_write_at: None,
            last_packet: None,
            subscriptions: BTreeSet::new(),
            pending_reads: VecDeque::new(),
            keepalive,
            next_tick: match keepalive {
                Keepalive::Tick(p) => Some(Instant::now() + p),
                _ => None,
            },
            disconnected: false,
            scratch: Some(Box::default()),
        };
        if self.handler.stop_on_connect() {
            self.process_batch(&mut rt, stop_outputs().into()).await;
        }
        let ending = self.serve(&mut rt).await;
        if !matches!(ending, Ending::Gone) {
            self.wind_down(&mut rt).await;
        }
        // Anything still waiting learns the device is gone.
        let gone: ButtplugError =
            DeviceError::DeviceConnectionError("device disconnected".into()).into();
        for ack in rt.queue_acks.drain(..) {
            let _ = ack.send(Err(gone.clone()));
        }
        for r in rt.pending_reads.drain(..) {
            let _ = r.reply.send(Err(gone.clone()));
        }
        self.requests.close();
        while let Ok(req) = self.requests.try_recv() {
            fail_request(req, &gone);
        }
        if !rt.disconnected {
            self.transport.disconnect().await;
        }
        if let Ending::Disconnect(done) = ending {
            let _ = done.send(());
        }
    }

    /// Handle requests, device events and timers until the device goes or is let go.
    async fn serve(&mut self, rt: &mut Runtime) -> Ending {
        // A request taken out of the channel while merging a backlog, handled next.
        let mut next: Option<DeviceRequest> = None;
        while !rt.disconnected {
            if let Some(req) = next.take() {
                if let Some(end) = self.request(rt, req, &mut next).await {
                    return end;
                }
                continue;
            }
            let gap_deadline = if rt.queue.is_empty() {
                None
            } else {
                Some(
                    rt.last_write_at
                        .map(|t| t + self.gap)
                        .unwrap_or_else(Instant::now),
                )
            };
            let keepalive_deadline = match (rt.keepalive, &rt.last_packet, rt.last_write_at) {
                (Keepalive::RepeatLast(p), Some(_), Some(t)) if rt.queue.is_empty() => Some(t + p),
                _ => None,
            };
            let read_deadline = rt.pending_reads.front().map(|r| r.deadline);
            tokio::select! {
                req = self.requests.recv() => match req {
                    Some(req) => {
                        if let Some(end) = self.request(rt, req, &mut next).await {
                            return end;
                        }
                    }
                    None => return Ending::Released,
                },
                ev = self.events.recv() => match ev {
                    Some(HardwareEvent::Notification { endpoint, data }) => {
                        self.on_notification(rt, endpoint, &data)
                    }
                    Some(HardwareEvent::Disconnected) | None => rt.disconnected = true,
                },
                _ = sleep_until_opt(gap_deadline) => self.flush(rt).await,
                _ = sleep_until_opt(keepalive_deadline) => self.repeat_last(rt).await,
                _ = sleep_until_opt(rt.next_tick) => self.on_tick(rt).await,
                _ = sleep_until_opt(read_deadline) => {
                    if let Some(r) = rt.pending_reads.pop_front() {
                        let _ = r.reply.send(Err(DeviceError::DeviceCommunicationError(
                            "timed out waiting for the device's reply".into(),
                        ).into()));
                    }
                }
            }
        }
        Ending::Gone
    }

    /// Handle one request; `Some` when the task must end.
    async fn request(
        &mut self,
        rt: &mut Runtime,
        req: DeviceRequest,
        next: &mut Option<DeviceRequest>,
    ) -> Option<Ending> {
        match req {
            DeviceRequest::Batch(items) => {
                let items = self.merge_backlog(items, next);
                self.process_batch(rt, items).await;
            }
            DeviceRequest::Input {
                feature,
                input,
                command,
                reply,
            } => self.process_input(rt, feature, input, command, reply).await,
            DeviceRequest::Disconnect(done) => return Some(Ending::Disconnect(done)),
        }
        None
    }

    /// A device that fell behind takes the output batches already waiting together with this
    /// one, so that only the latest value of each output is written. Batches with a stop are
    /// handled on their own (in order), as is any other request; the first one that cannot
    /// join is left in `next`.
    fn merge_backlog(
        &mut self,
        mut items: BatchItems,
        next: &mut Option<DeviceRequest>,
    ) -> BatchItems {
        if self.requests.is_empty() || items.iter().any(BatchItem::is_stop) {
            return items;
        }
        for _ in 0..MAX_MERGED {
            match self.requests.try_recv() {
                Ok(DeviceRequest::Batch(more)) if !more.iter().any(BatchItem::is_stop) => {
                    for item in more {
                        items.push(item);
                    }
                }
                Ok(other) => {
                    *next = Some(other);
                    break;
                }
                Err(_) => break,
            }
        }
        items
    }

    /// Before the device is let go: stop every output and write whatever is still queued,
    /// waiting out the message gap (at most the gap plus the writes' own time limits).
    async fn wind_down(&mut self, rt: &mut Runtime) {
        if rt.disconnected {
            return;
        }
        self.process_batch(rt, stop_outputs().into()).await;
        if !rt.queue.is_empty() && !rt.disconnected {
            if let Some(t) = rt.last_write_at {
                tokio::time::sleep_until(t + self.gap).await;
            }
            self.flush(rt).await;
        }
    }

    fn feature(&self, index: u32) -> Option<&FeatureDefinition> {
        self.definition.feature(index)
    }

    /// Turn one batch into packets and queue them: each item's entries are encoded (a command
    /// equal to the last one sent is skipped), stops add the protocol's positional stops and end
    /// subscriptions, newer packets replace the queued ones they overlap, and each item is
    /// answered now or once written. Written at once unless the message gap is still running.
    async fn process_batch(&mut self, rt: &mut Runtime, items: BatchItems) {
        // The scratch buffers are taken out while in use and put back: a command allocates none.
        let mut plan = rt.scratch.take().unwrap_or_default();
        self.expand(rt, items, &mut plan);
        self.encode_entries(rt, &mut plan);
        self.encode_positional_stops(rt, &mut plan);
        self.end_subscriptions(rt, &mut plan).await;
        // A newer packet supersedes the queued ones it overlaps.
        for p in &plan.packets {
            rt.queue.retain(|q| !q.cmd.key.overlaps(p.cmd.key));
        }
        rt.queue.append(&mut plan.packets);
        let window_open = rt
            .last_write_at
            .is_some_and(|t| !self.gap.is_zero() && t.elapsed() < self.gap);
        answer_items(rt, &mut plan, window_open);
        rt.scratch = Some(plan);
        if !window_open {
            self.flush(rt).await;
        }
    }

    /// Expand the items into (feature, command, item) entries sorted by feature (a stop into a
    /// zero for every stoppable feature it covers), the positional features to stop and the
    /// subscriptions to end; each item keeps its own acknowledgement.
    fn expand(&self, rt: &Runtime, items: BatchItems, plan: &mut Scratch) {
        for item in items {
            match item {
                BatchItem::Output {
                    feature,
                    command,
                    ack,
                } => {
                    plan.entries.push((feature, command, plan.acks.len()));
                    plan.acks.push((ack, false));
                }
                BatchItem::Stop {
                    feature,
                    outputs,
                    inputs,
                    ack,
                } => {
                    let covered = |f: u32| feature.is_none_or(|i| i == f);
                    if outputs {
                        for f in self.definition.features.iter().filter(|f| covered(f.index)) {
                            if let Some(o) = f.outputs.iter().find(|o| o.output_type.is_stoppable())
                            {
                                let zero = OutputCommand::new(o.output_type, 0, 0);
                                plan.entries.push((f.index, zero, plan.acks.len()));
                            } else if !f.outputs.is_empty() {
                                plan.positional.push(f.index);
                            }
                        }
                    }
                    if inputs {
                        let subscribed = rt.subscriptions.iter().filter(|(f, _)| covered(*f));
                        plan.unsubscribe.extend(subscribed.copied());
                    }
                    plan.acks.push((ack, true));
                }
            }
        }
        plan.entries.sort_by_key(|(f, _, _)| *f);
        plan.errors.resize(plan.acks.len(), None);
    }

    /// Encode each entry not equal to what the device last got; a later packet of the batch
    /// replaces an earlier one it overlaps. An entry that cannot be encoded fails its item.
    fn encode_entries(&mut self, rt: &mut Runtime, plan: &mut Scratch) {
        let definition = self.definition.clone();
        plan.entry_count = plan.entries.len();
        for (entry, (feature_index, command, item)) in plan.entries.drain(..).enumerate() {
            if rt.last_sent(feature_index) == Some(&command) {
                continue;
            }
            let Some(feature) = definition.feature(feature_index) else {
                continue;
            };
            match self.handler.encode_output(feature, command) {
                Ok(cmds) => {
                    rt.set_last_sent(feature_index, command);
                    rt.positional_stopped.remove(&feature_index);
                    let stop = is_stop_command(&command);
                    for cmd in cmds {
                        add_packet(&mut plan.packets, QueuedPacket { cmd, entry, stop });
                    }
                }
                Err(e) => {
                    warn!(device = self.index, "cannot encode {command:?}: {e}");
                    plan.errors[item]
                        .get_or_insert_with(|| e.to_device_error(&self.protocol).into());
                }
            }
        }
    }

    /// The protocol's stop for each stopped feature with positional outputs only, unless that
    /// was the last thing it got.
    fn encode_positional_stops(&mut self, rt: &mut Runtime, plan: &mut Scratch) {
        let definition = self.definition.clone();
        for (n, feature_index) in plan.positional.drain(..).enumerate() {
            let Some(feature) = definition.feature(feature_index) else {
                continue;
            };
            if !rt.positional_stopped.insert(feature_index) {
                continue;
            }
            let entry = plan.entry_count + n;
            for cmd in self.handler.stop_positional(feature) {
                let stop = true;
                add_packet(&mut plan.packets, QueuedPacket { cmd, entry, stop });
            }
        }
        plan.entry_count = 0;
    }

    /// End the subscriptions a stop covers, at once.
    async fn end_subscriptions(&mut self, rt: &mut Runtime, plan: &mut Scratch) {
        let definition = self.definition.clone();
        for (feature, input) in plan.unsubscribe.drain(..) {
            rt.subscriptions.remove(&(feature, input));
            let Some(f) = definition.feature(feature) else {
                continue;
            };
            match self.handler.unsubscribe_input(f, input) {
                Ok(cmds) => {
                    if let Err(e) = self.perform_now(rt, &cmds).await {
                        debug!(device = self.index, "unsubscribe failed: {e}");
                    }
                }
                Err(e) => debug!(device = self.index, "unsubscribe not possible: {e}"),
            }
        }
    }

    /// Write every queued packet now. A failed packet does not keep the others from being
    /// written; a failed stop is retried.
    async fn flush(&mut self, rt: &mut Runtime) {
        let mut result: Result<(), ButtplugError> = Ok(());
        if !rt.queue.is_empty() {
            // Taken out while writing (the writes need `rt`), then put back: its buffer is reused.
            let mut queue = std::mem::take(&mut rt.queue);
            for q in &queue {
                let r = if q.stop {
                    self.perform_stop(rt, &q.cmd).await
                } else {
                    self.perform(rt, &q.cmd).await
                };
                if let Err(e) = r {
                    if result.is_ok() {
                        result = Err(e);
                    }
                    if rt.disconnected {
                        break;
                    }
                }
            }
            queue.clear();
            rt.queue = queue;
            rt.last_write_at = Some(Instant::now());
        }
        for ack in rt.queue_acks.drain(..) {
            let _ = ack.send(result.clone());
        }
    }

    /// Write a stop packet, retrying a bounded number of times; a stop that cannot be written is
    /// reported (the device may still be running).
    async fn perform_stop(
        &mut self,
        rt: &mut Runtime,
        c: &HardwareCommand,
    ) -> Result<(), ButtplugError> {
        let mut attempt = 1;
        loop {
            match self.perform(rt, c).await {
                Ok(()) => return Ok(()),
                Err(e) if rt.disconnected || attempt >= STOP_ATTEMPTS => {
                    let message = format!(
                        "device {} ({}): the stop could not be written after {attempt} attempt(s): {e}",
                        self.index, self.definition.name
                    );
                    tracing::error!("{message}");
                    self.reporter.stop_failed(self.index, message);
                    return Err(e);
                }
                Err(_) => {
                    attempt += 1;
                    tokio::time::sleep(STOP_RETRY_DELAY).await;
                }
            }
        }
    }

    /// Perform hardware commands immediately, in order; stop at the first failure.
    async fn perform_now(
        &mut self,
        rt: &mut Runtime,
        cmds: &[HardwareCommand],
    ) -> Result<(), ButtplugError> {
        for c in cmds {
            self.perform(rt, c).await?;
        }
        Ok(())
    }

    /// Perform one hardware command now, within [`OP_TIMEOUT`].
    async fn perform(
        &mut self,
        rt: &mut Runtime,
        c: &HardwareCommand,
    ) -> Result<(), ButtplugError> {
        let op = async {
            match &c.op {
                HardwareOp::Write {
                    endpoint,
                    data,
                    with_response,
                } => self.transport.write(*endpoint, data, *with_response).await,
                HardwareOp::Subscribe(e) => self.transport.subscribe(*e).await,
                HardwareOp::Unsubscribe(e) => self.transport.unsubscribe(*e).await,
            }
        };
        // Most operations complete at once (a write into a queue): only one that waits gets a
        // timer.
        let mut op = std::pin::pin!(op);
        let r = match futures::poll!(op.as_mut()) {
            std::task::Poll::Ready(r) => r,
            std::task::Poll::Pending => tokio::time::timeout(OP_TIMEOUT, op)
                .await
                .unwrap_or(Err(HardwareError::Timeout)),
        };
        match r {
            Ok(()) => {
                // Only a repeat-last keep-alive needs the packet again.
                if let (
                    HardwareOp::Write {
                        endpoint,
                        data,
                        with_response,
                    },
                    Keepalive::RepeatLast(_),
                ) = (&c.op, rt.keepalive)
                {
                    rt.last_packet = Some((*endpoint, data.clone(), *with_response));
                }
                Ok(())
            }
            Err(e) => {
                if e == HardwareError::Disconnected {
                    rt.disconnected = true;
                }
                // What the device runs now is unknown: nothing may be skipped as a repeat.
                rt.last_sent.clear();
                rt.positional_stopped.clear();
                warn!(device = self.index, "hardware operation failed: {e}");
                Err(ProtocolError::Hardware(e)
                    .to_device_error(&self.protocol)
                    .into())
            }
        }
    }

    async fn repeat_last(&mut self, rt: &mut Runtime) {
        if let Some((endpoint, data, wwr)) = rt.last_packet.clone() {
            let cmd = HardwareCommand::write(endpoint, data, wwr, crate::protocols::CoalesceKey(0));
            let _ = self.perform_now(rt, std::slice::from_ref(&cmd)).await;
        }
        rt.last_write_at = Some(Instant::now());
    }

    async fn on_tick(&mut self, rt: &mut Runtime) {
        if let Keepalive::Tick(period) = rt.keepalive {
            rt.next_tick = Some(Instant::now() + period);
        }
        let cmds = self.handler.tick();
        if !cmds.is_empty() {
            let _ = self.perform_now(rt, &cmds).await;
        }
    }

    async fn process_input(
        &mut self,
        rt: &mut Runtime,
        feature_index: u32,
        input: InputType,
        command: InputCommandType,
        reply: oneshot::Sender<Result<Option<i32>, ButtplugError>>,
    ) {
        let Some(feature) = self.feature(feature_index).cloned() else {
            let _ = reply.send(Err(DeviceError::DeviceFeatureIndexError(
                self.definition.features.len() as u32,
                feature_index,
            )
            .into()));
            return;
        };
        match command {
            InputCommandType::Read => match self.handler.read_input(&feature, input) {
                Err(e) => {
                    let _ = reply.send(Err(e.to_device_error(&self.protocol).into()));
                }
                Ok(InputPlan::Notification { before, parse }) => {
                    rt.pending_reads.push_back(PendingNotificationRead {
                        parse,
                        reply,
                        deadline: Instant::now() + INPUT_TIMEOUT,
                    });
                    if let Err(e) = self.perform_now(rt, &before).await {
                        if let Some(r) = rt.pending_reads.pop_back() {
                            let _ = r.reply.send(Err(e));
                        }
                    }
                }
                Ok(InputPlan::Read {
                    before,
                    endpoint,
                    max_len,
                    mut parse,
                }) => {
                    if let Err(e) = self.perform_now(rt, &before).await {
                        let _ = reply.send(Err(e));
                        return;
                    }
                    // The read may take a while: do it beside the task so outputs keep flowing.
                    let transport = self.transport.clone();
                    let protocol = self.protocol.clone();
                    tokio::spawn(async move {
                        let r = match transport.read(endpoint, max_len, INPUT_TIMEOUT).await {
                            Ok(data) => match parse(endpoint, &data) {
                                Some(v) => Ok(Some(v)),
                                None => Err(DeviceError::ProtocolSpecificError(
                                    protocol,
                                    format!("unreadable reply {data:02x?}"),
                                )
                                .into()),
                            },
                            Err(e) => {
                                Err(ProtocolError::Hardware(e).to_device_error(&protocol).into())
                            }
                        };
                        let _ = reply.send(r);
                    });
                }
            },
            InputCommandType::Subscribe => {
                if rt.subscriptions.contains(&(feature_index, input)) {
                    let _ = reply.send(Ok(None));
                    return;
                }
                let r = match self.handler.subscribe_input(&feature, input) {
                    Ok(cmds) => self.perform_now(rt, &cmds).await.map(|_| {
                        rt.subscriptions.insert((feature_index, input));
                        None
                    }),
                    Err(e) => Err(e.to_device_error(&self.protocol).into()),
                };
                let _ = reply.send(r);
            }
            InputCommandType::Unsubscribe => {
                if !rt.subscriptions.remove(&(feature_index, input)) {
                    let _ = reply.send(Ok(None));
                    return;
                }
                let r = match self.handler.unsubscribe_input(&feature, input) {
                    Ok(cmds) => self.perform_now(rt, &cmds).await.map(|_| None),
                    Err(e) => Err(e.to_device_error(&self.protocol).into()),
                };
                let _ = reply.send(r);
            }
        }
    }

    fn on_notification(&mut self, rt: &mut Runtime, endpoint: Endpoint, data: &[u8]) {
        if let Some(r) = rt.pending_reads.front_mut() {
            if let Some(v) = (r.parse)(endpoint, data) {
                let r = rt.pending_reads.pop_front().expect("front exists");
                let _ = r.reply.send(Ok(Some(v)));
                return;
            }
        }
        for (feature, input, value) in self.handler.parse_notification(endpoint, data) {
            if rt.subscriptions.contains(&(feature, input)) {
                self.reporter.reading(
                    self.index,
                    SubscriptionReading {
                        feature,
                        input,
                        value,
                    },
                );
            }
        }
    }
}

fn fail_request(req: DeviceRequest, err: &ButtplugError) {
    match req {
        DeviceRequest::Batch(items) => {
            for item in items {
                let ack = match item {
                    BatchItem::Output { ack, .. } | BatchItem::Stop { ack, .. } => ack,
                };
                if let Some(ack) = ack {
                    let _ = ack.send(Err(err.clone()));
                }
            }
        }
        DeviceRequest::Input { reply, .. } => {
            let _ = reply.send(Err(err.clone()));
        }
        DeviceRequest::Disconnect(done) => {
            let _ = done.send(());
        }
    }
}

async fn sleep_until_opt(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// Add a packet of the batch: it replaces the packets of other entries it overlaps (the later
/// command of one message wins; the packets of one entry never drop each other).
fn add_packet(packets: &mut Vec<QueuedPacket>, p: QueuedPacket) {
    packets.retain(|q| q.entry == p.entry || !q.cmd.key.overlaps(p.cmd.key));
    packets.push(p);
}

/// Answer each item of a batch now, or once its packets are written.
fn answer_items(rt: &mut Runtime, plan: &mut Scratch, window_open: bool) {
    for ((ack, is_stop), error) in plan.acks.drain(..).zip(plan.errors.drain(..)) {
        let Some(ack) = ack else { continue };
        match error {
            // This item could not be encoded; the rest of the message goes on.
            Some(e) => {
                let _ = ack.send(Err(e));
            }
            // A stop is answered once it is written; with nothing queued, there is nothing
            // left to write.
            None if is_stop && !rt.queue.is_empty() => rt.queue_acks.push(ack),
            // Queued until the gap window closes; the command is accepted now.
            None if window_open => {
                let _ = ack.send(Ok(()));
            }
            None => rt.queue_acks.push(ack),
        }
    }
}

/// A stop of every output of the device, answered to nobody.
fn stop_outputs() -> BatchItem {
    BatchItem::Stop {
        feature: None,
        outputs: true,
        inputs: false,
        ack: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hardware::simulated::{SimOp, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{definition, drain, feature, sim_io, write_op};
    use crate::wire::OutputType::{HwPositionWithDuration, Vibrate};

    /// Writes `[feature, value]`; a positional stop writes `[EE, feature]`.
    struct Fake;

    impl ProtocolHandler for Fake {
        fn encode_output(
            &mut self,
            f: &FeatureDefinition,
            c: OutputCommand,
        ) -> Result<Vec<HardwareCommand>, ProtocolError> {
            let data = vec![f.index as u8, c.value() as u8];
            Ok(vec![HardwareCommand::feature_write(
                f.index,
                Endpoint::Tx,
                data,
                false,
            )])
        }

        fn stop_positional(&mut self, f: &FeatureDefinition) -> Vec<HardwareCommand> {
            let data = vec![0xEE, f.index as u8];
            vec![HardwareCommand::feature_write(
                f.index,
                Endpoint::Tx,
                data,
                false,
            )]
        }
    }

    struct NoReadings;

    impl DeviceTaskEvents for NoReadings {
        fn reading(&self, _device_index: u32, _reading: SubscriptionReading) {}
        fn stop_failed(&self, _device_index: u32, _message: String) {}
    }

    #[tokio::test]
    async fn stop_asks_the_protocol_about_positional_features() {
        let spec = SimulatedDeviceSpec::new("fake", "a");
        let (_dev, io, mut ops) = sim_io(spec, &[Endpoint::Tx]).await;
        let (transport, events, _) = io.into_parts();
        let def = definition(vec![
            feature(0, &[(Vibrate, 0, 10)]),
            feature(1, &[(HwPositionWithDuration, 0, 99)]),
            feature(2, &[]),
        ]);
        let (tx, requests) = mpsc::unbounded_channel();
        let task = DeviceTask {
            index: 0,
            protocol: "fake".into(),
            definition: Arc::new(def),
            handler: Box::new(Fake),
            transport,
            events,
            requests,
            gap: Duration::ZERO,
            reporter: Arc::new(NoReadings),
        };
        tokio::spawn(task.run());
        let (ack, acked) = oneshot::channel();
        let stop = BatchItem::Stop {
            feature: None,
            outputs: true,
            inputs: true,
            ack: Some(ack),
        };
        assert!(tx.send(DeviceRequest::Batch(stop.into())).is_ok());
        assert_eq!(acked.await.ok(), Some(Ok(())));
        let (done, gone) = oneshot::channel();
        assert!(tx.send(DeviceRequest::Disconnect(done)).is_ok());
        assert!(gone.await.is_ok());
        assert_eq!(
            drain(&mut ops),
            vec![
                write_op(Endpoint::Tx, &[0, 0], false),
                write_op(Endpoint::Tx, &[0xEE, 1], false),
                SimOp::Disconnected,
            ]
        );
    }
}

#[cfg(test)]
mod item_errors {
    use super::*;
    use crate::hardware::simulated::{SimulatedDevice, SimulatedDeviceSpec};
    use crate::protocols::shared::testing::{definition, feature};
    use crate::wire::OutputType;

    /// Encodes feature 0 and refuses feature 1.
    struct HalfWorking;

    impl ProtocolHandler for HalfWorking {
        fn encode_output(
            &mut self,
            feature: &FeatureDefinition,
            command: OutputCommand,
        ) -> Result<Vec<HardwareCommand>, ProtocolError> {
            if feature.index == 1 {
                return Err(ProtocolError::Unsupported("no".into()));
            }
            Ok(vec![HardwareCommand::feature_write(
                feature.index,
                Endpoint::Tx,
                [command.value() as u8],
                false,
            )])
        }
    }

    struct NoReadings;
    impl DeviceTaskEvents for NoReadings {
        fn reading(&self, _: u32, _: SubscriptionReading) {}
        fn stop_failed(&self, _: u32, _: String) {}
    }

    #[tokio::test]
    async fn an_item_that_cannot_be_encoded_fails_alone() {
        let dev = SimulatedDevice::new(SimulatedDeviceSpec::new("x", "x"));
        let mut ops = dev.op_receiver();
        let transport = dev.transport(vec![Endpoint::Tx]).unwrap();
        let events = transport.take_events().unwrap();
        let (tx, rx) = mpsc::unbounded_channel();
        let def = definition(vec![
            feature(0, &[(OutputType::Vibrate, 0, 20)]),
            feature(1, &[(OutputType::Vibrate, 0, 20)]),
        ]);
        let task = DeviceTask {
            index: 0,
            protocol: "test".into(),
            definition: Arc::new(def),
            handler: Box::new(HalfWorking),
            transport,
            events,
            requests: rx,
            gap: Duration::ZERO,
            reporter: Arc::new(NoReadings),
        };
        let join = tokio::spawn(task.run());
        let (a0, r0) = oneshot::channel();
        let (a1, r1) = oneshot::channel();
        let vib = |v| OutputCommand::new(OutputType::Vibrate, v, 0);
        tx.send(DeviceRequest::Batch(BatchItems::Many(vec![
            BatchItem::Output {
                feature: 0,
                command: vib(5),
                ack: Some(a0),
            },
            BatchItem::Output {
                feature: 1,
                command: vib(6),
                ack: Some(a1),
            },
        ])))
        .unwrap();
        assert_eq!(r0.await.unwrap(), Ok(()));
        assert!(matches!(
            r1.await.unwrap(),
            Err(ButtplugError::ButtplugDeviceError(
                DeviceError::UnhandledCommand(_)
            ))
        ));
        match ops.recv().await.unwrap() {
            crate::hardware::simulated::SimOp::Write { data, .. } => assert_eq!(data, vec![5]),
            other => panic!("{other:?}"),
        }
        drop(tx);
        join.await.unwrap();
    }
}
