//! A connected serial device: the port opened with the protocol's settings from the device
//! database (baud rate, data bits, parity, stop bits), a reader thread feeding the `rx`
//! endpoint, and writes to `tx` on blocking threads. A port that goes away (USB unplugged, the
//! other end of a pseudo-terminal closed) ends the reader and is reported as
//! [`HardwareEvent::Disconnected`]. DTR/RTS failures (ENOTTY on pseudo-terminals) are ignored.

use std::io::{ErrorKind, Read, Write};
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use serialport::{DataBits, SerialPort, StopBits};
use tokio::sync::mpsc;
use tracing::{debug, info, warn};

use crate::device_config::{Parity, SerialSpecifier};
use crate::hardware::hotplug::Release;
use crate::hardware::inbox::Inbox;
use crate::hardware::{EVENT_QUEUE_CAPACITY, Endpoint, HardwareError, HardwareEvent, Transport};

/// How often the reader thread checks whether it should stop.
const READ_POLL: Duration = Duration::from_millis(100);
/// Upper bound for one write.
const WRITE_TIMEOUT: Duration = Duration::from_secs(2);

/// Port settings, from a database `serial` specifier.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SerialSettings {
    pub baud_rate: u32,
    pub data_bits: u8,
    pub parity: Parity,
    pub stop_bits: u8,
}

impl From<&SerialSpecifier> for SerialSettings {
    fn from(s: &SerialSpecifier) -> Self {
        SerialSettings {
            baud_rate: s.baud_rate,
            data_bits: s.data_bits,
            parity: s.parity,
            stop_bits: s.stop_bits,
        }
    }
}

fn data_bits(n: u8) -> Result<DataBits, HardwareError> {
    Ok(match n {
        5 => DataBits::Five,
        6 => DataBits::Six,
        7 => DataBits::Seven,
        8 => DataBits::Eight,
        _ => return Err(HardwareError::ConnectionFailed(format!("{n} data bits"))),
    })
}

fn stop_bits(n: u8) -> Result<StopBits, HardwareError> {
    Ok(match n {
        1 => StopBits::One,
        2 => StopBits::Two,
        _ => return Err(HardwareError::ConnectionFailed(format!("{n} stop bits"))),
    })
}

fn parity(p: Parity) -> serialport::Parity {
    match p {
        Parity::None => serialport::Parity::None,
        Parity::Odd => serialport::Parity::Odd,
        Parity::Even => serialport::Parity::Even,
    }
}

/// Opens `port` with `settings` (blocking; call it from a blocking thread) and returns the
/// transport. The port is opened exclusively.
pub fn open_port(
    port: &str,
    settings: &SerialSettings,
) -> Result<Arc<dyn Transport>, HardwareError> {
    open(port, settings, None).map(|t| t as Arc<dyn Transport>)
}

/// As [`open_port`]; `release` runs once when the port closes (either side).
pub(super) fn open(
    port: &str,
    settings: &SerialSettings,
    release: Option<Release>,
) -> Result<Arc<SerialTransport>, HardwareError> {
    let mut reader = serialport::new(port, settings.baud_rate)
        .data_bits(data_bits(settings.data_bits)?)
        .parity(parity(settings.parity))
        .stop_bits(stop_bits(settings.stop_bits)?)
        .flow_control(serialport::FlowControl::None)
        .timeout(READ_POLL)
        .open()
        .map_err(|e| HardwareError::ConnectionFailed(format!("cannot open {port}: {e}")))?;
    // Many USB serial devices only talk with DTR/RTS up; pseudo-terminals refuse both (ENOTTY).
    if let Err(e) = reader.write_data_terminal_ready(true) {
        debug!(port, "DTR not set: {e}");
    }
    if let Err(e) = reader.write_request_to_send(true) {
        debug!(port, "RTS not set: {e}");
    }
    let mut writer = reader
        .try_clone()
        .map_err(|e| HardwareError::ConnectionFailed(format!("cannot use {port}: {e}")))?;
    if let Err(e) = writer.set_timeout(WRITE_TIMEOUT) {
        debug!(port, "write timeout not set: {e}");
    }
    let (tx, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
    let shared = Arc::new(Shared {
        port: port.to_string(),
        inbox: Inbox::new(),
        release: Mutex::new(release),
    });
    let thread_shared = shared.clone();
    std::thread::Builder::new()
        .name(format!("serial {port}"))
        .spawn(move || read_loop(reader, thread_shared, tx))
        .map_err(|e| HardwareError::ConnectionFailed(format!("cannot start reader: {e}")))?;
    info!(port, ?settings, "serial port opened");
    Ok(Arc::new(SerialTransport {
        shared,
        writer: Arc::new(Mutex::new(Some(writer))),
        events: Mutex::new(Some(rx)),
    }))
}

struct Shared {
    port: String,
    /// Kept bytes, one per unit (a serial link is a byte stream).
    inbox: Inbox<u8>,
    /// Tells the manager the port is free again (run when the port closes).
    release: Mutex<Option<Release>>,
}

impl Shared {
    /// Marks the port closed; true the first time.
    fn close(&self) -> bool {
        let first = self.inbox.close();
        if first {
            if let Some(release) = self.release.lock().take() {
                release();
            }
        }
        first
    }
}

/// Reads until the port fails or the transport closes it (checked every [`READ_POLL`]).
fn read_loop(mut port: Box<dyn SerialPort>, shared: Arc<Shared>, tx: mpsc::Sender<HardwareEvent>) {
    let mut buf = [0u8; 1024];
    while shared.inbox.is_open() {
        match port.read(&mut buf) {
            // A tty read of 0 bytes after poll said readable: the other end hung up.
            Ok(0) => break,
            Ok(n) => {
                let data = buf[..n].to_vec();
                if !shared
                    .inbox
                    .receive(data, &tx, |kept, data| kept.extend(data))
                {
                    warn!(port = %shared.port, "serial data dropped: event queue full");
                }
            }
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::Interrupted) => {}
            Err(e) => {
                if shared.inbox.is_open() {
                    info!(port = %shared.port, "serial port gone: {e}");
                }
                break;
            }
        }
    }
    drop(port);
    if shared.close() {
        let _ = tx.blocking_send(HardwareEvent::Disconnected);
    }
}

