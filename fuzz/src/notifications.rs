//! `notifications`: bytes a device sends, fed to a protocol handler the way the server does it.
//! One target covers every protocol of the registry: the first input byte picks the protocol,
//! the second a device definition of it from the embedded database.
//!
//! Input layout: `protocol, definition, flags, setup_count, records…`, where a record is
//! `op, len, len bytes` (a short last record takes what is left). With flags bit 0 set the
//! protocol's identify step runs (else the identity is forced, as for devices that announce
//! it), then initialize, both over a transport whose device answers with the first
//! `setup_count` records: a notification (even `op`, on the endpoint `op / 2` picks among the
//! transport's), the advertised name (`op` 3), a manufacturer data entry of the advertisement
//! (`op` 5: company, little-endian, then payload), or else (odd `op`) the next read's reply. The
//! other records drive the device task:
//! `op % 5` = 0 a notification on the endpoint `op / 5` picks (to a pending notification read
//! first, else `parse_notification`), 1 an input read on the feature/input picked by the first
//! data byte (a read plan parses the other bytes as the read reply, a notification plan waits
//! for later notifications), 2 a subscribe or unsubscribe (first data byte picks), 3 an output
//! command at a value within the advertised range (plus positional stops), 4 a keep-alive tick.
//! [`seed`] writes inputs in this layout for the seed corpus.
//!
//! Only what the server would do is done: setup failures end the run (the device would not be
//! added), input commands only on inputs that offer them, output values only within range
//! (scaled by `to_device_step` like the server's validation). The clock is tokio's paused clock,
//! so identify and read timeouts elapse at once.

use std::collections::{BTreeMap, VecDeque};
use std::sync::{LazyLock, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use teleplug::device_config::{
    CommunicationSpecifier, DeviceConfig, DeviceDefinition, DeviceIdentity, FeatureDefinition,
};
use teleplug::hardware::{Advertisement, Endpoint, HardwareError, HardwareEvent, Transport};
use teleplug::protocols::registry::{lookup, supported_protocols};
use teleplug::protocols::{DeviceIo, Identification, InputPlan, Keepalive, ReplyParser};
use teleplug::wire::{InputCommandType, InputType, OutputCommand, OutputType};

/// Records beyond this are ignored (the transport's event queue holds 1024).
const MAX_RECORDS: usize = 256;
/// Setup record ops other than notifications (even) and read replies (other odd ones).
const SETUP_NAME: u8 = 3;
const SETUP_MANUFACTURER_DATA: u8 = 5;

/// Every implemented protocol that has a definition in the embedded database, with them.
static PROTOCOLS: LazyLock<Vec<(&'static str, Vec<DeviceDefinition>)>> = LazyLock::new(|| {
    let mut by_key: BTreeMap<String, Vec<DeviceDefinition>> = BTreeMap::new();
    for d in DeviceConfig::embedded().all_definitions() {
        by_key.entry(d.protocol.clone()).or_default().push(d);
    }
    supported_protocols()
        .filter_map(|key| Some((key, by_key.remove(key)?)))
        .collect()
});

thread_local! {
    static RUNTIME: tokio::runtime::Runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .start_paused(true)
        .build()
        .expect("tokio runtime");
}

/// The protocol keys in the order the first input byte picks them (for the seed generator).
pub fn protocol_keys() -> Vec<&'static str> {
    PROTOCOLS.iter().map(|(k, _)| *k).collect()
}

/// The definitions of a protocol key in the order the second byte picks them.
pub fn definitions(key: &str) -> Vec<DeviceDefinition> {
    PROTOCOLS
        .iter()
        .find(|(k, _)| *k == key)
        .map(|(_, d)| d.clone())
        .unwrap_or_default()
}

/// Run one device's life on `data`.
pub fn run(data: &[u8]) {
    let [p, d, flags, setup_count, rest @ ..] = data else {
        return;
    };
    let (key, defs) = &PROTOCOLS[usize::from(*p) % PROTOCOLS.len()];
    let def = &defs[usize::from(*d) % defs.len()];
    let records = records(rest);
    let split = usize::from(*setup_count).min(records.len());
    let (setup, task) = records.split_at(split);
    RUNTIME.with(|rt| rt.block_on(device(key, def, flags & 1 == 1, setup, task)));
}

/// One `op, len, bytes` record.
struct Record<'a> {
    op: u8,
    data: &'a [u8],
}

