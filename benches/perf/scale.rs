//! Scale: 1, 100 and 1,000 simulated toys connected to the embedded server: time to connect them
//! all (scan → the last DeviceAdded), the DeviceList's JSON size and encoding time, memory per
//! device (exact heap from the counting allocator, and RSS), and one device's command latency
//! with all of them connected.

use std::time::{Duration, Instant};

use teleplug::wire::AnyServerMessage;
use teleplug::wire::json::encode_server_frame;
use teleplug::wire::{ServerMessage, SpecVersion};

use crate::embedded::Embedded;
use crate::stats::{Summary, bytes, rate, us};
use crate::{Flavour, Settings, alloc};

/// The scale section.
pub fn run(settings: &Settings) {
    println!(
        "\n### Scale: N simulated Hush toys on the embedded server (2-worker runtime), Rust client\n"
    );
    println!(
        "| devices | connect all | DeviceList JSON | encode | heap/device | RSS/device | RSS total | send → write (1 in flight) | send → reply | commands/s (256 in flight) |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    // Parsed once per process: not a per-device cost.
    drop(teleplug::device_config::DeviceConfig::embedded());
    for n in [1usize, 100, 1000] {
        let rt = Flavour::MultiThread.runtime();
        rt.block_on(async {
            let heap0 = alloc::live_bytes();
            let rss0 = alloc::rss();
            let started = Instant::now();
            let e = Embedded::start(n).await;
            let connect = started.elapsed();
            // Let the client's device-list updates settle.
            tokio::time::sleep(Duration::from_millis(200)).await;
            let heap = alloc::live_bytes().saturating_sub(heap0);
            let rss_total = alloc::rss();
            let rss = rss_total.saturating_sub(rss0);
            let list = e.server.device_list();
            let msg = AnyServerMessage::V4(ServerMessage::DeviceList(list));
            let json = encode_server_frame(SpecVersion::V4, &msg).expect("encodes");
            let mut times = Vec::new();
            for _ in 0..21 {
                let t = Instant::now();
                let s = encode_server_frame(SpecVersion::V4, &msg);
                times.push(t.elapsed());
                drop(s);
            }
            let encode = Summary::of(times).p50;
            e.sequential(settings.warmup).await;
            let (w, r, _) = e.sequential(settings.commands).await;
            let w = w.per_command();
            let (_, _, elapsed) = e.pipelined(settings.commands * 4, 256).await;
            println!(
                "| {n} | {} | {} | {} | {} | {} | {} | p50 {} p99 {} | p50 {} p99 {} | {} |",
                us(connect),
                bytes(json.len() as u64),
                us(encode),
                bytes(heap / n as u64),
                bytes(rss / n as u64),
                bytes(rss_total),
                us(w.p50),
                us(w.p99),
                us(r.p50),
                us(r.p99),
                rate(settings.commands * 4, elapsed),
            );
            e.server.shutdown(Duration::from_secs(5)).await;
        });
    }
}

/// A fixed workload for instruction counting (`profile scale N`): connect N devices.
pub fn profile(n: usize) {
    Flavour::MultiThread.runtime().block_on(async {
        let e = Embedded::start(n).await;
        e.server.shutdown(Duration::from_secs(5)).await;
    });
}
