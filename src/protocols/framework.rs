//! The protocol framework: the [`ProtocolHandler`] trait every protocol implements, the hardware
//! commands it produces with their coalescing keys, input plans, keep-alive strategies and the
//! [`DeviceIo`] handle used during identification and initialization.

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::device_config::{DeviceDefinition, FeatureDefinition};
use crate::hardware::{Advertisement, Endpoint, HardwareError, HardwareEvent, Transport};
use crate::wire::{DeviceError, InputCommandType, InputType, OutputCommand};

/// Failures of a protocol.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ProtocolError {
    #[error(transparent)]
    Hardware(#[from] HardwareError),
    /// The protocol cannot do this (e.g. an output type it has no encoding for).
    #[error("{0}")]
    Unsupported(String),
    /// The device answered something the protocol cannot use.
    #[error("{0}")]
    InvalidReply(String),
}

impl ProtocolError {
    /// The Buttplug device error this maps to.
    pub fn to_device_error(&self, protocol: &str) -> DeviceError {
        match self {
            ProtocolError::Hardware(HardwareError::Disconnected) => {
                DeviceError::DeviceConnectionError("device disconnected".into())
            }
            ProtocolError::Hardware(HardwareError::InvalidEndpoint(e)) => {
                DeviceError::InvalidEndpoint(e.to_string())
            }
            ProtocolError::Hardware(e) => DeviceError::DeviceCommunicationError(e.to_string()),
            ProtocolError::Unsupported(m) => DeviceError::UnhandledCommand(m.clone()),
            ProtocolError::InvalidReply(m) => {
                DeviceError::ProtocolSpecificError(protocol.to_string(), m.clone())
            }
        }
    }
}

/// Which queued packets a packet supersedes: a set of bits (feature indexes 0–47, then 16
/// protocol-defined identities). A later packet drops every earlier unsent packet whose key
/// overlaps its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct CoalesceKey(pub u64);

impl CoalesceKey {
    const FEATURE_BITS: u64 = (1 << 48) - 1;

    /// The packet concerns one feature.
    pub fn feature(index: u32) -> CoalesceKey {
        CoalesceKey(1 << index.min(47))
    }

    /// The packet carries the whole device's state.
    pub fn device() -> CoalesceKey {
        CoalesceKey(Self::FEATURE_BITS)
    }

    /// A protocol-defined identity `n` (0–15) separate from every feature.
    pub fn custom(n: u8) -> CoalesceKey {
        CoalesceKey(1 << (48 + u64::from(n.min(15))))
    }

    /// Whether two keys overlap.
    pub fn overlaps(self, other: CoalesceKey) -> bool {
        self.0 & other.0 != 0
    }
}

/// One hardware operation.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HardwareOp {
    Write {
        endpoint: Endpoint,
        data: Vec<u8>,
        with_response: bool,
    },
    Subscribe(Endpoint),
    Unsubscribe(Endpoint),
}

/// A hardware operation with its coalescing key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct HardwareCommand {
    pub op: HardwareOp,
    pub key: CoalesceKey,
}

impl HardwareCommand {
    /// A write.
    pub fn write(
        endpoint: Endpoint,
        data: impl Into<Vec<u8>>,
        with_response: bool,
        key: CoalesceKey,
    ) -> HardwareCommand {
        HardwareCommand {
            op: HardwareOp::Write {
                endpoint,
                data: data.into(),
                with_response,
            },
            key,
        }
    }

    /// A write concerning one feature.
    pub fn feature_write(
        feature: u32,
        endpoint: Endpoint,
        data: impl Into<Vec<u8>>,
        with_response: bool,
    ) -> HardwareCommand {
        Self::write(endpoint, data, with_response, CoalesceKey::feature(feature))
    }

    /// A write carrying the whole device's state.
    pub fn device_write(
        endpoint: Endpoint,
        data: impl Into<Vec<u8>>,
        with_response: bool,
    ) -> HardwareCommand {
        Self::write(endpoint, data, with_response, CoalesceKey::device())
    }

    /// Subscribe to an endpoint.
    pub fn subscribe(endpoint: Endpoint) -> HardwareCommand {
        HardwareCommand {
            op: HardwareOp::Subscribe(endpoint),
            key: CoalesceKey(0),
        }
    }

    /// Unsubscribe from an endpoint.
    pub fn unsubscribe(endpoint: Endpoint) -> HardwareCommand {
        HardwareCommand {
            op: HardwareOp::Unsubscribe(endpoint),
            key: CoalesceKey(0),
        }
    }
}

