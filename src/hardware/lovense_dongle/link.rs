//! The dongle's link, whatever carries it: [`DongleIo`] writes whole framed messages and reads
//! what comes back. Over USB HID ([`hid_link`]) a message is cut into output reports; over a
//! serial port (`serial_link`) it is written as it is. The state machine and the I/O thread
//! are the same for both.

use std::time::Duration;

use crate::hardware::HardwareError;

/// A dongle's byte link (blocking; used by the dongle's I/O thread only).
pub trait DongleIo: Send + 'static {
    /// Writes one whole message: its JSON and `\r\n` (`Outgoing::framed`).
    fn write_message(&mut self, framed: &[u8]) -> Result<(), HardwareError>;
    /// Reads what came (input reports, or serial bytes; NUL padding is ignored by the decoder),
    /// waiting at most `timeout`; `Ok(0)` when nothing came. An error means the dongle is gone.
    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError>;
}

/// The HID dongle's link over a HID device (hidapi, or a fake in tests).
#[cfg(feature = "hid")]
pub fn hid_link(io: Box<dyn crate::hardware::hid::HidIo>) -> Box<dyn DongleIo> {
    Box::new(HidLink(io))
}

#[cfg(feature = "hid")]
struct HidLink(Box<dyn crate::hardware::hid::HidIo>);

#[cfg(feature = "hid")]
impl DongleIo for HidLink {
    fn write_message(&mut self, framed: &[u8]) -> Result<(), HardwareError> {
        super::messages::reports(framed)
            .iter()
            .try_for_each(|r| self.0.write(r))
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError> {
        self.0.read(buf, timeout)
    }
}