fn records(mut rest: &[u8]) -> Vec<Record<'_>> {
    let mut out = Vec::new();
    while let [op, len, tail @ ..] = rest {
        let n = usize::from(*len).min(tail.len());
        out.push(Record {
            op: *op,
            data: &tail[..n],
        });
        rest = &tail[n..];
        if out.len() == MAX_RECORDS {
            break;
        }
    }
    out
}

/// The endpoints a device of `key` has: the first Bluetooth LE specifier's service map, else
/// those of serial and HID ports (`tx`, `rx`). Never empty.
pub fn endpoints(key: &str) -> Vec<Endpoint> {
    let specs = DeviceConfig::embedded().communication(key);
    specs
        .iter()
        .find_map(|s| match s {
            CommunicationSpecifier::Btle(b) if !b.endpoints().is_empty() => Some(b.endpoints()),
            _ => None,
        })
        .unwrap_or_else(|| vec![Endpoint::Rx, Endpoint::Tx])
}

/// A device that answers reads from a queue and has notifications waiting.
struct FuzzTransport {
    endpoints: Vec<Endpoint>,
    reads: Mutex<VecDeque<Vec<u8>>>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
}

impl FuzzTransport {
    fn check(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        if self.endpoints.contains(&endpoint) {
            Ok(())
        } else {
            Err(HardwareError::InvalidEndpoint(endpoint))
        }
    }
}

#[async_trait]
impl Transport for FuzzTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        self.endpoints.clone()
    }

    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }

    async fn write(&self, endpoint: Endpoint, _: &[u8], _: bool) -> Result<(), HardwareError> {
        self.check(endpoint)
    }

    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        self.check(endpoint)?;
        let reply = self.reads.lock().expect("reads").pop_front();
        match reply {
            // Every transport hands a protocol at most `max_len` bytes.
            Some(mut data) => {
                data.truncate(max_len);
                Ok(data)
            }
            None => {
                tokio::time::sleep(timeout).await;
                Err(HardwareError::Timeout)
            }
        }
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.check(endpoint)
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.check(endpoint)
    }

    async fn disconnect(&self) {}

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().expect("events").take()
    }
}

fn pick<T: Copy>(items: &[T], selector: u8) -> T {
    items[usize::from(selector) % items.len()]
}

