//! From a found device to a running device task: allow/deny, protocol matching, connecting,
//! the protocol's identify and initialize steps (bounded in time, panics contained), definition
//! lookup, index assignment and registration.

use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use super::ServerInner;
use super::device::DeviceTask;
use super::device_entry::device_entry;
use super::registry::DeviceHandle;
use super::request::{BatchItem, DeviceRequest};
use crate::device_config::{CommunicationSpecifier, DeviceIdentity, ProtocolMatch};
use crate::hardware::DeviceCandidate;
use crate::protocols::{self, DeviceIo};

/// Upper bound for connecting, identifying and initializing one device.
pub const SETUP_TIMEOUT: Duration = Duration::from_secs(15);

/// Try to bring a found device up. Never panics; failures are logged and the candidate released.
pub async fn connect_candidate(inner: Arc<ServerInner>, candidate: DeviceCandidate) {
    let address = candidate.advertisement.address.clone();
    if !inner.config.is_allowed(&address) {
        debug!(%address, "device denied by the user config");
        candidate.connector.abandon().await;
        return;
    }
    if !inner.registry.begin_connecting(&address) {
        candidate.connector.abandon().await;
        return;
    }
    let result = std::panic::AssertUnwindSafe(tokio::time::timeout(
        SETUP_TIMEOUT,
        setup(inner.clone(), &candidate),
    ))
    .catch_unwind()
    .await;
    let ok = match result {
        Ok(Ok(Ok(()))) => true,
        Ok(Ok(Err(e))) => {
            if e.is_empty() {
                debug!(%address, name = %candidate.advertisement.name, "no protocol matches; ignored");
            } else {
                warn!(%address, name = %candidate.advertisement.name, "device not added: {e}");
                inner.report_error(format!(
                    "device {} ({address}) could not be added: {e}",
                    candidate.advertisement.name
                ));
            }
            false
        }
        Ok(Err(_)) => {
            warn!(%address, "device setup timed out");
            false
        }
        Err(_) => {
            warn!(%address, "device setup panicked");
            false
        }
    };
    if !ok {
        candidate.connector.abandon().await;
    }
    inner.registry.end_connecting(&address);
}

/// Returns Err("") when nothing matched (not worth a warning).
async fn setup(inner: Arc<ServerInner>, candidate: &DeviceCandidate) -> Result<(), String> {
    let ad = &candidate.advertisement;
    let forced = candidate.connector.forced_identity();
    let m = match &forced {
        Some((protocol, _)) => {
            let specs = inner.config.communication(protocol);
            let specifier = specs
                .iter()
                .find(|s| matches!(s, CommunicationSpecifier::Btle(_)))
                .or(specs.first())
                .cloned()
                .ok_or_else(|| format!("unknown protocol {protocol:?}"))?;
            ProtocolMatch {
                protocol: protocol.clone(),
                specifier,
            }
        }
        None => match inner.config.match_advertisement(ad).into_iter().next() {
            Some(m) => m,
            None => return Err(String::new()),
        },
    };
    let Some(spec) = protocols::lookup(&m.protocol) else {
        // Reported once per device (every advertisement and rescan offers it again).
        if inner
            .registry
            .first_unsupported_report(&ad.address, &m.protocol)
        {
            info!(
                protocol = %m.protocol,
                name = %ad.name,
                "device matched protocol {:?}, which Teleplug does not support yet; it is not connected",
                m.protocol
            );
        }
        return Err(String::new());
    };
    let transport = candidate
        .connector
        .connect(&m.specifier)
        .await
        .map_err(|e| format!("connection failed: {e}"))?;
    let Some(events) = transport.take_events() else {
        transport.disconnect().await;
        return Err("transport has no event stream".into());
    };
    let mut io = DeviceIo::new(transport.clone(), events, ad.clone());
    match finish_setup(&inner, &mut io, spec, &m.protocol, forced).await {
        Ok(parts) => {
            let (transport, events, _) = io.into_parts();
            start_device(inner, parts, transport, events);
            Ok(())
        }
        Err(e) => {
            transport.disconnect().await;
            Err(e)
        }
    }
}

