//! Walks the whole embedded device database (v5.57 and Teleplug's additions): every device
//! definition loads, and every device of a supported protocol can be created on the simulated
//! transport (standing in for that exact model), appears under its database name, and stops
//! without error. Protocols without an implementation in `src/protocols/registry.rs` are
//! reported as unsupported and skipped; once registered, their devices are walked too.

use std::collections::BTreeSet;
use std::time::Duration;

use teleplug::client::{Client, EmbeddedConnector};
use teleplug::device_config::{DeviceConfig, DeviceIdentity};
use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{AutoReply, SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::protocols;
use teleplug::protocols::shared::cipher;
use teleplug::server::{Server, ServerOptions, Transports};

const DATABASE: &str = include_str!("../data/device-config/buttplug-device-config-v5.json");
const ADDITIONS: &str = include_str!("../data/device-config/teleplug-additions.json");

/// The device definitions of the embedded database, counted from the files as plain JSON: each
/// protocol's defaults and configurations, and those of the additions whose key the database
/// lacks.
fn definitions_in_files() -> usize {
    let protocols = |text: &str| -> serde_json::Map<String, serde_json::Value> {
        let doc: serde_json::Value = serde_json::from_str(text).expect("JSON");
        doc["protocols"].as_object().cloned().expect("protocols")
    };
    let count = |p: &serde_json::Value| 1 + p["configurations"].as_array().map_or(0, Vec::len);
    let database = protocols(DATABASE);
    let added: usize = protocols(ADDITIONS)
        .iter()
        .filter(|(key, _)| !database.contains_key(*key))
        .map(|(_, p)| count(p))
        .sum();
    database.values().map(count).sum::<usize>() + added
}

/// Scripted answers for protocols whose initialization is a conversation with the device.
fn script(protocol: &str, spec: &mut SimulatedDeviceSpec) {
    let any_write = |endpoint, reply: Vec<u8>| AutoReply {
        on_write: Vec::new(),
        endpoint,
        reply,
    };
    match protocol {
        // Handshake reply: response code 0x9000 and a 16-byte key (the CRC is not checked).
        "honeyplaybox" => {
            let mut frame = vec![
                0x02, 0xA5, 0x5A, 0x55, 0xAA, 0xF0, 0x00, 0xB1, 0x01, 0x00, 0x12, 0x90, 0x00,
            ];
            frame.extend([0x11; 16]);
            frame.extend([0x03, 0x00, 0x00]);
            spec.auto_replies.push(any_write(Endpoint::Rx, frame));
        }
        // Every setup frame is acknowledged.
        "fredorch" => spec.auto_replies.push(any_write(Endpoint::Rx, vec![0x01])),
        // The toy reports "authorised" when its whitelist is subscribed.
        "lelo-harmony" | "lelo-f1sv2" => spec
            .subscribe_replies
            .push((Endpoint::Whitelist, vec![0x01, 0, 0, 0, 0, 0, 0, 0])),
        // Authentication challenge: key index 1 and 15 challenge bytes.
        "monsterpub" => {
            spec.read_values.retain(|(e, _)| *e != Endpoint::Rx);
            spec.read_values.push((Endpoint::Rx, vec![0x01; 16]));
        }
        // Authentication: the toy accepts the first request ("OK;", AES-128-ECB encrypted).
        "vibcrafter" => spec.auto_replies.push(any_write(
            Endpoint::Rx,
            cipher::aes128_ecb_encrypt_pkcs7(b"jdk#Cra%f5Vib28r", b"OK;"),
        )),
        // The same with Vibio's key.
        "vibio" => spec.auto_replies.push(any_write(
            Endpoint::Rx,
            cipher::aes128_ecb_encrypt_pkcs7(b"jdk#vib%y5fir21a", b"OK;"),
        )),
        _ => {}
    }
}

async fn bring_up(
    protocol: String,
    identifier: Option<String>,
    expected_name: String,
) -> Result<(), String> {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let mut spec = SimulatedDeviceSpec::new(identifier.clone().unwrap_or_default(), "walk");
    spec.identity = Some((protocol.clone(), identifier.clone()));
    // Plausible answers for protocols that read during initialization.
    spec.read_values = [
        Endpoint::RxBleBattery,
        Endpoint::RxBleModel,
        Endpoint::Rx,
        Endpoint::Whitelist,
    ]
    .into_iter()
    .map(|e| (e, vec![0, 0, 0, 0]))
    .collect();
    // A 7-byte PnP ID (devices that need no pairing handshake) and a 7-byte device-type reply.
    spec.read_values
        .push((Endpoint::Generic(0), vec![1, 2, 3, 4, 5, 6, 7]));
    spec.read_values.push((Endpoint::Tx, vec![0; 7]));
    script(&protocol, &mut spec);
    let device = SimulatedDevice::new(spec);
    let mut ops = device.op_receiver();
    server.advertise(device);
    let connection = EmbeddedConnector::connect_to(&server).map_err(|e| e.to_string())?;
    let client = Client::connect_with("walk", connection)
        .await
        .map_err(|e| e.to_string())?;
    client.start_scanning().await.map_err(|e| e.to_string())?;
    let connected = tokio::time::timeout(Duration::from_secs(20), async {
        loop {
            match ops.recv().await {
                Some(SimOp::Connected { name, .. }) => return Some(name),
                Some(_) => continue,
                None => return None,
            }
        }
    })
    .await
    .map_err(|_| "never connected".to_string())?
    .ok_or("op stream ended")?;
    if connected != expected_name {
        return Err(format!(
            "connected as {connected:?}, expected {expected_name:?}"
        ));
    }
    client
        .request_device_list()
        .await
        .map_err(|e| e.to_string())?;
    let dev = client
        .devices()
        .into_iter()
        .next()
        .ok_or("not in the device list")?;
    if dev.name() != expected_name {
        return Err(format!("listed as {:?}", dev.name()));
    }
    dev.stop().await.map_err(|e| format!("stop failed: {e}"))?;
    client.disconnect().await.map_err(|e| e.to_string())?;
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_supported_device_connects_and_stops() {
    let config = DeviceConfig::embedded();
    let definitions = config.all_definitions();
    assert_eq!(
        definitions.len(),
        definitions_in_files(),
        "every definition of the database loads"
    );
    let mut set = tokio::task::JoinSet::new();
    let mut unsupported = BTreeSet::new();
    let (mut unsupported_definitions, mut placeholders) = (0, 0);
    // Bounded concurrency keeps every device within its time budgets on a small machine.
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(64));
    for def in definitions {
        if protocols::lookup(&def.protocol).is_none() {
            unsupported.insert(def.protocol.clone());
            unsupported_definitions += 1;
            continue;
        }
        // A protocol default without features (vorze-sa's, the kiiroo ones, sayberx's) is a
        // placeholder its configurations fill in, not a device.
        if def.features.is_empty() && def.identifier.is_none() {
            placeholders += 1;
            continue;
        }
        // Where an identifier is listed twice in a protocol, the first configuration wins: the
        // expected name is what the lookup gives for that identity.
        let expected = config
            .resolve(&DeviceIdentity {
                address: "walk".into(),
                protocol: def.protocol.clone(),
                identifier: def.identifier.clone(),
            })
            .expect("every definition resolves")
            .name;
        let slots = slots.clone();
        set.spawn(async move {
            let _slot = slots.acquire_owned().await.expect("semaphore open");
            let label = format!("{} {:?} ({})", def.protocol, def.identifier, def.name);
            (
                label,
                bring_up(def.protocol, def.identifier, expected).await,
            )
        });
    }
    let mut failures = Vec::new();
    let mut passed = 0;
    while let Some(r) = set.join_next().await {
        let (label, result) = r.expect("task panicked");
        match result {
            Ok(()) => passed += 1,
            Err(e) => failures.push(format!("{label}: {e}")),
        }
    }
    failures.sort();
    println!(
        "{passed} devices connected and stopped; {placeholders} protocol defaults without \
         features skipped; protocols not implemented yet ({unsupported_definitions} definitions, \
         found and reported, never connected): {unsupported:?}"
    );
    // Every definition in the files is accounted for: walked, a placeholder, or of a protocol
    // Teleplug lacks (the README's "Not supported" list, generated from the same table).
    assert_eq!(
        passed + failures.len() + placeholders + unsupported_definitions,
        definitions_in_files()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{}",
        failures.len(),
        failures.join("\n")
    );
}
