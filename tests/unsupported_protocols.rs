//! A database naming protocols Teleplug lacks (issue 13, "Bad input"): it loads; a device that
//! matches such a protocol is reported once in the log, however often it is found again, and is
//! never connected. The database is the embedded v5 one with a protocol no Teleplug has ever
//! implemented added, so the test keeps meaning something when libo-karen gets a handler.

use std::io::Write;
use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use teleplug::client::{Client, EmbeddedConnector};
use teleplug::device_config::DeviceConfig;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::protocols;
use teleplug::server::{Server, ServerOptions, Transports};

const DATABASE: &str = include_str!("../data/device-config/buttplug-device-config-v5.json");
const UNKNOWN: &str = "teleplug-test-unknown";
const UNKNOWN_NAME: &str = "Mystery Toy";

/// The embedded database plus `UNKNOWN`, a BLE protocol matching the name `UNKNOWN_NAME`.
fn database_with_unknown_protocol() -> String {
    let mut doc: serde_json::Value = serde_json::from_str(DATABASE).expect("JSON");
    doc["protocols"][UNKNOWN] = serde_json::json!({
        "communication": [{"btle": {
            "names": [UNKNOWN_NAME],
            "services": {"0000fff0-0000-1000-8000-00805f9b34fb": {
                "tx": "0000fff1-0000-1000-8000-00805f9b34fb"
            }}
        }}],
        "defaults": {
            "id": "7f0a3c55-0000-4000-8000-000000000001",
            "name": "Mystery Toy",
            "features": [{
                "id": "7f0a3c55-0000-4000-8000-000000000002",
                "index": 0,
                "output": {"vibrate": {"value": [0, 20]}}
            }]
        }
    });
    doc.to_string()
}

/// A log sink the test reads back.
#[derive(Clone, Default)]
struct Log(Arc<Mutex<Vec<u8>>>);

impl Write for Log {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Log {
    fn lines_about(&self, protocol: &str) -> usize {
        String::from_utf8_lossy(&self.0.lock())
            .lines()
            .filter(|l| l.contains("does not support yet") && l.contains(protocol))
            .count()
    }
}

#[test]
fn a_database_with_protocols_teleplug_lacks_loads() {
    let config = DeviceConfig::from_base_json(&database_with_unknown_protocol()).expect("loads");
    assert!(protocols::lookup(UNKNOWN).is_none());
    assert!(config.protocol_names().contains(&UNKNOWN.to_string()));
    // Everything else still loads: the added protocol's one definition on top of the database's.
    let embedded = DeviceConfig::embedded().all_definitions().len();
    assert_eq!(config.all_definitions().len(), embedded + 1);
}

/// Each device is found in three scans; each is reported once and never connected.
#[test]
fn unsupported_devices_are_reported_once_and_never_connected() {
    let log = Log::default();
    let sink = log.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::INFO)
        .with_ansi(false)
        .with_writer(move || sink.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .start_paused(true)
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let config = DeviceConfig::from_base_json(&database_with_unknown_protocol()).unwrap();
        let server = Server::new(ServerOptions {
            device_config: config,
            transports: Transports::none(),
            ..ServerOptions::default()
        });
        // The made-up protocol, and libo-karen (in the v5 database, no handler): both matched
        // by their advertised names.
        let mystery = SimulatedDevice::new(SimulatedDeviceSpec::new(UNKNOWN_NAME, "mystery-1"));
        let karen = SimulatedDevice::new(SimulatedDeviceSpec::new("SuoYinQiu", "karen-1"));
        let mut ops = [mystery.op_receiver(), karen.op_receiver()];
        server.advertise(mystery);
        server.advertise(karen);
        let connection = EmbeddedConnector::connect_to(&server).unwrap();
        let client = Client::connect_with("unsupported", connection)
            .await
            .unwrap();
        for _ in 0..3 {
            client.start_scanning().await.unwrap();
            // The paused clock moves on only once every discovery task has run.
            tokio::time::sleep(Duration::from_secs(1)).await;
            client.stop_scanning().await.unwrap();
        }
        client.request_device_list().await.unwrap();
        assert!(client.devices().is_empty(), "no device was added");
        for rx in &mut ops {
            while let Ok(op) = rx.try_recv() {
                assert!(
                    !matches!(op, SimOp::Connected { .. }),
                    "an unsupported device was connected: {op:?}"
                );
            }
        }
        client.disconnect().await.unwrap();
        server.shutdown(Duration::from_secs(1)).await;
    });
    assert_eq!(log.lines_about(UNKNOWN), 1, "the made-up protocol's device");
    assert_eq!(log.lines_about("libo-karen"), 1, "the Karen");
}
