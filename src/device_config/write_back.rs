//! Writing a user device config back with newly seen devices, so device indexes persist
//! (docs/PROTOCOL.md §6.6). The file keeps the major version it was read in (a v4 user keeps a v4
//! file that Intiface Engine 3 still reads); a config written from scratch gets the version of
//! the base database in use (the embedded v5.57, as the reference writes).

use std::collections::HashSet;

use super::user::{UserLayer, fresh_id};
use super::{DeviceDefinition, DeviceIdentity};
use serde_json::{Map, Value, json};

/// The user config as JSON with an entry appended for each new device: its identity, the given
/// name, fresh ids, the definition it resolves to as `base_id`, one feature entry per feature,
/// and `user_config` `{allow: false, deny: false, index}`. Existing protocol, device and
/// simulated-device entries are written back verbatim (invalid ones too, so nothing the user
/// wrote is lost). Devices that already have a valid entry, repeats within `new_devices`, and
/// devices whose definition cannot be resolved are skipped. `base_version` is the version of the
/// base database, written when there is no user config yet.
pub(super) fn write_user_config(
    layer: Option<&UserLayer>,
    base_version: (u32, u32),
    new_devices: &[(DeviceIdentity, u32, String)],
    resolve: impl Fn(&DeviceIdentity) -> Option<DeviceDefinition>,
) -> String {
    let protocols = layer
        .and_then(|l| l.raw_protocols.clone())
        .unwrap_or_else(|| Value::Object(Map::new()));
    let mut devices: Vec<Value> = layer.map(|l| l.raw_devices.clone()).unwrap_or_default();
    let mut added = HashSet::new();
    for (identity, index, name) in new_devices {
        if layer.is_some_and(|l| l.devices.contains_key(identity)) || !added.insert(identity) {
            continue;
        }
        let Some(def) = resolve(identity) else {
            tracing::warn!("user device config: cannot record {identity:?}: unknown protocol");
            continue;
        };
        devices.push(device_entry(identity, *index, name, &def));
    }
    let (major, minor) = layer.map_or(base_version, |l| l.version);
    let mut user_configs = Map::new();
    user_configs.insert("protocols".into(), protocols);
    user_configs.insert("devices".into(), Value::Array(devices));
    if let Some(l) = layer.filter(|l| !l.raw_simulated.is_empty()) {
        user_configs.insert(
            "simulated_devices".into(),
            Value::Array(l.raw_simulated.clone()),
        );
    }
    let doc = json!({
        "version": {"major": major, "minor": minor},
        "user_configs": user_configs,
    });
    serde_json::to_string_pretty(&doc).unwrap_or_default()
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
