//! The embedded database loads and matches the counts of data/device-config/README.md.

use std::collections::{BTreeMap, HashSet};

use crate::device_config::db::EMBEDDED_JSON;
use crate::device_config::load::parse_base;
use crate::device_config::{CommunicationSpecifier, DeviceConfig};
use crate::wire::{InputType, OutputType};

#[test]
fn loads_with_version_and_protocols() {
    let c = DeviceConfig::embedded();
    assert_eq!(c.version(), (4, 189));
    let names = c.protocol_names();
    assert_eq!(names.len(), 139);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    assert!(names.iter().any(|n| n == "lovense"));
}

#[test]
fn embedded_is_shared() {
    // Parsed once: every call hands out the same Arc.
    let a = format!("{:?}", DeviceConfig::embedded());
    let b = format!("{:?}", DeviceConfig::embedded());
    assert_eq!(a, b);
}

#[test]
fn definition_counts() {
    let defs = DeviceConfig::embedded().all_definitions();
    assert_eq!(defs.len(), 872);
    let configurations = defs.iter().filter(|d| d.identifier.is_some()).count();
    assert_eq!(configurations, 733);
    let with_configurations: HashSet<&str> = defs
        .iter()
        .filter(|d| d.identifier.is_some())
        .map(|d| d.protocol.as_str())
        .collect();
    assert_eq!(with_configurations.len(), 72);
    let defaults_only = 139 - with_configurations.len();
    assert_eq!(defaults_only, 67);
    assert_eq!(configurations + defaults_only, 800);
    let names: HashSet<&str> = defs
        .iter()
        .filter(|d| d.identifier.is_some())
        .map(|d| d.name.as_str())
        .collect();
    assert_eq!(names.len(), 688);
    let ids: HashSet<_> = defs.iter().map(|d| d.id).collect();
    assert_eq!(ids.len(), 869);
}

#[test]
fn feature_and_type_counts() {
    // Count feature entries as written (not inherited), so read the file model directly.
    let file = parse_base(EMBEDDED_JSON).expect("embedded database parses");
    let mut features = 0;
    let mut identifiers = 0;
    let mut outputs: BTreeMap<OutputType, usize> = BTreeMap::new();
    let mut inputs: BTreeMap<InputType, usize> = BTreeMap::new();
    let mut gaps = Vec::new();
    let mut variants = 0;
    for p in &file.protocols {
        if let Some(g) = p.defaults.message_gap_ms {
            gaps.push((p.name.as_str(), g));
        }
        variants += p
            .configurations
            .iter()
            .filter(|c| c.protocol_variant.is_some())
            .count();
        for t in std::iter::once(&p.defaults).chain(&p.configurations) {
            identifiers += t.identifiers.len();
            for f in t.features.iter().flatten() {
                features += 1;
                for o in &f.outputs {
                    *outputs.entry(o.output_type).or_default() += 1;
                }
                for i in &f.inputs {
                    *inputs.entry(i.input_type).or_default() += 1;
                }
            }
        }
    }
    assert_eq!(features, 1030);
    assert_eq!(identifiers, 873);
    let o = |t| outputs.get(&t).copied().unwrap_or(0);
    assert_eq!(o(OutputType::Vibrate), 678);
    assert_eq!(o(OutputType::Oscillate), 105);
    assert_eq!(o(OutputType::Rotate), 57);
    assert_eq!(o(OutputType::Constrict), 40);
    assert_eq!(o(OutputType::HwPositionWithDuration), 18);
    assert_eq!(o(OutputType::Temperature), 15);
    assert_eq!(o(OutputType::Spray), 2);
    assert_eq!(o(OutputType::Led), 2);
    assert_eq!(o(OutputType::Position), 1);
    assert_eq!(outputs.values().sum::<usize>(), 918);
    assert_eq!(inputs.get(&InputType::Battery), Some(&105));
    assert_eq!(inputs.get(&InputType::Pressure), Some(&2));
    assert_eq!(inputs.values().sum::<usize>(), 107);
    assert_eq!(
        gaps,
        vec![("tcode-v03", 20), ("thehandy", 50), ("thehandy-v3", 50)]
    );
    assert_eq!(variants, 7);
}

#[test]
fn range_facts() {
    let file = parse_base(EMBEDDED_JSON).expect("embedded database parses");
    let mut bidirectional = 0;
    let mut unidirectional = 0;
    for p in &file.protocols {
        for t in std::iter::once(&p.defaults).chain(&p.configurations) {
            for o in t.features.iter().flatten().flat_map(|f| &f.outputs) {
                match o.output_type {
                    OutputType::Temperature | OutputType::Led | OutputType::Spray => {
                        assert_eq!(o.base_range, (0, 1), "{}", p.name)
                    }
                    OutputType::Rotate if o.base_range.0 < 0 => {
                        assert_eq!(o.base_range.0, -o.base_range.1);
                        bidirectional += 1;
                    }
                    OutputType::Rotate => unidirectional += 1,
                    _ => {}
                }
            }
        }
    }
    assert_eq!((bidirectional, unidirectional), (15, 42));
}

#[test]
fn specifier_counts() {
    let c = DeviceConfig::embedded();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in c.protocol_names() {
        let specs = c.communication(&p);
        assert!(!specs.is_empty(), "{p} has no communication");
        for s in specs {
            let kind = match s {
                CommunicationSpecifier::Btle(_) => "btle",
                CommunicationSpecifier::Serial(_) => "serial",
                CommunicationSpecifier::Hid(_) => "hid",
                CommunicationSpecifier::Usb(_) => "usb",
                CommunicationSpecifier::XInput => "xinput",
                CommunicationSpecifier::LovenseConnectService => "lovense_connect_service",
                CommunicationSpecifier::Websocket { .. } => "websocket",
            };
            *counts.entry(kind).or_default() += 1;
        }
    }
    let expected: BTreeMap<&str, usize> = [
        ("btle", 130),
        ("serial", 4),
        ("hid", 3),
        ("usb", 1),
        ("xinput", 1),
        ("lovense_connect_service", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);
}

#[test]
fn endpoint_usage() {
    // README: tx 169, rx 89 (endpoint names used in BLE service maps).
    let c = DeviceConfig::embedded();
    let (mut tx, mut rx) = (0, 0);
    for p in c.protocol_names() {
        for s in c.communication(&p) {
            if let CommunicationSpecifier::Btle(b) = s {
                for m in b.services.values() {
                    tx += m.keys().filter(|e| e.name() == "tx").count();
                    rx += m.keys().filter(|e| e.name() == "rx").count();
                }
            }
        }
    }
    assert_eq!((tx, rx), (169, 89));
}

#[test]
fn parse_time_is_reported() {
    // Informational: the start-up budget (≤ 20 ms in release) is checked by hand with
    // `cargo test --release --lib device_config::tests::embedded -- --nocapture`.
    let start = std::time::Instant::now();
    let c = DeviceConfig::from_base_json(EMBEDDED_JSON).expect("parses");
    println!("device database parse + index: {:?}", start.elapsed());
    assert_eq!(c.protocol_names().len(), 139);
}
