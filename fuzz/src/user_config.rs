//! `user_config`: a user device config file loaded on top of the embedded device database
//! (`DeviceConfig::with_user_config_json`), written back (`user_config_json_with`) and loaded
//! again, as `teleplug serve --user-device-config` and the engine's index persistence do.
//!
//! Checked besides "no panic":
//! - a config that loads and is written back loads again, to the same result: the same
//!   specifiers per protocol, reserved indexes, allow/deny answers and resolved definitions for
//!   every identity and configuration identifier the file names; writing it back again gives the
//!   same text (a fixed point);
//! - recording new devices (one per device entry of the file, at a fresh address) pins each to
//!   its index on reload, with the definition it had before (fresh ids, the recorded name).

use std::sync::LazyLock;

use serde_json::Value;
use teleplug::device_config::{DeviceConfig, DeviceDefinition, DeviceIdentity};

static BASE: LazyLock<DeviceConfig> = LazyLock::new(DeviceConfig::embedded);

/// At most this many new devices are recorded per input.
const MAX_NEW_DEVICES: usize = 4;

/// Load `data` as a user config and check its write-back.
pub fn run(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let Ok(loaded) = BASE.with_user_config_json(text) else {
        return;
    };
    let written = loaded.user_config_json_with(&[]);
    let reloaded = match BASE.with_user_config_json(&written) {
        Ok(c) => c,
        Err(e) => panic!("the written-back config does not load ({e}):\n{written}"),
    };
    let probes = Probes::of(&written);
    probes.assert_same(&loaded, &reloaded, &written);
    assert_eq!(
        reloaded.user_config_json_with(&[]),
        written,
        "writing back is not a fixed point"
    );
    record_new_devices(&loaded, &probes);
}

/// What to ask both configs: identities of device entries, (protocol, identifier) pairs of
/// user-added configurations, and the protocols the file names.
#[derive(Default)]
struct Probes {
    identities: Vec<DeviceIdentity>,
    configurations: Vec<DeviceIdentity>,
    protocols: Vec<String>,
}

impl Probes {
    /// Read the probes from a written-back config (normalised JSON of what was loaded).
    fn of(written: &str) -> Probes {
        let mut probes = Probes::default();
        let Ok(doc) = serde_json::from_str::<Value>(written) else {
            return probes;
        };
        let devices = doc
            .pointer("/user_configs/devices")
            .and_then(Value::as_array);
        for entry in devices.into_iter().flatten() {
            let field = |name: &str| {
                entry
                    .pointer(&format!("/identifier/{name}"))
                    .and_then(Value::as_str)
                    .map(str::to_string)
            };
            if let (Some(address), Some(protocol)) = (field("address"), field("protocol")) {
                probes.identities.push(DeviceIdentity {
                    address,
                    protocol,
                    identifier: field("identifier"),
                });
            }
        }
        let protocols = doc
            .pointer("/user_configs/protocols")
            .and_then(Value::as_object);
        for (name, p) in protocols.into_iter().flatten() {
            probes.protocols.push(name.clone());
            let lists = [
                p.get("configurations"),
                p.pointer("/devices/configurations"),
            ];
            for item in lists
                .into_iter()
                .flatten()
                .filter_map(Value::as_array)
                .flatten()
            {
                let identifiers = item.get("identifier").and_then(Value::as_array);
                for ident in identifiers.into_iter().flatten().filter_map(Value::as_str) {
                    probes.configurations.push(DeviceIdentity {
                        address: "fuzz-probe".into(),
                        protocol: name.clone(),
                        identifier: Some(ident.to_string()),
                    });
                }
            }
        }
        probes
    }

    fn assert_same(&self, a: &DeviceConfig, b: &DeviceConfig, written: &str) {
        assert_eq!(a.reserved_indexes(), b.reserved_indexes(), "{written}");
        for p in &self.protocols {
            assert_eq!(a.communication(p), b.communication(p), "{p}: {written}");
        }
        for id in self.identities.iter().chain(&self.configurations) {
            assert_eq!(a.resolve(id), b.resolve(id), "{id:?}: {written}");
            assert_eq!(
                a.is_allowed(&id.address),
                b.is_allowed(&id.address),
                "{id:?}: {written}"
            );
        }
    }
}

/// Record devices like the ones the file names, at fresh addresses, and check that each one
/// that had no entry is pinned to its index after a reload, with an unchanged definition.
fn record_new_devices(loaded: &DeviceConfig, probes: &Probes) {
    let new: Vec<(DeviceIdentity, u32, String)> = probes
        .identities
        .iter()
        .chain(&probes.configurations)
        .take(MAX_NEW_DEVICES)
        .enumerate()
        .map(|(i, id)| {
            let identity = DeviceIdentity {
                address: format!("fuzz-new-{i}"),
                ..id.clone()
            };
            (identity, 100 + i as u32, format!("Fuzz device {i}"))
        })
        .collect();
    if new.is_empty() {
        return;
    }
    let written = loaded.user_config_json_with(&new);
    let reloaded = match BASE.with_user_config_json(&written) {
        Ok(c) => c,
        Err(e) => panic!("the config with new devices does not load ({e}):\n{written}"),
    };
    for (identity, index, name) in &new {
        let Some(before) = loaded.resolve(identity) else {
            continue; // unknown protocol: not recorded
        };
        if before.user_index.is_some() {
            continue; // already had an entry: kept as it was
        }
        let Some(after) = reloaded.resolve(identity) else {
            panic!("{identity:?} no longer resolves:\n{written}");
        };
        assert_eq!(after.user_index, Some(*index), "{identity:?}:\n{written}");
        assert_eq!(&after.name, name, "{identity:?}:\n{written}");
        assert_eq!(
            without_ids(after),
            without_ids(before),
            "{identity:?} changed definition:\n{written}"
        );
    }
}

/// A definition without what recording a device changes: ids, name and pinned index.
fn without_ids(mut d: DeviceDefinition) -> DeviceDefinition {
    d.id = Default::default();
    d.name.clear();
    d.user_index = None;
    for f in &mut d.features {
        f.id = Default::default();
    }
    d
}
