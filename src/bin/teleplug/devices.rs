//! `teleplug devices --seconds N`: scan for N seconds with the embedded server and the client
//! core, then print every device found with its protocol and features.

use std::time::Duration;

use clap::Args;
use teleplug::client::{Client, EmbeddedConnector};
use teleplug::server::{Server, ServerEvent};

use crate::Failure;
use crate::options::HardwareArgs;

#[derive(Args, Debug, Clone)]
pub struct DevicesArgs {
    /// How long to scan.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub seconds: u64,
    #[command(flatten)]
    pub hardware: HardwareArgs,
}

pub async fn run(args: DevicesArgs) -> Result<(), Failure> {
    let server = Server::new(args.hardware.server_options()?);
    let mut server_events = server.events();
    let client = Client::connect_with(
        "teleplug devices",
        EmbeddedConnector::connect_to(&server).map_err(|e| Failure::Runtime(e.to_string()))?,
    )
    .await
    .map_err(|e| Failure::Runtime(e.to_string()))?;
    println!("scanning for {} s…", args.seconds);
    client
        .start_scanning()
        .await
        .map_err(|e| Failure::Runtime(e.to_string()))?;
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.seconds);
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => break,
            ev = server_events.recv() => match ev {
                Ok(ServerEvent::Error(message)) => eprintln!("teleplug: {message}"),
                Ok(ServerEvent::ScanningFinished) => break,
                Ok(_) | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
                Err(tokio::sync::broadcast::error::RecvError::Closed) => break,
            }
        }
    }
    let _ = client.stop_scanning().await;
    let devices = client.devices();
    if devices.is_empty() {
        println!("no devices found");
    }
    for d in &devices {
        let protocol = server
            .device_identity(d.index())
            .map(|i| i.protocol)
            .unwrap_or_else(|| "?".into());
        let display = d
            .display_name()
            .map(|n| format!(" \"{n}\""))
            .unwrap_or_default();
        println!(
            "device {}: {}{display} (protocol {protocol})",
            d.index(),
            d.name()
        );
        for f in d.features() {
            let raw = f.raw();
            let mut parts = Vec::new();
            for (t, p) in raw.output.iter().flatten() {
                parts.push(format!("{t} {}..{}", p.value[0], p.value[1]));
            }
            for (t, p) in raw.input.iter().flatten() {
                let commands: Vec<String> = p.command.iter().map(|c| format!("{c:?}")).collect();
                parts.push(format!("{t} input ({})", commands.join("/")));
            }
            let desc = if f.description().is_empty() {
                String::new()
            } else {
                format!(" \"{}\"", f.description())
            };
            println!("  feature {}{desc}: {}", f.index(), parts.join(", "));
        }
    }
    let _ = client.disconnect().await;
    server.shutdown(Duration::from_secs(2)).await;
    Ok(())
}
