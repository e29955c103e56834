//! An open gamepad behind the [`Transport`] trait (docs/protocols/sdl-gamepad.md): not a byte
//! stream but two logical endpoints. A `tx` write is exactly 8 bytes, four little-endian u16
//! `[low, high, left trigger, right trigger]`, handed to the gamepad I/O thread; an `rx` read is
//! one byte, the battery percentage. No subscriptions, no message gap. Closing (or dropping) the
//! transport zeroes the pad.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc as std_mpsc;
use std::time::Duration;

use async_trait::async_trait;
use parking_lot::Mutex;
use tokio::sync::mpsc;

use super::pads::{Command, Values, ask};
use crate::hardware::{EVENT_QUEUE_CAPACITY, Endpoint, HardwareError, HardwareEvent, Transport};

/// Upper bound for one request to the I/O thread (its calls do not wait for the pad).
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);

/// The length of a `tx` write.
pub const PACKET_LEN: usize = 8;

/// The four values of a `tx` write; any length but 8 is refused.
pub fn parse_packet(data: &[u8]) -> Result<Values, HardwareError> {
    let bytes: &[u8; PACKET_LEN] = data.try_into().map_err(|_| {
        HardwareError::Io(format!(
            "a gamepad write is {PACKET_LEN} bytes (four little-endian u16), not {}",
            data.len()
        ))
    })?;
    Ok(std::array::from_fn(|i| {
        u16::from_le_bytes([bytes[2 * i], bytes[2 * i + 1]])
    }))
}

/// Opens pad `id` on the I/O thread behind `commands`.
pub(super) async fn open(
    commands: std_mpsc::Sender<Command>,
    id: u32,
) -> Result<Arc<dyn Transport>, HardwareError> {
    let (events, rx) = mpsc::channel(EVENT_QUEUE_CAPACITY);
    ask(&commands, REQUEST_TIMEOUT, |reply| Command::Open {
        id,
        events,
        reply,
    })
    .await?;
    Ok(Arc::new(GamepadTransport {
        id,
        commands,
        closed: AtomicBool::new(false),
        events: Mutex::new(Some(rx)),
    }))
}

struct GamepadTransport {
    id: u32,
    commands: std_mpsc::Sender<Command>,
    closed: AtomicBool,
    events: Mutex<Option<mpsc::Receiver<HardwareEvent>>>,
}

impl GamepadTransport {
    /// `Disconnected` once closed, else `InvalidEndpoint` unless `endpoint` is `expected`.
    fn check(&self, endpoint: Endpoint, expected: Endpoint) -> Result<(), HardwareError> {
        if self.closed.load(Ordering::SeqCst) {
            return Err(HardwareError::Disconnected);
        }
        if endpoint != expected {
            return Err(HardwareError::InvalidEndpoint(endpoint));
        }
        Ok(())
    }

    /// Zeroes and lets go of the pad; true the first time.
    fn close(&self) -> bool {
        let first = !self.closed.swap(true, Ordering::SeqCst);
        if first {
            let _ = self.commands.send(Command::Close(self.id));
        }
        first
    }
}

#[async_trait]
impl Transport for GamepadTransport {
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
        self.check(endpoint, Endpoint::Tx)?;
        let values = parse_packet(data)?;
        let id = self.id;
        ask(&self.commands, REQUEST_TIMEOUT, |reply| Command::Write {
            id,
            values,
            reply,
        })
        .await
    }

    /// One byte: the battery percentage (an error for wired pads and unknown states).
    async fn read(
        &self,
        endpoint: Endpoint,
        max_len: usize,
        timeout: Duration,
    ) -> Result<Vec<u8>, HardwareError> {
        self.check(endpoint, Endpoint::Rx)?;
        let id = self.id;
        let percent = ask(&self.commands, timeout.min(REQUEST_TIMEOUT), |reply| {
            Command::Battery { id, reply }
        })
        .await?;
        let mut data = vec![percent];
        data.truncate(max_len);
        Ok(data)
    }

    async fn subscribe(&self, _endpoint: Endpoint) -> Result<(), HardwareError> {
        Err(HardwareError::Unsupported("subscribing to a gamepad"))
    }

    async fn unsubscribe(&self, _endpoint: Endpoint) -> Result<(), HardwareError> {
        Err(HardwareError::Unsupported("subscribing to a gamepad"))
    }

    async fn disconnect(&self) {
        self.close();
    }

    fn take_events(&self) -> Option<mpsc::Receiver<HardwareEvent>> {
        self.events.lock().take()
    }
}

impl Drop for GamepadTransport {
    fn drop(&mut self) {
        self.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_write_is_four_little_endian_values() {
        assert_eq!(
            parse_packet(&[0x34, 0x12, 0x78, 0x56, 0xBC, 0x9A, 0xF0, 0xDE]),
            Ok([0x1234, 0x5678, 0x9ABC, 0xDEF0])
        );
        for len in [0, 4, 7, 9] {
            let err = parse_packet(&vec![0; len]).expect_err("wrong length");
            assert!(err.to_string().contains(&format!("not {len}")), "{err}");
        }
    }
}
