//! Replays one vector file through the simulated transport at one spec version, in Buttplug
//! JSON over the server's in-process connection, following the runner rules of
//! tests/vectors/README.md (§2–§3): ops compared in order with a 500 ms budget each, keep-alive
//! repeats skipped, no extra op in the final 500 ms.

use std::collections::VecDeque;
use std::path::Path;
use std::time::Duration;

use serde_json::{Value, json};
use teleplug::device_config::DeviceConfig;
use teleplug::hardware::Endpoint;
use teleplug::hardware::simulated::{SimOp, SimulatedDevice, SimulatedDeviceSpec};
use teleplug::server::{Server, ServerOptions, Transports};
use teleplug::wire::{DeviceEntry, InputType, OutputType, SpecVersion};
use tokio::sync::mpsc;
use tokio::time::Instant;

use super::scan::first_entry;
use super::vector_file::{Action, Block, Event, Op, VectorFile, expand};
use super::wire::{WireClient, body, msg_type};

const OP_TIMEOUT: Duration = Duration::from_millis(500);
const KEEPALIVE_MIN: Duration = Duration::from_millis(50);
const SETUP_TIMEOUT: Duration = Duration::from_secs(10);

/// Which part of a vector to replay.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    Everything,
    /// Identification and initialization only (files whose command bytes are stale).
    InitOnly,
}

struct OpStream {
    /// Ops stamped when the device performed them (not when the runner gets to them, which
    /// under load can be much later and would make a keep-alive repeat look immediate).
    rx: mpsc::UnboundedReceiver<(SimOp, Instant)>,
    buffered: VecDeque<(Op, Instant)>,
    connected: Option<(String, String)>,
    last_write: Option<(Op, Instant)>,
}

fn to_op(op: SimOp) -> Option<Op> {
    Some(match op {
        SimOp::Write {
            endpoint,
            data,
            write_with_response,
        } => Op::Write {
            endpoint: endpoint.to_string(),
            data,
            write_with_response,
            feature_id: None,
        },
        SimOp::Subscribe { endpoint } => Op::Subscribe {
            endpoint: endpoint.to_string(),
        },
        SimOp::Unsubscribe { endpoint } => Op::Unsubscribe {
            endpoint: endpoint.to_string(),
        },
        _ => return None,
    })
}

impl OpStream {
    /// Pull ops from the device until `deadline`; returns false on timeout.
    async fn pull(&mut self, deadline: Instant) -> bool {
        loop {
            match tokio::time::timeout_at(deadline, self.rx.recv()).await {
                Err(_) | Ok(None) => return false,
                Ok(Some((SimOp::Connected { protocol, name }, _))) => {
                    self.connected = Some((protocol, name));
                    return true;
                }
                Ok(Some((op, at))) => {
                    if let Some(op) = to_op(op) {
                        self.buffered.push_back((op, at));
                        return true;
                    }
                }
            }
        }
    }

    async fn next(&mut self, deadline: Instant) -> Option<(Op, Instant)> {
        loop {
            if let Some(x) = self.buffered.pop_front() {
                return Some(x);
            }
            if !self.pull(deadline).await {
                return None;
            }
        }
    }

    fn is_keepalive(&self, op: &Op, at: Instant) -> bool {
        matches!(op, Op::Write { .. })
            && self
                .last_write
                .as_ref()
                .is_some_and(|(w, t)| w == op && at.duration_since(*t) >= KEEPALIVE_MIN)
    }

    async fn expect(&mut self, expected: &Op) -> Result<(), String> {
        loop {
            let deadline = Instant::now() + OP_TIMEOUT;
            let Some((op, at)) = self.next(deadline).await else {
                return Err(format!("timed out waiting for {}", show(expected)));
            };
            if &op == expected {
                if matches!(op, Op::Write { .. }) {
                    self.last_write = Some((op, at));
                }
                return Ok(());
            }
            if self.is_keepalive(&op, at) {
                self.last_write = Some((op, at));
                continue;
            }
            return Err(format!("expected {}, got {}", show(expected), show(&op)));
        }
    }

