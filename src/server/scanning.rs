//! Whether the server is scanning, for front ends that show it (the control panel): true from a
//! StartScanning (by any connection) until every manager finished or a StopScanning.

use super::Server;

impl Server {
    /// Whether a scan is running.
    pub fn is_scanning(&self) -> bool {
        self.inner.scan.lock().scanning
    }
}