/// Parses a reply into a reading value; `None` = not the reply, keep waiting.
pub type ReplyParser = Box<dyn FnMut(Endpoint, &[u8]) -> Option<i32> + Send>;

/// How to obtain one input reading.
pub enum InputPlan {
    /// Perform `before`, then read `endpoint` (up to `max_len` bytes) and parse the bytes.
    Read {
        before: Vec<HardwareCommand>,
        endpoint: Endpoint,
        max_len: usize,
        parse: ReplyParser,
    },
    /// Perform `before`, then take notifications until `parse` accepts one.
    Notification {
        before: Vec<HardwareCommand>,
        parse: ReplyParser,
    },
}

impl InputPlan {
    /// A battery read of one byte of percent from `endpoint`.
    pub fn battery_byte(endpoint: Endpoint) -> InputPlan {
        InputPlan::Read {
            before: Vec::new(),
            endpoint,
            max_len: 1,
            parse: Box::new(|_, d| d.first().map(|b| i32::from(*b))),
        }
    }

    /// The standard BLE battery read: one byte of percent from `rxblebattery`.
    pub fn ble_battery() -> InputPlan {
        InputPlan::battery_byte(Endpoint::RxBleBattery)
    }

    /// The plan of a protocol whose only readable input is the battery, read as
    /// [`InputPlan::battery_byte`] from `endpoint`; any other input is not supported.
    pub fn battery_byte_only(
        input: InputType,
        endpoint: Endpoint,
    ) -> Result<InputPlan, ProtocolError> {
        match input {
            InputType::Battery => Ok(InputPlan::battery_byte(endpoint)),
            _ => Err(unsupported_input(input, InputCommandType::Read)),
        }
    }

    /// [`InputPlan::battery_byte_only`] from the standard BLE battery (`rxblebattery`).
    pub fn ble_battery_only(input: InputType) -> Result<InputPlan, ProtocolError> {
        InputPlan::battery_byte_only(input, Endpoint::RxBleBattery)
    }
}

/// A protocol's keep-alive needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Keepalive {
    /// Nothing is ever repeated.
    None,
    /// Re-send the last written packet after this much idle time (the device stops otherwise).
    RepeatLast(Duration),
    /// Call [`ProtocolHandler::tick`] at this period for the life of the connection.
    Tick(Duration),
}

/// The outcome of the identify step.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Identification {
    /// The identifier used for the database lookup (`None` = the protocol's defaults).
    pub identifier: Option<String>,
    /// Hand the device over to another protocol key (e.g. `hismith` → `hismith-mini`); that
    /// protocol's identify step is skipped and this identifier used.
    pub switch_to: Option<&'static str>,
}

impl Identification {
    /// Identify by the advertised name (the default).
    pub fn by_name(ad: &Advertisement) -> Identification {
        Identification {
            identifier: Some(ad.name.clone()),
            switch_to: None,
        }
    }

    pub fn identifier(id: impl Into<String>) -> Identification {
        Identification {
            identifier: Some(id.into()),
            switch_to: None,
        }
    }
}

/// The device link during identification and initialization.
pub struct DeviceIo {
    transport: std::sync::Arc<dyn Transport>,
    events: mpsc::Receiver<HardwareEvent>,
    advertisement: Advertisement,
}

impl DeviceIo {
    pub fn new(
        transport: std::sync::Arc<dyn Transport>,
        events: mpsc::Receiver<HardwareEvent>,
        advertisement: Advertisement,
    ) -> DeviceIo {
        DeviceIo {
            transport,
            events,
            advertisement,
        }
    }

    /// Give back the parts (the device task takes over the event stream).
    pub fn into_parts(
        self,
    ) -> (
        std::sync::Arc<dyn Transport>,
        mpsc::Receiver<HardwareEvent>,
        Advertisement,
    ) {
        (self.transport, self.events, self.advertisement)
    }

    pub fn advertisement(&self) -> &Advertisement {
        &self.advertisement
    }

    pub fn transport(&self) -> &std::sync::Arc<dyn Transport> {
        &self.transport
    }

