#!/usr/bin/env bash
# Runs every check and test of the project. This is the command .ci/run runs and the README
# documents. It installs what the tests need when it is missing (cargo-nextest is expected on the
# machine; mono is installed from the distribution's packages by the bindings stage).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --check

step "clippy"
cargo clippy --all-targets -- -D warnings

step "Rust tests"
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --all-targets --no-fail-fast
    cargo test --doc
else
    cargo test --all-targets
fi
