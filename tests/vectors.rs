//! Replays every device protocol vector in tests/vectors through the simulated transport at
//! every spec version it covers, over the server's JSON connection, and reports passed/failed
//! per vector.
//! Vectors of protocols not implemented yet are listed in tests/vectors/pending.txt; the test
//! fails when one of them starts passing, so the list stays true.

mod support;

use std::collections::BTreeSet;
use std::path::PathBuf;

use support::vector_runner::{Scope, run};
use teleplug::wire::SpecVersion;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors")
}

/// Vector files whose command bytes are stale (their sheets explain): only their identify and
/// initialize part is replayed.
const INIT_ONLY: [&str; 2] = [
    "test_cowgirl_cone_protocol.yaml",
    "test_fredorch_protocol.yaml",
];

fn cases() -> Vec<(String, Vec<SpecVersion>, Scope)> {
    let text = std::fs::read_to_string(dir().join("versions.txt")).expect("versions.txt");
    let mut out = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
    {
        let mut parts = line.split_whitespace();
        let file = parts.next().expect("file").to_string();
        let rest: Vec<&str> = parts.collect();
        let (versions, scope) = if rest == ["none"] {
            // Not replayed by the reference suite; the two that agree with their sheets are
            // replayed at v4 and v3, the stale ones only up to the device being added.
            let scope = if INIT_ONLY.contains(&file.as_str()) {
                Scope::InitOnly
            } else {
                Scope::Everything
            };
            (vec![SpecVersion::V4, SpecVersion::V3], scope)
        } else {
            let versions = rest
                .iter()
                .map(|v| {
                    let n: u32 = v.trim_start_matches('v').parse().expect("version");
                    SpecVersion::from_major(n).expect("known version")
                })
                .collect();
            (versions, Scope::Everything)
        };
        out.push((file, versions, scope));
    }
    out
}

fn pending() -> BTreeSet<String> {
    std::fs::read_to_string(dir().join("pending.txt"))
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(String::from)
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_vector_passes() {
    let cases = cases();
    let pending = pending();
    for p in &pending {
        assert!(
            cases.iter().any(|(f, _, _)| f == p),
            "pending.txt names {p}, which is not a vector"
        );
    }
    let mut set = tokio::task::JoinSet::new();
    // Bounded concurrency: every replay gets its 500 ms per op without starving the others.
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(48));
    for (file, versions, scope) in &cases {
        for v in versions {
            let (file, v, scope) = (file.clone(), *v, *scope);
            let slots = slots.clone();
            set.spawn(async move {
                let _slot = slots.acquire_owned().await.expect("semaphore open");
                let r = run(&dir(), &file, v, scope).await;
                (file, v, r)
            });
        }
    }
    let mut results: Vec<(String, SpecVersion, Result<(), String>)> = Vec::new();
    while let Some(r) = set.join_next().await {
        results.push(r.expect("runner task panicked"));
    }
    results.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
    let mut failures = Vec::new();
    let mut now_passing = BTreeSet::new();
    let mut failing_files = BTreeSet::new();
    for (file, v, r) in &results {
        match r {
            Ok(()) => println!("PASS {file} {v}"),
            Err(e) => {
                println!("FAIL {file} {v}: {e}");
                failing_files.insert(file.clone());
                if !pending.contains(file) {
                    failures.push(format!("{file} {v}: {e}"));
                }
            }
        }
    }
    for p in &pending {
        if !failing_files.contains(p) {
            now_passing.insert(p.clone());
        }
    }
    let passed = results.iter().filter(|r| r.2.is_ok()).count();
    println!(
        "{passed} of {} replays passed; {} vector files pending",
        results.len(),
        pending.len()
    );
    assert!(
        failures.is_empty(),
        "vector failures:\n{}",
        failures.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "these pending vectors pass now; remove them from tests/vectors/pending.txt: {now_passing:?}"
    );
}
