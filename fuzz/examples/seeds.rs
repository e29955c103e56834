//! Writes the seed corpus (`corpus/<target>/`) from the project's own examples, replacing the
//! files it wrote before (files other names, e.g. minimised crashes kept as regressions, stay):
//! - `json_frame`: the client frames and v4 server frames of
//!   tests/data/protocol_examples/examples.txt and every frame literal of tests/*.rs, plus a
//!   frame for each legacy message no test sends;
//! - `ffi_request`: requests of every body built from the schema (proto/teleplug.proto), each as
//!   protobuf and as proto3 JSON, plus raw-channel Buttplug frames;
//! - `user_config`: the user config fixtures (tests/data/config, data/device-config) and the
//!   shapes of src/device_config/tests;
//! - `notifications`: device bytes of the protocol unit tests (identify and initialize replies,
//!   battery and sensor readings), and one plain device life per protocol.
//!
//! Run from fuzz/: `cargo run --example seeds` (any toolchain; no libFuzzer involved).

use std::fs;
use std::path::{Path, PathBuf};

use prost::Message;
use teleplug::ffi::schema::{self as s, Request, request};
use teleplug::hardware::Endpoint;
use teleplug_fuzz::notifications::{Setup, Step, definitions, endpoints, protocol_keys, seed};

/// Files this generator writes start with this, so it can replace them without touching others.
const PREFIX: &str = "seed-";

fn main() {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let repo = fuzz
        .parent()
        .expect("fuzz/ is inside the repository")
        .to_path_buf();
    write("json_frame", &fuzz, json_frames(&repo));
    write("ffi_request", &fuzz, ffi_requests());
    write("user_config", &fuzz, user_configs(&repo));
    write("notifications", &fuzz, notifications());
}

fn write(target: &str, fuzz: &Path, files: Vec<(String, Vec<u8>)>) {
    let dir = fuzz.join("corpus").join(target);
    fs::create_dir_all(&dir).expect("corpus directory");
    for entry in fs::read_dir(&dir).expect("corpus directory").flatten() {
        if entry.file_name().to_string_lossy().starts_with(PREFIX) {
            fs::remove_file(entry.path()).expect("remove an old seed");
        }
    }
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    for (name, data) in files {
        if !seen.insert(data.clone()) {
            continue;
        }
        fs::write(dir.join(format!("{PREFIX}{name}")), &data).expect("write a seed");
        n += 1;
    }
    println!("{target}: {n} seeds");
}

// ---------------------------------------------------------------------------------------------
// json_frame

fn json_frames(repo: &Path) -> Vec<(String, Vec<u8>)> {
    let mut frames = Vec::new();
    let examples = fs::read_to_string(repo.join("tests/data/protocol_examples/examples.txt"))
        .expect("examples.txt");
    for line in examples.lines() {
        let kind = line.split(' ').next().unwrap_or_default();
        // Server frames at v4 too: the target also decodes the text as our client would.
        let wanted = matches!(kind, "client" | "client-invalid") || line.starts_with("server v4 ");
        if wanted && let Some(at) = line.find('[') {
            frames.push(line[at..].to_string());
        }
    }
    let mut tests: Vec<PathBuf> = fs::read_dir(repo.join("tests"))
        .expect("tests/")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "rs"))
        .collect();
    tests.sort();
    for path in tests {
        let text = fs::read_to_string(&path).expect("a test file");
        // Raw string literals holding a frame: r#"[{...}]"#.
        let mut rest = text.as_str();
        while let Some(at) = rest.find("r#\"") {
            rest = &rest[at + 3..];
            let Some(end) = rest.find("\"#") else { break };
            let literal = &rest[..end];
            if literal.trim_start().starts_with("[{") && !literal.contains("{}") {
                frames.push(literal.to_string());
            }
            rest = &rest[end..];
        }
    }
    frames.extend(LEGACY_FRAMES.iter().map(|f| f.to_string()));
    frames.sort();
    frames.dedup();
    // Named by content, so adding a frame to a test does not rename the others.
    frames
        .into_iter()
        .map(|f| (format!("{:016x}.json", fnv1a(f.as_bytes())), f.into_bytes()))
        .collect()
}

