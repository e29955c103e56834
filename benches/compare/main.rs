//! The load generator of the side-by-side server comparison (`scripts/compare.sh`): one process
//! that plays both the Buttplug client (raw JSON over WebSocket, no client library) and a
//! simulated Lovense Hush dialing in over the server's device WebSocket, against any Buttplug
//! server given by its URLs and process id. The same binary, settings and load run against every
//! server, so the figures are comparable; the script runs them one after another in one go.
//!
//! For each number of commands in flight it sends `--commands` Vibrate commands whose values
//! alternate (so no server may skip one as a duplicate) and measures: throughput (replies per
//! second), reply round trip p50/p99, send → device write p50/p99 (the toy's read of the bytes,
//! on the same clock), and the server's CPU time per command (user + system from
//! `/proc/<pid>/stat` over the window) beside the generator's own. Then the server's resident
//! memory idle and with `--devices` toys connected. Output: one JSON object on stdout.
//!
//! With `--floor` the same binary is instead the floor the script measures beside the servers
//! (floor.rs).
//!
//! A lost reply, an error reply or a missing device write is a failure (`"ok": false` with the
//! reason, for the run or for the step), never a figure. Without `--bench` (run by `cargo test` or `cargo nextest`, which
//! list it) it does nothing.
//!
//! ```sh
//! cargo bench --bench compare -- --client ws://127.0.0.1:12345 \
//!     --device ws://127.0.0.1:54817 --pid 1234 [--commands 40000] [--inflight 1,16,256] \
//!     [--devices 100] [--spec 4] [--bursts 10]
//! ```
//!
//! Then the control quality under a slow device (`--bursts`, 0 to skip): a second toy, whose
//! user config entry (written by the script for both servers) gives it a 75 ms message gap, gets
//! Vibrate updates at 200 Hz in bursts of about one second (their lengths spread over one gap, so
//! a burst's end falls at every phase of the toy's write rhythm). Measured: writes per second
//! reaching the toy and the shortest interval between two writes; the age of the value each
//! write carries (time since the command that set it was sent); how late each write is beyond
//! the earliest moment the gap allowed it (that command's send, or one gap after the previous
//! write); how long the written value had already been replaced by a newer command; how long
//! the toy is behind the app on average over time (since the app sent a value newer than the
//! one the toy runs); how long the first command after an idle pause waits for its write; and
//! whether the last command of each burst was written, and how long after it was sent.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use futures::stream::{SplitSink, SplitStream};
use futures::{SinkExt, StreamExt};
use parking_lot::Mutex;
use serde_json::{Value, json};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long any single wait may take before the run is declared failed.
const STEP_TIMEOUT: Duration = Duration::from_secs(30);

/// The Lovense identifier the toys dial in with (the user config given to both servers maps it
/// to the lovense protocol).
const TOY_IDENTIFIER: &str = "LVSDevice";

struct Args {
    client: String,
    device: String,
    pid: u32,
    commands: usize,
    inflight: Vec<usize>,
    devices: usize,
    spec: u32,
    /// Bursts of the control-quality phase (0: skip it).
    bursts: usize,
}

