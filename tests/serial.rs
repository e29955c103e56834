//! Serial ports end to end over pseudo-terminal pairs: the test holds the master side and plays
//! a TCode v0.3 device; the server opens the slave side, given explicitly (virtual ports are not
//! enumerated) and claimed by the tcode-v03 protocol through a user config. Pseudo-terminals
//! are Unix's: on Windows, COM ports are exercised by nothing here.
#![cfg(all(feature = "serial", unix))]

mod support;

use std::io::{Read, Write};
use std::time::Duration;

use serde_json::json;
use serialport::{SerialPort, TTYPort};
use support::ops::next_hardware_event;
use support::scan::{device_list_of, first_listed, output_ok, scanning_client, scanning_finished};
use teleplug::device_config::DeviceConfig;
use teleplug::hardware::serial::{SerialSettings, open_port};
use teleplug::hardware::{Endpoint, HardwareError, HardwareEvent};
use teleplug::server::{Server, ServerOptions, Transports};

const TIMEOUT: Duration = Duration::from_secs(5);

/// A pty pair: the master (the "device") and the slave's path (the "port").
fn pty() -> (TTYPort, String) {
    let (master, slave) = TTYPort::pair().expect("pty pair");
    let path = slave.name().expect("slave path");
    // The server opens the port itself.
    drop(slave);
    (master, path)
}

/// Reads from the device side until `lines` newlines arrived (bounded).
async fn read_lines(master: TTYPort, lines: usize) -> (TTYPort, String) {
    tokio::task::spawn_blocking(move || {
        let mut master = master;
        master
            .set_timeout(Duration::from_millis(100))
            .expect("timeout");
        let deadline = std::time::Instant::now() + TIMEOUT;
        let mut text = Vec::new();
        let mut buf = [0u8; 256];
        while text.iter().filter(|b| **b == b'\n').count() < lines {
            assert!(
                std::time::Instant::now() < deadline,
                "device got only {:?}",
                String::from_utf8_lossy(&text)
            );
            match master.read(&mut buf) {
                Ok(n) => text.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::TimedOut => {}
                // No one has the slave open yet.
                Err(e) if e.raw_os_error() == Some(5) => {}
                Err(e) => panic!("device read: {e}"),
            }
        }
        (master, String::from_utf8(text).expect("text"))
    })
    .await
    .expect("reader")
}

fn tcode_server(port: &str) -> Server {
    let user = json!({"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {
        "tcode-v03": {"communication": [{"serial": {"port": port}}]}}}});
    let config = DeviceConfig::embedded()
        .with_user_config_json(&user.to_string())
        .expect("user config");
    Server::new(ServerOptions {
        device_config: config,
        transports: Transports {
            serial: true,
            serial_ports: vec![port.to_string()],
            ..Transports::none()
        },
        ..ServerOptions::default()
    })
}

#[tokio::test]
async fn tcode_device_on_a_pty_gets_exact_text_and_unplug_removes_it() {
    let (master, port) = pty();
    let server = tcode_server(&port);
    let mut c = scanning_client(&server, "serial test").await;

    let list = device_list_of(&mut c, TIMEOUT, 1).await;
    let dev = first_listed(&list);
    assert_eq!(dev["DeviceName"], json!("TCode v0.3 (Single Linear Axis)"));
    assert_eq!(
        dev["DeviceMessageTimingGap"],
        json!(20),
        "the database's gap"
    );
    // Serial ports are listed again while the scan runs (hot-plug, tests/hotplug.rs): the scan
    // lasts until StopScanning, then finishes.
    server.stop_scanning().await;
    scanning_finished(&mut c, TIMEOUT).await;

    let index = dev["DeviceIndex"].clone();
    let hw_position = json!({"HwPositionWithDuration": {"Value": 500, "Duration": 1000}});
    output_ok(&mut c, index.clone(), 0, hw_position).await;
    let (master, text) = read_lines(master, 1).await;
    assert_eq!(text, "L0500I1000\n");

    output_ok(&mut c, index, 0, json!({"Position": {"Value": 250}})).await;
    let (master, text) = read_lines(master, 2).await;
    assert_eq!(text, "L0250\nR0250\n");

    // Unplugged: the device side closes.
    drop(master);
    device_list_of(&mut c, TIMEOUT, 0).await;
    assert!(server.device_list().devices.is_empty());
}

