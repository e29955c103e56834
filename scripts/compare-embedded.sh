#!/usr/bin/env bash
# The embedded path against its peer (issue 19): an app embedding the reference Buttplug
# implementation in-process (crates.io buttplug 12: ButtplugClient + in-process connector +
# ButtplugServer, with a fake BLE Lovense Hush written in the bench) beside Teleplug through its
# Rust API and through its C ABI, in one run, with the same toy (a Lovense Hush, no message gap)
# and the same command stream. Prints one Markdown table: commands/s, command → device write and
# command → reply latency (p50/p99), device writes and commands lost, for 1 command in flight
# and pipelined. Not part of the test command: it takes a while and its figures depend on the
# machine (take them on a quiet one).
#
#   scripts/compare-embedded.sh [--commands 20000] [--warmup 2000] [--inflight 1,16,256]
#
# The bench is its own crate (benches/embedded-peer, outside the workspace: the reference
# crates are its dependencies, never the library's). It builds with the stable toolchain
# (rustc 1.95); its Cargo.lock pins the reference versions. Release profile; the target
# directory is target/embedded-peer unless CARGO_TARGET_DIR is set.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target/embedded-peer}"
cargo build --release --locked --manifest-path benches/embedded-peer/Cargo.toml >&2
exec "$CARGO_TARGET_DIR/release/embedded-peer" "$@"
