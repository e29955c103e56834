//! The embedded path against its peer: an app embedding the reference Buttplug implementation
//! in-process (crates.io buttplug: `ButtplugClient` + in-process connector + `ButtplugServer`)
//! beside Teleplug through its Rust API and through its C ABI, in one run on one machine, with
//! the same toy (a Lovense Hush answering `DeviceType;` with `Z:11:0082059AD3BD;`, no message
//! gap) and the same command stream (vibrate levels 1..=20 in turn, so no command repeats the
//! previous one).
//!
//! Per side and per number of commands in flight (1 = strict request/reply, then pipelined):
//! commands/s, command → device write and command → reply latency (p50, p99; the clock starts
//! just before the command is handed to the library and stops in the toy's write handler or
//! when the reply is back, one clock for all), device writes and commands lost. Prints one
//! Markdown table. A side that loses commands, errors or times out is reported as FAILED and
//! gets no ratio.
//!
//! Run: `scripts/compare-embedded.sh [--commands N] [--warmup N] [--inflight 1,16,256]`.

mod c_abi;
#[path = "../../common/ffi_sink.rs"]
mod ffi_sink;
mod measure;
mod reference;
mod rust_api;

use measure::{Figures, Raw, Summary, WriteLog};

/// A tokio runtime as an app would start one: multi-threaded, one worker per core.
pub fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("tokio runtime")
}

struct Settings {
    commands: usize,
    warmup: usize,
    inflight: Vec<usize>,
}