fn parse_args() -> Result<Args, String> {
    let mut a = Args {
        client: String::new(),
        device: String::new(),
        pid: 0,
        commands: 40_000,
        inflight: vec![1, 16, 256],
        devices: 100,
        spec: 4,
        bursts: 10,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        if flag == "--bench" {
            continue;
        }
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--client" => a.client = value()?,
            "--device" => a.device = value()?,
            "--pid" => a.pid = value()?.parse().map_err(|e| format!("--pid: {e}"))?,
            "--commands" => {
                a.commands = value()?.parse().map_err(|e| format!("--commands: {e}"))?
            }
            "--devices" => a.devices = value()?.parse().map_err(|e| format!("--devices: {e}"))?,
            "--spec" => a.spec = value()?.parse().map_err(|e| format!("--spec: {e}"))?,
            "--bursts" => a.bursts = value()?.parse().map_err(|e| format!("--bursts: {e}"))?,
            "--inflight" => {
                a.inflight = value()?
                    .split(',')
                    .map(|n| n.parse().map_err(|e| format!("--inflight: {e}")))
                    .collect::<Result<_, _>>()?
            }
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if a.client.is_empty() || a.device.is_empty() || a.pid == 0 {
        return Err("--client, --device and --pid are required".into());
    }
    if a.spec != 3 && a.spec != 4 {
        return Err("--spec is 3 or 4".into());
    }
    Ok(a)
}

mod floor;

/// `--floor --port P --device-port Q`: serve as the floor (floor.rs) instead of loading.
fn floor_mode() -> Option<Result<(), String>> {
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--floor") {
        return None;
    }
    let port = |flag: &str| -> Result<u16, String> {
        let i = args
            .iter()
            .position(|a| a == flag)
            .ok_or(format!("{flag} is required"))?;
        args.get(i + 1)
            .and_then(|p| p.parse().ok())
            .ok_or(format!("{flag} needs a port"))
    };
    Some(port("--port").and_then(|p| floor::run(p, port("--device-port")?)))
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        // Run by `cargo test` / `cargo nextest` (which may pass `--list`): no tests here.
        return;
    }
    if let Some(served) = floor_mode() {
        if let Err(e) = served {
            eprintln!("compare --floor: {e}");
            std::process::exit(1);
        }
        return;
    }
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("compare: {e}");
            std::process::exit(2);
        }
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let out = rt.block_on(run(&args));
    let out = match out {
        Ok(v) => v,
        Err(reason) => json!({"ok": false, "reason": reason}),
    };
    println!("{out}");
}

// ---- the process's accounting ------------------------------------------------------------------

/// User + system CPU time of a process, from `/proc/<pid>/stat` (clock ticks of 1/100 s).
fn cpu_time(pid: &str) -> Result<Duration, String> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .map_err(|e| format!("/proc/{pid}/stat: {e}"))?;
    // The command name may hold spaces: fields count from after its closing parenthesis.
    let rest = stat
        .rsplit_once(')')
        .ok_or("unreadable /proc stat")?
        .1
        .split_whitespace()
        .collect::<Vec<_>>();
    // rest[0] is field 3 (state); utime is field 14, stime field 15.
    let ticks = |i: usize| -> Result<u64, String> {
        rest.get(i - 3)
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| format!("no field {i} in /proc/{pid}/stat"))
    };
    let hz = 100; // USER_HZ: 100 on every Linux this runs on
    Ok(Duration::from_millis((ticks(14)? + ticks(15)?) * 1000 / hz))
}

/// Resident memory of a process in KiB (`VmRSS`).
fn rss_kib(pid: u32) -> Result<u64, String> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .map_err(|e| format!("/proc/{pid}/status: {e}"))?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .ok_or_else(|| "no VmRSS".to_string())
}

// ---- the toy -------------------------------------------------------------------------------------

/// What a toy saw: every Vibrate write with the instant it was read.
#[derive(Default)]
struct ToyLog {
    writes: Mutex<Vec<(Instant, u32)>>,
    identified: AtomicBool,
}