/// FNV-1a, 64 bits: a stable name for a seed's content.
fn fnv1a(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0000_0100_0000_01b3)
    })
}

/// Legacy messages (and odd shapes) that no test frame carries.
const LEGACY_FRAMES: &[&str] = &[
    r#"[{"KiirooCmd":{"Id":2,"DeviceIndex":4,"Command":"4"}}]"#,
    r#"[{"LovenseCmd":{"Id":3,"DeviceIndex":4,"Command":"Vibrate:20;"}}]"#,
    r#"[{"VorzeA10CycloneCmd":{"Id":4,"DeviceIndex":4,"Speed":50,"Clockwise":true}}]"#,
    r#"[{"FleshlightLaunchFW12Cmd":{"Id":5,"DeviceIndex":4,"Position":50,"Speed":20}}]"#,
    r#"[{"RequestLog":{"Id":6,"LogLevel":"Debug"}}]"#,
    r#"[{"Test":{"Id":7,"TestString":"Echo"}}]"#,
    r#"[{"BatteryLevelCmd":{"Id":8,"DeviceIndex":4}},{"RSSILevelCmd":{"Id":9,"DeviceIndex":4}}]"#,
    r#"[{"RawWriteCmd":{"Id":10,"DeviceIndex":4,"Endpoint":"tx","Data":[0,1,255],"WriteWithResponse":false}}]"#,
    r#"[{"RawReadCmd":{"Id":11,"DeviceIndex":4,"Endpoint":"rx","ExpectedLength":0,"WaitForData":false}}]"#,
    r#"[{"RawSubscribeCmd":{"Id":12,"DeviceIndex":4,"Endpoint":"rx"}},{"RawUnsubscribeCmd":{"Id":13,"DeviceIndex":4,"Endpoint":"rx"}}]"#,
    r#"[{"SensorReadCmd":{"Id":14,"DeviceIndex":4,"SensorIndex":0,"SensorType":"Battery"}}]"#,
    r#"[{"SensorSubscribeCmd":{"Id":15,"DeviceIndex":4,"SensorIndex":1,"SensorType":"Pressure"}},{"SensorUnsubscribeCmd":{"Id":16,"DeviceIndex":4,"SensorIndex":1,"SensorType":"Pressure"}}]"#,
    r#"[{"ScalarCmd":{"Id":17,"DeviceIndex":4,"Scalars":[{"Index":0,"Scalar":0.5,"ActuatorType":"Vibrate"},{"Index":2,"Scalar":1.0,"ActuatorType":"Constrict"}]}}]"#,
    r#"[{"RotateCmd":{"Id":18,"DeviceIndex":4,"Rotations":[{"Index":0,"Speed":0.5,"Clockwise":false}]}}]"#,
    r#"[{"LinearCmd":{"Id":19,"DeviceIndex":4,"Vectors":[{"Index":0,"Duration":500,"Position":0.3}]}}]"#,
    r#"[{"VibrateCmd":{"Id":20,"DeviceIndex":1,"Speeds":[{"Index":0,"Speed":0.25},{"Index":1,"Speed":1}]}}]"#,
    r#"[{"StopDeviceCmd":{"Id":21,"DeviceIndex":2}},{"StopAllDevices":{"Id":22}}]"#,
    r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Old","MessageVersion":1}}]"#,
    r#"[{"RequestServerInfo":{"Id":1,"ClientName":"Zero"}}]"#,
    r#"[{"Ping":{"Id":1}}][{"Ping":{"Id":2}}]"#,
];

// ---------------------------------------------------------------------------------------------
// ffi_request

fn req(id: u32, body: request::Body) -> Request {
    Request {
        id,
        schema_version: 1,
        body: Some(body),
    }
}

