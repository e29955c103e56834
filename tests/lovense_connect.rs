//! Lovense Connect (issue 15) against a local HTTP fixture that plays both the vendor's cloud
//! discovery endpoint and the Lovense Connect app's side (GetToys, and the command GETs the toy
//! receives): the scan finds the toy through discovery (or a host given directly, with no
//! discovery call), its commands arrive as the URLs the reference sends, its battery comes from
//! the poll, and a toy the app stops listing is removed. Real time: the app is polled every
//! second (waits are on events, bounded).
#![cfg(feature = "lovense-connect")]

mod support;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::device_list::{EVENT_TIMEOUT, device_gone, device_listed, request, vibrate};
use support::scan::scanning_client;
use support::wire::{WireClient, body, msg_type};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

const TOY_ID: &str = "d5a8c3f1e2b7";
const DISCOVERY_PATH: &str = "/api/lan/getToys";

/// The app's state and every path it was asked for.
#[derive(Default)]
struct App {
    /// The toys GetToys lists: (name, connected, battery).
    toys: Vec<(String, bool, Value)>,
    requests: Vec<String>,
}

#[derive(Clone)]
struct Fixture {
    app: Arc<Mutex<App>>,
    addr: SocketAddr,
}

impl Fixture {
    /// Serves on 127.0.0.1 (one request per connection).
    async fn start(toys: Vec<(String, bool, Value)>) -> Fixture {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let app = Arc::new(Mutex::new(App {
            toys,
            requests: Vec::new(),
        }));
        let fixture = Fixture { app, addr };
        let served = fixture.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(served.clone().answer(stream));
            }
        });
        fixture
    }

    async fn answer(self, mut stream: tokio::net::TcpStream) {
        let mut head = Vec::new();
        let mut buf = [0u8; 1024];
        while !head.windows(4).any(|w| w == b"\r\n\r\n") && head.len() < 16 * 1024 {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => return,
                Ok(n) => head.extend_from_slice(&buf[..n]),
            }
        }
        let head = String::from_utf8_lossy(&head);
        let mut words = head.split_whitespace();
        let (Some("GET"), Some(path)) = (words.next(), words.next()) else {
            return;
        };
        self.app.lock().requests.push(path.to_string());
        let reply = match path {
            DISCOVERY_PATH => json!({
                "127-0-0-1.lovense.club": {
                    "domain": "127-0-0-1.lovense.club",
                    "httpPort": self.addr.port().to_string(),
                    "wsPort": 20011,
                }
            }),
            "/GetToys" => {
                let data: serde_json::Map<String, Value> = self
                    .app
                    .lock()
                    .toys
                    .iter()
                    .map(|(name, connected, battery)| {
                        (
                            TOY_ID.to_string(),
                            json!({"id": TOY_ID, "name": name, "nickName": "",
                                   "status": if *connected { "1" } else { "0" },
                                   "battery": battery, "version": "3"}),
                        )
                    })
                    .collect();
                json!({"code": 200, "type": "OK", "data": data})
            }
            _ => json!({"code": 200, "type": "OK"}),
        };
        let body = reply.to_string();
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        let _ = stream.write_all(answer.as_bytes()).await;
        let _ = stream.shutdown().await;
    }

    fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    fn requests(&self) -> Vec<String> {
        self.app.lock().requests.clone()
    }

    fn set_toys(&self, toys: Vec<(String, bool, Value)>) {
        self.app.lock().toys = toys;
    }

    /// Waits (real time, bounded) until the app was asked `path`.
    async fn wait_for(&self, path: &str) {
        let deadline = Instant::now() + EVENT_TIMEOUT;
        while !self.requests().iter().any(|p| p == path) {
            assert!(
                Instant::now() < deadline,
                "the app never got {path}: {:?}",
                self.requests()
            );
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    }

    /// How many GetToys the app answered.
    fn polls(&self) -> usize {
        self.requests().iter().filter(|p| *p == "/GetToys").count()
    }
}

fn hush(battery: Value) -> Vec<(String, bool, Value)> {
    vec![("Hush".to_string(), true, battery)]
}

fn connect_server(transports: Transports) -> Server {
    Server::new(ServerOptions {
        transports,
        ..ServerOptions::default()
    })
}

/// Through the transport table, as `--use-lovense-connect` sets it up.
fn by_discovery(app: &Fixture) -> Transports {
    Transports {
        lovense_connect: true,
        lovense_connect_discovery_url: Some(format!("{}{DISCOVERY_PATH}", app.url())),
        ..Transports::none()
    }
}

