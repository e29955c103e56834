//! `teleplug demo`: the embedded server finds a simulated Lovense toy, the client core drives it,
//! and every byte the toy receives is printed.

use std::time::Duration;

use teleplug::client::{Client, ClientEvent, EmbeddedConnector};
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};

fn describe(op: &SimOp) -> String {
    match op {
        SimOp::Write { endpoint, data, .. } => match std::str::from_utf8(data) {
            Ok(t) => format!("toy received on {endpoint}: {t}"),
            Err(_) => format!("toy received on {endpoint}: {data:02x?}"),
        },
        SimOp::Subscribe { endpoint } => format!("toy: notifications on {endpoint} enabled"),
        SimOp::Unsubscribe { endpoint } => format!("toy: notifications on {endpoint} disabled"),
        SimOp::Read { endpoint } => format!("toy: read of {endpoint}"),
        SimOp::Connected { protocol, name } => format!("toy: identified as {name} ({protocol})"),
        SimOp::Disconnected => "toy: disconnected".into(),
    }
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
    toy.observe(|op| println!("  {}", describe(op)));
    server.advertise(toy);

    let client = Client::connect_with(
        "teleplug demo",
        EmbeddedConnector::connect_to(&server).map_err(|e| e.to_string())?,
    )
    .await
    .map_err(|e| e.to_string())?;
    let mut events = client.events();
    println!("connected to the embedded server; scanning");
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
    println!("found device {}: {}", device.index(), device.name());
    for f in device.features() {
        println!(
            "  feature {}: {:?} {:?}",
            f.index(),
            f.raw()
                .output
                .as_ref()
                .map(|o| o.keys().collect::<Vec<_>>()),
            f.raw().input.as_ref().map(|i| i.keys().collect::<Vec<_>>())
        );
    }
    println!("vibrate at 50%");
    device.vibrate(0.5).await.map_err(|e| e.to_string())?;
    let battery = device.battery().await.map_err(|e| e.to_string())?;
    println!("battery: {battery}%");
    println!("stop");
    device.stop().await.map_err(|e| e.to_string())?;
    client.disconnect().await.map_err(|e| e.to_string())?;
    println!("done");
    Ok(())
}