fn ffi_requests() -> Vec<(String, Vec<u8>)> {
    use request::Body as B;
    use s::output_command::Value as Amount;
    let requests = vec![
        req(1, B::Connect(s::Connect { mode: None })),
        req(
            2,
            B::Connect(s::Connect {
                mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
                    server_name: "srv".into(),
                    max_ping_time_ms: 1000,
                    disabled_transports: 7,
                    serial_ports: vec!["/dev/ttyUSB0".into()],
                    device_config_json: String::new(),
                    user_config_json: r#"{"version":{"major":4,"minor":0}}"#.into(),
                    allowed_clients: vec!["a".into()],
                    simulator_scan_ms: 50,
                })),
            }),
        ),
        req(
            3,
            B::Connect(s::Connect {
                mode: Some(s::connect::Mode::Remote(s::RemoteOptions {
                    url: "ws://127.0.0.1:12345".into(),
                })),
            }),
        ),
        req(4, B::Disconnect(s::Empty {})),
        req(5, B::StartScanning(s::Empty {})),
        req(6, B::StopScanning(s::Empty {})),
        req(7, B::RequestDeviceList(s::Empty {})),
        output(8, s::OutputType::Rotate, Amount::Steps(-7), 0),
        output(9, s::OutputType::Vibrate, Amount::Fraction(0.25), 0),
        output(
            10,
            s::OutputType::HwPositionWithDuration,
            Amount::Steps(0),
            500,
        ),
        req(
            11,
            B::Input(s::InputCommand {
                device_index: 1,
                feature_index: 1,
                r#type: s::InputType::Battery as i32,
                command: s::InputCommandType::Read as i32,
            }),
        ),
        req(
            12,
            B::Stop(s::StopCommand {
                device_index: Some(0),
                feature_index: Some(1),
                inputs: Some(false),
                outputs: Some(true),
            }),
        ),
        req(13, B::Stop(s::StopCommand::default())),
        req(14, B::Ping(s::Empty {})),
        req(
            15,
            B::SubscribeLogs(s::LogSubscription {
                max_level: s::LogLevel::Debug as i32,
            }),
        ),
        req(
            16,
            B::SimulatorAdvertise(s::SimulatorAdvertise {
                device: Some(s::simulator_advertise::Device::Spec(
                    s::SimulatedDeviceSpec {
                        name: "LVS-Sim".into(),
                        address: "aa:bb".into(),
                        services: vec!["50300001-0023-4bd4-bbd5-a6920e4c5653".into()],
                        manufacturer_data: vec![s::ManufacturerData {
                            company: 0xffff,
                            data: vec![0, 1, 2, 255],
                        }],
                        auto_replies: vec![s::AutoReply {
                            on_write: b"DeviceType;".to_vec(),
                            endpoint: "rx".into(),
                            reply: b"Z:11:0082059AD3BD;".to_vec(),
                        }],
                        read_values: vec![s::ReadValue {
                            endpoint: "rxblebattery".into(),
                            data: vec![87],
                        }],
                        message_gap_ms: 10,
                    },
                )),
                observe: true,
            }),
        ),
        req(
            17,
            B::SimulatorAdvertise(s::SimulatorAdvertise {
                device: Some(s::simulator_advertise::Device::Lovense(
                    s::SimulatedLovense {
                        address: "11:22".into(),
                        type_reply: "W:11:0082059AD3BD;".into(),
                        battery: 50,
                    },
                )),
                observe: false,
            }),
        ),
        req(
            18,
            B::SimulatorNotify(s::SimulatorNotify {
                address: "aa:bb".into(),
                endpoint: "rx".into(),
                data: b"12;".to_vec(),
            }),
        ),
        req(
            19,
            B::SimulatorQueueRead(s::SimulatorQueueRead {
                address: "aa:bb".into(),
                endpoint: "rxblebattery".into(),
                data: vec![42],
            }),
        ),
        req(
            20,
            B::SimulatorDisconnect(s::SimulatorDevice {
                address: "aa:bb".into(),
            }),
        ),
        req(
            21,
            B::Debug(s::DebugRequest {
                action: Some(s::debug_request::Action::SleepMs(5)),
            }),
        ),
        // Refused at send time: id 0, a newer schema, no body.
        Request {
            id: 0,
            schema_version: 1,
            body: Some(B::Ping(s::Empty {})),
        },
        Request {
            id: 22,
            schema_version: 99,
            body: Some(B::Ping(s::Empty {})),
        },
        Request {
            id: 23,
            schema_version: 0,
            body: None,
        },
    ];
    let mut out = Vec::new();
    for r in &requests {
        out.push((format!("{:02}.pb", r.id), r.encode_to_vec()));
        let json = serde_json::to_vec(r).expect("the JSON mapping of a seed request");
        out.push((format!("{:02}.json", r.id), json));
    }
    for (i, frame) in [
        r#"[{"RequestServerInfo":{"Id":1,"ClientName":"raw","ProtocolVersionMajor":4,"ProtocolVersionMinor":0}}]"#,
        r#" [{"OutputCmd":{"Id":2,"DeviceIndex":0,"FeatureIndex":0,"Command":{"Vibrate":{"Value":10}}}}]"#,
    ]
    .iter()
    .enumerate()
    {
        out.push((format!("frame-{i}.json"), frame.as_bytes().to_vec()));
    }
    out
}