async fn battery(c: &mut WireClient, index: u64) -> Value {
    let r = request(
        c,
        "InputCmd",
        json!({"DeviceIndex": index, "FeatureIndex": 1, "Type": "Battery", "Command": "Read"}),
    )
    .await;
    assert_eq!(msg_type(&r), "InputReading", "{r}");
    body(&r)["Reading"]["Battery"]["Value"].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toy_found_through_discovery_is_driven_polled_and_removed() {
    let app = Fixture::start(hush(json!(64))).await;
    let server = connect_server(by_discovery(&app));
    let mut events = server.events();
    let mut c = scanning_client(&server, "lovense connect test").await;

    // Discovery names the app (127-0-0-1.lovense.club, httpPort as a string); GetToys lists
    // the Hush, identified by its name.
    let index = device_listed(&mut c, "Lovense Hush").await;
    let asked = app.requests();
    assert_eq!(asked[..2], [DISCOVERY_PATH, "/GetToys"], "{asked:?}");
    assert_eq!(
        server.device_identity(index as u32).map(|i| i.address),
        Some(TOY_ID.to_string()),
        "the toy id is the address"
    );

    // Commands are GETs of {host}/{command}, naming the toy.
    let r = vibrate(&mut c, index, 10).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    let command = format!("/Vibrate1?v=10&t={TOY_ID}");
    app.wait_for(&command).await;

    // The battery is the last polled level: 64, then what the next poll says.
    assert_eq!(battery(&mut c, index).await, json!(64));
    app.set_toys(hush(json!(null)));
    let polls = app.polls();
    let deadline = Instant::now() + EVENT_TIMEOUT;
    while app.polls() < polls + 2 {
        assert!(Instant::now() < deadline, "not polled every second");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(battery(&mut c, index).await, json!(0), "null reads as 0");

    // The app no longer lists the toy: removed.
    app.set_toys(Vec::new());
    device_gone(&mut c, "Lovense Hush").await;
    tokio::time::timeout(EVENT_TIMEOUT, async {
        while events.recv().await.expect("events") != ServerEvent::DeviceRemoved(index as u32) {}
    })
    .await
    .expect("DeviceRemoved");
    let r = vibrate(&mut c, index, 3).await;
    assert_eq!(msg_type(&r), "Error", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_given_directly_needs_no_discovery_and_shutdown_stops_the_toy() {
    let app = Fixture::start(hush(json!(80))).await;
    let server = connect_server(Transports {
        lovense_connect: true,
        lovense_connect_hosts: vec![app.url()],
        // Would be asked if discovery ran.
        lovense_connect_discovery_url: Some(format!("{}{DISCOVERY_PATH}", app.url())),
        ..Transports::none()
    });
    let mut c = scanning_client(&server, "lovense connect test").await;
    let index = device_listed(&mut c, "Lovense Hush").await;
    let r = vibrate(&mut c, index, 12).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    app.wait_for(&format!("/Vibrate1?v=12&t={TOY_ID}")).await;
    server.shutdown(Duration::from_secs(2)).await;
    let asked = app.requests();
    assert!(!asked.iter().any(|p| p == DISCOVERY_PATH), "{asked:?}");
    let last_command = asked.iter().rev().find(|p| p.starts_with("/Vibrate"));
    assert_eq!(
        last_command.map(String::as_str),
        Some(format!("/Vibrate1?v=0&t={TOY_ID}").as_str()),
        "{asked:?}"
    );
}

/// The command line a launcher passes (Intiface's, no command) with the app given directly:
/// the flag reaches the manager, the toy is found and driven.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_reaches_the_app_given_with_lovense_connect_host() {
    let app = Fixture::start(hush(json!(90))).await;
    let serve = support::serve::Serve::spawn({
        let mut c = std::process::Command::new(env!("CARGO_BIN_EXE_teleplug"));
        c.args(["--websocket-port", "0", "--use-lovense-connect"])
            .args(["--lovense-connect-host", &app.url()]);
        c
    });
    let url = serve.url("Buttplug server listening on");
    let mut client = support::ws::Peer::connect(&url).await;
    assert_eq!(
        msg_type(&client.handshake("cli test", 4).await),
        "ServerInfo"
    );
    assert_eq!(
        msg_type(&client.request("StartScanning", json!({})).await),
        "Ok"
    );
    let list = client.event("DeviceList").await;
    assert_eq!(body(&list)["Devices"]["0"]["DeviceName"], "Lovense Hush");
    let ok = client
        .request(
            "OutputCmd",
            json!({"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":5}}}),
        )
        .await;
    assert_eq!(msg_type(&ok), "Ok", "{ok}");
    app.wait_for(&format!("/Vibrate1?v=5&t={TOY_ID}")).await;
    assert!(!app.requests().iter().any(|p| p == DISCOVERY_PATH));
}

#[test]
fn a_host_that_is_not_a_url_is_a_usage_error_naming_the_flag() {
    for bad in ["192.168.1.5:20010", "http://192.168.1.5:20010/GetToys"] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_teleplug"))
            .args(["--websocket-port", "0", "--use-lovense-connect"])
            .args(["--lovense-connect-host", bad])
            .output()
            .expect("run teleplug");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{bad}: {stderr}");
        assert!(stderr.contains("--lovense-connect-host"), "{stderr}");
        assert!(stderr.contains("http://IP:PORT"), "{stderr}");
    }
}
