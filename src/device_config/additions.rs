//! Teleplug's additions to the device database: protocols Teleplug drives that the embedded
//! database no longer lists, kept in `data/device-config/teleplug-additions.json` (same format
//! as a base database; its origin is in data/device-config/README.md). Today that is
//! `nintendo-joycon`, which database v5 dropped (data/device-config/V5-CHANGES.md §6.2) while
//! Teleplug still drives Joy-Cons over USB HID.
//!
//! The additions are layered over every base database when it is loaded (the embedded one and a
//! file given at run time), but only for keys the database does not define itself: a database
//! that has the key (v4 has `nintendo-joycon`, a later one may bring it back) always wins.

use once_cell::sync::Lazy;

use super::load::{self, Protocol};

/// The additions file, compiled in.
const ADDITIONS_JSON: &str = include_str!("../../data/device-config/teleplug-additions.json");

/// The parsed additions (parsed once; a test checks the file loads).
static ADDITIONS: Lazy<Vec<Protocol>> =
    Lazy::new(
        || match load::parse_base(ADDITIONS_JSON, "teleplug-additions.json") {
            Ok(file) => file.protocols,
            Err(e) => {
                tracing::error!("Teleplug's device database additions failed to load: {e}");
                Vec::new()
            }
        },
    );

/// Adds to `protocols` (sorted by name) every addition whose key it lacks, keeping it sorted.
/// Returns the keys added, sorted.
pub(super) fn layer(protocols: &mut Vec<Protocol>) -> Vec<String> {
    let mut added = Vec::new();
    for addition in ADDITIONS.iter() {
        if let Err(at) = protocols.binary_search_by(|p| p.name.cmp(&addition.name)) {
            protocols.insert(at, addition.clone());
            added.push(addition.name.clone());
        }
    }
    added.sort();
    added
}

#[cfg(test)]
pub(super) fn additions_json() -> &'static str {
    ADDITIONS_JSON
}
