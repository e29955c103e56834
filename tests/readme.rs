//! The README's list of supported protocols is generated from the code: this test fails when it
//! is stale. Refresh it with `TELEPLUG_BLESS=1 cargo test --test readme`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use teleplug::device_config::DeviceConfig;
use teleplug::protocols;

const START: &str = "<!-- protocols:start -->";
const END: &str = "<!-- protocols:end -->";

fn generated() -> String {
    let config = DeviceConfig::embedded();
    // Device entries per protocol: its configurations, or its defaults when it has none.
    let mut definitions: BTreeMap<String, usize> = BTreeMap::new();
    for d in config.all_definitions() {
        *definitions.entry(d.protocol).or_default() += 1;
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
    let supported_entries: usize = supported.iter().map(|k| entries(definitions[*k])).sum();
    let list = |keys: &[&String]| {
        keys.iter()
            .map(|k| format!("`{k}`"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "{START}\n**{} of the database's {} protocols are supported, driving {} of its {} device \
         entries.**\n\nSupported: {}.\n\nNot supported (devices are found and reported in the log, \
         never connected): {}.\n{END}",
        supported.len(),
        definitions.len(),
        supported_entries,
        total_entries,
        list(&supported),
        if unsupported.is_empty() {
            "none".to_string()
        } else {
            list(&unsupported)
        },
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