/// Dial in as a Lovense Hush and answer like one until the socket closes.
async fn toy(url: String, address: String, log: Arc<ToyLog>) -> Result<(), String> {
    // Nagle off, as in browsers and the client libraries: the figures are the servers', not
    // the delayed ACKs'.
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(url.as_str(), None, true)
        .await
        .map_err(|e| format!("toy cannot connect to {url}: {e}"))?;
    let hello = json!({"identifier": TOY_IDENTIFIER, "address": address, "version": 0});
    ws.send(Message::text(hello.to_string()))
        .await
        .map_err(|e| format!("toy handshake: {e}"))?;
    while let Some(m) = ws.next().await {
        let now = Instant::now();
        let bytes = match m {
            Ok(Message::Binary(b)) => b.to_vec(),
            Ok(Message::Text(t)) => t.as_bytes().to_vec(),
            Ok(Message::Close(_)) | Err(_) => break,
            Ok(_) => continue,
        };
        let text = String::from_utf8_lossy(&bytes);
        let reply = if text == "DeviceType;" {
            log.identified.store(true, Ordering::SeqCst);
            format!("Z:11:{};", address.replace('-', ""))
        } else if text == "Battery;" {
            "90;".to_string()
        } else if let Some(v) = text
            .strip_prefix("Vibrate:")
            .and_then(|v| v.strip_suffix(';'))
        {
            if let Ok(v) = v.parse() {
                log.writes.lock().push((now, v));
            }
            "OK;".to_string()
        } else {
            "OK;".to_string()
        };
        if ws.send(Message::binary(reply.into_bytes())).await.is_err() {
            break;
        }
    }
    Ok(())
}

// ---- the client ----------------------------------------------------------------------------------

struct Client {
    tx: SplitSink<Ws, Message>,
    rx: SplitStream<Ws>,
    spec: u32,
    /// The Id of the next RequestDeviceList (below the commands' Ids).
    next_list_id: u32,
}

async fn next_json(rx: &mut SplitStream<Ws>) -> Result<Vec<Value>, String> {
    loop {
        let m = tokio::time::timeout(STEP_TIMEOUT, rx.next())
            .await
            .map_err(|_| "no message from the server within 30 s".to_string())?;
        match m {
            Some(Ok(Message::Text(t))) => {
                let v: Value =
                    serde_json::from_str(t.as_str()).map_err(|e| format!("bad frame: {e}"))?;
                return match v {
                    Value::Array(a) => Ok(a),
                    other => Err(format!("not a message array: {other}")),
                };
            }
            Some(Ok(Message::Close(_))) | None => return Err("the server closed".into()),
            Some(Err(e)) => return Err(format!("client socket: {e}")),
            Some(Ok(_)) => continue,
        }
    }
}

impl Client {
    async fn connect(url: &str, spec: u32) -> Result<Client, String> {
        let (ws, _) = tokio_tungstenite::connect_async_with_config(url, None, true)
            .await
            .map_err(|e| format!("client cannot connect to {url}: {e}"))?;
        let (tx, rx) = ws.split();
        let mut c = Client {
            tx,
            rx,
            spec,
            next_list_id: 2,
        };
        let hello = if spec == 4 {
            json!([{"RequestServerInfo": {"Id": 1, "ClientName": "compare",
                "ProtocolVersionMajor": 4, "ProtocolVersionMinor": 0}}])
        } else {
            json!([{"RequestServerInfo": {"Id": 1, "ClientName": "compare",
                "MessageVersion": 3}}])
        };
        c.send(hello.to_string()).await?;
        let reply = next_json(&mut c.rx).await?;
        if reply.first().and_then(|m| m.get("ServerInfo")).is_none() {
            return Err(format!("handshake refused: {reply:?}"));
        }
        Ok(c)
    }

    async fn send(&mut self, text: String) -> Result<(), String> {
        self.tx
            .send(Message::text(text))
            .await
            .map_err(|e| format!("client send: {e}"))
    }