fn settings() -> Result<Settings, String> {
    let mut s = Settings {
        commands: 20_000,
        warmup: 2_000,
        inflight: vec![1, 16, 256],
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut number = |name: &str| -> Result<usize, String> {
            args.next()
                .and_then(|v| v.parse().ok())
                .filter(|&v| v > 0)
                .ok_or(format!("{name} needs a positive number"))
        };
        match a.as_str() {
            "--commands" => s.commands = number("--commands")?,
            "--warmup" => s.warmup = number("--warmup")?,
            "--inflight" => {
                let list = args
                    .next()
                    .ok_or("--inflight needs a list, e.g. 1,16,256")?;
                s.inflight = list
                    .split(',')
                    .map(|w| w.trim().parse().ok().filter(|&w: &usize| w > 0))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("--inflight needs positive numbers, e.g. 1,16,256")?;
            }
            "-h" | "--help" => {
                println!("embedded-peer [--commands N] [--warmup N] [--inflight 1,16,256]");
                std::process::exit(0);
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(s)
}

/// What one side gives the driver.
trait Side {
    fn log(&self) -> &WriteLog;
    fn run(&mut self, n: usize, window: usize) -> Raw;
}

impl Side for reference::Reference {
    fn log(&self) -> &WriteLog {
        &self.log
    }
    fn run(&mut self, n: usize, window: usize) -> Raw {
        reference::Reference::run(self, n, window)
    }
}

impl Side for rust_api::RustApi {
    fn log(&self) -> &WriteLog {
        &self.log
    }
    fn run(&mut self, n: usize, window: usize) -> Raw {
        rust_api::RustApi::run(self, n, window)
    }
}

impl Side for c_abi::CAbi {
    fn log(&self) -> &WriteLog {
        &self.log
    }
    fn run(&mut self, n: usize, window: usize) -> Raw {
        c_abi::CAbi::run(self, n, window)
    }
}

/// One row: warm up with the same window, then measure.
fn row(side: &mut dyn Side, s: &Settings, window: usize) -> Figures {
    side.log().reset(s.warmup);
    let warm = side.run(s.warmup, window);
    measure::settle(side.log(), s.warmup);
    let warm = measure::analyse(warm, side.log());
    if warm.failed() {
        return warm;
    }
    side.log().reset(s.commands);
    let raw = side.run(s.commands, window);
    measure::settle(side.log(), s.commands);
    measure::analyse(raw, side.log())
}

/// The rows of a side that did not start.
fn did_not_start(
    name: &str,
    s: &Settings,
    error: String,
    notes: &mut Vec<String>,
) -> Vec<Option<Figures>> {
    notes.push(format!("{name}: did not start: {error}"));
    s.inflight.iter().map(|_| None).collect()
}

fn us(d: std::time::Duration) -> String {
    let micros = d.as_secs_f64() * 1e6;
    if micros >= 10_000.0 {
        format!("{:.2} ms", micros / 1000.0)
    } else {
        format!("{micros:.1} µs")
    }
}

/// A figure of a row: its text, and the number compared for the lead.
type Figure = fn(&Figures) -> Option<(String, f64)>;

fn latency(s: Option<Summary>, p99: bool) -> Option<(String, f64)> {
    let s = s?;
    let d = if p99 { s.p99 } else { s.p50 };
    Some((us(d), d.as_secs_f64()))
}

fn machine() {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|c| {
            c.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!("- machine: {cpu}, {cores} cores; load average {}", load());
}

fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}

fn main() {
    let s = match settings() {
        Ok(s) => s,
        Err(e) => {
            eprintln!("embedded-peer: {e}");
            std::process::exit(2);
        }
    };
    let mut notes = Vec::new();
    // One side at a time, each on its own runtime/context, dropped before the next starts.
    let buttplug = match reference::Reference::start() {
        Ok(mut r) => {
            let f = measure_side_with(&mut r, "buttplug", &s, &mut notes);
            r.close();
            f
        }
        Err(e) => did_not_start("buttplug", &s, e, &mut notes),
    };
    let rust = match rust_api::RustApi::start() {
        Ok(mut t) => {
            let f = measure_side_with(&mut t, "Teleplug Rust API", &s, &mut notes);
            t.close();
            f
        }
        Err(e) => did_not_start("Teleplug Rust API", &s, e, &mut notes),
    };
    let abi = match c_abi::CAbi::start() {
        Ok(mut t) => {
            let f = measure_side_with(&mut t, "Teleplug C ABI", &s, &mut notes);
            t.close();
            f
        }
        Err(e) => did_not_start("Teleplug C ABI", &s, e, &mut notes),
    };
    print_table(&s, &buttplug, &rust, &abi, &notes);
}

fn measure_side_with(
    side: &mut dyn Side,
    name: &str,
    s: &Settings,
    notes: &mut Vec<String>,
) -> Vec<Option<Figures>> {
    eprintln!("measuring {name}…");
    s.inflight
        .iter()
        .map(|&w| {
            let f = row(side, s, w);
            if let Some(e) = &f.error {
                notes.push(format!("{name}, {w} in flight: {e}"));
            }
            if f.stray > 0 {
                notes.push(format!(
                    "{name}, {w} in flight: {} device writes matched no command",
                    f.stray
                ));
            }
            if !f.failed() && f.writes < f.commands {
                notes.push(format!(
                    "{name}, {w} in flight: the toy was written {} times for {} commands (a backlog merged: latest value wins), so this row's device did less work than a side writing every command; merged commands were never written as such, so the row has no command → write latency (the last command's value did reach the toy)",
                    f.writes, f.commands
                ));
            }
            Some(f)
        })
        .collect()
}

fn print_table(
    s: &Settings,
    buttplug: &[Option<Figures>],
    rust: &[Option<Figures>],
    abi: &[Option<Figures>],
    notes: &[String],
) {
    println!("## The embedded path against its peer\n");
    machine();
    println!(
        "- reference: {} (crates.io); Teleplug from this tree; each side on its own multi-threaded tokio runtime (one worker per core; the C ABI's context starts its own)",
        reference::DETAIL
    );
    println!(
        "- {} commands per row after {} warm-up commands with the same number in flight; one Lovense Hush, no message gap, levels 1..=20 in turn",
        s.commands, s.warmup
    );
    println!(
        "- command → write: from just before the command is handed to the library to the toy's write handler, where the toy got one write per command (a row that merged a backlog has none: \"—\"); command → reply: to the Ok reply (C ABI: entry of the event callback)"
    );
    println!(
        "- semantics that differ: buttplug answers Ok once the command is queued for its device task (fire and forget), before the write, so its 1-in-flight row does not bound the toy's backlog; Teleplug's device task merges a backlog when the toy falls behind (latest value wins), so its pipelined rows may write fewer times (row \"device writes\")\n"
    );
    println!(
        "| figure | in flight | buttplug {} (in-process) | Teleplug Rust API | Teleplug C ABI | Teleplug's lead × (Rust API · C ABI) |",
        reference::VERSION
    );
    println!("|---|---|---|---|---|---|");
    let figures: [(&str, Figure, bool); 5] = [
        (
            "commands/s",
            |f| Some((format!("{:.0}/s", f.per_second), f.per_second)),
            true,
        ),
        ("command → write p50", |f| latency(f.write, false), false),
        ("command → write p99", |f| latency(f.write, true), false),
        ("command → reply p50", |f| latency(f.reply, false), false),
        ("command → reply p99", |f| latency(f.reply, true), false),
    ];
    for (name, get, higher_is_better) in figures {
        for (i, w) in s.inflight.iter().enumerate() {
            let cell = |f: &Option<Figures>| -> (String, Option<f64>) {
                match f {
                    Some(f) if !f.failed() => match get(f) {
                        Some((text, v)) => (text, Some(v)),
                        None => ("—".into(), None),
                    },
                    _ => ("FAILED".into(), None),
                }
            };
            let (b, bv) = cell(&buttplug[i]);
            let (r, rv) = cell(&rust[i]);
            let (a, av) = cell(&abi[i]);
            let lead = |t: Option<f64>| match (bv, t) {
                (Some(b), Some(t)) if b > 0.0 && t > 0.0 => {
                    let x = if higher_is_better { t / b } else { b / t };
                    format!("×{x:.2}")
                }
                _ => "—".into(),
            };
            println!(
                "| {name} | {w} | {b} | {r} | {a} | {} · {} |",
                lead(rv),
                lead(av)
            );
        }
    }
    for (i, w) in s.inflight.iter().enumerate() {
        let cell = |f: &Option<Figures>| match f {
            Some(f) => format!("{} / {}", f.writes, f.commands),
            None => "FAILED".into(),
        };
        println!(
            "| device writes / commands | {w} | {} | {} | {} | |",
            cell(&buttplug[i]),
            cell(&rust[i]),
            cell(&abi[i])
        );
    }
    for (i, w) in s.inflight.iter().enumerate() {
        let cell = |f: &Option<Figures>| match f {
            Some(f) if f.failed() => format!("FAILED ({} lost)", f.lost),
            Some(f) => f.lost.to_string(),
            None => "FAILED (did not start)".into(),
        };
        println!(
            "| commands lost | {w} | {} | {} | {} | |",
            cell(&buttplug[i]),
            cell(&rust[i]),
            cell(&abi[i])
        );
    }
    if !notes.is_empty() {
        println!();
        for n in notes {
            println!("- {n}");
        }
    }
    println!("\nload average at end: {}", load());
}
