//! The Lovense USB dongle (issue 15, item 8) against a fake dongle behind the HID I/O trait that
//! plays the dongle's side of docs/protocols/lovense-dongle-and-connect.md: it checks the framing of every
//! output report, answers `statuss`, `search`, `stopSearch` and the toy's commands, drops a
//! message that follows the previous one too closely (as the real dongle does), and can lose
//! its toy or be unplugged. The same fake plays the dongle's serial variant over a
//! pseudo-terminal (plain `\r\n`-framed JSON, no reports), behind the serial port the server
//! opens itself.
#![cfg(feature = "hid")]

mod support;

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::mpsc as std_mpsc;
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use serde_json::{Value, json};
use support::device_list::{EVENT_TIMEOUT, devices, request, vibrate};
use support::scan::{next_event, scanning_client, scanning_finished};
use support::wire::{WireClient, msg_type};
use teleplug::hardware::hid::HidIo;
use teleplug::hardware::lovense_dongle::{
    DongleFinder, DongleIo, LovenseDongleManager, MIN_SPACING, STATUS_WAIT, hid_link,
};
use teleplug::hardware::{HardwareError, HardwareManager};
use teleplug::server::{Server, ServerEvent, ServerOptions, Transports};

const TOY_ID: &str = "c44f33aabbcc";
const TOY_ADDRESS: &str = "C4:4F:33:AA:BB:CC";
/// Closer than this, the real dongle drops the second message (buttplug issue #521).
const DONGLE_DROPS_BELOW: Duration = Duration::from_millis(40);

/// What the fake dongle saw and what its toy does.
#[derive(Default)]
struct Dongle {
    /// Every message received, with when it arrived.
    received: Vec<(Instant, Value)>,
    /// Messages dropped for arriving too soon after the previous one.
    dropped: Vec<Value>,
    /// Output reports that broke the framing.
    bad_reports: Vec<String>,
    /// The toy advertises (a search finds it).
    toy_in_range: bool,
    /// The toy is connected to the dongle.
    toy_connected: bool,
    /// A search found the toy; it connects when the search stops.
    toy_found: bool,
    unplugged: bool,
    text: Vec<u8>,
    /// Spacing is not judged (the serial fake sees messages when its reader thread gets to
    /// them, not when they were written).
    timing_unknown: bool,
}

#[derive(Clone)]
struct FakeDongle {
    state: Arc<Mutex<Dongle>>,
    input: std_mpsc::Sender<Vec<u8>>,
}

struct FakeIo {
    dongle: FakeDongle,
    reports: std_mpsc::Receiver<Vec<u8>>,
    pending: VecDeque<Vec<u8>>,
}

impl FakeDongle {
    fn new(toy_in_range: bool, toy_connected: bool) -> (FakeDongle, FakeIo) {
        let (input, reports) = std_mpsc::channel();
        let dongle = FakeDongle {
            state: Arc::new(Mutex::new(Dongle {
                toy_in_range,
                toy_connected,
                ..Dongle::default()
            })),
            input,
        };
        let io = FakeIo {
            dongle: dongle.clone(),
            reports,
            pending: VecDeque::new(),
        };
        (dongle, io)
    }

    /// Sends a message to the host, cut into 64-byte input reports padded with NULs.
    fn say(&self, message: Value) {
        let mut text = message.to_string().into_bytes();
        text.extend_from_slice(b"\r\n");
        for chunk in text.chunks(64) {
            let mut report = chunk.to_vec();
            report.resize(64, 0);
            let _ = self.input.send(report);
        }
    }

    fn lose_toy(&self) {
        {
            let mut s = self.state.lock();
            s.toy_connected = false;
            s.toy_in_range = false;
        }
        self.say(json!({"type": "toy", "func": "status", "data": {"id": TOY_ID, "status": 403}}));
    }

    fn unplug(&self) {
        self.state.lock().unplugged = true;
    }