struct SetupResult {
    protocol: String,
    handler: Box<dyn protocols::ProtocolHandler>,
    identity: DeviceIdentity,
    definition: crate::device_config::DeviceDefinition,
}

async fn finish_setup(
    inner: &Arc<ServerInner>,
    io: &mut DeviceIo,
    spec: &'static protocols::ProtocolSpec,
    matched: &str,
    forced: Option<(String, Option<String>)>,
) -> Result<SetupResult, String> {
    let mut handler = (spec.create)();
    let ident = match forced {
        Some((_, identifier)) => protocols::Identification {
            identifier,
            switch_to: None,
        },
        None => handler
            .identify(io)
            .await
            .map_err(|e| format!("identification failed: {e}"))?,
    };
    let mut protocol = matched.to_string();
    if let Some(new_key) = ident.switch_to {
        let new_spec = protocols::lookup(new_key)
            .ok_or_else(|| format!("protocol {new_key} is not implemented"))?;
        handler = (new_spec.create)();
        protocol = new_key.to_string();
    }
    let identity = DeviceIdentity {
        address: io.advertisement().address.clone(),
        protocol: protocol.clone(),
        identifier: ident.identifier,
    };
    let definition = inner
        .config
        .resolve(&identity)
        .ok_or_else(|| format!("no device definition for protocol {protocol}"))?;
    handler
        .initialize(io, &definition)
        .await
        .map_err(|e| format!("initialization failed: {e}"))?;
    Ok(SetupResult {
        protocol,
        handler,
        identity,
        definition,
    })
}

fn start_device(
    inner: Arc<ServerInner>,
    parts: SetupResult,
    transport: Arc<dyn crate::hardware::Transport>,
    events: mpsc::Receiver<crate::hardware::HardwareEvent>,
) {
    let SetupResult {
        protocol,
        handler,
        identity,
        definition,
    } = parts;
    let returning = inner.registry.seen_before(&identity);
    let Some(index) = inner
        .registry
        .assign_index(&inner.config, &identity, &definition)
    else {
        warn!(?identity, "device index taken; device not added");
        tokio::spawn(async move { transport.disconnect().await });
        return;
    };
    let gap = definition
        .message_gap_ms
        .map(|ms| Duration::from_millis(u64::from(ms)))
        .unwrap_or_else(|| transport.default_message_gap());
    let gap_ms = u32::try_from(gap.as_millis()).unwrap_or(u32::MAX);
    let definition = Arc::new(definition);
    let (tx, rx) = mpsc::unbounded_channel();
    let recorded = identity.clone();
    let handle = Arc::new(DeviceHandle {
        index,
        identity,
        definition: definition.clone(),
        entry: device_entry(index, &definition, gap_ms),
        requests: tx,
    });
    let task = DeviceTask {
        index,
        protocol: protocol.clone(),
        definition: definition.clone(),
        handler,
        transport: transport.clone(),
        events,
        requests: rx,
        gap,
        reporter: inner.clone(),
    };
    if returning {
        // A device coming back may still run what it was last told before it left (some toys
        // keep their last command through a link loss): it is stopped before anything else.
        // Nothing the client sent before is replayed.
        let stop = BatchItem::Stop {
            feature: None,
            outputs: true,
            inputs: false,
            ack: None,
        };
        let _ = handle.requests.send(DeviceRequest::Batch(stop.into()));
    }
    if !inner.registry.insert(handle) {
        warn!(index, "device index taken; device not added");
        tokio::spawn(async move { transport.disconnect().await });
        return;
    }
    info!(index, %protocol, name = %definition.name, "device added");
    inner.record_device(&recorded, index, &definition.name);
    transport.on_device_ready(&protocol, &definition.name);
    inner.device_added(index);
    let inner2 = inner.clone();
    let join = tokio::spawn(async move {
        if std::panic::AssertUnwindSafe(task.run())
            .catch_unwind()
            .await
            .is_err()
        {
            warn!(index, "device task panicked; the device is removed");
            transport.disconnect().await;
        }
        if inner2.registry.remove(index) {
            info!(index, "device removed");
            inner2.device_removed(index);
        }
    });
    inner.track_task(join);
}
