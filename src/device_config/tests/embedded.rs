//! The embedded database (v5.57) loads and matches the counts of data/device-config/README.md.
//! Counts of the file itself are taken from the file model (`parse_base`, without Teleplug's
//! additions); the loaded database is the file plus the additions (see `additions`).

use std::collections::{BTreeMap, HashSet};

use crate::device_config::db::EMBEDDED_JSON;
use crate::device_config::load::{BaseFile, parse_base};
use crate::device_config::{CommunicationSpecifier, DeviceConfig};
use crate::wire::{InputType, OutputType};

fn file() -> BaseFile {
    parse_base(EMBEDDED_JSON, "embedded").expect("embedded database parses")
}

#[test]
fn loads_with_version_and_protocols() {
    let c = DeviceConfig::embedded();
    assert_eq!(c.version(), (5, 57));
    assert_eq!(file().protocols.len(), 149);
    let names = c.protocol_names();
    // The file's 149 and Teleplug's addition (nintendo-joycon).
    assert_eq!(names.len(), 150);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted);
    for key in [
        "lovense",
        "sdl-gamepad",
        "simulated",
        "xinput",
        "nintendo-joycon",
    ] {
        assert!(names.iter().any(|n| n == key), "{key}");
    }
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
    let file = file();
    let configurations: usize = file.protocols.iter().map(|p| p.configurations.len()).sum();
    assert_eq!(configurations, 806);
    let with_configurations = file
        .protocols
        .iter()
        .filter(|p| !p.configurations.is_empty())
        .count();
    assert_eq!(with_configurations, 82);
    let defaults_only = file.protocols.len() - with_configurations;
    assert_eq!(defaults_only, 67);
    assert_eq!(configurations + defaults_only, 873, "device entries");
    let names: HashSet<&str> = file
        .protocols
        .iter()
        .flat_map(|p| &p.configurations)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(names.len(), 761);
    let ids: HashSet<_> = file
        .protocols
        .iter()
        .flat_map(|p| std::iter::once(&p.defaults).chain(&p.configurations))
        .map(|t| t.id)
        .collect();
    assert_eq!(ids.len(), 950, "ids repeat (V5-CHANGES.md §4)");
    // Loaded: every definition of the file (955) and the addition's one.
    assert_eq!(DeviceConfig::embedded().all_definitions().len(), 956);
}

#[test]
fn feature_and_type_counts() {
    // Count feature entries as written (not inherited), so read the file model directly.
    let file = file();
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
    assert_eq!(features, 1155);
    assert_eq!(identifiers, 952);
    let o = |t| outputs.get(&t).copied().unwrap_or(0);
    assert_eq!(o(OutputType::Vibrate), 739);
    assert_eq!(o(OutputType::Oscillate), 126);
    assert_eq!(o(OutputType::Rotate), 65);
    assert_eq!(o(OutputType::Constrict), 50);
    assert_eq!(o(OutputType::HwPositionWithDuration), 24);
    assert_eq!(o(OutputType::Temperature), 21);
    assert_eq!(o(OutputType::Spray), 2);
    assert_eq!(o(OutputType::Led), 2);
    assert_eq!(o(OutputType::Position), 5);
    assert_eq!(outputs.values().sum::<usize>(), 1034);
    assert_eq!(inputs.get(&InputType::Battery), Some(&119));
    assert_eq!(inputs.get(&InputType::Pressure), Some(&2));
    assert_eq!(inputs.values().sum::<usize>(), 121);
    assert_eq!(
        gaps,
        vec![("tcode-v03", 20), ("thehandy", 50), ("thehandy-v3", 50)]
    );
    // 7 vorze-sa configurations and 2 sdl-gamepad layouts.
    assert_eq!(variants, 9);
}

#[test]
fn range_facts() {
    let file = file();
    let mut bidirectional = 0;
    let mut unidirectional = 0;
    for p in &file.protocols {
        for t in std::iter::once(&p.defaults).chain(&p.configurations) {
            for o in t.features.iter().flatten().flat_map(|f| &f.outputs) {
                match o.output_type {
                    // umove's [37, 42] warm-up temperature is read as [0, 42].
                    OutputType::Temperature if p.name == "umove" => {
                        assert_eq!(o.base_range, (0, 42))
                    }
                    OutputType::Temperature | OutputType::Led | OutputType::Spray => {
                        assert_eq!(o.base_range, (0, 1), "{}", p.name)
                    }
                    OutputType::Rotate if o.base_range.0 < 0 => {
                        assert_eq!(o.base_range.0, -o.base_range.1);
                        bidirectional += 1;
                    }
                    OutputType::Rotate => unidirectional += 1,
                    _ => assert!(o.base_range.0 >= 0, "{} {:?}", p.name, o),
                }
            }
        }
    }
    assert_eq!((bidirectional, unidirectional), (17, 48));
}

#[test]
fn specifier_counts() {
    let c = DeviceConfig::embedded();
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for p in c.protocol_names() {
        let specs = c.communication(&p);
        assert!(!specs.is_empty(), "{p} has no communication");
        for s in specs {
            *counts.entry(s.key()).or_default() += 1;
        }
    }
    let expected: BTreeMap<&str, usize> = [
        ("btle", 139),
        ("serial", 4),
        // 2 in the file, 1 of the addition (nintendo-joycon).
        ("hid", 3),
        ("usb", 1),
        ("xinput", 1),
        ("lovense_connect_service", 1),
        ("sdl-gamepad", 1),
        ("simulated", 1),
    ]
    .into_iter()
    .collect();
    assert_eq!(counts, expected);
    assert_eq!(
        c.communication("simulated"),
        vec![CommunicationSpecifier::Simulated {
            names: [
                "simulated-1vibe",
                "simulated-2vibe",
                "simulated-rotator",
                "simulated-oscillator",
                "simulated-stroker"
            ]
            .map(String::from)
            .to_vec()
        }]
    );
    assert_eq!(
        c.communication("sdl-gamepad"),
        vec![CommunicationSpecifier::SdlGamepad]
    );
}

#[test]
fn endpoint_usage() {
    // README: tx 182, rx 97 (endpoint names used in BLE service maps).
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
    assert_eq!((tx, rx), (182, 97));
}

#[test]
fn parse_time_is_reported() {
    // Informational: the start-up budget (≤ 20 ms in release) is checked by hand with
    // `cargo test --release --lib device_config::tests::embedded -- --nocapture`.
    let start = std::time::Instant::now();
    let c = DeviceConfig::from_base_json(EMBEDDED_JSON).expect("parses");
    println!("device database parse + index: {:?}", start.elapsed());
    assert_eq!(c.protocol_names().len(), 150);
}