    async fn expect_quiet(&mut self) -> Result<(), String> {
        let deadline = Instant::now() + OP_TIMEOUT;
        while let Some((op, at)) = self.next(deadline).await {
            if self.is_keepalive(&op, at) {
                self.last_write = Some((op, at));
                continue;
            }
            return Err(format!(
                "extra op after the last expected one: {}",
                show(&op)
            ));
        }
        Ok(())
    }

    async fn wait_connected(&mut self) -> Result<(String, String), String> {
        let deadline = Instant::now() + SETUP_TIMEOUT;
        while self.connected.is_none() {
            if !self.pull(deadline).await {
                return Err("device never appeared".into());
            }
        }
        Ok(self.connected.clone().expect("connected"))
    }
}

fn show(op: &Op) -> String {
    match op {
        Op::Write {
            endpoint,
            data,
            write_with_response,
            ..
        } => {
            let text = std::str::from_utf8(data)
                .ok()
                .filter(|t| t.chars().all(|c| c.is_ascii_graphic()))
                .map(|t| format!(" {t:?}"))
                .unwrap_or_default();
            format!("Write {endpoint} {data:02x?}{text} wwr={write_with_response}")
        }
        Op::Subscribe { endpoint } => format!("Subscribe {endpoint}"),
        Op::Unsubscribe { endpoint } => format!("Unsubscribe {endpoint}"),
    }
}

fn endpoint(name: &str) -> Result<Endpoint, String> {
    name.parse().map_err(|e| format!("{e}"))
}

/// `ceil(f·n)` with tiny products counted as zero.
fn step(f: f64, n: i32) -> i32 {
    let p = f * f64::from(n);
    if p.abs() <= 0.000001 {
        0
    } else {
        p.ceil() as i32
    }
}

const SCALAR_ORDER: [OutputType; 8] = [
    OutputType::Vibrate,
    OutputType::Rotate,
    OutputType::Oscillate,
    OutputType::Constrict,
    OutputType::Temperature,
    OutputType::Led,
    OutputType::Position,
    OutputType::Spray,
];

/// The device's v3 ScalarCmd list: (feature, type, max) per (feature, output type).
fn scalar_list(entry: &DeviceEntry) -> Vec<(u32, OutputType, i32)> {
    let mut out = Vec::new();
    for (fi, f) in &entry.device_features {
        if let Some(outputs) = &f.output {
            for t in SCALAR_ORDER {
                if let Some(p) = outputs.get(&t) {
                    out.push((*fi, t, p.value[1]));
                }
            }
        }
    }
    out
}

fn features_with(entry: &DeviceEntry, t: OutputType) -> Vec<(u32, i32, i32)> {
    entry
        .device_features
        .iter()
        .filter_map(|(i, f)| {
            f.output
                .as_ref()
                .and_then(|o| o.get(&t))
                .map(|p| (*i, p.value[0], p.value[1]))
        })
        .collect()
}

fn battery_feature(entry: &DeviceEntry) -> Option<u32> {
    entry
        .device_features
        .iter()
        .find(|(_, f)| {
            f.input
                .as_ref()
                .is_some_and(|i| i.contains_key(&InputType::Battery))
        })
        .map(|(i, _)| *i)
}

