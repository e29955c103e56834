//! Simulated devices of a v5 user config (`user_configs.simulated_devices`, database v5's
//! `simulated` protocol): the sheet's worked example (docs/protocols/simulated.md). The listed
//! devices are found while scanning, under their archetype's definition and the entry's display
//! name, take commands and stop.

use std::time::Duration;

use teleplug::client::{Client, EmbeddedConnector};
use teleplug::device_config::DeviceConfig;
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::{OutputCommand, OutputType};

const USER: &str = r#"{"version":{"major":5,"minor":57},"user_configs":{"simulated_devices":[
  {"identifier":"simulated-2vibe","address":"simulated:demo-1","display_name":"Demo"},
  {"identifier":"simulated-rotator","address":"simulated:demo-2"}]}}"#;

#[tokio::test(start_paused = true)]
async fn the_user_configs_simulated_devices_are_found_and_driven() {
    let config = DeviceConfig::embedded()
        .with_user_config_json(USER)
        .expect("loads");
    let server = Server::new(ServerOptions {
        device_config: config,
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let client = Client::connect_with("sim", EmbeddedConnector::connect_to(&server).unwrap())
        .await
        .unwrap();
    assert!(client.devices().is_empty(), "nothing before a scan");
    client.start_scanning().await.unwrap();
    tokio::time::timeout(Duration::from_secs(5), async {
        while client.devices().len() < 2 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("both simulated devices found");
    let mut devices = client.devices();
    devices.sort_by_key(|d| d.name().to_string());
    let names: Vec<(&str, Option<&str>)> = devices
        .iter()
        .map(|d| (d.name(), d.display_name()))
        .collect();
    assert_eq!(
        names,
        [
            ("Simulated 2-Motor Vibrator", Some("Demo")),
            ("Simulated Rotator", None)
        ]
    );
    let demo = &devices[0];
    let features = demo.features();
    assert_eq!(features.len(), 2);
    for f in &features {
        assert_eq!(f.output_range(OutputType::Vibrate), Some([0, 100]));
    }
    features[1]
        .run_output(OutputCommand::new(OutputType::Vibrate, 50, 0))
        .await
        .expect("Vibrate 50 on feature 1");
    let rotator = &devices[1];
    rotator.features()[0]
        .run_output(OutputCommand::new(OutputType::Rotate, -30, 0))
        .await
        .expect("Rotate -30");
    demo.stop().await.unwrap();
    rotator.stop().await.unwrap();
    client.disconnect().await.unwrap();
    server.shutdown(Duration::from_secs(1)).await;
}
