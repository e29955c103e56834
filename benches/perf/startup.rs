//! Start-up and memory: parsing the embedded device database, creating a server (the embedded
//! context: runtime + database + `Server::new`), `teleplug serve` from exec to "listening", and
//! its resident memory idle and with 100 and 1,000 simulated devices (advertised through
//! `--simulator-port`, connected by a Buttplug client scanning over WebSocket).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use teleplug::device_config::DeviceConfig;
use teleplug::server::{Server, ServerOptions, Transports};
use tokio_tungstenite::tungstenite::Message;

use crate::alloc;
use crate::stats::{Summary, bytes, us};
use crate::{Flavour, Settings};

const DATABASE: &str = include_str!("../../data/device-config/buttplug-device-config-v4.json");
const TELEPLUG: &str = env!("CARGO_BIN_EXE_teleplug");

/// A running `teleplug serve` whose announced URLs were read from stdout.
struct Serve {
    child: Child,
    lines: mpsc::Receiver<String>,
}

impl Serve {
    fn spawn(args: &[&str]) -> Serve {
        let mut child = Command::new(TELEPLUG)
            .arg("serve")
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("teleplug serve");
        let stdout = child.stdout.take().expect("stdout");
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Serve { child, lines }
    }

    /// The URL in the first line containing `what`.
    fn url(&self, what: &str) -> String {
        loop {
            let line = self
                .lines
                .recv_timeout(Duration::from_secs(20))
                .expect("teleplug serve announces");
            if line.contains(what) {
                let at = line.find("ws://").expect("url");
                return line[at..].trim().to_string();
            }
        }
    }

    fn rss(&self) -> u64 {
        alloc::rss_of(&self.child.id().to_string()).unwrap_or(0)
    }
}

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Advertise `n` Aneros toys on the simulator endpoint, connect a Buttplug client, scan until all
/// are listed. Returns the time from StartScanning to the full DeviceList, and the sockets (kept
/// open while memory is read).
async fn connect_devices(sim_url: &str, url: &str, n: usize) -> (Duration, Box<dyn std::any::Any>) {
    let (mut sim, _) = tokio_tungstenite::connect_async(sim_url)
        .await
        .expect("sim");
    for i in 0..n {
        let frame = format!(
            r#"{{"Advertise":{{"id":"d{i}","name":"Massage Demo","address":"AN:{i:06}"}}}}"#
        );
        sim.send(Message::text(frame)).await.expect("advertise");
    }
    let (sim_tx, mut sim_rx) = sim.split();
    // Drain the simulator's events so its queue never fills.
    let drain = tokio::spawn(async move { while let Some(Ok(_)) = sim_rx.next().await {} });
    let (mut ws, _) = tokio_tungstenite::connect_async(url).await.expect("client");
    ws.send(Message::text(
        r#"[{"RequestServerInfo":{"Id":1,"ClientName":"bench","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
    ))
    .await
    .expect("handshake");
    let started = Instant::now();
    ws.send(Message::text(r#"[{"StartScanning":{"Id":2}}]"#))
        .await
        .expect("scan");
    loop {
        let Some(Ok(msg)) = ws.next().await else {
            panic!("server closed the connection")
        };
        let Message::Text(t) = msg else { continue };
        let v: serde_json::Value = serde_json::from_str(t.as_str()).expect("json");
        if v[0]["DeviceList"]["Devices"]
            .as_object()
            .is_some_and(|d| d.len() >= n)
        {
            break;
        }
    }
    let elapsed = started.elapsed();
    (elapsed, Box::new((ws, sim_tx, drain)))
}

/// The start-up section.
pub fn run(settings: &Settings) {
    println!("\n### Start-up and memory\n");
    println!("| what | figure |");
    println!("|---|---|");
    let t = Instant::now();
    let db = DeviceConfig::embedded();
    let cold = t.elapsed();
    println!(
        "| `DeviceConfig::embedded()` first call in the process (parse {} KiB JSON) | {} |",
        DATABASE.len() / 1024,
        us(cold)
    );
    drop(db);
    let mut parse = Vec::new();
    for _ in 0..settings.startup_runs {
        let t = Instant::now();
        let db = DeviceConfig::from_base_json(DATABASE).expect("parses");
        parse.push(t.elapsed());
        drop(db);
    }
    println!(
        "| device database parse, warm process | {} |",
        Summary::of(parse)
    );
    let heap0 = alloc::live_bytes();
    let db = DeviceConfig::from_base_json(DATABASE).expect("parses");
    println!(
        "| parsed device database, heap | {} |",
        bytes(alloc::live_bytes().saturating_sub(heap0))
    );
    drop(db);

    let mut create = Vec::new();
    for _ in 0..settings.startup_runs {
        let t = Instant::now();
        let rt = Flavour::MultiThread.runtime();
        let server = rt.block_on(async {
            Server::new(ServerOptions {
                transports: Transports::none(),
                device_config: DeviceConfig::from_base_json(DATABASE).expect("parses"),
                ..ServerOptions::default()
            })
        });
        create.push(t.elapsed());
        rt.block_on(server.shutdown(Duration::from_secs(1)));
        drop(server);
        drop(rt);
    }
    println!(
        "| context creation: 2-worker runtime + database parse + `Server::new` | {} |",
        Summary::of(create)
    );

    let mut listening = Vec::new();
    let mut idle = 0;
    for _ in 0..settings.startup_runs {
        let t = Instant::now();
        let serve = Serve::spawn(&["--port", "0"]);
        serve.url("listening");
        listening.push(t.elapsed());
        std::thread::sleep(Duration::from_millis(300));
        idle = idle.max(serve.rss());
    }
    println!(
        "| `teleplug serve --port 0`: exec → \"listening\" printed | {} |",
        Summary::of(listening)
    );
    println!(
        "| `teleplug serve` idle, resident (VmRSS, worst of runs) | {} |",
        bytes(idle)
    );

    let rt = Flavour::CurrentThread.runtime();
    for n in [100usize, 1000] {
        let serve = Serve::spawn(&["--port", "0", "--simulator-port", "0"]);
        let sim = serve.url("simulator control");
        let url = serve.url("listening");
        let before = serve.rss();
        let (elapsed, keep) = rt.block_on(connect_devices(&sim, &url, n));
        std::thread::sleep(Duration::from_millis(500));
        let after = serve.rss();
        println!(
            "| `teleplug serve` with {n} simulated devices (via --simulator-port), resident | {} ({} per device; connected in {}) |",
            bytes(after),
            bytes(after.saturating_sub(before) / n as u64),
            us(elapsed)
        );
        drop(keep);
        drop(serve);
    }
}