/// The messages (as one frame) for an action at a version.
fn action_messages(
    c: &mut WireClient,
    action: &Action,
    entry: &DeviceEntry,
) -> Result<Vec<Value>, String> {
    let d = entry.device_index;
    let v = c.version;
    let mut msgs = Vec::new();
    match action {
        Action::Vibrate(list) => match v {
            SpecVersion::V4 => {
                let vibes = features_with(entry, OutputType::Vibrate);
                for e in list {
                    let (fi, _, n) = *vibes
                        .get(e.index as usize)
                        .ok_or_else(|| format!("no vibrator {}", e.index))?;
                    let m = c.msg(
                        "OutputCmd",
                        json!({"DeviceIndex": d, "FeatureIndex": fi,
                            "Command": {"Vibrate": {"Value": step(e.speed, n)}}}),
                    );
                    msgs.push(m);
                }
            }
            SpecVersion::V3 => {
                let scalars = scalar_list(entry);
                let vib_positions: Vec<usize> = scalars
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.1 == OutputType::Vibrate)
                    .map(|(i, _)| i)
                    .collect();
                let mut items = Vec::new();
                for e in list {
                    let pos = *vib_positions
                        .get(e.index as usize)
                        .ok_or_else(|| format!("no vibrator {}", e.index))?;
                    items.push(json!({"Index": pos, "Scalar": e.speed, "ActuatorType": "Vibrate"}));
                }
                msgs.push(c.msg("ScalarCmd", json!({"DeviceIndex": d, "Scalars": items})));
            }
            SpecVersion::V2 | SpecVersion::V1 => {
                let items: Vec<Value> = list
                    .iter()
                    .map(|e| json!({"Index": e.index, "Speed": e.speed}))
                    .collect();
                msgs.push(c.msg("VibrateCmd", json!({"DeviceIndex": d, "Speeds": items})));
            }
            SpecVersion::V0 => {
                let speed = list.first().map(|e| e.speed).unwrap_or(0.0);
                msgs.push(c.msg(
                    "SingleMotorVibrateCmd",
                    json!({"DeviceIndex": d, "Speed": speed}),
                ));
            }
        },
        Action::Scalar(list) => match v {
            SpecVersion::V4 => {
                let scalars = scalar_list(entry);
                for e in list {
                    let (fi, _, _) = *scalars
                        .get(e.index as usize)
                        .ok_or_else(|| format!("no scalar {}", e.index))?;
                    let t: OutputType = serde_json::from_value(json!(e.actuator_type))
                        .map_err(|e| e.to_string())?;
                    let f = &entry.device_features[&fi];
                    let n = f
                        .output
                        .as_ref()
                        .and_then(|o| o.get(&t))
                        .map(|p| p.value[1]);
                    let n = n.ok_or_else(|| format!("feature {fi} has no {t}"))?;
                    let m = c.msg(
                        "OutputCmd",
                        json!({"DeviceIndex": d, "FeatureIndex": fi,
                            "Command": {t.as_str(): {"Value": step(e.scalar, n)}}}),
                    );
                    msgs.push(m);
                }
            }
            SpecVersion::V3 => {
                let items: Vec<Value> = list
                    .iter()
                    .map(|e| json!({"Index": e.index, "Scalar": e.scalar, "ActuatorType": e.actuator_type}))
                    .collect();
                msgs.push(c.msg("ScalarCmd", json!({"DeviceIndex": d, "Scalars": items})));
            }
            _ => return Err("!Scalar is not expressible below v3".into()),
        },
        Action::Rotate(list) => match v {
            SpecVersion::V4 => {
                let rotators = features_with(entry, OutputType::Rotate);
                for e in list {
                    let (fi, _, n) = *rotators
                        .get(e.index as usize)
                        .ok_or_else(|| format!("no rotator {}", e.index))?;
                    let s = step(e.speed, n);
                    let value = if e.clockwise { s } else { -s };
                    msgs.push(c.msg(
                        "OutputCmd",
                        json!({"DeviceIndex": d, "FeatureIndex": fi,
                            "Command": {"Rotate": {"Value": value}}}),
                    ));
                }
            }
            SpecVersion::V0 => return Err("!Rotate is not expressible at v0".into()),
            _ => {
                let items: Vec<Value> = list
                    .iter()
                    .map(|e| json!({"Index": e.index, "Speed": e.speed, "Clockwise": e.clockwise}))
                    .collect();
                msgs.push(c.msg("RotateCmd", json!({"DeviceIndex": d, "Rotations": items})));
            }
        },
        Action::Linear(list) => match v {
            SpecVersion::V4 => {
                for e in list {
                    let f = entry
                        .device_features
                        .get(&e.index)
                        .ok_or_else(|| format!("no feature {}", e.index))?;
                    let n = f
                        .output
                        .as_ref()
                        .and_then(|o| o.get(&OutputType::HwPositionWithDuration))
                        .map(|p| p.value[1])
                        .ok_or("no HwPositionWithDuration")?;
                    msgs.push(c.msg(
                        "OutputCmd",
                        json!({"DeviceIndex": d, "FeatureIndex": e.index,
                            "Command": {"HwPositionWithDuration":
                                {"Value": step(e.position, n), "Duration": e.duration}}}),
                    ));
                }
            }
            SpecVersion::V0 => return Err("!Linear is not expressible at v0".into()),
            _ => {
                let items: Vec<Value> = list
                    .iter()
                    .enumerate()
                    .map(|(i, e)| json!({"Index": i, "Duration": e.duration, "Position": e.position}))
                    .collect();
                msgs.push(c.msg("LinearCmd", json!({"DeviceIndex": d, "Vectors": items})));
            }
        },
        Action::Stop => match v {
            SpecVersion::V4 => msgs.push(c.msg(
                "StopCmd",
                json!({"DeviceIndex": d, "Inputs": true, "Outputs": true}),
            )),
            _ => msgs.push(c.msg("StopDeviceCmd", json!({"DeviceIndex": d}))),
        },
        Action::Battery { .. } => match v {
            SpecVersion::V4 => {
                let fi = battery_feature(entry).ok_or("no battery feature")?;
                msgs.push(c.msg(
                    "InputCmd",
                    json!({"DeviceIndex": d, "FeatureIndex": fi, "Type": "Battery", "Command": "Read"}),
                ));
            }
            SpecVersion::V3 => msgs.push(c.msg(
                "SensorReadCmd",
                json!({"DeviceIndex": d, "SensorIndex": 0, "SensorType": "Battery"}),
            )),
            SpecVersion::V2 => msgs.push(c.msg("BatteryLevelCmd", json!({"DeviceIndex": d}))),
            _ => return Err("!Battery is not expressible below v2".into()),
        },
        Action::Rssi => return Err("!RSSI is not supported by this runner".into()),
    }
    Ok(msgs)
}

