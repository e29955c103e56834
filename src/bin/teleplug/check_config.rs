//! `teleplug check-device-config FILE`: what Teleplug can and cannot drive of a device database
//! file of any major it reads (e.g. a newer release of the buttplug project's database), so
//! that the next database update is a checklist (CONTRIBUTING.md, "Update the device
//! database"). It uses the library's loader, protocol table and matching rules, so its answers
//! are the server's.
//!
//! Printed: the file's version, protocol and device-entry counts; the protocols Teleplug drives;
//! those it does not (with their device names); those Teleplug drives that the file lacks
//! (noting the ones Teleplug's additions supply); the protocols whose communication types no
//! Teleplug transport uses. Exit 0 when every protocol of the file can be driven, 1 when one
//! cannot, 2 when the file cannot be read.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use teleplug::device_config::DeviceConfig;
use teleplug::protocols;

use crate::Failure;

/// Width the lists of keys are wrapped at.
const WIDTH: usize = 100;

#[derive(Args, Debug)]
pub struct CheckArgs {
    /// The device database file to check (buttplug device config JSON, major 4 or 5).
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
}

/// One protocol of the file.
struct Protocol {
    key: String,
    /// Its device entries: the configurations, or the defaults when it has none.
    entries: usize,
    /// The entries' names, each once.
    devices: Vec<String>,
    implemented: bool,
    /// Communication types of the protocol no Teleplug transport uses.
    unusable: Vec<&'static str>,
    /// Whether some communication type of the protocol is used by a Teleplug transport.
    reachable: bool,
}

impl Protocol {
    fn drivable(&self) -> bool {
        self.implemented && self.reachable
    }
}

/// What Teleplug makes of a database file.
struct Report {
    version: (u32, u32),
    protocols: Vec<Protocol>,
    /// Keys Teleplug implements that the file lacks, with whether the additions supply them.
    missing: Vec<(String, bool)>,
}

impl Report {
    fn of(config: &DeviceConfig) -> Report {
        let added: BTreeSet<&str> = config
            .teleplug_additions()
            .iter()
            .map(String::as_str)
            .collect();
        let definitions = config.all_definitions();
        let protocols: Vec<Protocol> = config
            .protocol_names()
            .into_iter()
            .filter(|key| !added.contains(key.as_str()))
            .map(|key| {
                let of_key = || definitions.iter().filter(|d| d.protocol == key);
                let configurations: Vec<String> = of_key()
                    .filter(|d| d.identifier.is_some())
                    .map(|d| d.name.clone())
                    .collect();
                let mut devices: Vec<String> = if configurations.is_empty() {
                    of_key().map(|d| d.name.clone()).collect()
                } else {
                    configurations
                };
                let entries = devices.len();
                let mut seen = BTreeSet::new();
                devices.retain(|n| seen.insert(n.clone()));
                let communication = config.communication(&key);
                let mut unusable: Vec<&'static str> = communication
                    .iter()
                    .filter(|s| !s.is_reachable())
                    .map(|s| s.key())
                    .collect();
                unusable.dedup();
                Protocol {
                    implemented: protocols::lookup(&key).is_some(),
                    reachable: communication.iter().any(|s| s.is_reachable()),
                    key,
                    entries,
                    devices,
                    unusable,
                }
            })
            .collect();
        let in_file: BTreeSet<&str> = protocols.iter().map(|p| p.key.as_str()).collect();
        let missing = protocols::supported_protocols()
            .filter(|k| !in_file.contains(k))
            .map(|k| (k.to_string(), added.contains(k)))
            .collect();
        Report {
            version: config.version(),
            protocols,
            missing,
        }
    }

    fn cannot_drive(&self) -> usize {
        self.protocols.iter().filter(|p| !p.drivable()).count()
    }

    fn render(&self, file: &str) -> String {
        let mut out = String::new();
        let entries = |ps: &[&Protocol]| ps.iter().map(|p| p.entries).sum::<usize>();
        let all: Vec<&Protocol> = self.protocols.iter().collect();
        let _ = writeln!(
            out,
            "{file}: device database {}.{}, {} protocols, {} device entries",
            self.version.0,
            self.version.1,
            all.len(),
            entries(&all)
        );

        let driven: Vec<&Protocol> = all.iter().copied().filter(|p| p.drivable()).collect();
        let _ = writeln!(
            out,
            "\nDriven by Teleplug: {} protocols, {} device entries",
            driven.len(),
            entries(&driven)
        );
        wrap(&mut out, driven.iter().map(|p| p.key.clone()));

        let not_implemented: Vec<&Protocol> =
            all.iter().copied().filter(|p| !p.implemented).collect();
        let _ = writeln!(
            out,
            "\nNot implemented by Teleplug: {} protocols, {} device entries",
            not_implemented.len(),
            entries(&not_implemented)
        );
        for p in &not_implemented {
            let _ = writeln!(out, "  {}: {}", p.key, p.devices.join(", "));
        }

        let unusable: Vec<&Protocol> = all
            .iter()
            .copied()
            .filter(|p| !p.unusable.is_empty())
            .collect();
        let _ = writeln!(
            out,
            "\nCommunication types no Teleplug transport uses: {} protocols",
            unusable.len()
        );
        for p in &unusable {
            let reach = if p.reachable {
                "also reachable another way"
            } else {
                "cannot be reached"
            };
            let _ = writeln!(out, "  {}: {} ({reach})", p.key, p.unusable.join(", "));
        }

        let _ = writeln!(
            out,
            "\nImplemented by Teleplug but not in this file: {} protocols",
            self.missing.len()
        );
        wrap(
            &mut out,
            self.missing.iter().map(|(k, added)| {
                if *added {
                    format!("{k} (supplied by Teleplug's additions)")
                } else {
                    k.clone()
                }
            }),
        );

        let n = self.cannot_drive();
        let _ = writeln!(
            out,
            "\n{}",
            if n == 0 {
                "Every protocol of the file can be driven.".to_string()
            } else {
                format!("{n} protocols of the file cannot be driven.")
            }
        );
        out
    }
}

/// Appends `items` as comma-separated lines of at most [`WIDTH`] characters, indented by two.
fn wrap(out: &mut String, items: impl Iterator<Item = String>) {
    let mut line = String::new();
    for item in items {
        if !line.is_empty() && line.len() + item.len() + 2 > WIDTH {
            let _ = writeln!(out, "  {line},");
            line.clear();
        }
        if !line.is_empty() {
            line.push_str(", ");
        }
        line.push_str(&item);
    }
    let _ = writeln!(out, "  {}", if line.is_empty() { "none" } else { &line });
}

/// Prints the report; exit 1 when a protocol cannot be driven, 2 when the file cannot be read.
pub fn run(args: &CheckArgs) -> Result<(), Failure> {
    let config =
        DeviceConfig::from_base_file(&args.file).map_err(|e| Failure::Usage(e.to_string()))?;
    let report = Report::of(&config);
    print!("{}", report.render(&args.file.display().to_string()));
    match report.cannot_drive() {
        0 => Ok(()),
        n => Err(Failure::Runtime(format!(
            "{n} protocols of {} cannot be driven",
            args.file.display()
        ))),
    }
}
