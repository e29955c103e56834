//! The two encodings of the ABI schema agree: every message type, encoded as protobuf and as
//! canonical proto3 JSON, decodes to the same value, and protobuf → JSON → protobuf is
//! byte-identical. The samples cover every member of every oneof (checked against the
//! descriptor), and the JSON follows the proto3 mapping rules the bindings rely on.

use prost::Message;
use serde_json::{Value, json};
use teleplug::ffi::schema::{self as s, Request, Response, request, response};

fn req(id: u32, body: request::Body) -> Request {
    Request {
        id,
        schema_version: 1,
        body: Some(body),
    }
}

fn resp(id: u32, body: response::Body) -> Response {
    Response {
        id,
        schema_version: 1,
        body: Some(body),
    }
}

/// A request for output `r#type` at `value` on `feature` of `device`.
fn output(
    id: u32,
    device: u32,
    feature: u32,
    r#type: s::OutputType,
    value: s::output_command::Value,
    duration_ms: u32,
) -> Request {
    req(
        id,
        request::Body::Output(s::OutputCommand {
            device_index: device,
            feature_index: feature,
            r#type: r#type as i32,
            value: Some(value),
            duration_ms,
        }),
    )
}

/// A debug request doing `action`.
fn debug(id: u32, action: s::debug_request::Action) -> Request {
    req(
        id,
        request::Body::Debug(s::DebugRequest {
            action: Some(action),
        }),
    )
}

fn device() -> s::Device {
    s::Device {
        index: 3,
        name: "Lovense Hush".into(),
        display_name: "Mine".into(),
        message_gap_ms: 75,
        features: vec![
            s::Feature {
                index: 0,
                description: "vibrator".into(),
                outputs: vec![
                    s::OutputDescription {
                        r#type: s::OutputType::Vibrate as i32,
                        value: Some(s::Range { min: 0, max: 20 }),
                        duration: None,
                    },
                    s::OutputDescription {
                        r#type: s::OutputType::HwPositionWithDuration as i32,
                        value: Some(s::Range { min: 0, max: 100 }),
                        duration: Some(s::Range { min: 0, max: 10000 }),
                    },
                ],
                inputs: vec![],
            },
            s::Feature {
                index: 1,
                description: "battery".into(),
                outputs: vec![],
                inputs: vec![s::InputDescription {
                    r#type: s::InputType::Battery as i32,
                    commands: vec![
                        s::InputCommandType::Read as i32,
                        s::InputCommandType::Subscribe as i32,
                    ],
                    value: vec![s::Range { min: 0, max: 100 }, s::Range { min: -5, max: 5 }],
                }],
            },
        ],
    }
}