    fn received(&self) -> Vec<(Instant, Value)> {
        self.state.lock().received.clone()
    }

    fn funcs(&self) -> Vec<String> {
        self.received()
            .iter()
            .map(|(_, m)| m["func"].as_str().unwrap_or("").to_string())
            .collect()
    }

    fn commands(&self) -> Vec<String> {
        self.received()
            .iter()
            .filter(|(_, m)| m["func"] == json!("command"))
            .map(|(_, m)| {
                assert_eq!(m["id"], json!(TOY_ID), "{m}");
                assert_eq!(m["type"], json!("toy"), "{m}");
                m["cmd"].as_str().unwrap_or("").to_string()
            })
            .collect()
    }

    /// Waits (real time, bounded) until the dongle received a message satisfying `pred`.
    async fn wait_for(&self, what: &str, pred: impl Fn(&Value) -> bool) {
        let deadline = Instant::now() + EVENT_TIMEOUT;
        while !self.received().iter().any(|(_, m)| pred(m)) {
            assert!(
                Instant::now() < deadline,
                "the dongle never received {what}: {:?}",
                self.funcs()
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }

    /// The framing was right and nothing was dropped for lack of spacing.
    fn check_clean(&self) {
        let s = self.state.lock();
        assert!(s.bad_reports.is_empty(), "{:?}", s.bad_reports);
        assert!(s.dropped.is_empty(), "messages too close: {:?}", s.dropped);
        if s.timing_unknown {
            return;
        }
        for pair in s.received.windows(2) {
            let gap = pair[1].0 - pair[0].0;
            assert!(
                gap >= MIN_SPACING - Duration::from_millis(2),
                "{} then {} only {gap:?} apart",
                pair[0].1,
                pair[1].1
            );
        }
    }

    /// A whole message arrived from the host: the dongle's side of the protocol.
    fn on_message(&self, m: Value) {
        let now = Instant::now();
        let mut s = self.state.lock();
        if let Some((last, _)) = s.received.last().filter(|_| !s.timing_unknown) {
            if now - *last < DONGLE_DROPS_BELOW {
                s.dropped.push(m);
                return;
            }
        }
        s.received.push((now, m.clone()));
        let func = m["func"].as_str().unwrap_or("");
        let reply = match func {
            "statuss" if s.toy_connected => vec![
                json!({"type": "toy", "func": "status", "data": {"id": TOY_ID, "status": 202}}),
            ],
            "statuss" => vec![json!({"type": "toy", "func": "status", "result": 404})],
            "search" => {
                let mut r = vec![json!({"type": "usb", "func": "search", "result": 205})];
                if s.toy_in_range {
                    s.toy_found = true;
                    r.push(json!({"type": "toy", "func": "toyData", "data": {"id": TOY_ID}}));
                }
                r
            }
            "stopSearch" => {
                if std::mem::take(&mut s.toy_found) {
                    s.toy_connected = true;
                }
                vec![json!({"type": "usb", "func": "stopSearch", "result": 206})]
            }
            "command" if s.toy_connected => match m["cmd"].as_str() {
                Some("DeviceType;") => vec![json!({"type": "toy", "func": "toyData",
                    "data": {"id": TOY_ID, "data": "Z:11:0082059AD3BD;"}})],
                Some("Battery;") => vec![json!({"type": "toy", "func": "toyData",
                    "data": {"id": TOY_ID, "data": "85;"}})],
                _ => vec![json!({"type": "toy", "func": "command", "result": 200})],
            },
            _ => vec![],
        };
        drop(s);
        for r in reply {
            self.say(r);
        }
    }
}

impl HidIo for FakeIo {
    fn write(&mut self, report: &[u8]) -> Result<(), HardwareError> {
        let mut s = self.dongle.state.lock();
        if s.unplugged {
            return Err(HardwareError::Io("unplugged".into()));
        }
        if report.len() != 65 || report[0] != 0 || report[64] != 0 {
            s.bad_reports.push(format!("{report:?}"));
        }
        s.text.extend(report[1..].iter().filter(|b| **b != 0));
        let mut messages = Vec::new();
        while let Some(end) = s.text.windows(2).position(|w| w == b"\r\n") {
            let line: Vec<u8> = s.text.drain(..end + 2).collect();
            match serde_json::from_slice::<Value>(&line[..end]) {
                Ok(m) => messages.push(m),
                Err(e) => s.bad_reports.push(format!("not JSON ({e}): {line:?}")),
            }
        }
        drop(s);
        for m in messages {
            self.dongle.on_message(m);
        }
        Ok(())
    }

    fn read(&mut self, buf: &mut [u8], timeout: Duration) -> Result<usize, HardwareError> {
        if self.dongle.state.lock().unplugged {
            return Err(HardwareError::Io("unplugged".into()));
        }
        if self.pending.is_empty() {
            match self.reports.recv_timeout(timeout) {
                Ok(r) => self.pending.push_back(r),
                Err(_) => return Ok(0),
            }
        }
        let r = self.pending.pop_front().unwrap_or_default();
        buf[..r.len()].copy_from_slice(&r);
        Ok(r.len())
    }
}

/// The dongles plugged in: the manager opens the next one.
#[derive(Default)]
struct FakeUsb {
    plugged: Mutex<Option<FakeIo>>,
    lookups: Mutex<u32>,
}

impl FakeUsb {
    fn plug(&self, io: FakeIo) {
        *self.plugged.lock() = Some(io);
    }
}

impl DongleFinder for FakeUsb {
    fn open(&self) -> Result<Option<Box<dyn DongleIo>>, HardwareError> {
        *self.lookups.lock() += 1;
        Ok(self.plugged.lock().take().map(|io| hid_link(Box::new(io))))
    }
}

fn dongle_server(usb: &Arc<FakeUsb>) -> Server {
    let server = Server::new(ServerOptions {
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let finder = usb.clone();
    server.add_manager(move |events| {
        Arc::new(LovenseDongleManager::with_finder(events, finder)) as Arc<dyn HardwareManager>
    });
    server
}

async fn hush_listed(c: &mut WireClient) -> u64 {
    let list = next_event(c, EVENT_TIMEOUT, "DeviceList with the Hush", |m| {
        msg_type(m) == "DeviceList" && devices(m).iter().any(|(_, n)| n == "Lovense Hush")
    })
    .await;
    devices(&list)[0].0
}

async fn hush_gone(c: &mut WireClient) {
    next_event(c, EVENT_TIMEOUT, "DeviceList without the Hush", |m| {
        msg_type(m) == "DeviceList" && devices(m).is_empty()
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toy_found_by_the_dongle_is_identified_driven_and_lost() {
    let usb = Arc::new(FakeUsb::default());
    let (dongle, io) = FakeDongle::new(true, false);
    usb.plug(io);
    let server = dongle_server(&usb);
    let mut c = scanning_client(&server, "dongle test").await;

    // statuss, 250 ms for its answer, search; the toy found; stopSearch; ScanningFinished.
    let index = hush_listed(&mut c).await;
    scanning_finished(&mut c, EVENT_TIMEOUT).await;
    let funcs = dongle.funcs();
    assert_eq!(
        funcs[..4],
        ["statuss", "search", "stopSearch", "command"],
        "{funcs:?}"
    );
    let received = dongle.received();
    assert!(
        received[1].0 - received[0].0 >= STATUS_WAIT,
        "search only after the status wait"
    );
    assert_eq!(received[0].1["type"], json!("toy"));
    assert_eq!(
        received[2].1["type"],
        json!("usb"),
        "stopSearch goes to the dongle"
    );
    assert_eq!(dongle.commands()[0], "DeviceType;");
    let entry = server.device_list().devices;
    let entry = entry.values().next().expect("listed");
    assert_eq!(entry.device_message_timing_gap, 75);
    assert_eq!(
        server.device_identity(index as u32).map(|i| i.address),
        Some(TOY_ADDRESS.to_string()),
        "the toy id is the toy's Bluetooth address"
    );

    // Commands are wrapped as `command` for the toy; none is dropped for lack of spacing.
    for v in [10, 4, 15] {
        let r = vibrate(&mut c, index, v).await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
    }
    dongle
        .wait_for("Vibrate:15;", |m| m["cmd"] == json!("Vibrate:15;"))
        .await;
    let commands = dongle.commands();
    assert!(
        commands.contains(&"Vibrate:10;".to_string()),
        "{commands:?}"
    );
    dongle.check_clean();

    // The toy goes out of range: removed, its commands fail.
    dongle.lose_toy();
    hush_gone(&mut c).await;
    let r = vibrate(&mut c, index, 3).await;
    assert_eq!(msg_type(&r), "Error", "{r}");
    dongle.check_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_toy_at_a_time_a_scan_while_connected_finishes_at_once() {
    let usb = Arc::new(FakeUsb::default());
    let (dongle, io) = FakeDongle::new(true, false);
    usb.plug(io);
    let server = dongle_server(&usb);
    let mut c = scanning_client(&server, "dongle test").await;
    hush_listed(&mut c).await;
    scanning_finished(&mut c, EVENT_TIMEOUT).await;
    let searches = || dongle.funcs().iter().filter(|f| *f == "search").count();
    assert_eq!(searches(), 1);

    let started = Instant::now();
    let r = request(&mut c, "StartScanning", json!({})).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    scanning_finished(&mut c, EVENT_TIMEOUT).await;
    assert!(started.elapsed() < Duration::from_secs(2));
    assert_eq!(searches(), 1, "no search while a toy is connected");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_dongle_plugged_after_start_up_is_found_and_found_again_after_an_unplug() {
    let usb = Arc::new(FakeUsb::default());
    let server = dongle_server(&usb);
    let mut events = server.events();
    let mut c = scanning_client(&server, "dongle test").await;
    // Looked for while scanning, none there yet.
    let deadline = Instant::now() + EVENT_TIMEOUT;
    while *usb.lookups.lock() < 2 {
        assert!(Instant::now() < deadline, "no second lookup");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (dongle, io) = FakeDongle::new(true, false);
    usb.plug(io);
    let index = hush_listed(&mut c).await;
    scanning_finished(&mut c, EVENT_TIMEOUT).await;

    // Unplugged: the toy is removed (and stopping it cannot reach it any more).
    dongle.unplug();
    hush_gone(&mut c).await;
    tokio::time::timeout(EVENT_TIMEOUT, async {
        while events.recv().await.expect("events") != ServerEvent::DeviceRemoved(index as u32) {}
    })
    .await
    .expect("DeviceRemoved");

    // Plugged back with the toy still connected to it: the status check finds it, no search,
    // same index.
    let (again, io) = FakeDongle::new(false, true);
    usb.plug(io);
    let r = request(&mut c, "StartScanning", json!({})).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    assert_eq!(hush_listed(&mut c).await, index);
    let funcs = again.funcs();
    assert_eq!(funcs[..2], ["statuss", "command"], "{funcs:?}");
    again.check_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shutdown_stops_the_toy_through_the_dongle() {
    let usb = Arc::new(FakeUsb::default());
    let (dongle, io) = FakeDongle::new(true, false);
    usb.plug(io);
    let server = dongle_server(&usb);
    let mut c = scanning_client(&server, "dongle test").await;
    let index = hush_listed(&mut c).await;
    let r = vibrate(&mut c, index, 12).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    dongle
        .wait_for("Vibrate:12;", |m| m["cmd"] == json!("Vibrate:12;"))
        .await;
    server.shutdown(Duration::from_secs(2)).await;
    let commands = dongle.commands();
    assert_eq!(
        commands.last().map(String::as_str),
        Some("Vibrate:0;"),
        "{commands:?}"
    );
    dongle.check_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_scanning_stops_the_dongles_search() {
    let usb = Arc::new(FakeUsb::default());
    let (dongle, io) = FakeDongle::new(false, false);
    usb.plug(io);
    let server = dongle_server(&usb);
    let mut c = scanning_client(&server, "dongle test").await;
    dongle
        .wait_for("search", |m| m["func"] == json!("search"))
        .await;
    let r = request(&mut c, "StopScanning", json!({})).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    dongle
        .wait_for("stopSearch", |m| m["func"] == json!("stopSearch"))
        .await;
    assert_eq!(dongle.funcs(), ["statuss", "search", "stopSearch"]);
    dongle.check_clean();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_toy_held_by_the_dongle_is_not_connected_again_over_bluetooth() {
    use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
    let usb = Arc::new(FakeUsb::default());
    let (dongle, io) = FakeDongle::new(true, false);
    usb.plug(io);
    let server = dongle_server(&usb);
    let mut c = scanning_client(&server, "dongle test").await;
    let index = hush_listed(&mut c).await;
    scanning_finished(&mut c, EVENT_TIMEOUT).await;

    // The same toy seen by the Bluetooth manager (a simulated BLE advertisement under its
    // address), and another toy after it.
    let same = SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        TOY_ADDRESS,
        "Z:11:0082059AD3BD;",
        50,
    ));
    let mut same_ops = same.op_receiver();
    server.advertise(same);
    server.advertise(SimulatedDevice::new(SimulatedDeviceSpec::lovense(
        "AA:00:00:00:00:01",
        "A:11:0082059AD3BE;",
        50,
    )));
    let r = request(&mut c, "StartScanning", json!({})).await;
    assert_eq!(msg_type(&r), "Ok", "{r}");
    let list = next_event(&mut c, EVENT_TIMEOUT, "DeviceList with the Nora", |m| {
        msg_type(m) == "DeviceList" && devices(m).iter().any(|(_, n)| n == "Lovense Nora")
    })
    .await;
    let names: Vec<String> = devices(&list).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names.len(), 2, "{names:?}");
    assert!(
        server
            .device_list()
            .devices
            .values()
            .filter(|d| d.device_name == "Lovense Hush")
            .count()
            == 1
    );
    assert_eq!(
        server.device_identity(index as u32).map(|i| i.address),
        Some(TOY_ADDRESS.to_string())
    );
    while let Ok(op) = same_ops.try_recv() {
        assert!(
            !matches!(op, SimOp::Connected { .. } | SimOp::Write { .. }),
            "the toy was connected a second time: {op:?}"
        );
    }
    dongle.check_clean();
}

/// The dongle's serial variant: the fake dongle on the master side of a pseudo-terminal, whose
/// slave the server finds (given by path: virtual ports have no USB ids) and opens at 115200
/// baud. Each line written must be exactly JSON and `\r\n` (no report ids, no NUL padding).
#[cfg(all(feature = "serial", unix))]
mod serial {
    use std::io::{ErrorKind, Read, Write};
    use std::sync::atomic::{AtomicBool, Ordering};

    use serialport::{SerialPort, TTYPort};
    use teleplug::hardware::lovense_dongle::{SERIAL_NAME, SerialDongleFinder};
    use teleplug::hardware::serial::hold_port;

    use super::*;

    /// The fake dongle served on a pty's master until `stop`; the slave's path. Spacing between
    /// messages is not judged here: the fake sees a message when its reader thread gets to it
    /// (the same I/O thread spaces HID and serial writes; the HID tests judge it).
    fn serial_dongle(dongle: FakeDongle, io: FakeIo, stop: Arc<AtomicBool>) -> String {
        dongle.state.lock().timing_unknown = true;
        let (mut master, slave) = TTYPort::pair().expect("pty pair");
        let path = slave.name().expect("slave path");
        drop(slave);
        master
            .set_timeout(Duration::from_millis(5))
            .expect("timeout");
        std::thread::spawn(move || {
            let mut line = Vec::new();
            let mut buf = [0u8; 256];
            while !stop.load(Ordering::SeqCst) {
                // What the dongle says, as plain bytes.
                while let Ok(report) = io.reports.try_recv() {
                    let text: Vec<u8> = report.into_iter().filter(|b| *b != 0).collect();
                    let _ = master.write_all(&text);
                }
                match master.read(&mut buf) {
                    Ok(n) => line.extend_from_slice(&buf[..n]),
                    Err(e) if e.kind() == ErrorKind::TimedOut => continue,
                    // The slave is not open (yet, or any more): hung up.
                    Err(_) => {
                        std::thread::sleep(Duration::from_millis(2));
                        continue;
                    }
                }
                while let Some(end) = line.windows(2).position(|w| w == b"\r\n") {
                    let text: Vec<u8> = line.drain(..end + 2).collect();
                    let body = &text[..end];
                    match serde_json::from_slice::<Value>(body) {
                        Ok(m) if !body.contains(&0) => dongle.on_message(m),
                        _ => dongle.state.lock().bad_reports.push(format!("{text:?}")),
                    }
                }
            }
        });
        path
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_toy_found_by_a_serial_dongle_is_identified_and_driven() {
        let (dongle, io) = FakeDongle::new(true, false);
        let stop = Arc::new(AtomicBool::new(false));
        let port = serial_dongle(dongle.clone(), io, stop.clone());
        let server = Server::new(ServerOptions {
            transports: Transports::none(),
            ..ServerOptions::default()
        });
        let finder = Arc::new(SerialDongleFinder::new(vec![port.clone()]));
        server.add_manager(move |events| {
            Arc::new(LovenseDongleManager::named(SERIAL_NAME, events, finder))
                as Arc<dyn HardwareManager>
        });
        let mut c = scanning_client(&server, "serial dongle test").await;
        let index = hush_listed(&mut c).await;
        scanning_finished(&mut c, EVENT_TIMEOUT).await;
        // The probe's statuss, then the driver's own after the status wait.
        let funcs = dongle.funcs();
        assert_eq!(
            funcs[..5],
            ["statuss", "statuss", "search", "stopSearch", "command"],
            "{funcs:?}"
        );
        let received = dongle.received();
        // (Seen by the fake's reader thread: a first message read late shortens the gap seen.)
        assert!(
            received[1].0 - received[0].0 >= STATUS_WAIT - Duration::from_millis(25),
            "the driver's statuss only after the status wait"
        );
        assert_eq!(
            server.device_identity(index as u32).map(|i| i.address),
            Some(TOY_ADDRESS.to_string())
        );
        // Held while open: the serial manager does not offer it.
        assert!(hold_port(&port, "serial").is_none(), "the port is held");

        let r = vibrate(&mut c, index, 7).await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
        dongle
            .wait_for("Vibrate:7;", |m| m["cmd"] == json!("Vibrate:7;"))
            .await;
        server.shutdown(Duration::from_secs(2)).await;
        // Written to the port by now; the fake reads it on its own thread.
        dongle
            .wait_for("Vibrate:0;", |m| m["cmd"] == json!("Vibrate:0;"))
            .await;
        let commands = dongle.commands();
        assert_eq!(commands[0], "DeviceType;");
        assert_eq!(
            commands.last().map(String::as_str),
            Some("Vibrate:0;"),
            "{commands:?}"
        );
        dongle.check_clean();
        stop.store(true, Ordering::SeqCst);
    }

    /// Reads what a pty's master received for `wait` (a device that never answers).
    fn silent_device_reads(master: &mut TTYPort, wait: Duration) -> String {
        master
            .set_timeout(Duration::from_millis(20))
            .expect("timeout");
        let until = Instant::now() + wait;
        let mut text = Vec::new();
        let mut buf = [0u8; 256];
        while Instant::now() < until {
            if let Ok(n) = master.read(&mut buf) {
                text.extend_from_slice(&buf[..n]);
            }
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    #[test]
    fn a_port_that_does_not_answer_like_a_dongle_is_let_go_and_not_probed_again() {
        // A TCode stroker on a CH340 port: it never answers the dongle's statuss.
        let (mut master, slave) = TTYPort::pair().expect("pty pair");
        let port = slave.name().expect("slave path");
        // Kept open: closing the last slave would discard what the master has not read yet.
        let _slave = slave;
        let finder = SerialDongleFinder::new(vec![port.clone()]);
        assert!(finder.open().expect("probe").is_none());
        let written = silent_device_reads(&mut master, Duration::from_millis(100));
        assert_eq!(written, "{\"type\":\"toy\",\"func\":\"statuss\"}\r\n");
        let hold = hold_port(&port, "serial");
        assert!(hold.is_some(), "let go after the probe");
        drop(hold);
        // Probed once while it stays plugged in.
        assert!(finder.open().expect("second lookup").is_none());
        assert_eq!(
            silent_device_reads(&mut master, Duration::from_millis(100)),
            ""
        );
    }

    #[test]
    fn a_port_held_by_the_serial_manager_is_never_probed() {
        let (mut master, slave) = TTYPort::pair().expect("pty pair");
        let port = slave.name().expect("slave path");
        drop(slave);
        let _connected_stroker = hold_port(&port, "serial").expect("hold");
        let finder = SerialDongleFinder::new(vec![port.clone()]);
        assert!(finder.open().expect("lookup").is_none());
        assert_eq!(
            silent_device_reads(&mut master, Duration::from_millis(100)),
            ""
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_serial_manager_skips_a_port_the_dongle_holds_and_offers_it_once_let_go() {
        use teleplug::device_config::DeviceConfig;
        use teleplug::hardware::lovense_dongle::SERIAL_NAME;
        // A TCode stroker on a port a user config names.
        let (_master, slave) = TTYPort::pair().expect("pty pair");
        let port = slave.name().expect("slave path");
        drop(slave);
        let user = json!({"version": {"major": 4, "minor": 0}, "user_configs": {"protocols": {
            "tcode-v03": {"communication": [{"serial": {"port": port}}]}}}});
        let server = Server::new(ServerOptions {
            device_config: DeviceConfig::embedded()
                .with_user_config_json(&user.to_string())
                .expect("user config"),
            transports: Transports {
                serial: true,
                serial_ports: vec![port.clone()],
                ..Transports::none()
            },
            ..ServerOptions::default()
        });
        let mut c = support::scan::handshaken_client(&server, "serial test").await;

        // The dongle's manager is probing it: the serial manager's listing leaves it out.
        let probing = hold_port(&port, SERIAL_NAME).expect("hold");
        let r = request(&mut c, "StartScanning", json!({})).await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
        let r = request(&mut c, "StopScanning", json!({})).await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
        scanning_finished(&mut c, EVENT_TIMEOUT).await;
        assert!(server.device_list().devices.is_empty());

        // Let go (not a dongle): the next listing offers it, and the stroker connects.
        drop(probing);
        let r = request(&mut c, "StartScanning", json!({})).await;
        assert_eq!(msg_type(&r), "Ok", "{r}");
        next_event(&mut c, EVENT_TIMEOUT, "DeviceList with the stroker", |m| {
            msg_type(m) == "DeviceList"
                && devices(m).iter().any(|(_, n)| n.starts_with("TCode v0.3"))
        })
        .await;
        // Held by the serial manager now: the dongle's manager cannot take it.
        assert!(hold_port(&port, SERIAL_NAME).is_none());
    }
}
