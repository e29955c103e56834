//! The hardware layer: what a device is to the server before and after it speaks a protocol.
//! Hardware managers scan and report [`DeviceCandidate`]s; a candidate's connector opens a
//! [`Transport`], the byte pipe every protocol drives through logical [`Endpoint`]s.
//! Transports: simulated devices (always), and behind cargo features Bluetooth LE (`btle`),
//! serial ports (`serial`), USB HID (`hid`) and gamepads (`gamepad`), each described once in
//! [`TRANSPORTS`]; [`add_platform_managers`] creates the managers of those compiled in and
//! switched on in [`Transports`].

#[cfg(feature = "btle")]
pub mod btle;
#[cfg(feature = "gamepad")]
pub mod gamepad;
#[cfg(feature = "hid")]
pub mod hid;
#[cfg(any(feature = "serial", feature = "hid"))]
pub mod hotplug;
#[cfg(any(feature = "serial", feature = "hid"))]
mod inbox;
#[cfg(feature = "lovense-connect")]
pub mod lovense_connect;
#[cfg(any(feature = "hid", feature = "serial"))]
pub mod lovense_dongle;
#[cfg(feature = "serial")]
pub mod serial;
pub mod simulated;
mod transports;
pub mod websocket;

use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::mpsc;

use crate::device_config::CommunicationSpecifier;
pub use crate::device_config::{Advertisement, AdvertisementKind, Endpoint};
pub use transports::{TRANSPORTS, TransportInfo, Transports, add_platform_managers};

/// The reply to an operation handed to a transport's I/O thread, waited for at most `limit`: a
/// thread that dropped the request (it ended) is `Disconnected`, no reply in time `Timeout`.
#[cfg(any(feature = "hid", feature = "serial", feature = "gamepad"))]
pub(crate) async fn reply_within<T>(
    limit: Duration,
    reply: tokio::sync::oneshot::Receiver<Result<T, HardwareError>>,
) -> Result<T, HardwareError> {
    match tokio::time::timeout(limit, reply).await {
        Ok(Ok(r)) => r,
        Ok(Err(_)) => Err(HardwareError::Disconnected),
        Err(_) => Err(HardwareError::Timeout),
    }
}

/// Failures of the hardware layer.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HardwareError {
    #[error("device disconnected")]
    Disconnected,
    #[error("device has no endpoint {0}")]
    InvalidEndpoint(Endpoint),
    #[error("timed out waiting for the device")]
    Timeout,
    #[error("{0} is not supported by this transport")]
    Unsupported(&'static str),
    #[error("connection failed: {0}")]
    ConnectionFailed(String),
    #[error("transport unavailable: {0}")]
    Unavailable(String),
    #[error("I/O error: {0}")]
    Io(String),
}

/// Something a connected device did on its own.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HardwareEvent {
    /// Bytes notified (BLE notify/indicate, serial/HID input, WebSocket frame) on an endpoint.
    Notification { endpoint: Endpoint, data: Vec<u8> },
    /// The device went away.
    Disconnected,
}

/// Capacity of a transport's event queue; notifications beyond it are dropped (and logged).
pub const EVENT_QUEUE_CAPACITY: usize = 1024;

/// A connected device's byte pipe.
#[async_trait]
pub trait Transport: Send + Sync + 'static {
    /// The endpoints this device has.
    fn endpoints(&self) -> Vec<Endpoint>;

    /// The message gap this transport needs when the device definition sets none
    /// (docs/PROTOCOL.md §5.4: BLE 75 ms, others none).
    fn default_message_gap(&self) -> Duration;

    /// Write bytes to an endpoint.
    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        with_response: bool,
    ) -> Result<(), HardwareError>;

    /// Read from an endpoint, waiting at most `timeout`.
    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError>;

    /// Start notifications on an endpoint.
    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError>;

    /// Stop notifications on an endpoint.
    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError>;

    /// Disconnect from the device (idempotent).
    async fn disconnect(&self);

    /// The device's event stream; `None` once it was taken. Taken once by the device task.
    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>>;

    /// Called once the server identified the device and added it (simulated devices report it).
    fn on_device_ready(&self, _protocol: &str, _name: &str) {}
}

/// Opens a transport to a candidate device, given the communication specifier of the protocol
/// it matched (which carries e.g. the BLE service map or the serial port settings).
#[async_trait]
pub trait DeviceConnector: Send + Sync + 'static {
    async fn connect(
        &self,
        specifier: &CommunicationSpecifier,
    ) -> Result<std::sync::Arc<dyn Transport>, HardwareError>;

    /// The server will not connect to this candidate (no protocol matched, denied, already
    /// connected); lets the source offer it again later.
    async fn abandon(&self) {}

    /// A (protocol, identifier) this device is known to be, skipping matching and the
    /// protocol's identify step (simulated devices standing in for a given model).
    fn forced_identity(&self) -> Option<(String, Option<String>)> {
        None
    }
}

/// A device found by a hardware manager.
pub struct DeviceCandidate {
    pub advertisement: Advertisement,
    pub connector: Box<dyn DeviceConnector>,
}

impl std::fmt::Debug for DeviceCandidate {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DeviceCandidate")
            .field("advertisement", &self.advertisement)
            .finish_non_exhaustive()
    }
}

/// What hardware managers report to the server.
#[derive(Debug)]
pub enum ManagerEvent {
    /// A device was seen.
    DeviceFound(DeviceCandidate),
    /// The named manager stopped scanning on its own (timeout, single-shot, adapter gone).
    /// Not sent after an explicit `stop_scanning`.
    ScanningStopped(&'static str),
    /// A manager failed in a way the user should hear about (e.g. Bluetooth missing).
    Error {
        manager: &'static str,
        message: String,
    },
}

/// The sender managers report through.
pub type ManagerEventSender = mpsc::UnboundedSender<ManagerEvent>;

/// A source of devices: Bluetooth LE, serial ports, HID, simulated devices, WebSocket devices.
#[async_trait]
pub trait HardwareManager: Send + Sync + 'static {
    /// A short name for logs and errors.
    fn name(&self) -> &'static str;

    /// Start looking for devices; found devices are reported as [`ManagerEvent::DeviceFound`].
    /// When scanning ends on its own, the manager reports [`ManagerEvent::ScanningStopped`].
    /// An error means this manager is not scanning.
    async fn start_scanning(&self) -> Result<(), HardwareError>;

    /// Stop looking for devices (idempotent).
    async fn stop_scanning(&self) -> Result<(), HardwareError>;

    /// The server shuts down: end everything the manager does in the background, scanning or
    /// not (e.g. Bluetooth waiting for devices that dropped). Idempotent.
    async fn shutdown(&self) {
        let _ = self.stop_scanning().await;
    }
}