fn output(id: u32, t: s::OutputType, value: s::output_command::Value, duration_ms: u32) -> Request {
    req(
        id,
        request::Body::Output(s::OutputCommand {
            device_index: 1,
            feature_index: 2,
            r#type: t as i32,
            value: Some(value),
            duration_ms,
        }),
    )
}

// ---------------------------------------------------------------------------------------------
// user_config

fn user_configs(repo: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut files: Vec<PathBuf> = fs::read_dir(repo.join("tests/data/config"))
        .expect("tests/data/config")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.push(repo.join("data/device-config/example-user-device-config-v4.json"));
    files.sort();
    for path in files {
        let name = path
            .file_name()
            .expect("a file name")
            .to_string_lossy()
            .into_owned();
        out.push((name, fs::read(&path).expect("a user config fixture")));
    }
    for (i, text) in USER_CONFIGS.iter().enumerate() {
        out.push((format!("shape-{i:02}.json"), text.as_bytes().to_vec()));
    }
    out
}

/// Shapes from src/device_config/tests and PROTOCOL.md §6.6 the fixtures do not have.
const USER_CONFIGS: &[&str] = &[
    r#"{"version":{"major":4,"minor":0}}"#,
    r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}"#,
    r#"{"version":{"major":4,"minor":12345},"extra":1,"user_configs":{"weird":[],"protocols":{
      "not-a-protocol":{"communication":[{"websocket":{"name":"X"}}]},
      "aneros":{"communication":[{"websocket":{"name":"A"}},{"websocket":{"nom":"B"}},{"serial":{"port":"P"}},{"btle":{}},{"carrier_pigeon":{}}],
                "configurations":[{"identifier":["Vivi2"],"name":"Aneros Vivi 2","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e11"},
                                  {"identifier":[],"name":"Broken","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e12"}],
                "color":"blue"},
      "lovense":{"devices":{"configurations":[{"identifier":["NEW"],"name":"Lovense New","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e13"}]}}}}}"#,
    r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"configurations":[
      {"identifier":["Z"],"name":"My Hush","id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e14",
       "features":[{"id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e15","index":0,"output":{"vibrate":{"value":[0,20]}}},
                   {"id":"3f1d1b51-0a0c-4a8e-9a0e-5d2a6b4c7e16","index":1,"input":{"battery":{"value":[[0,100]],"command":["Read"]}}}]}]}}}}"#,
    r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"tcode-v03":{"communication":[{"serial":{"port":"/dev/ttyUSB0","baud_rate":115200,"data_bits":8,"parity":"N","stop_bits":1}}]}}}}"#,
    r#"{"version":{"major":4,"minor":0},"user_configs":{"protocols":{"lovense":{"communication":[{"btle":{"names":["LVS-Fuzz*"],"manufacturer_data":[{"company":65535,"data":[1,2]}],"services":{"5a300001-0023-4bd4-bbd5-a6920e4c5653":{"tx":"5a300002-0023-4bd4-bbd5-a6920e4c5653","rx":"5a300003-0023-4bd4-bbd5-a6920e4c5653"}}}}]}}}}"#,
    r#"{"version":{"major":4,"minor":0},"user_configs":{"devices":[{"identifier":{"address":"x"}},42,
      {"identifier":{"protocol":"lovense","identifier":"EL","address":"aa-bb-cc-dd-ee-01"},
       "config":{"id":"5d434198-4697-4b00-985e-33788fc955d1","base_id":"bbfd764c-b419-4c13-aeb0-e753a86318ed",
         "features":[
           {"id":"16099312-8bf8-45f7-9a37-9c56ffd972ae","base_id":"0627be5e-8553-4f20-b4cf-15f5e1896e5f","output":{"vibrate":{"value":[5,15],"disabled":true}}},
           {"id":"c82ea967-3014-49ef-8189-e7e065c4bdbf","base_id":"360d81e7-5126-4dbb-b72d-7bb60eb67400"},
           {"id":"3ad9adee-8c32-408f-8e8c-4a275bb9421c","base_id":"50b9b31f-c2a8-459a-81fd-c54604f5184e"}],
         "user_config":{"allow":true,"deny":false,"index":3,"display_name":"Mine","message_gap_ms":20}}},
      {"identifier":{"protocol":"lovense","address":"hci0/dev_AA_BB_CC_DD_EE_02"},
       "config":{"id":"5d434198-4697-4b00-985e-33788fc955d2","base_id":"00000000-0000-0000-0000-000000000000","features":[],
         "user_config":{"deny":true,"index":4}}}]}}"#,
    // Major 5 (database v5): simulated devices, the new specifier kinds, a new protocol's names,
    // a device entry on a v5 definition.
    r#"{"version":{"major":5,"minor":57}}"#,
    r#"{"version":{"major":5,"minor":57},"user_configs":{"simulated_devices":[{"identifier":"simulated-2vibe","address":"simulated:demo-1","display_name":"Demo"},
      {"identifier":"simulated-stroker","address":"simulated:demo-2"},{"identifier":"no-such-sim","address":"simulated:x"},7]}}"#,
    r#"{"version":{"major":5,"minor":0},"user_configs":{"protocols":{
      "ossm":{"communication":[{"btle":{"names":["OSSM-Fuzz"],"services":{"522b443a-4f53-534d-0001-420badbabe69":{"tx":"522b443a-4f53-534d-1000-420badbabe69","txmode":"522b443a-4f53-534d-1010-420badbabe69"}}}}]},
      "sdl-gamepad":{"communication":[{"sdl-gamepad":{"exists":true}},{"xinput":{"exists":true}}]},
      "simulated":{"communication":[{"simulated":{"names":["simulated-fuzz"]}},{"hologram":{}}]}}}}"#,
    r#"{"version":{"major":5,"minor":57},"user_configs":{"devices":[
      {"identifier":{"protocol":"lovense","identifier":"EL","address":"aa-bb-cc-dd-ee-05"},
       "config":{"id":"5d434198-4697-4b00-985e-33788fc955d5","base_id":"bbfd764c-b419-4c13-aeb0-e753a86318ed",
         "features":[
           {"id":"16099312-8bf8-45f7-9a37-9c56ffd972a5","base_id":"0627be5e-8553-4f20-b4cf-15f5e1896e5f","output":{"vibrate":{"value":[1,20]}}}],
         "user_config":{"allow":false,"deny":false,"index":0}}}]}}"#,
    r#"{"version":{"major":6,"minor":0},"user_configs":{}}"#,
];

