#!/usr/bin/env bash
# Runs every check and test of the project. This is the command .ci/run runs and the README
# documents. It installs what the tests need when it is missing (cargo-nextest is expected on the
# machine; the binding stages install mono, cmake and Python packages themselves).
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }

step "format"
cargo fmt --check

# The Bluetooth LE tests run btleplug against a fake BlueZ on a private D-Bus: they need
# dbus-daemon and Debian's python3 with dbus and gi (in the base image; installed if missing).
if ! command -v dbus-daemon >/dev/null 2>&1 \
    || ! /usr/bin/python3 -c 'import dbus, gi' >/dev/null 2>&1; then
    step "install the Bluetooth test fixture's packages"
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
            dbus-daemon python3 python3-dbus python3-gi >/dev/null
    else
        echo "dbus-daemon / python3-dbus / python3-gi missing and cannot be installed here"
    fi
fi

step "clippy"
cargo clippy --all-targets -- -D warnings

step "Rust tests"
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --all-targets --no-fail-fast
    cargo test --doc
else
    cargo test --all-targets
fi

# The bindings load the shared library and run the `teleplug` binary that `cargo build` puts in
# target/debug (each stage installs what it needs: mono, cmake, a Python venv).
step "build the shared library and the CLI for the bindings"
cargo build

# The client libraries people use, run against `teleplug serve` (the binary just built): every
# reply must reach them from frames that pack several messages. Installs Node.js/npm (apt-get)
# if missing, the npm packages (npm ci) and a venv with buttplug-py (target/real-clients/venv).
step "real Buttplug clients (buttplug-js 5 and 3, buttplug-py)"
bash tests/clients/run.sh

# The control panel in headless Chromium (tests/browser/run.sh): Debian's chromium (apt-get,
# 22 s, once) driven by playwright-core (npm ci, 1 s; no browser download), 5 s to run: the
# page with its token, a slider reaching the simulated toy, STOP ALL and Escape during a flood,
# the refusals without the token and under another Host.
step "control panel in a browser (Chromium, playwright-core)"
bash tests/browser/run.sh

step "C# binding (mono)"
bash bindings/csharp/test.sh

step "C++ binding (CMake, ctest, valgrind, sanitizers)"
bash bindings/cpp/test.sh

# (Building the library with cargo through setuptools-rust is checked by the packages stage,
# from the sdist.)
step "Python binding (pytest)"
bash bindings/python/test.sh

# cargo-fuzz targets (fuzz/README.md) for 20 s each from the seed corpus, with AddressSanitizer;
# any crash fails. Needs the nightly toolchain and cargo-fuzz: the script installs them if missing.
# Builds into fuzz/target: 3 to 4.5 minutes from scratch on 2 cores, then 1.5 minutes of fuzzing.
step "fuzz (bounded)"
bash scripts/fuzz.sh

# Without the hardware features: the simulated-device library must still build, lint and pass.
step "clippy without hardware features"
cargo clippy --no-default-features --all-targets -- -D warnings

step "Rust tests without hardware features"
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --no-default-features --all-targets --no-fail-fast
else
    cargo test --no-default-features --all-targets
fi

# Windows (README "Platforms"): clippy for x86_64-pc-windows-gnu; teleplug.dll, its import
# library, libteleplug.a and teleplug.exe cross-built with mingw-w64 and tested under wine
# (tests/windows.rs, then the C++ binding's tests and examples built with mingw g++), in the
# release profile: the packages stage below ships that same build. Installs the rustup target,
# mingw-w64 and wine64 when missing. About 4.5 minutes once built (the crate changed,
# dependencies and the C++ build directory kept), 9 with the C++ binding built from scratch,
# about 11 from an empty target directory in the dev profile; the release build costs about
# 7 CPU-minutes from scratch where the dev build cost 3.5 (about 2 more minutes on 2 cores).
step "Windows (mingw-w64 cross-build, tested under wine)"
TELEPLUG_WINDOWS_PROFILE=release bash scripts/test-windows.sh

# The packages users install (scripts/package.sh: wheels, sdist, Unity, NuGet, C/C++ SDKs for
# Linux and Windows), each installed outside the checkout and used; after the Windows stage,
# whose tools, wine prefix and release cross-build it reuses (the Windows C example runs under
# wine against the SDK zip). Its builds: the Linux release build with cargo zigbuild against
# glibc 2.17 (its own target/x86_64-unknown-linux-gnu: 8 CPU-minutes from scratch, as the
# plain release build it replaced), and pip's build of the sdist in the dev profile (the
# debug build's dependencies are cached: only teleplug compiles, about 2 minutes). Measured
# alone (`time bash scripts/test-packages.sh`, the machine shared with other builds): 16 min,
# of which 12 the two release builds recompiling the teleplug crate, 4.3 the packaging and the
# checks (sdist 1.9, C/C++ SDK 1.1, the Windows checks 5 s). Against the Linux-only stage
# before, from a fresh clone: the Windows stage's release build (+2 min) and the Windows
# packages (+0.5 min); the zig build costs what the plain release build did.
step "packages (wheels, sdist, Unity, NuGet, C/C++ SDKs), installed and used"
bash scripts/test-packages.sh