#[tokio::test]
async fn a_port_no_protocol_claims_is_not_opened() {
    let (mut master, port) = pty();
    // No user config names the port: it is offered, matches nothing, and is left alone.
    let server = Server::new(ServerOptions {
        transports: Transports {
            serial: true,
            serial_ports: vec![port.clone()],
            ..Transports::none()
        },
        ..ServerOptions::default()
    });
    let mut events = server.events();
    // The first listing offers the port before StartScanning returns.
    server.start_scanning().await;
    server.stop_scanning().await;
    tokio::time::timeout(TIMEOUT, async {
        while events.recv().await.expect("events")
            != teleplug::server::ServerEvent::ScanningFinished
        {}
    })
    .await
    .expect("ScanningFinished");
    assert!(server.device_list().devices.is_empty());
    // Nobody opened the slave: the master still reads EIO (no slave side open).
    master
        .set_timeout(Duration::from_millis(50))
        .expect("timeout");
    let mut buf = [0u8; 8];
    let r = master.read(&mut buf);
    assert!(r.is_err(), "{r:?}");
    // And the port can be opened by someone else (it was not kept exclusively).
    let t = tokio::task::spawn_blocking(move || open_port(&port, &settings()))
        .await
        .expect("join");
    assert!(t.is_ok());
}

fn settings() -> SerialSettings {
    SerialSettings {
        baud_rate: 115_200,
        data_bits: 8,
        parity: teleplug::device_config::Parity::None,
        stop_bits: 1,
    }
}

#[tokio::test]
async fn the_reader_feeds_reads_and_notifications_on_rx() {
    let (mut master, port) = pty();
    let t = tokio::task::spawn_blocking(move || open_port(&port, &settings()))
        .await
        .expect("join")
        .expect("open");
    let mut events = t.take_events().expect("events");
    assert_eq!(t.endpoints(), vec![Endpoint::Rx, Endpoint::Tx]);
    assert_eq!(t.default_message_gap(), Duration::ZERO);

    // Not subscribed: bytes wait for a read.
    master.write_all(b"ok\n").expect("device writes");
    let got = t.read(Endpoint::Rx, 16, TIMEOUT).await.expect("read");
    assert_eq!(got, b"ok\n");
    assert_eq!(
        t.read(Endpoint::Rx, 16, Duration::from_millis(50)).await,
        Err(HardwareError::Timeout)
    );

    // Subscribed: bytes arrive as notifications.
    t.subscribe(Endpoint::Rx).await.expect("subscribe");
    master.write_all(b"pong").expect("device writes");
    let ev = next_hardware_event(&mut events, TIMEOUT, "notification").await;
    assert_eq!(
        ev,
        HardwareEvent::Notification {
            endpoint: Endpoint::Rx,
            data: b"pong".to_vec()
        }
    );
    assert_eq!(
        t.write(Endpoint::Rx, b"x", false).await,
        Err(HardwareError::InvalidEndpoint(Endpoint::Rx))
    );

    // Unplug: Disconnected, and writes fail as disconnected.
    drop(master);
    let ev = next_hardware_event(&mut events, TIMEOUT, "disconnect event").await;
    assert_eq!(ev, HardwareEvent::Disconnected);
    assert_eq!(
        t.write(Endpoint::Tx, b"x", false).await,
        Err(HardwareError::Disconnected)
    );
}

#[tokio::test]
async fn opening_a_missing_port_fails_cleanly() {
    let r = tokio::task::spawn_blocking(|| open_port("/dev/teleplug-no-such-port", &settings()))
        .await
        .expect("join");
    assert!(matches!(r, Err(HardwareError::ConnectionFailed(_))));
}