fn battery_fraction(reply: &Value) -> Option<f64> {
    let b = body(reply);
    match msg_type(reply) {
        "InputReading" => b["Reading"]["Battery"]["Value"].as_f64().map(|v| v / 100.0),
        "SensorReading" => b["Data"][0].as_f64().map(|v| v / 100.0),
        "BatteryLevelReading" => b["BatteryLevel"].as_f64(),
        _ => None,
    }
}

fn check_reply(reply: &Value, expected_power: Option<f64>) -> Result<(), String> {
    match expected_power {
        None if msg_type(reply) == "Ok" => Ok(()),
        Some(p) => match battery_fraction(reply) {
            Some(got) if (got - p).abs() < 1e-9 => Ok(()),
            _ => Err(format!("battery reply {reply}, expected {p}")),
        },
        None => Err(format!("expected Ok, got {reply}")),
    }
}

/// Replay one vector; Ok or the first failure.
pub async fn run(dir: &Path, file: &str, version: SpecVersion, scope: Scope) -> Result<(), String> {
    let text = std::fs::read_to_string(dir.join(file)).map_err(|e| e.to_string())?;
    let vector: VectorFile = serde_yaml::from_str(&text).map_err(|e| format!("YAML: {e}"))?;
    let mut config = match &vector.device_config_file {
        Some(f) => DeviceConfig::from_base_json(
            &std::fs::read_to_string(dir.join("config").join(f)).map_err(|e| e.to_string())?,
        )
        .map_err(|e| e.to_string())?,
        None => DeviceConfig::embedded(),
    };
    if let Some(f) = &vector.user_device_config_file {
        let text =
            std::fs::read_to_string(dir.join("config").join(f)).map_err(|e| e.to_string())?;
        config = config
            .with_user_config_json(&text)
            .map_err(|e| e.to_string())?;
    }
    let server = Server::new(ServerOptions {
        device_config: config,
        transports: Transports::none(),
        ..ServerOptions::default()
    });
    let vdev = vector.devices.first().ok_or("no device")?;
    let address = vdev
        .identifier
        .address
        .clone()
        .unwrap_or_else(|| format!("sim-{file}"));
    let device = SimulatedDevice::new(SimulatedDeviceSpec::new(&vdev.identifier.name, address));
    let (op_tx, op_rx) = mpsc::unbounded_channel();
    device.observe(move |op| {
        let _ = op_tx.send((op.clone(), Instant::now()));
    });
    let mut ops = OpStream {
        rx: op_rx,
        buffered: VecDeque::new(),
        connected: None,
        last_write: None,
    };
    server.advertise(device.clone());
    let mut client = WireClient::connect(&server, version);
    let info = client.handshake("vector runner").await;
    if msg_type(&info) != "ServerInfo" {
        return Err(format!("handshake failed: {info}"));
    }
    let m = client.msg("StartScanning", json!({}));
    check_reply(&client.request(vec![m]).await[0], None)?;

    replay(
        &mut client,
        &mut ops,
        &device,
        &expand(&vector.device_init, version.major()),
        None,
    )
    .await
    .map_err(|e| format!("device_init: {e}"))?;
    ops.wait_connected().await?;

    let m = client.msg("RequestDeviceList", json!({}));
    let list = client.request(vec![m]).await.remove(0);
    let devices = &body(&list)["Devices"];
    let first = match devices {
        Value::Array(a) => a.first().cloned(),
        Value::Object(o) => o.values().next().cloned(),
        _ => None,
    }
    .ok_or_else(|| format!("device not in the list: {list}"))?;
    if first["DeviceName"] != json!(vdev.expected_name) {
        return Err(format!(
            "DeviceName {} but expected {:?}",
            first["DeviceName"], vdev.expected_name
        ));
    }
    if let Some(dn) = &vdev.expected_display_name {
        if first["DeviceDisplayName"] != json!(dn) {
            return Err(format!("DeviceDisplayName {}", first["DeviceDisplayName"]));
        }
    }
    if scope == Scope::InitOnly {
        return Ok(());
    }
    let entry = first_entry(&server).ok_or("device vanished")?;
    let mut pending_battery = Vec::new();
    replay(
        &mut client,
        &mut ops,
        &device,
        &expand(&vector.device_commands, version.major()),
        Some((&entry, &mut pending_battery)),
    )
    .await?;
    ops.expect_quiet().await?;
    for (id, power) in pending_battery {
        let reply = client.reply(id).await;
        check_reply(&reply, Some(power))?;
    }
    Ok(())
}

