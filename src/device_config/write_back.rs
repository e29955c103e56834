//! Writing a user device config back with newly seen devices, so device indexes persist
//! (docs/PROTOCOL.md §6.6). The file is the one read, changed only by appending to
//! `user_configs.devices`: every key, known to this version or not, valid or not, comes back with
//! its value and in its place (`raw_json`), so nothing a user wrote is lost
//! (the reference lost custom entries to its write-back, intiface-central issue 121). The file
//! keeps the major version it was read in (a v4 user keeps a v4 file that Intiface Engine 3 still
//! reads); a config written from scratch gets the version of the base database in use (the
//! embedded v5.57, as the reference writes). Putting the text on disk is `user_file`'s job.

use std::collections::HashSet;

use indexmap::IndexMap;
use serde_json::{Map, Value, json};

use super::raw_json::RawJson;
use super::user::{UserLayer, fresh_id};
use super::{DeviceDefinition, DeviceIdentity};

/// The user config as JSON with an entry appended for each new device: its identity, the given
/// name, fresh ids, the definition it resolves to as `base_id`, one feature entry per feature,
/// and `user_config` `{allow: false, deny: false, index}`. Everything else is the file as read.
/// Devices that already have a valid entry, repeats within `new_devices`, and devices whose
/// definition cannot be resolved are skipped. `base_version` is the version of the base
/// database, written when there is no user config yet.
pub(super) fn write_user_config(
    layer: Option<&UserLayer>,
    base_version: (u32, u32),
    new_devices: &[(DeviceIdentity, u32, String)],
    resolve: impl Fn(&DeviceIdentity) -> Option<DeviceDefinition>,
) -> String {
    let mut root = match layer {
        Some(l) => l.raw.clone(),
        None => {
            let (major, minor) = base_version;
            let mut root = IndexMap::new();
            root.insert(
                "version".to_string(),
                RawJson::from_value(json!({"major": major, "minor": minor})),
            );
            root.insert(
                "user_configs".to_string(),
                RawJson::from_value(json!({"protocols": {}, "devices": []})),
            );
            root
        }
    };
    let mut added = HashSet::new();
    let mut entries = Vec::new();
    for (identity, index, name) in new_devices {
        if layer.is_some_and(|l| l.devices.contains_key(identity)) || !added.insert(identity) {
            continue;
        }
        let Some(def) = resolve(identity) else {
            tracing::warn!("user device config: cannot record {identity:?}: unknown protocol");
            continue;
        };
        entries.push(RawJson::from_value(device_entry(
            identity, *index, name, &def,
        )));
    }
    if !entries.is_empty() {
        if let Some(devices) = devices_of(&mut root) {
            devices.extend(entries);
        }
    }
    serde_json::to_string_pretty(&root).unwrap_or_default()
}

/// `user_configs.devices` of a document, created (at the end of its object) when missing. The
/// loader refused files where either is of another type; a null counts as missing.
fn devices_of(root: &mut IndexMap<String, RawJson>) -> Option<&mut Vec<RawJson>> {
    let user_configs = root
        .entry("user_configs".to_string())
        .or_insert_with(|| RawJson::Object(IndexMap::new()));
    if user_configs.as_object_mut().is_none() {
        *user_configs = RawJson::Object(IndexMap::new());
    }
    let devices = user_configs
        .as_object_mut()?
        .entry("devices".to_string())
        .or_insert_with(|| RawJson::Array(Vec::new()));
    if devices.as_array_mut().is_none() {
        *devices = RawJson::Array(Vec::new());
    }
    devices.as_array_mut()
}

/// The entry recording a device seen for the first time.
fn device_entry(
    identity: &DeviceIdentity,
    index: u32,
    name: &str,
    def: &DeviceDefinition,
) -> Value {
    let mut id = Map::new();
    id.insert("address".into(), json!(identity.address));
    id.insert("protocol".into(), json!(identity.protocol));
    if let Some(ident) = &identity.identifier {
        id.insert("identifier".into(), json!(ident));
    }
    let features: Vec<Value> = def
        .features
        .iter()
        .map(|f| json!({"id": fresh_id().to_string(), "base_id": f.id.to_string()}))
        .collect();
    json!({
        "identifier": id,
        "config": {
            "name": name,
            "id": fresh_id().to_string(),
            "base_id": def.id.to_string(),
            "features": features,
            "user_config": {"allow": false, "deny": false, "index": index},
        }
    })
}