    pub async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), ProtocolError> {
        Ok(self.transport.write(endpoint, data, with_response).await?)
    }

    pub async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, ProtocolError> {
        Ok(self.transport.read(endpoint, max_len, timeout).await?)
    }

    pub async fn subscribe(&self, endpoint: Endpoint) -> Result<(), ProtocolError> {
        Ok(self.transport.subscribe(endpoint).await?)
    }

    pub async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), ProtocolError> {
        Ok(self.transport.unsubscribe(endpoint).await?)
    }

    /// Perform hardware commands in order.
    pub async fn perform(&self, commands: &[HardwareCommand]) -> Result<(), ProtocolError> {
        for c in commands {
            match &c.op {
                HardwareOp::Write {
                    endpoint,
                    data,
                    with_response,
                } => self.write(*endpoint, data, *with_response).await?,
                HardwareOp::Subscribe(e) => self.subscribe(*e).await?,
                HardwareOp::Unsubscribe(e) => self.unsubscribe(*e).await?,
            }
        }
        Ok(())
    }

    /// The next notification, waiting at most `timeout`: `Ok(None)` on timeout, an error if the
    /// device disconnected.
    pub async fn next_notification(
        &mut self,
        timeout: Duration,
    ) -> Result<Option<(Endpoint, Vec<u8>)>, ProtocolError> {
        match tokio::time::timeout(timeout, self.events.recv()).await {
            Err(_) => Ok(None),
            Ok(Some(HardwareEvent::Notification { endpoint, data })) => Ok(Some((endpoint, data))),
            Ok(Some(HardwareEvent::Disconnected)) | Ok(None) => {
                Err(ProtocolError::Hardware(HardwareError::Disconnected))
            }
        }
    }
}

/// What a protocol implements. One handler instance serves one connected device.
#[async_trait]
pub trait ProtocolHandler: Send + 'static {
    /// Identify the device model. Default: the advertised name.
    async fn identify(&mut self, io: &mut DeviceIo) -> Result<Identification, ProtocolError> {
        Ok(Identification::by_name(io.advertisement()))
    }

    /// One-time setup once the definition is known (handshakes, mode writes, sizing state).
    async fn initialize(
        &mut self,
        _io: &mut DeviceIo,
        _definition: &DeviceDefinition,
    ) -> Result<(), ProtocolError> {
        Ok(())
    }

    /// Encode one validated output command, already scaled to device steps.
    fn encode_output(
        &mut self,
        feature: &FeatureDefinition,
        command: OutputCommand,
    ) -> Result<Vec<HardwareCommand>, ProtocolError>;

    /// Packets a device stop adds for a feature whose outputs are all positional (Position,
    /// HwPositionWithDuration), which a stop otherwise leaves alone: for devices where a
    /// position move keeps running until told otherwise. Default: none.
    fn stop_positional(&mut self, _feature: &FeatureDefinition) -> Vec<HardwareCommand> {
        Vec::new()
    }

    /// How to read an input. Default: not supported.
    fn read_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<InputPlan, ProtocolError> {
        Err(unsupported_input(input, InputCommandType::Read))
    }

    /// Start a subscription; notifications then reach [`Self::parse_notification`].
    fn subscribe_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        Err(unsupported_input(input, InputCommandType::Subscribe))
    }

    /// End a subscription.
    fn unsubscribe_input(
        &mut self,
        _feature: &FeatureDefinition,
        input: InputType,
    ) -> Result<Vec<HardwareCommand>, ProtocolError> {
        Err(unsupported_input(input, InputCommandType::Unsubscribe))
    }

    /// Readings carried by a notification for subscribed inputs: (feature index, type, value).
    fn parse_notification(
        &mut self,
        _endpoint: Endpoint,
        _data: &[u8],
    ) -> Vec<(u32, InputType, i32)> {
        Vec::new()
    }

    /// The protocol's keep-alive strategy.
    fn keepalive(&self) -> Keepalive {
        Keepalive::None
    }

    /// Whether the device gets a stop right after connecting (devices that need keep-alive).
    fn stop_on_connect(&self) -> bool {
        matches!(self.keepalive(), Keepalive::RepeatLast(_))
    }

    /// Periodic work for [`Keepalive::Tick`] protocols.
    fn tick(&mut self) -> Vec<HardwareCommand> {
        Vec::new()
    }
}

/// The error for an input operation a protocol does not offer.
pub fn unsupported_input(input: InputType, command: InputCommandType) -> ProtocolError {
    ProtocolError::Unsupported(format!(
        "Command not implemented for this protocol: InputCmd ({command:?} {input})"
    ))
}

/// The error for an output type a protocol has no encoding for.
pub fn unsupported_output(command: &OutputCommand) -> ProtocolError {
    ProtocolError::Unsupported(format!(
        "Command not implemented for this protocol: OutputCmd ({})",
        command.output_type()
    ))
}
