//! Replays the seed corpus (and any regression input kept there) through every harness without
//! libFuzzer or sanitizers: `cargo test --release` in fuzz/ on any toolchain. A quick check that
//! a harness change did not break on the corpus, and how a kept crash input is re-checked.

use std::path::Path;

fn replay(target: &str, run: fn(&[u8])) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("corpus")
        .join(target);
    let mut n = 0;
    for entry in std::fs::read_dir(&dir).expect("corpus directory").flatten() {
        let data = std::fs::read(entry.path()).expect("corpus file");
        run(&data);
        n += 1;
    }
    assert!(n > 0, "no corpus files in {}", dir.display());
}

#[test]
fn json_frame() {
    replay("json_frame", teleplug_fuzz::json_frame::run);
}

#[test]
fn ffi_request() {
    replay("ffi_request", teleplug_fuzz::ffi_request::run);
}

#[test]
fn user_config() {
    replay("user_config", teleplug_fuzz::user_config::run);
}

#[test]
fn notifications() {
    replay("notifications", teleplug_fuzz::notifications::run);
}
