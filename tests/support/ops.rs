//! Waiting for what a simulated device sees, and for what a transport reports.

use std::time::Duration;

use teleplug::hardware::simulated::SimOp;
use teleplug::hardware::{Endpoint, HardwareEvent};
use tokio::sync::mpsc::{Receiver, UnboundedReceiver};

/// How long to wait for the next op before the test fails.
pub const OP_WAIT: Duration = Duration::from_secs(10);

/// The next op of the device.
pub async fn next_op(rx: &mut UnboundedReceiver<SimOp>) -> SimOp {
    tokio::time::timeout(OP_WAIT, rx.recv())
        .await
        .expect("no op in time")
        .expect("device op stream ended")
}

/// The next write (endpoint, bytes, with response), skipping other ops.
pub async fn next_write(rx: &mut UnboundedReceiver<SimOp>) -> (Endpoint, Vec<u8>, bool) {
    loop {
        if let SimOp::Write {
            endpoint,
            data,
            write_with_response,
        } = next_op(rx).await
        {
            return (endpoint, data, write_with_response);
        }
    }
}

/// The bytes of the next write.
pub async fn next_data(rx: &mut UnboundedReceiver<SimOp>) -> Vec<u8> {
    next_write(rx).await.1
}

/// Wait until the device reports it was added.
pub async fn until_connected(rx: &mut UnboundedReceiver<SimOp>) {
    while !matches!(next_op(rx).await, SimOp::Connected { .. }) {}
}

/// The op of a subscription to `endpoint`.
pub fn subscribe_op(endpoint: Endpoint) -> SimOp {
    SimOp::Subscribe { endpoint }
}

/// The op of a write of `data` to `endpoint`.
pub fn write_op(endpoint: Endpoint, data: &[u8], write_with_response: bool) -> SimOp {
    SimOp::Write {
        endpoint,
        data: data.to_vec(),
        write_with_response,
    }
}

/// The next event of a transport within `timeout`; panics naming `what` when none comes or
/// the stream ended.
pub async fn next_hardware_event(
    rx: &mut Receiver<HardwareEvent>,
    timeout: Duration,
    what: &str,
) -> HardwareEvent {
    tokio::time::timeout(timeout, rx.recv())
        .await
        .unwrap_or_else(|_| panic!("no {what} in time"))
        .expect("transport event stream ended")
}
