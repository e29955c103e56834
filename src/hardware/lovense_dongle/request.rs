//! What the dongle's manager and its toy's transport ask of the dongle's driver
//! (`machine`): its own module, so that the driver and the toy's transport do not import each
//! other.

use tokio::sync::oneshot;

use crate::hardware::HardwareError;

/// What the manager and the toy's transport ask of the driver.
#[derive(Debug)]
pub enum Request {
    StartScan,
    StopScan,
    /// A protocol write to the toy of connection `session`.
    Command {
        session: u64,
        cmd: String,
        reply: oneshot::Sender<Result<(), HardwareError>>,
    },
    /// The server let the toy of connection `session` go (or declined it).
    Release {
        session: u64,
    },
    Shutdown,
}
