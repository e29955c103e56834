//! Teleplug benchmarks: latency and throughput of the embedded path (Rust client API), the
//! WebSocket server, scale with many devices, start-up and memory. Figures are printed as
//! Markdown tables (see BENCHMARKS.md).
//!
//! Run: `cargo bench --bench perf` (all sections) or `cargo bench --bench perf -- SECTION…`
//! with sections `startup`, `ffi`, `embedded`, `ws`, `scale`; `--quick` runs fewer commands.
//! Instruction counts: `scripts/callgrind.sh` runs `profile embedded|ffi|ws N` under callgrind.
//!
//! Not a test: under `cargo test`/`cargo nextest` (no `--bench` argument) it lists no tests and
//! exits at once.

mod alloc;
mod embedded;
mod ffi;
#[path = "../common/ffi_sink.rs"]
mod ffi_sink;
mod rig;
mod scale;
mod startup;
mod stats;
mod ws;

#[global_allocator]
static ALLOC: alloc::Counting = alloc::Counting;

/// Which tokio runtime a bench runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flavour {
    CurrentThread,
    MultiThread,
}

impl Flavour {
    pub fn runtime(self) -> tokio::runtime::Runtime {
        match self {
            Flavour::CurrentThread => tokio::runtime::Builder::new_current_thread(),
            Flavour::MultiThread => tokio::runtime::Builder::new_multi_thread(),
        }
        .enable_all()
        .build()
        .expect("runtime")
    }

    pub fn name(self) -> &'static str {
        match self {
            Flavour::CurrentThread => "current-thread",
            Flavour::MultiThread => "multi-thread (2 workers)",
        }
    }

    fn parse(s: &str) -> Flavour {
        match s {
            "current" | "current-thread" => Flavour::CurrentThread,
            _ => Flavour::MultiThread,
        }
    }
}

/// Sample sizes.
#[derive(Clone, Debug)]
pub struct Settings {
    /// Commands per measured run (pipelined runs send 4×).
    pub commands: usize,
    pub warmup: usize,
    /// Repetitions of start-up measurements.
    pub startup_runs: usize,
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown".into());
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("## Machine\n");
    println!("- CPU: {cpu}, {cores} cores (nproc)");
    println!(
        "- load average at start: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if !args.iter().any(|a| a == "--bench") {
        // Run by `cargo test` / `cargo nextest` (which may pass `--list`): no tests here.
        return;
    }
    let words: Vec<&str> = args
        .iter()
        .map(String::as_str)
        .filter(|a| !a.starts_with("--"))
        .collect();
    if words.first() == Some(&"profile") {
        let what = words.get(1).copied().unwrap_or("embedded");
        let n: usize = words.get(2).and_then(|n| n.parse().ok()).unwrap_or(10_000);
        let flavour = Flavour::parse(words.get(3).copied().unwrap_or("multi"));
        match what {
            "ws" => ws::profile(n),
            "ffi" => ffi::profile(n),
            "scale" => scale::profile(n),
            _ => embedded::profile(flavour, n),
        }
        return;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let settings = Settings {
        commands: if quick { 2_000 } else { 20_000 },
        warmup: if quick { 200 } else { 2_000 },
        startup_runs: if quick { 3 } else { 10 },
    };
    let all = words.is_empty();
    let wants = |s: &str| all || words.contains(&s);
    machine();
    if wants("startup") {
        startup::run(&settings);
    }
    if wants("ffi") {
        ffi::run(&settings);
    }
    if wants("embedded") {
        embedded::run(&settings);
    }
    if wants("ws") {
        ws::run(&settings);
    }
    if wants("scale") {
        scale::run(&settings);
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nload average at end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
}