pub(super) struct SerialTransport {
    shared: Arc<Shared>,
    /// Dropped (closing its descriptor) when the transport disconnects.
    writer: Arc<Mutex<Option<Box<dyn SerialPort>>>>,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
}

#[async_trait]
impl Transport for SerialTransport {
    fn endpoints(&self) -> Vec<Endpoint> {
        vec![Endpoint::Rx, Endpoint::Tx]
    }

    fn default_message_gap(&self) -> Duration {
        Duration::ZERO
    }

    async fn write(
        &self,
        endpoint: Endpoint,
        data: &[u8],
        _with_response: bool,
    ) -> Result<(), HardwareError> {
        self.shared.inbox.check(endpoint, Endpoint::Tx)?;
        let writer = self.writer.clone();
        let data = data.to_vec();
        let r = tokio::task::spawn_blocking(move || {
            let mut w = writer.lock();
            let Some(w) = w.as_mut() else {
                return Err(std::io::Error::new(ErrorKind::NotConnected, "port closed"));
            };
            w.write_all(&data).and_then(|()| w.flush())
        })
        .await
        .map_err(|e| HardwareError::Io(e.to_string()))?;
        r.map_err(|e| {
            if !self.shared.inbox.is_open() {
                HardwareError::Disconnected
            } else if e.kind() == ErrorKind::TimedOut {
                HardwareError::Timeout
            } else {
                HardwareError::Io(e.to_string())
            }
        })
    }

    /// Bytes received while `rx` is not subscribed, at most `max_len`; waits for some.
    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        self.shared
            .inbox
            .read(endpoint, timeout, |kept| {
                let n = max_len.min(kept.len());
                kept.drain(..n).collect()
            })
            .await
    }

    async fn subscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.shared.inbox.set_subscribed(endpoint, true)
    }

    async fn unsubscribe(&self, endpoint: Endpoint) -> Result<(), HardwareError> {
        self.shared.inbox.set_subscribed(endpoint, false)
    }

    /// Closes the port; the reader thread notices within [`READ_POLL`] and drops its handle.
    async fn disconnect(&self) {
        if self.shared.close() {
            info!(port = %self.shared.port, "serial port closed");
        }
        let writer = self.writer.clone();
        let _ = tokio::task::spawn_blocking(move || writer.lock().take()).await;
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

impl Drop for SerialTransport {
    fn drop(&mut self) {
        self.shared.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::device_config::{CommunicationSpecifier, DeviceConfig};

    #[test]
    fn settings_come_from_the_database_template() {
        // A user config names the port; the protocol's database entry supplies the settings.
        let user = r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{
            "kizuna":{"communication":[{"serial":{"port":"/dev/ttyUSB7"}}]}}}}"#;
        let config = DeviceConfig::embedded()
            .with_user_config_json(user)
            .expect("user config");
        let spec = config
            .communication("kizuna")
            .into_iter()
            .find_map(|c| match c {
                CommunicationSpecifier::Serial(s) if s.port == "/dev/ttyUSB7" => Some(s),
                _ => None,
            })
            .expect("user serial specifier");
        assert_eq!(
            SerialSettings::from(&spec),
            SerialSettings {
                baud_rate: 19_200,
                data_bits: 8,
                parity: Parity::None,
                stop_bits: 1
            }
        );
    }

    #[test]
    fn settings_map_to_serialport() {
        assert_eq!(data_bits(7), Ok(DataBits::Seven));
        assert!(data_bits(9).is_err());
        assert_eq!(stop_bits(2), Ok(StopBits::Two));
        assert!(stop_bits(3).is_err());
        assert_eq!(parity(Parity::Even), serialport::Parity::Even);
        assert_eq!(parity(Parity::Odd), serialport::Parity::Odd);
    }
}
