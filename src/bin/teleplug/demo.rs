//! `teleplug demo`: the embedded server finds a simulated Lovense toy, the client core drives it,
//! and every byte the toy receives is printed, labelled, beside what the client asked for.

use std::time::Duration;

use teleplug::client::{Client, ClientEvent, EmbeddedConnector};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::DeviceFeature;

/// What the toy saw, for a person: `[toy] received on tx: "Vibrate:10;"`.
fn describe(op: &SimOp) -> String {
    let what = match op {
        SimOp::Write { endpoint, data, .. } => match std::str::from_utf8(data) {
            Ok(t) => format!("received on {endpoint}: {t:?}"),
            Err(_) => format!("received on {endpoint}: {data:02x?}"),
        },
        SimOp::Subscribe { endpoint } => format!("notifications on {endpoint} switched on"),
        SimOp::Unsubscribe { endpoint } => format!("notifications on {endpoint} switched off"),
        SimOp::Read { endpoint } => format!("read of {endpoint}"),
        SimOp::Connected { protocol, name } => {
            format!("identified as {name} (protocol {protocol})")
        }
        SimOp::Disconnected => "disconnected".into(),
    };
    format!("    [toy] {what}")
}

/// A feature's outputs and inputs: `Vibrate 0–20 steps; Battery 0–100 (read)`.
fn feature_line(f: &DeviceFeature) -> String {
    let mut parts: Vec<String> = Vec::new();
    for (t, o) in f.output.iter().flatten() {
        let [lo, hi] = o.value;
        let mut part = format!("{t:?} {lo}–{hi} steps");
        if let Some([dlo, dhi]) = o.duration {
            part.push_str(&format!(", duration {dlo}–{dhi} ms"));
        }
        parts.push(part);
    }
    for (t, i) in f.input.iter().flatten() {
        let ranges: Vec<String> = i
            .value
            .iter()
            .map(|[lo, hi]| format!("{lo}–{hi}"))
            .collect();
        let commands: Vec<String> = i
            .command
            .iter()
            .map(|c| format!("{c:?}").to_lowercase())
            .collect();
        parts.push(format!(
            "{t:?} {} ({})",
            ranges.join(", "),
            commands.join(", ")
        ));
    }
    let description = if f.feature_description.is_empty() {
        String::new()
    } else {
        format!(" \"{}\"", f.feature_description)
    };
    format!(
        "  feature {}{description}: {}",
        f.feature_index,
        parts.join("; ")
    )
}

pub async fn run() -> Result<(), String> {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let toy = SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        "11:22:33:44:55:66",
        "Z:11:0082059AD3BD;",
        87,
    ));
    toy.observe(|op| println!("{}", describe(op)));
    server.advertise(toy);

    let client = Client::connect_with(
        "teleplug demo",
        EmbeddedConnector::connect_to(&server).map_err(|e| e.to_string())?,
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut events = client.events();
    println!("Connected to the embedded server. Scanning (a simulated Lovense toy is nearby)…");
    client.start_scanning().await.map_err(|e| e.to_string())?;
    let device = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            match events.recv().await {
                Ok(ClientEvent::DeviceAdded(entry)) => return Ok(entry),
                Ok(_) => continue,
                Err(e) => return Err(format!("event stream ended: {e}")),
            }
        }
    })
    .await
    .map_err(|_| "no device found within 10 s".to_string())??;
    client.stop_scanning().await.map_err(|e| e.to_string())?;
    let device = client
        .device(device.device_index)
        .ok_or("device vanished")?;
    println!();
    let gap = match device.message_gap_ms() {
        0 => "no message gap".to_string(),
        ms => format!("at least {ms} ms between two writes"),
    };
    println!("Device {}: {} ({gap})", device.index(), device.name());
    for f in device.features() {
        println!("{}", feature_line(f.raw()));
    }
    println!();
    println!("Vibrate at 50%:");
    device.vibrate(0.5).await.map_err(|e| e.to_string())?;
    println!("Read the battery:");
    let battery = device.battery().await.map_err(|e| e.to_string())?;
    println!("    battery: {battery}%");
    println!("Stop:");
    device.stop().await.map_err(|e| e.to_string())?;
    println!("Disconnect:");
    client.disconnect().await.map_err(|e| e.to_string())?;
    server.shutdown(Duration::from_secs(3)).await;
    println!("Done.");
    Ok(())
}