// ---------------------------------------------------------------------------------------------
// notifications

fn hex(text: &str) -> Vec<u8> {
    let digits: Vec<char> = text.chars().filter(|c| !c.is_whitespace()).collect();
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(&p.iter().collect::<String>(), 16).expect("hex digits"))
        .collect()
}

fn notifications() -> Vec<(String, Vec<u8>)> {
    use Endpoint::{Rx, RxPressure};
    let mut out = Vec::new();
    let mut add = |name: &str, bytes: Option<Vec<u8>>| match bytes {
        Some(b) => out.push((format!("{name}.bin"), b)),
        None => eprintln!("warning: seed {name} could not be built (protocol or endpoint gone?)"),
    };
    let plain_output = [0u8, 0xFF, 0xFF, 0xFF, 0x7F, 0xF4, 0x01, 0, 0, 1];
    // A battery read and a notification on the device's first endpoint.
    let battery = |key: &str| {
        [
            Step::Read(0, &[87]),
            Step::Notify(endpoints(key)[0], b"85;"),
        ]
    };

    // Lovense: the DeviceType reply names the model; batteries answer `85;` or `s89;`.
    add(
        "lovense-identify",
        seed(
            "lovense",
            None,
            true,
            &[Setup::Notify(Rx, b"Z:11:0082059AD3BD;")],
            &[
                Step::Read(0, b""),
                Step::Notify(Rx, b"s89;"),
                Step::Output(&plain_output),
            ],
        ),
    );
    add(
        "lovense-edge",
        seed(
            "lovense",
            None,
            true,
            &[Setup::Notify(Rx, b"P:05:0082059AD3BD;")],
            &[Step::Output(&plain_output), Step::Output(&[1, 9, 0, 0, 0])],
        ),
    );
    add(
        "lovense-solace",
        seed(
            "lovense",
            None,
            true,
            &[Setup::Notify(Rx, b"BA:02:0082059AD3BD;")],
            &[Step::Output(&[0, 50, 0, 0, 0, 0xE8, 3, 0, 0]), Step::Tick],
        ),
    );
    // KGoal Boost: pressure notifications on rxpressure (bytes 3–6 are two big-endian values).
    add(
        "kgoal-pressure",
        seed(
            "kgoal-boost",
            None,
            false,
            &[],
            &[
                Step::Subscribe(0),
                Step::Subscribe(1),
                Step::Notify(RxPressure, &hex("00 00 00 01 F4 03 E8")),
                Step::Notify(RxPressure, &hex("00 00 00 00 00 00")),
                Step::Read(0, &[42]),
            ],
        ),
    );
    // HoneyPlayBox: the handshake answer carries the key that signs every motor packet.
    let mut key_reply = hex("02 A5 5A 55 AA F0 00 B1 01 00 12 90 00");
    key_reply.extend(1..=16u8);
    key_reply.extend([0x03, 0x00, 0x00]);
    add(
        "honeyplaybox-key",
        seed(
            "honeyplaybox",
            None,
            true,
            &[Setup::Notify(Rx, &key_reply)],
            &[Step::Output(&plain_output), Step::Tick, Step::Read(0, &[])],
        ),
    );
    // What the advertisement says: a Lovense name without a DeviceType reply, Fluffer and
    // Satisfyer manufacturer data.
    add(
        "lovense-name",
        seed(
            "lovense",
            None,
            true,
            &[Setup::Name("LVS-Z36")],
            &[Step::Output(&plain_output)],
        ),
    );
    add(
        "satisfyer-advertised",
        seed(
            "satisfyer",
            None,
            true,
            &[Setup::ManufacturerData(0x005D, &hex("00 00 27 B0"))],
            &[Step::Output(&plain_output)],
        ),
    );
    add(
        "fluffer-advertised",
        seed(
            "fluffer",
            None,
            true,
            &[
                Setup::ManufacturerData(0x684A, &hex("12 34 56 78 9A")),
                Setup::Notify(Rx, &hex("FB 14 63 04 20 5C 54 79 BB 6B A6 C9 69 FD AA 96")),
            ],
            &[Step::Output(&plain_output)],
        ),
    );
    // Devices identified by reading their model.
    for (name, key, model) in [
        ("hismith-model", "hismith", vec![0x20, 0x01]),
        ("hismith-mini-model", "hismith", vec![0x22, 0x05]),
        (
            "monsterpub-model",
            "monsterpub",
            b"MP2_JK_N_P1\0\0\0".to_vec(),
        ),
        ("satisfyer-model", "satisfyer", hex("00 00 27 B0")),
        ("vibratissimo-model", "vibratissimo", b"Licks".to_vec()),
    ] {
        add(
            name,
            seed(
                key,
                None,
                true,
                &[Setup::Read(&model), Setup::Read(&[1; 16])],
                &battery(key),
            ),
        );
    }
    // Initialize handshakes answered by a read or a notification.
    add(
        "ankni-handshake",
        seed(
            "ankni",
            None,
            false,
            &[Setup::Read(&hex("A2 31 35 53 52 D8"))],
            &battery("ankni"),
        ),
    );
    add(
        "fredorch-handshake",
        seed(
            "fredorch",
            None,
            false,
            &[Setup::Notify(Rx, &hex("00 01 00 01 01"))],
            &battery("fredorch"),
        ),
    );
    add(
        "realtouch-handshake",
        seed(
            "realtouch",
            None,
            false,
            &[Setup::Read(&hex("00 02 01")), Setup::Read(&hex("0A 12 34"))],
            &battery("realtouch"),
        ),
    );
    add(
        "sensee-v2-type",
        seed(
            "sensee-v2",
            None,
            false,
            &[Setup::Read(&hex(
                "55 AA F0 02 01 0A 66 FA 01 00 00 01 FF 05 A6",
            ))],
            &[Step::Output(&plain_output)],
        ),
    );
    add(
        "thehandy-v3-battery",
        seed(
            "thehandy-v3",
            None,
            true,
            &[Setup::Notify(
                Rx,
                &hex("08 03 22 0B 08 01 B2 2C 06 0A 04 08 55 10 01"),
            )],
            &[
                Step::Read(0, &[]),
                Step::Notify(Rx, &hex("08 03 22 0B 08 01 B2 2C 06 0A 04 08 55 10 01")),
            ],
        ),
    );
    add(
        "galaku-battery",
        seed(
            "galaku",
            None,
            false,
            &[],
            &[
                Step::Read(0, &[]),
                Step::Notify(Endpoint::RxBleBattery, &[87, 1, 2]),
            ],
        ),
    );
    add(
        "vibcrafter-auth",
        seed(
            "vibcrafter",
            None,
            false,
            &[
                Setup::Notify(Rx, &hex("00 33 41 70 F0 12 4C 24 DA 42 97 A8 B1 17 7C 30")),
                Setup::Notify(Rx, &hex("12 0A 6D EF A7 05 E3 6F A0 46 E6 CD F6 09 F6 7A")),
            ],
            &[Step::Output(&plain_output)],
        ),
    );
    // One plain life per protocol and definition 0: a battery-ish read reply during setup, then
    // a read, a subscription, a notification and an output.
    for key in protocol_keys() {
        let identifier = definitions(key).first().and_then(|d| d.identifier.clone());
        let first = endpoints(key)[0];
        add(
            &format!("plain-{key}"),
            seed(
                key,
                identifier.as_deref(),
                true,
                &[Setup::Read(&[0x55])],
                &[
                    Step::Read(0, &[0x55]),
                    Step::Subscribe(0),
                    Step::Notify(first, &[0x55, 0, 0, 0, 0, 0, 0, 0]),
                    Step::Output(&plain_output),
                    Step::Tick,
                ],
            ),
        );
    }
    out
}