/// Connect, identify and initialize as `server/discovery.rs` does, then run the device task's
/// input and output paths on the remaining records.
async fn device(
    key: &'static str,
    def: &DeviceDefinition,
    identify: bool,
    setup: &[Record<'_>],
    task: &[Record<'_>],
) {
    let eps = endpoints(key);
    let (tx, rx) = mpsc::channel(setup.len().max(1));
    let mut reads = VecDeque::new();
    let name = def.identifier.clone().unwrap_or_else(|| def.name.clone());
    let mut advertisement = Advertisement::btle(name, "fuzz-device");
    for r in setup {
        match r.op {
            op if op % 2 == 0 => {
                let endpoint = pick(&eps, op / 2);
                let data = r.data.to_vec();
                // Cannot fail: the channel has room for every setup record.
                let _ = tx.try_send(HardwareEvent::Notification { endpoint, data });
            }
            SETUP_NAME => advertisement.name = String::from_utf8_lossy(r.data).into_owned(),
            SETUP_MANUFACTURER_DATA => {
                let company = u16::from_le_bytes([
                    r.data.first().copied().unwrap_or(0),
                    r.data.get(1).copied().unwrap_or(0),
                ]);
                let payload = r.data.get(2..).unwrap_or_default().to_vec();
                advertisement.manufacturer_data.push((company, payload));
            }
            _ => reads.push_back(r.data.to_vec()),
        }
    }
    let transport = std::sync::Arc::new(FuzzTransport {
        endpoints: eps.clone(),
        reads: Mutex::new(reads),
        events: Mutex::new(Some(rx)),
    });
    let Some(events) = transport.take_events() else {
        return;
    };
    let mut io = DeviceIo::new(transport, events, advertisement);

    let Some(spec) = lookup(key) else {
        return;
    };
    let mut handler = (spec.create)();
    let ident = if identify {
        match handler.identify(&mut io).await {
            Ok(ident) => ident,
            Err(_) => return,
        }
    } else {
        Identification {
            identifier: def.identifier.clone(),
            switch_to: None,
        }
    };
    let mut protocol = key;
    if let Some(new_key) = ident.switch_to {
        let Some(new_spec) = lookup(new_key) else {
            return;
        };
        handler = (new_spec.create)();
        protocol = new_key;
    }
    let identity = DeviceIdentity {
        address: "fuzz-device".into(),
        protocol: protocol.into(),
        identifier: ident.identifier,
    };
    let Some(definition) = DeviceConfig::embedded().resolve(&identity) else {
        return;
    };
    if handler.initialize(&mut io, &definition).await.is_err() {
        return;
    }
    let (_transport, mut events, _) = io.into_parts();
    drop(tx);

    let mut task_state = Task {
        handler,
        definition,
        endpoints: eps,
        pending: VecDeque::new(),
        subscriptions: Vec::new(),
    };
    // Notifications that came during setup and were not consumed reach the device task first.
    while let Ok(ev) = events.try_recv() {
        if let HardwareEvent::Notification { endpoint, data } = ev {
            task_state.notification(endpoint, &data);
        }
    }
    for r in task {
        task_state.record(r);
    }
}

/// The device task's view: handler, definition, pending notification reads, subscriptions.
struct Task {
    handler: Box<dyn teleplug::protocols::ProtocolHandler>,
    definition: DeviceDefinition,
    endpoints: Vec<Endpoint>,
    pending: VecDeque<ReplyParser>,
    subscriptions: Vec<(u32, InputType)>,
}

impl Task {
    fn record(&mut self, r: &Record<'_>) {
        let selector = r.data.first().copied().unwrap_or(0);
        match r.op % 5 {
            0 => {
                let endpoint = pick(&self.endpoints, r.op / 5);
                self.notification(endpoint, r.data);
            }
            1 => self.read(selector, r.data.get(1..).unwrap_or_default()),
            2 => self.subscription(selector),
            3 => self.output(r.data),
            _ => {
                if matches!(self.handler.keepalive(), Keepalive::Tick(_)) {
                    self.handler.tick();
                }
            }
        }
    }

    /// `server/device.rs` `on_notification`: a pending read's parser first, else the handler.
    fn notification(&mut self, endpoint: Endpoint, data: &[u8]) {
        if let Some(parse) = self.pending.front_mut()
            && parse(endpoint, data).is_some()
        {
            self.pending.pop_front();
            return;
        }
        let _ = self.handler.parse_notification(endpoint, data);
    }

    /// Inputs of the definition offering `command`, as (feature, input type).
    fn inputs(&self, command: InputCommandType) -> Vec<(FeatureDefinition, InputType)> {
        self.definition
            .features
            .iter()
            .flat_map(|f| {
                f.inputs
                    .iter()
                    .filter(|i| i.commands.contains(&command))
                    .map(|i| (f.clone(), i.input_type))
            })
            .collect()
    }

    fn read(&mut self, selector: u8, reply: &[u8]) {
        let inputs = self.inputs(InputCommandType::Read);
        let Some((feature, input)) = inputs.get(usize::from(selector) % inputs.len().max(1)) else {
            return;
        };
        match self.handler.read_input(feature, *input) {
            Ok(InputPlan::Read {
                endpoint,
                max_len,
                mut parse,
                ..
            }) => {
                let data = &reply[..reply.len().min(max_len)];
                let _ = parse(endpoint, data);
            }
            Ok(InputPlan::Notification { parse, .. }) => self.pending.push_back(parse),
            Err(_) => {}
        }
    }

    fn subscription(&mut self, selector: u8) {
        let inputs = self.inputs(InputCommandType::Subscribe);
        let Some((feature, input)) = inputs.get(usize::from(selector) % inputs.len().max(1)) else {
            return;
        };
        let key = (feature.index, *input);
        if let Some(at) = self.subscriptions.iter().position(|s| *s == key) {
            self.subscriptions.remove(at);
            let _ = self.handler.unsubscribe_input(feature, *input);
        } else if self.handler.subscribe_input(feature, *input).is_ok() {
            self.subscriptions.push(key);
        }
    }

    /// An output command as the server validates and scales it (`server/validate.rs`).
    fn output(&mut self, data: &[u8]) {
        let byte = |i: usize| data.get(i).copied().unwrap_or(0);
        let outputs: Vec<(FeatureDefinition, usize)> = self
            .definition
            .features
            .iter()
            .flat_map(|f| (0..f.outputs.len()).map(move |o| (f.clone(), o)))
            .collect();
        let Some((feature, o)) = outputs.get(usize::from(byte(0)) % outputs.len().max(1)) else {
            return;
        };
        let out = &feature.outputs[*o];
        if out.disabled {
            return;
        }
        let (lo, hi) = out.client_range();
        let raw = i64::from(u32::from_le_bytes([byte(1), byte(2), byte(3), byte(4)]));
        let span = i64::from(hi) - i64::from(lo) + 1;
        let Ok(value) = i32::try_from(i64::from(lo) + raw % span.max(1)) else {
            return;
        };
        let Some(step) = out.to_device_step(value) else {
            return;
        };
        if value < 0 && (!out.output_type.accepts_negative() || out.base_range.0 >= 0) {
            return;
        }
        let duration = u32::from_le_bytes([byte(5), byte(6), byte(7), byte(8)]);
        let _ = self
            .handler
            .encode_output(feature, OutputCommand::new(out.output_type, step, duration));
        let positional = feature.outputs.iter().all(|o| {
            matches!(
                o.output_type,
                OutputType::Position | OutputType::HwPositionWithDuration
            )
        });
        if positional && byte(9) % 2 == 1 {
            let _ = self.handler.stop_positional(feature);
        }
    }
}

/// What a device does during setup, for [`seed`].
pub enum Setup<'a> {
    /// A notification on an endpoint.
    Notify(Endpoint, &'a [u8]),
    /// The reply to the next read.
    Read(&'a [u8]),
    /// The advertised name (else the definition's identifier or name).
    Name(&'a str),
    /// A manufacturer data entry of the advertisement: company and payload.
    ManufacturerData(u16, &'a [u8]),
}

/// What happens once the device is added, for [`seed`].
pub enum Step<'a> {
    /// A notification on an endpoint.
    Notify(Endpoint, &'a [u8]),
    /// A read of the `n`th readable input, and the reply bytes a read plan parses.
    Read(u8, &'a [u8]),
    /// Subscribe to (or unsubscribe from) the `n`th subscribable input.
    Subscribe(u8),
    /// An output command (first byte picks the output, then value and duration bytes).
    Output(&'a [u8]),
    /// A keep-alive tick.
    Tick,
}

/// An input for this target: a device of protocol `key` whose database identifier is
/// `identifier` (`None`: the protocol's defaults), identified by the protocol's own step when
/// `identify`. `None` when the protocol, definition or an endpoint is not there.
pub fn seed(
    key: &str,
    identifier: Option<&str>,
    identify: bool,
    setup: &[Setup<'_>],
    steps: &[Step<'_>],
) -> Option<Vec<u8>> {
    let p = PROTOCOLS.iter().position(|(k, _)| *k == key)?;
    let d = PROTOCOLS[p]
        .1
        .iter()
        .position(|d| d.identifier.as_deref() == identifier)?;
    let eps = endpoints(key);
    let ep = |e: &Endpoint| {
        eps.iter()
            .position(|x| x == e)
            .and_then(|i| u8::try_from(i).ok())
    };
    let mut out = vec![
        u8::try_from(p).ok()?,
        u8::try_from(d).ok()?,
        u8::from(identify),
        u8::try_from(setup.len()).ok()?,
    ];
    let mut push = |op: u8, data: &[u8]| -> Option<()> {
        out.push(op);
        out.push(u8::try_from(data.len()).ok()?);
        out.extend_from_slice(data);
        Some(())
    };
    for s in setup {
        match s {
            Setup::Notify(e, data) => push(ep(e)?.checked_mul(2)?, data)?,
            Setup::Read(data) => push(1, data)?,
            Setup::Name(name) => push(SETUP_NAME, name.as_bytes())?,
            Setup::ManufacturerData(company, payload) => push(
                SETUP_MANUFACTURER_DATA,
                &[&company.to_le_bytes()[..], payload].concat(),
            )?,
        }
    }
    for s in steps {
        match s {
            Step::Notify(e, data) => push(ep(e)?.checked_mul(5)?, data)?,
            Step::Read(n, reply) => push(1, &[&[*n], *reply].concat())?,
            Step::Subscribe(n) => push(2, &[*n])?,
            Step::Output(data) => push(3, data)?,
            Step::Tick => push(4, &[])?,
        }
    }
    Some(out)
}
