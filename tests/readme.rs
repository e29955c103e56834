//! The README's list of supported protocols is generated from the code (the embedded database,
//! Teleplug's additions, the protocol table and the matching rules): this test fails when it is
//! stale. Refresh it with `TELEPLUG_BLESS=1 cargo test --test readme`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use teleplug::device_config::DeviceConfig;
use teleplug::protocols;

const START: &str = "<!-- protocols:start -->";
const END: &str = "<!-- protocols:end -->";

fn generated() -> String {
    let config = DeviceConfig::embedded();
    let added = config.teleplug_additions();
    // Device entries per protocol key of the database file (Teleplug's additions apart): its
    // configurations, or its defaults when it has none.
    let mut definitions: BTreeMap<String, usize> = BTreeMap::new();
    for d in config.all_definitions() {
        if !added.contains(&d.protocol) {
            *definitions.entry(d.protocol).or_default() += 1;
        }
    }
    let entries = |n: usize| if n > 1 { n - 1 } else { 1 };
    let total_entries: usize = definitions.values().map(|n| entries(*n)).sum();
    let supported: Vec<&String> = definitions
        .keys()
        .filter(|k| protocols::lookup(k).is_some())
        .collect();
    let unsupported: Vec<&String> = definitions
        .keys()
        .filter(|k| protocols::lookup(k).is_none())
        .collect();
    let unreachable: Vec<&String> = supported
        .iter()
        .copied()
        .filter(|k| !config.communication(k).iter().any(|s| s.is_reachable()))
        .collect();
    let supported_entries: usize = supported.iter().map(|k| entries(definitions[*k])).sum();
    let list = |keys: &[&String]| {
        if keys.is_empty() {
            return "none".to_string();
        }
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (major, minor) = config.version();
    format!(
        "{START}\n**{} of the database's {} protocols are supported, driving {} of its {} device \
         entries** (device database {major}.{minor}).\n\nSupported: {}.\n\nImplemented, but no \
         transport of Teleplug finds their devices: {}.\n\nNot supported (devices are found and \
         reported in the log, never connected): {}.\n\nKept by Teleplug although the database \
         dropped them (`data/device-config/teleplug-additions.json`): {}.\n{END}",
        supported.len(),
        definitions.len(),
        supported_entries,
        total_entries,
        list(&supported),
        list(&unreachable),
        list(&unsupported),
        list(&added.iter().collect::<Vec<_>>()),
    )
}

#[test]
fn readme_protocol_list_is_current() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("README.md");
    let want = generated();
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md lacks the {START} … {END} section");
    };
    let current = &readme[a..b + END.len()];
    if current != want {
        if std::env::var_os("TELEPLUG_BLESS").is_some() {
            let updated = format!("{}{}{}", &readme[..a], want, &readme[b + END.len()..]);
            std::fs::write(&path, updated).expect("write README.md");
            return;
        }
        panic!(
            "the README's protocol list is stale; run TELEPLUG_BLESS=1 cargo test --test readme\n\
             expected:\n{want}"
        );
    }
}