fn requests() -> Vec<Request> {
    use request::Body as B;
    use s::debug_request::Action;
    use s::output_command::Value as Amount;
    vec![
        req(1, B::Connect(s::Connect { mode: None })),
        req(
            2,
            B::Connect(s::Connect {
                mode: Some(s::connect::Mode::Embedded(s::EmbeddedOptions {
                    server_name: "srv".into(),
                    max_ping_time_ms: 1000,
                    disabled_transports: 7,
                    serial_ports: vec!["/dev/ttyUSB0".into()],
                    device_config_json: "{\"version\":{}}".into(),
                    user_config_json: "{}".into(),
                    allowed_clients: vec!["a".into(), "b".into()],
                    simulator_scan_ms: 50,
                    lovense_api_port: 20010,
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
        output(8, 1, 2, s::OutputType::Rotate, Amount::Steps(-7), 0),
        output(9, 0, 0, s::OutputType::Vibrate, Amount::Fraction(0.25), 0),
        // A oneof member at its default value is still present.
        output(
            10,
            0,
            0,
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
        debug(21, Action::Panic(s::PanicSite::Task as i32)),
        debug(22, Action::SleepMs(5)),
        debug(23, Action::ShutdownServer(s::Empty {})),
    ]
}

fn responses() -> Vec<Response> {
    use response::Body as B;
    vec![
        resp(1, B::Ok(s::Empty {})),
        resp(
            2,
            B::Error(s::Error {
                code: s::ErrorCode::Device as i32,
                message: "no device 9".into(),
            }),
        ),
        resp(
            3,
            B::Connected(s::Connected {
                server_name: "Teleplug Server".into(),
                max_ping_time_ms: 100,
                protocol_version_major: 4,
                protocol_version_minor: 1,
                devices: vec![device()],
            }),
        ),
        resp(
            4,
            B::DeviceList(s::DeviceList {
                devices: vec![device(), device()],
            }),
        ),
        resp(
            5,
            B::InputReading(s::InputReading {
                device_index: 0,
                feature_index: 1,
                r#type: s::InputType::Battery as i32,
                value: 87,
            }),
        ),
        resp(
            0,
            B::DeviceAdded(s::DeviceAdded {
                device: Some(device()),
            }),
        ),
        resp(
            0,
            B::DeviceRemoved(s::DeviceRemoved {
                device: Some(device()),
            }),
        ),
        resp(
            0,
            B::DeviceListChanged(s::DeviceList {
                devices: vec![device()],
            }),
        ),
        resp(0, B::ScanningFinished(s::Empty {})),
        resp(
            0,
            B::ServerDisconnected(s::ServerDisconnected {
                reason: "ping timeout".into(),
            }),
        ),
        resp(
            0,
            B::Log(s::LogRecord {
                level: s::LogLevel::Warn as i32,
                target: "teleplug::server".into(),
                message: "scanning unavailable".into(),
            }),
        ),
        resp(
            0,
            B::SimulatorOp(s::SimulatorOp {
                address: "aa:bb".into(),
                kind: s::SimulatorOpKind::Write as i32,
                endpoint: "tx".into(),
                data: b"Vibrate:10;".to_vec(),
                text: "Vibrate:10;".into(),
                write_with_response: true,
                protocol: String::new(),
                name: String::new(),
            }),
        ),
        resp(
            0,
            B::SimulatorOp(s::SimulatorOp {
                address: "aa:bb".into(),
                kind: s::SimulatorOpKind::Connected as i32,
                protocol: "lovense".into(),
                name: "Lovense Hush".into(),
                ..Default::default()
            }),
        ),
        resp(
            0,
            B::Closed(s::Closed {
                reason: "the context shut down".into(),
            }),
        ),
    ]
}

/// protobuf → value, JSON → value agree; protobuf → JSON → protobuf is byte-identical.
fn round_trip<M>(m: &M) -> Value
where
    M: Message
        + Default
        + PartialEq
        + std::fmt::Debug
        + serde::Serialize
        + serde::de::DeserializeOwned,
{
    let pb = m.encode_to_vec();
    let from_pb = M::decode(pb.as_slice()).expect("protobuf decodes");
    assert_eq!(&from_pb, m);
    let json = serde_json::to_string(m).expect("JSON encodes");
    let from_json: M = serde_json::from_str(&json).expect("JSON decodes");
    assert_eq!(&from_json, m, "JSON {json}");
    let json_of_pb = serde_json::to_string(&from_pb).unwrap();
    let back: M = serde_json::from_str(&json_of_pb).unwrap();
    assert_eq!(
        back.encode_to_vec(),
        pb,
        "protobuf → JSON → protobuf: {json_of_pb}"
    );
    serde_json::from_str(&json).unwrap()
}

#[test]
fn every_request_round_trips_in_both_encodings() {
    for r in requests() {
        round_trip(&r);
    }
}

#[test]
fn every_response_round_trips_in_both_encodings() {
    for r in responses() {
        round_trip(&r);
    }
}

/// The names of the members of `oneof body` of a message, as lowerCamelCase JSON names.
fn oneof_members(message: &str, oneof: &str) -> Vec<String> {
    let fds = prost_types::FileDescriptorSet::decode(s::DESCRIPTOR_SET).expect("descriptor");
    let file = fds
        .file
        .iter()
        .find(|f| f.package() == "teleplug.v1")
        .expect("package teleplug.v1");
    let msg = file
        .message_type
        .iter()
        .find(|m| m.name() == message)
        .unwrap_or_else(|| panic!("message {message}"));
    let index = msg
        .oneof_decl
        .iter()
        .position(|o| o.name() == oneof)
        .expect("oneof") as i32;
    msg.field
        .iter()
        .filter(|f| f.oneof_index == Some(index) && !f.proto3_optional())
        .map(|f| f.json_name().to_string())
        .collect()
}

/// The JSON name of the body member each message carries.
fn body_members<M: serde::Serialize>(messages: &[M]) -> Vec<String> {
    messages
        .iter()
        .map(|m| {
            let v = serde_json::to_value(m).unwrap();
            let keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
            keys.into_iter()
                .find(|k| k != "id" && k != "schemaVersion")
                .unwrap()
        })
        .collect()
}

#[test]
fn samples_cover_every_request_and_response_body() {
    let seen_req = body_members(&requests());
    for member in oneof_members("Request", "body") {
        assert!(seen_req.contains(&member), "no Request sample for {member}");
    }
    let seen_resp = body_members(&responses());
    for member in oneof_members("Response", "body") {
        assert!(
            seen_resp.contains(&member),
            "no Response sample for {member}"
        );
    }
    // Every message type of the schema appears somewhere in the samples.
    let fds = prost_types::FileDescriptorSet::decode(s::DESCRIPTOR_SET).unwrap();
    let all_json = format!(
        "{}{}",
        serde_json::to_string(
            &requests()
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect::<Vec<_>>()
        )
        .unwrap(),
        serde_json::to_string(
            &responses()
                .iter()
                .map(|r| serde_json::to_value(r).unwrap())
                .collect::<Vec<_>>()
        )
        .unwrap()
    );
    for m in &fds.file[0].message_type {
        for f in &m.field {
            // Every field of every message appears as a key (samples set non-default values).
            let key = format!("\"{}\"", f.json_name());
            assert!(
                all_json.contains(&key),
                "field {}.{} never set in the samples",
                m.name(),
                f.name()
            );
        }
    }
}

#[test]
fn json_follows_the_proto3_mapping() {
    let v = round_trip(&requests()[1]);
    // lowerCamelCase names, writers omit defaults, oneof as its member key.
    assert_eq!(v["connect"]["embedded"]["maxPingTimeMs"], 1000);
    assert_eq!(v["schemaVersion"], 1);
    let v = round_trip(&requests()[7]);
    assert_eq!(
        v,
        json!({"id": 8, "schemaVersion": 1, "output": {"deviceIndex": 1, "featureIndex": 2,
               "type": "OUTPUT_TYPE_ROTATE", "steps": -7}})
    );
    // A oneof member at its default value is written.
    let v = round_trip(&requests()[9]);
    assert_eq!(v["output"]["steps"], 0);
    assert!(v["output"].get("deviceIndex").is_none(), "defaults omitted");
    // bytes are base64.
    let v = round_trip(&requests()[17]);
    assert_eq!(v["simulatorNotify"]["data"], "MTI7");
    // proto3 optional fields at their default are written when set.
    let v = round_trip(&requests()[11]);
    assert_eq!(v["stop"]["deviceIndex"], 0);
    assert_eq!(v["stop"]["inputs"], false);
    // An empty message is an empty object.
    assert_eq!(
        round_trip(&responses()[0]),
        json!({"id": 1, "schemaVersion": 1, "ok": {}})
    );
}

#[test]
fn json_readers_are_lenient_as_proto3_requires() {
    // Original field names, enum integers, unknown fields ignored, missing fields default.
    let r: Request = serde_json::from_str(
        r#"{"id": 8, "schema_version": 1, "future_field": [1, 2],
            "output": {"device_index": 1, "feature_index": 2, "type": 2, "steps": -7,
                       "something_new": {"x": 1}}}"#,
    )
    .expect("lenient JSON decodes");
    assert_eq!(r, requests()[7]);
    let r: Request = serde_json::from_str(r#"{"id": 5, "startScanning": {}}"#).unwrap();
    assert_eq!(r.schema_version, 0);
    assert!(matches!(r.body, Some(request::Body::StartScanning(_))));
    // Unknown protobuf fields are skipped too.
    let mut pb = requests()[13].encode_to_vec();
    pb.extend_from_slice(&[0xf8, 0x3e, 0x01]); // field 999, varint 1
    assert_eq!(Request::decode(pb.as_slice()).unwrap(), requests()[13]);
}

/// The transport table of the library and the schema's `TransportBit` (the wire contract)
/// agree: each transport has the bit `TRANSPORT_BIT_<NAME>`, and every bit but NONE has a
/// transport.
#[test]
fn the_transport_table_and_the_schemas_transport_bits_agree() {
    use teleplug::hardware::TRANSPORTS;
    for t in TRANSPORTS {
        let name = format!("TRANSPORT_BIT_{}", t.name.to_uppercase().replace('-', "_"));
        let bit = s::TransportBit::from_str_name(&name)
            .unwrap_or_else(|| panic!("{name} is not in proto/teleplug.proto"));
        assert_eq!(bit as u32, t.bit, "{name}");
    }
    let descriptor = prost_types::FileDescriptorSet::decode(s::DESCRIPTOR_SET).unwrap();
    let bits = descriptor
        .file
        .iter()
        .flat_map(|f| &f.enum_type)
        .find(|e| e.name() == "TransportBit")
        .expect("TransportBit");
    for v in bits.value.iter().filter(|v| v.number() != 0) {
        assert!(
            TRANSPORTS.iter().any(|t| t.bit == v.number() as u32),
            "{} has no transport in src/hardware/transports.rs",
            v.name()
        );
    }
}

/// The bindings' generated tables (Python's ctypes module, the C# and C++ enum tables) are what
/// their generators make of the committed header and schema.
#[test]
fn the_bindings_generated_tables_are_fresh() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    for generator in [
        "bindings/python/tools/gen_ffi.py",
        "bindings/tools/gen_enums.py",
    ] {
        let out = std::process::Command::new("python3")
            .arg(root.join(generator))
            .arg("--check")
            .output()
            .unwrap_or_else(|e| panic!("python3 {generator}: {e}"));
        assert!(
            out.status.success(),
            "{generator} --check: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