type Pending<'a> = Option<(&'a DeviceEntry, &'a mut Vec<(u32, f64)>)>;

async fn replay(
    client: &mut WireClient,
    ops: &mut OpStream,
    device: &SimulatedDevice,
    blocks: &[&Block],
    mut ctx: Pending<'_>,
) -> Result<(), String> {
    for (bi, block) in blocks.iter().enumerate() {
        match block {
            Block::Commands { commands, .. } => {
                for (i, op) in commands.iter().enumerate() {
                    ops.expect(op)
                        .await
                        .map_err(|e| format!("block {bi} op {i}: {e}"))?;
                }
            }
            Block::Events { events, .. } => {
                for ev in events {
                    match ev {
                        Event::Notifications(list) => {
                            for n in list {
                                device.notify(endpoint(&n.endpoint)?, n.data.clone());
                            }
                        }
                        Event::Reads(list) => {
                            for r in list {
                                device.queue_read(endpoint(&r.endpoint)?, r.data.clone());
                            }
                        }
                        Event::Disconnect => device.disconnect(),
                    }
                }
            }
            Block::Messages { messages, .. } => {
                let Some((entry, pending)) = ctx.as_mut() else {
                    return Err("messages before the device is up".into());
                };
                for action in messages {
                    let msgs = action_messages(client, action, entry)?;
                    let power = match action {
                        Action::Battery { expected_power, .. } => Some(*expected_power),
                        _ => None,
                    };
                    if let Action::Battery {
                        run_async: true,
                        expected_power,
                    } = action
                    {
                        let id = body(&msgs[0])["Id"].as_u64().unwrap_or(0) as u32;
                        client.send(msgs).await;
                        pending.push((id, *expected_power));
                        continue;
                    }
                    for reply in client.request(msgs).await {
                        check_reply(&reply, power).map_err(|e| format!("block {bi}: {e}"))?;
                    }
                }
            }
            Block::VersionGated { .. } => unreachable!("expanded"),
        }
    }
    Ok(())
}
