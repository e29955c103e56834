//! The Lovense dongle over a serial port (`--use-lovense-dongle-serial`): the dongle's older
//! variant, a CH340 USB serial chip (vendor 0x1a86, product 0x7523) at 115200 baud carrying the
//! same `\r\n`-framed JSON as the HID dongle, written as it is.
//!
//! The CH340 is a generic chip: many TCode strokers use it too. So a port is only taken when it
//! answers like a dongle: it is held (`serial::hold_port`, so the serial manager leaves it
//! alone meanwhile), sent one `statuss`, and given [`PROBE_WAIT`] to answer with a message the
//! dongle's decoder reads. A port that does not is let go and not probed again while it stays
//! plugged in (it is probed again once it disappears from the listing and comes back). A port
//! the serial manager holds (a stroker connected through a user config) is never probed.

use std::collections::HashSet;
use std::io::{ErrorKind, Read, Write};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serialport::{SerialPort, SerialPortType};
use tracing::{debug, info};

use super::link::DongleIo;
use super::messages::{Decoder, Outgoing};
use super::{DongleFinder, STATUS_WAIT};
use crate::hardware::HardwareError;
use crate::hardware::serial::{PortHold, hold_port};

/// The manager's name in logs, errors and scanning bookkeeping.
pub const SERIAL_NAME: &str = "lovense-dongle-serial";
/// The serial dongle's USB ids (a CH340 chip).
pub const SERIAL_VENDOR_ID: u16 = 0x1a86;
pub const SERIAL_PRODUCT_ID: u16 = 0x7523;
pub const BAUD_RATE: u32 = 115_200;
/// How long a probed port is given to answer `statuss` like a dongle.
pub const PROBE_WAIT: Duration = Duration::from_millis(500);

/// Finds serial dongles: CH340 ports, and ports given by path (virtual ports are not
/// enumerated with USB ids).
pub struct SerialDongleFinder {
    explicit: Vec<String>,
    /// Ports that did not answer like a dongle, while they stay listed.
    not_dongles: Mutex<HashSet<String>>,
}

impl SerialDongleFinder {
    /// `explicit`: ports to probe besides the enumerated CH340 ports.
    pub fn new(explicit: Vec<String>) -> SerialDongleFinder {
        SerialDongleFinder {
            explicit,
            not_dongles: Mutex::new(HashSet::new()),
        }
    }

    /// The CH340 ports plugged in, and the explicit ones.
    fn candidates(&self) -> Vec<String> {
        let mut out: Vec<String> = serialport::available_ports()
            .unwrap_or_default()
            .into_iter()
            .filter(|p| {
                matches!(&p.port_type, SerialPortType::UsbPort(u)
                    if u.vid == SERIAL_VENDOR_ID && u.pid == SERIAL_PRODUCT_ID)
            })
            .map(|p| p.port_name)
            .collect();
        for p in &self.explicit {
            if !out.contains(p) {
                out.push(p.clone());
            }
        }
        out
    }
}

impl DongleFinder for SerialDongleFinder {
    fn open(&self) -> Result<Option<Box<dyn DongleIo>>, HardwareError> {
        let candidates = self.candidates();
        self.not_dongles.lock().retain(|p| candidates.contains(p));
        for port in candidates {
            if self.not_dongles.lock().contains(&port) {
                continue;
            }
            // Held by the serial manager (or already open here): not touched.
            let Some(hold) = hold_port(&port, SERIAL_NAME) else {
                continue;
            };
            match probe(&port, hold) {
                Ok(Some(link)) => {
                    info!(port, "Lovense dongle found on a serial port");
                    return Ok(Some(Box::new(link)));
                }
                Ok(None) => {
                    debug!(port, "not a Lovense dongle");
                    self.not_dongles.lock().insert(port);
                }
                Err(e) => debug!(port, "Lovense dongle probe: {e}"),
            }
        }
        Ok(None)
    }
}

/// Opens `port` and asks it `statuss`: the link if it answered like a dongle. Returns no
/// sooner than [`STATUS_WAIT`] after the question, so the driver's own `statuss` that follows
/// is not too soon.
fn probe(port: &str, hold: PortHold) -> Result<Option<SerialLink>, HardwareError> {
    let opened = serialport::new(port, BAUD_RATE)
        .data_bits(serialport::DataBits::Eight)
        .parity(serialport::Parity::None)
        .stop_bits(serialport::StopBits::One)
        .flow_control(serialport::FlowControl::None)
        .timeout(Duration::from_millis(10))
        .open()
        .map_err(|e| HardwareError::ConnectionFailed(format!("cannot open {port}: {e}")))?;
    let mut link = SerialLink {
        port: opened,
        _hold: hold,
    };
    let asked = Instant::now();
    link.write_message(&Outgoing::status().framed())?;
    let mut decoder = Decoder::default();
    let mut buf = [0u8; 256];
    let mut answered = false;
    while !answered && asked.elapsed() < PROBE_WAIT {
        let n = link.read(&mut buf, PROBE_WAIT.saturating_sub(asked.elapsed()))?;
        answered = !decoder.push(&buf[..n]).is_empty();
    }
    if !answered {
        return Ok(None);
    }
    std::thread::sleep(STATUS_WAIT.saturating_sub(asked.elapsed()));
    Ok(Some(link))
}

/// An open serial dongle; the port stays held while it is open.
struct SerialLink {
    port: Box<dyn SerialPort>,
    _hold: PortHold,
}

impl DongleIo for SerialLink {
    fn write_message(&mut self, framed: &[u8]) -> Result<(), HardwareError> {
        self.port
            .set_timeout(Duration::from_secs(1))
            .and_then(|()| Ok(self.port.write_all(framed)?))
            .and_then(|()| Ok(self.port.flush()?))
            .map_err(|e| HardwareError::Io(format!("serial dongle write: {e}")))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError> {
        self.port
            .set_timeout(timeout.max(Duration::from_millis(1)))
            .map_err(|e| HardwareError::Io(format!("serial dongle: {e}")))?;
        match self.port.read(buf) {
            Ok(0) => Err(HardwareError::Disconnected),
            Ok(n) => Ok(n),
            Err(e) if matches!(e.kind(), ErrorKind::TimedOut | ErrorKind::WouldBlock) => Ok(0),
            Err(e) if e.kind() == ErrorKind::Interrupted => Ok(0),
            Err(e) => Err(HardwareError::Io(format!("serial dongle read: {e}"))),
        }
    }
}