    /// The listed devices' indexes, asking until there are `count`.
    async fn device_index(&mut self, count: usize) -> Result<Vec<u32>, String> {
        let deadline = Instant::now() + STEP_TIMEOUT;
        let mut id = self.next_list_id;
        loop {
            self.send(json!([{"RequestDeviceList": {"Id": id}}]).to_string())
                .await?;
            let devices = loop {
                let frame = next_json(&mut self.rx).await?;
                if let Some(list) = frame
                    .iter()
                    .filter_map(|m| m.get("DeviceList"))
                    .find(|l| l["Id"] == id)
                {
                    break listed_devices(list);
                }
            };
            id += 1;
            self.next_list_id = id;
            if devices.len() >= count {
                return Ok(devices);
            }
            if Instant::now() > deadline {
                return Err(format!(
                    "{} of {count} devices listed after 30 s",
                    devices.len()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    fn command(&self, id: u32, device: u32, value: u32) -> String {
        if self.spec == 4 {
            format!(
                r#"[{{"OutputCmd":{{"Id":{id},"DeviceIndex":{device},"FeatureIndex":0,"Command":{{"Vibrate":{{"Value":{value}}}}}}}}}]"#
            )
        } else {
            let scalar = f64::from(value) / 20.0;
            format!(
                r#"[{{"ScalarCmd":{{"Id":{id},"DeviceIndex":{device},"Scalars":[{{"Index":0,"Scalar":{scalar},"ActuatorType":"Vibrate"}}]}}}}]"#
            )
        }
    }
}

/// Device indexes of a DeviceList message (v4: an object keyed by index; v3: an array), sorted.
fn listed_devices(list: &Value) -> Vec<u32> {
    let devices: Vec<&Value> = match &list["Devices"] {
        Value::Object(map) => map.values().collect(),
        Value::Array(a) => a.iter().collect(),
        _ => Vec::new(),
    };
    let mut out: Vec<u32> = devices
        .into_iter()
        .filter_map(|d| Some(d["DeviceIndex"].as_u64()? as u32))
        .collect();
    out.sort_unstable();
    out
}

// ---- one load step ---------------------------------------------------------------------------------

/// Percentile of sorted nanosecond samples, in µs.
fn pct(sorted: &[u64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i] as f64 / 1000.0
}

/// The value of command `i`: cycles over 1..=20 (a Hush's vibration levels).
fn level(i: usize) -> u32 {
    (i % 20) as u32 + 1
}

/// Match each write to the command it carries, in order. When the toy got at least one write
/// per command (nothing merged) each write goes to the earliest not yet matched command with its
/// value sent before it; when commands were merged (fewer writes), to the latest such command,
/// which is a guess (values cycle over 20 levels): only whether the last command arrived is used
/// then. Returns send → write times (ns) and the index of the last command matched.
fn match_writes(
    writes: &[(Instant, u32)],
    sent_at: &[AtomicU64],
    start: Instant,
    value: fn(usize) -> u32,
) -> (Vec<u64>, Option<usize>) {
    let merged = writes.len() < sent_at.len();
    let mut ages = Vec::with_capacity(writes.len());
    let mut next = 0usize;
    let mut reached = None;
    for (at, v) in writes {
        let at = at.duration_since(start).as_nanos() as u64;
        // Commands sent before the write: the first `sent` of them.
        let sent = sent_at[next..]
            .iter()
            .position(|s| {
                let s = s.load(Ordering::Relaxed);
                s == 0 || s > at
            })
            .map_or(sent_at.len(), |p| next + p);
        let found = if merged {
            (next..sent).rev().find(|&k| value(k) == *v)
        } else {
            (next..sent).find(|&k| value(k) == *v)
        };
        let Some(k) = found else {
            continue; // not a command of this step (e.g. a stop)
        };
        ages.push(at - sent_at[k].load(Ordering::Relaxed));
        reached = Some(k);
        next = k + 1;
    }
    (ages, reached)
}

/// Send `commands` commands with at most `inflight` unanswered; measure.
async fn load_step(
    client: &mut Client,
    device: u32,
    toy: &ToyLog,
    pid: &str,
    commands: usize,
    inflight: usize,
    first_id: u32,
) -> Result<Value, String> {
    let start = Instant::now();
    let sent_at: Vec<AtomicU64> = (0..commands).map(|_| AtomicU64::new(0)).collect();
    let mut rtt = Vec::with_capacity(commands);
    toy.writes.lock().clear();
    let cpu_before = cpu_time(pid)?;
    let own_before = cpu_time("self")?;
    let t0 = Instant::now();
    let mut next = 0usize;
    let mut answered = 0usize;
    let mut errors = 0usize;
    // Values change at every command (so none is a repeat a server may skip).
    let value = level;
    while answered < commands {
        while next < commands && next - answered < inflight {
            let id = first_id + next as u32;
            sent_at[next].store(start.elapsed().as_nanos() as u64, Ordering::Relaxed);
            let text = client.command(id, device, value(next));
            client.send(text).await?;
            next += 1;
        }
        let frame = next_json(&mut client.rx)
            .await
            .map_err(|e| format!("{e} ({answered} of {commands} replies, {inflight} in flight)"))?;
        let now = start.elapsed().as_nanos() as u64;
        for m in frame {
            let (kind, body) = match m.as_object().and_then(|o| o.iter().next()) {
                Some((k, b)) => (k.clone(), b.clone()),
                None => continue,
            };
            let Some(id) = body["Id"].as_u64() else {
                continue;
            };
            if id == 0 {
                continue; // an event
            }
            let Some(i) = (id as usize).checked_sub(first_id as usize) else {
                continue;
            };
            if i >= commands {
                continue;
            }
            if kind != "Ok" {
                errors += 1;
            }
            rtt.push(now - sent_at[i].load(Ordering::Relaxed));
            answered += 1;
        }
    }
    let window = t0.elapsed();
    let cpu = cpu_time(pid)? - cpu_before;
    let own = cpu_time("self")? - own_before;
    if errors > 0 {
        return Err(format!(
            "{errors} of {commands} commands got an error reply ({inflight} in flight)"
        ));
    }
    // Every command was acknowledged; a server may merge commands that wait for the device
    // (the latest value wins), but the last one must reach the toy (match_writes pairs writes
    // with commands).
    let last = commands - 1;
    // The toy's writes settle: one per command, or no new one for 100 ms (a server that merged).
    let deadline = Instant::now() + STEP_TIMEOUT;
    let (mut seen, mut quiet) = (usize::MAX, 0);
    let writes = loop {
        let writes: Vec<(Instant, u32)> = toy.writes.lock().clone();
        quiet = if writes.len() == seen { quiet + 1 } else { 0 };
        seen = writes.len();
        if writes.len() >= commands || quiet >= 5 || Instant::now() > deadline {
            break writes;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let (mut to_write, reached) = match_writes(&writes, &sent_at, start, value);
    let written = writes.len();
    if reached != Some(last) {
        return Err(format!(
            "the last command never reached the toy ({written} writes, {inflight} in flight): \
             commands lost"
        ));
    }
    rtt.sort_unstable();
    to_write.sort_unstable();
    let secs = window.as_secs_f64();
    Ok(json!({
        "ok": true,
        "inflight": inflight,
        "commands": commands,
        "seconds": secs,
        "per_second": commands as f64 / secs,
        "rtt_p50_us": pct(&rtt, 0.5),
        "rtt_p99_us": pct(&rtt, 0.99),
        // A merged command was never written as such, and with 20 repeating levels a merged
        // write's command is a guess: such a step has no send → write figure.
        "write_p50_us": (written >= commands).then(|| pct(&to_write, 0.5)),
        "write_p99_us": (written >= commands).then(|| pct(&to_write, 0.99)),
        "device_writes": written,
        "server_cpu_us_per_cmd": cpu.as_secs_f64() * 1e6 / commands as f64,
        "client_cpu_us_per_cmd": own.as_secs_f64() * 1e6 / commands as f64,
    }))
}

// ---- control quality under a slow device ------------------------------------------------------

/// The quality toy's address; scripts/compare.sh gives it a user config entry with a message
/// gap of [`QUALITY_GAP`] in both servers.
const QUALITY_TOY: &str = "bench-toy-q";
const QUALITY_GAP: Duration = Duration::from_millis(75);
/// 200 Hz updates, in bursts of one second and up to one gap more, [`SETTLE`] apart.
const UPDATE_PERIOD: Duration = Duration::from_millis(5);
const BURST: Duration = Duration::from_secs(1);
const SETTLE: Duration = Duration::from_millis(400);

/// The value of update `k`: cycles over 1..=19, so a value recurs only after 95 ms (longer than
/// the gap): a write's command is the latest one with its value.
fn quality_level(k: usize) -> u32 {
    (k % 19) as u32 + 1
}

/// Replies to quality commands seen so far: (answered, errors).
fn count_replies(frame: &[Value], first_id: u32, answered: &mut usize, errors: &mut usize) {
    for m in frame {
        let Some((kind, body)) = m.as_object().and_then(|o| o.iter().next()) else {
            continue;
        };
        if body["Id"]
            .as_u64()
            .is_some_and(|id| id >= u64::from(first_id))
        {
            *answered += 1;
            if kind != "Ok" {
                *errors += 1;
            }
        }
    }
}

/// Wait until `until`, reading replies meanwhile.
async fn read_until(
    client: &mut Client,
    until: Instant,
    first_id: u32,
    answered: &mut usize,
    errors: &mut usize,
) -> Result<(), String> {
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(until.into()) => return Ok(()),
            frame = next_json(&mut client.rx) => {
                count_replies(&frame?, first_id, answered, errors);
            }
        }
    }
}

/// Every 0.1 ms from a burst's first command to its last write: how long the toy had been
/// behind the app then (ns), i.e. since the app sent a command newer than the one whose value
/// the toy was running (0 when it ran the newest). `matched[i]` is the command write `i` carried.
fn behind_samples(
    sent: &[(Instant, u32)],
    writes: &[(Instant, u32)],
    matched: &[usize],
) -> Vec<u64> {
    let (Some(first), Some(last)) = (sent.first(), writes.last()) else {
        return Vec::new();
    };
    let step = Duration::from_micros(100);
    let mut out = Vec::new();
    let mut t = first.0;
    let mut w = 0usize; // writes read by `t`
    while t <= last.0 {
        while w < writes.len() && writes[w].0 <= t {
            w += 1;
        }
        // The first command the toy is not running yet: after the one of its last write, or
        // the burst's first command before any write.
        let next = if w == 0 { 0 } else { matched[w - 1] + 1 };
        out.push(match sent.get(next) {
            Some(c) if c.0 <= t => t.duration_since(c.0).as_nanos() as u64,
            _ => 0,
        });
        t += step;
    }
    out
}

/// `bursts` bursts of 200 Hz Vibrate updates to `device` (message gap 75 ms); see the module
/// documentation for the figures.
async fn quality(
    client: &mut Client,
    device: u32,
    toy: &ToyLog,
    bursts: usize,
    first_id: u32,
) -> Result<Value, String> {
    let (mut answered, mut errors) = (0usize, 0usize);
    let mut id = first_id;
    let mut expected = 0usize;
    let mut burst_time = Duration::ZERO;
    let mut ages = Vec::new();
    let mut late = Vec::new();
    let mut superseded = Vec::new();
    let mut spacing = Vec::new();
    let mut writes_total = 0usize;
    let mut first_delay = Vec::new();
    let mut behind = Vec::new();
    let (mut rate_writes, mut rate_time) = (0usize, Duration::ZERO);
    let mut last_written = 0usize;
    let mut last_delay = Vec::new();
    for b in 0..bursts {
        toy.writes.lock().clear();
        // Burst lengths spread over one gap, so the last command falls at every phase of the
        // device's write rhythm; each burst ends on another value than the one before.
        let length = BURST + QUALITY_GAP * b as u32 / bursts as u32;
        let per_burst = (length.as_nanos() / UPDATE_PERIOD.as_nanos()) as usize;
        let offset = b * 7;
        let t0 = Instant::now();
        let mut sent: Vec<(Instant, u32)> = Vec::with_capacity(per_burst);
        for k in 0..per_burst {
            read_until(
                client,
                t0 + UPDATE_PERIOD * k as u32,
                first_id,
                &mut answered,
                &mut errors,
            )
            .await?;
            let v = quality_level(k + offset);
            sent.push((Instant::now(), v));
            let text = client.command(id, device, v);
            client.send(text).await?;
            id += 1;
        }
        expected += per_burst;
        burst_time += length;
        let end = Instant::now();
        read_until(client, end + SETTLE, first_id, &mut answered, &mut errors).await?;
        let writes: Vec<(Instant, u32)> = toy.writes.lock().clone();
        writes_total += writes.len();
        for pair in writes.windows(2) {
            spacing.push(pair[1].0.duration_since(pair[0].0).as_nanos() as u64);
        }
        let mut previous: Option<Instant> = None;
        let mut matched = Vec::with_capacity(writes.len());
        for &(at, v) in &writes {
            let before = sent.partition_point(|s| s.0 <= at);
            let Some(k) = (0..before).rev().find(|&k| sent[k].1 == v) else {
                return Err(format!(
                    "the slow toy got Vibrate:{v}, a value no recent command carried"
                ));
            };
            ages.push(at.duration_since(sent[k].0).as_nanos() as u64);
            // The earliest the gap allowed this value: when it was sent, or one gap after the
            // previous write, whichever is later.
            let allowed = previous.map_or(sent[k].0, |p| sent[k].0.max(p + QUALITY_GAP));
            late.push(at.saturating_duration_since(allowed).as_nanos() as u64);
            // How long the written value had already been replaced by a newer command.
            superseded.push(
                sent.get(k + 1)
                    .filter(|n| n.0 <= at)
                    .map_or(0, |n| at.duration_since(n.0).as_nanos() as u64),
            );
            previous = Some(at);
            matched.push(k);
        }
        // Writes per second while writing: (writes − 1) over the time from the first to the last.
        if let (Some(a), Some(z)) = (writes.first(), writes.last())
            && writes.len() > 1
        {
            rate_writes += writes.len() - 1;
            rate_time += z.0.duration_since(a.0);
        }
        behind.extend(behind_samples(&sent, &writes, &matched));
        let first = sent.first().copied().ok_or("an empty burst")?;
        if let Some(&(at, _)) = writes.first() {
            first_delay.push(at.saturating_duration_since(first.0).as_nanos() as u64);
        }
        let last = sent.last().copied().ok_or("an empty burst")?;
        if let Some(&(at, v)) = writes.last()
            && v == last.1
            && at >= last.0
        {
            last_written += 1;
            last_delay.push(at.duration_since(last.0).as_nanos() as u64);
        }
    }
    let deadline = Instant::now() + STEP_TIMEOUT;
    while answered < expected && Instant::now() < deadline {
        read_until(
            client,
            Instant::now() + Duration::from_millis(50),
            first_id,
            &mut answered,
            &mut errors,
        )
        .await?;
    }
    if answered < expected || errors > 0 {
        return Err(format!(
            "the slow toy's commands: {answered} of {expected} answered, {errors} errors"
        ));
    }
    ages.sort_unstable();
    late.sort_unstable();
    first_delay.sort_unstable();
    superseded.sort_unstable();
    spacing.sort_unstable();
    last_delay.sort_unstable();
    let ms = |ns: f64| ns / 1000.0;
    Ok(json!({
        "gap_ms": QUALITY_GAP.as_millis() as u64,
        "update_hz": 1000 / UPDATE_PERIOD.as_millis() as u64,
        "bursts": bursts,
        "commands": expected,
        "writes": writes_total,
        "writes_per_second": rate_writes as f64 / rate_time.as_secs_f64(),
        "commands_per_second": expected as f64 / burst_time.as_secs_f64(),
        "behind_mean_ms": behind.iter().sum::<u64>() as f64 / behind.len().max(1) as f64 / 1e6,
        "min_spacing_ms": spacing.first().map_or(f64::NAN, |&s| s as f64 / 1e6),
        // Two writes closer than the gap (1 ms of timer slack allowed) break the device's limit.
        "gap_respected": spacing
            .first()
            .is_none_or(|&s| s + 1_000_000 >= QUALITY_GAP.as_nanos() as u64),
        "age_p50_ms": ms(pct(&ages, 0.5)),
        "age_p99_ms": ms(pct(&ages, 0.99)),
        "age_max_ms": ms(pct(&ages, 1.0)),
        "late_p50_ms": ms(pct(&late, 0.5)),
        "late_p99_ms": ms(pct(&late, 0.99)),
        "first_delay_p50_ms": ms(pct(&first_delay, 0.5)),
        "first_delay_max_ms": ms(pct(&first_delay, 1.0)),
        "superseded_p50_ms": ms(pct(&superseded, 0.5)),
        "superseded_p99_ms": ms(pct(&superseded, 0.99)),
        "last_written": last_written,
        "last_delay_p50_ms": ms(pct(&last_delay, 0.5)),
        "last_delay_max_ms": ms(pct(&last_delay, 1.0)),
    }))
}

// ---- the run -----------------------------------------------------------------------------------

async fn run(args: &Args) -> Result<Value, String> {
    let pid = args.pid.to_string();
    let idle_rss = rss_kib(args.pid)?;
    let mut client = Client::connect(&args.client, args.spec).await?;

    // One toy for the load.
    let log = Arc::new(ToyLog::default());
    let toy_task = tokio::spawn(toy(args.device.clone(), "bench-toy-0".into(), log.clone()));
    let device = client.device_index(1).await?[0];
    if !log.identified.load(Ordering::SeqCst) {
        return Err("the device was listed without identifying the toy".into());
    }
    // Warm-up: the first commands pay for lazy set-up in either server.
    load_step(&mut client, device, &log, &pid, 1000, 16, 1_000_000).await?;

    let mut steps = Vec::new();
    let mut first_id = 10;
    for &k in &args.inflight {
        // A failed step (e.g. commands lost) is reported in its row; the others still run.
        let step = load_step(&mut client, device, &log, &pid, args.commands, k, first_id).await;
        steps.push(
            step.unwrap_or_else(|reason| json!({"inflight": k, "ok": false, "reason": reason})),
        );
        first_id += args.commands as u32;
    }

    // Control quality: a second toy with a 75 ms message gap.
    let quality = if args.bursts > 0 {
        let before = client.device_index(1).await?;
        let q_log = Arc::new(ToyLog::default());
        let q_task = tokio::spawn(toy(args.device.clone(), QUALITY_TOY.into(), q_log.clone()));
        let listed = client.device_index(before.len() + 1).await?;
        // Whether its 75 ms gap was applied shows in the writes' spacing (`gap_respected`): the
        // lists cannot tell (intiface-engine 4.0.4 announces 100 ms for every device).
        let q_device = *listed
            .iter()
            .find(|i| !before.contains(i))
            .ok_or("the quality toy was not listed")?;
        let q = quality(&mut client, q_device, &q_log, args.bursts, first_id).await?;
        q_task.abort();
        q
    } else {
        Value::Null
    };

    // Memory with more toys connected.
    let mut toys = Vec::new();
    for i in 1..args.devices {
        let log = Arc::new(ToyLog::default());
        toys.push(tokio::spawn(toy(
            args.device.clone(),
            format!("bench-toy-{i}"),
            log,
        )));
    }
    let listed = client.device_index(args.devices).await?.len();
    let rss_devices = rss_kib(args.pid)?;
    for t in toys {
        t.abort();
    }
    toy_task.abort();
    Ok(json!({
        "ok": true,
        "spec": args.spec,
        "steps": steps,
        "quality": quality,
        "idle_rss_kib": idle_rss,
        "devices": listed,
        "devices_rss_kib": rss_devices,
    }))
}
