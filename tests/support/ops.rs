//! Waiting for what a simulated device sees.

use std::time::Duration;

use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::SimOp;
use tokio::sync::mpsc::UnboundedReceiver;

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
