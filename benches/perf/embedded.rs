//! Embedded path through the Rust client API: `Client::output` → connection task → device task
//! → simulated write → Ok reply. Latency with one command in flight, then throughput and latency
//! with many pipelined commands (separate messages, so nothing coalesces).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use futures::StreamExt;
use futures::stream::FuturesUnordered;
use teleplug::client::{Client, EmbeddedConnector};
use teleplug::hardware::simulated::SimulatedDevice;
use teleplug::server::Server;

use crate::alloc;
use crate::rig::{self, WriteLatency, WriteLog};
use crate::stats::{Summary, rate};
use crate::{Flavour, Settings};

/// A connected client with `devices` simulated toys; commands go to the first one.
pub struct Embedded {
    pub server: Server,
    pub client: Client,
    /// Keeps the simulated toys alive for the run.
    pub _devices: Vec<SimulatedDevice>,
    pub index: u32,
    pub log: std::sync::Arc<WriteLog>,
    /// Commands sent so far: the next command's value follows from it.
    seq: AtomicUsize,
}

impl Embedded {
    pub async fn start(devices: usize) -> Embedded {
        let server = Server::new(rig::options());
        let devs: Vec<SimulatedDevice> = (0..devices).map(rig::hush).collect();
        for d in &devs {
            server.advertise(d.clone());
        }
        let conn = EmbeddedConnector::connect_to(&server).expect("connect");
        let client = Client::connect_with("bench", conn)
            .await
            .expect("handshake");
        client.start_scanning().await.expect("scan");
        rig::wait_for_devices(&server, devices, Duration::from_secs(120))
            .await
            .expect("devices");
        client.stop_scanning().await.expect("stop scanning");
        let list = server.device_list();
        let index = *list.devices.keys().next().expect("a device");
        // The first device connected is not necessarily devs[0]: find the one at `index`.
        let identity = server.device_identity(index).expect("identity");
        let first = devs
            .iter()
            .find(|d| d.spec().address == identity.address)
            .expect("device")
            .clone();
        let log = WriteLog::attach(&first);
        Embedded {
            server,
            client,
            _devices: devs,
            index,
            log,
            seq: AtomicUsize::new(0),
        }
    }

    fn next_command(&self) -> teleplug::wire::OutputCommand {
        rig::command(self.seq.fetch_add(1, Ordering::Relaxed))
    }

    /// `n` commands one at a time: (send → write, send → reply, allocations per command).
    pub async fn sequential(&self, n: usize) -> (WriteLatency, Summary, f64) {
        self.log.expect(n);
        let mut sends = Vec::with_capacity(n);
        let mut replies = Vec::with_capacity(n);
        let allocs = alloc::calls();
        for _ in 0..n {
            let t = Instant::now();
            self.client
                .output(self.index, 0, self.next_command())
                .await
                .expect("output");
            replies.push(Instant::now());
            sends.push(t);
        }
        let per = (alloc::calls() - allocs) as f64 / n as f64;
        let (write, reply) = rig::latencies(&sends, &self.log, &replies);
        (write, reply, per)
    }

    /// `n` commands with up to `window` in flight: (send → write, send → reply, elapsed).
    ///
    /// Runs without tokio's cooperative budget: with it, a request whose first poll runs out of
    /// budget is re-queued behind later ones and sent after them, and the send → write pairing
    /// (by order) would break.
    pub async fn pipelined(&self, n: usize, window: usize) -> (WriteLatency, Summary, Duration) {
        tokio::task::unconstrained(self.pipelined_in_order(n, window)).await
    }

    async fn pipelined_in_order(
        &self,
        n: usize,
        window: usize,
    ) -> (WriteLatency, Summary, Duration) {
        self.log.expect(n);
        let mut sends = Vec::with_capacity(n);
        let mut replies = vec![None; n];
        let mut inflight = FuturesUnordered::new();
        let start = Instant::now();
        let mut next = 0;
        while next < n || !inflight.is_empty() {
            while next < n && inflight.len() < window {
                let client = self.client.clone();
                let index = self.index;
                let i = next;
                let command = self.next_command();
                sends.push(Instant::now());
                inflight.push(async move { client.output(index, 0, command).await.map(|_| i) });
                next += 1;
            }
            let i = inflight.next().await.expect("pending").expect("output");
            replies[i] = Some(Instant::now());
        }
        let elapsed = start.elapsed();
        let replies: Vec<Instant> = replies.into_iter().map(|r| r.expect("reply")).collect();
        let (write, reply) = rig::latencies(&sends, &self.log, &replies);
        (write, reply, elapsed)
    }
}

/// The Rust-API section: one table row per (runtime flavour, mode).
pub fn run(settings: &Settings) {
    println!("\n### Embedded, Rust client API (`Client::output`), 1 Lovense Hush, gap 0\n");
    println!(
        "| runtime | in flight | send → device write | send → reply | commands/s | allocs/cmd |"
    );
    println!("|---|---|---|---|---|---|");
    for flavour in [Flavour::CurrentThread, Flavour::MultiThread] {
        let rt = flavour.runtime();
        rt.block_on(async {
            let e = Embedded::start(1).await;
            e.sequential(settings.warmup).await;
            let started = Instant::now();
            let (w, r, allocs) = e.sequential(settings.commands).await;
            let elapsed = started.elapsed();
            println!(
                "| {} | 1 | {w} | {r} | {} | {allocs:.1} |",
                flavour.name(),
                rate(settings.commands, elapsed)
            );
            for window in [16, 256] {
                e.pipelined(settings.warmup, window).await;
                let (w, r, elapsed) = e.pipelined(settings.commands * 4, window).await;
                println!(
                    "| {} | {window} | {w} | {r} | {} | |",
                    flavour.name(),
                    rate(settings.commands * 4, elapsed)
                );
            }
            e.server.shutdown(Duration::from_secs(2)).await;
        });
    }
}

/// A fixed workload for instruction counting (`profile embedded N`).
pub fn profile(flavour: Flavour, n: usize) {
    flavour.runtime().block_on(async {
        let e = Embedded::start(1).await;
        for _ in 0..n {
            let command = e.next_command();
            e.client.output(e.index, 0, command).await.expect("output");
        }
        e.server.shutdown(Duration::from_secs(2)).await;
    });
}
