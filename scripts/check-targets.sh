#!/usr/bin/env bash
# Every further target the toolchain here can build or type-check (README: "Platforms"). Not a
# stage of the test command (scripts/test-all.sh): from scratch it took 14 min 45 s on the
# 2-core machine (aarch64 build 4.8 min, each macOS check 2.3-3.4 min, Android 4.2 min, with
# other builds running) and 1.25 GB of target/, beyond the test command's 40-minute budget; run
# it by hand or in a nightly job. Windows has its own stage, in the test command:
# scripts/test-windows.sh.
#
#   aarch64-unknown-linux-gnu  built with every feature (Debian's gcc-aarch64-linux-gnu links
#                              it, and compiles the vendored libdbus); the C example is built
#                              against the aarch64 libteleplug.so and run under qemu-user,
#                              checking the bytes the simulated toy received, as on x86_64.
#   x86_64-apple-darwin,       `cargo check` of the library and the CLI. Every feature but
#   aarch64-apple-darwin       `hid`: hidapi's macOS backend is C compiled by its build script,
#                              which needs Apple's SDK and a compiler for Darwin (not here).
#                              CoreBluetooth (btleplug), serial and mDNS are type-checked.
#   aarch64-linux-android      `cargo check --lib`, same features as macOS; Bluetooth there is
#                              btleplug's JNI backend. hidapi's build script takes Android for
#                              Linux: with no backend it stops ("Exactly one linux hidapi
#                              backend must be selected"); its pure-Rust hidraw backend compiles
#                              for target_os "linux" only ("No backend selected"); its C ones
#                              need the NDK and libusb, not here.
#
# Nothing is linked for macOS or Android: no linker or SDK for them exists here, so neither a
# dylib nor an executable can be produced or run.
#
# Installs what is missing: the rustup targets, gcc-aarch64-linux-gnu and qemu-user (apt-get).
# Usage: scripts/check-targets.sh [TARGET...] (default: all of the above).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
target_dir="${CARGO_TARGET_DIR:-$root/target}"

step() { printf '\n==> targets: %s\n' "$*"; }
die() { printf 'targets: FAILED: %s\n' "$*" >&2; exit 1; }

all=(aarch64-unknown-linux-gnu x86_64-apple-darwin aarch64-apple-darwin aarch64-linux-android)
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# Features for the targets whose hidapi backend is C needing a foreign SDK.
no_hid_features="btle,serial,gamepad,mdns"

install() {
    local need=("$@")
    [ ${#need[@]} -gt 0 ] || return 0
    step "install ${need[*]} (apt-get)"
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        || die "missing ${need[*]} and cannot install them here (needs root and apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
}

timed() {
    local start=$SECONDS
    "$@"
    printf '  (%d s)\n' $((SECONDS - start))
}

aarch64_linux() {
    local triple=aarch64-unknown-linux-gnu need=()
    command -v aarch64-linux-gnu-gcc >/dev/null 2>&1 || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
    command -v qemu-aarch64 >/dev/null 2>&1 || need+=(qemu-user)
    install "${need[@]}"
    step "cargo build --target $triple (libteleplug.so, libteleplug.a, teleplug)"
    CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
        timed cargo build --target "$triple"
    local out="$target_dir/$triple/debug" dir="$target_dir/$triple/c-example"
    file -b "$out/libteleplug.so" | grep -q 'ARM aarch64' || die "libteleplug.so is not aarch64"
    step "the C example built against the aarch64 library, run under qemu-aarch64"
    mkdir -p "$dir"
    aarch64-linux-gnu-gcc -std=c11 -Wall -Wextra -Werror -O1 -I include examples/c/embedded.c \
        -L "$out" -lteleplug -Wl,-rpath,"$out" -o "$dir/embedded"
    timeout 120 qemu-aarch64 -L /usr/aarch64-linux-gnu "$dir/embedded" >"$dir/embedded.out" 2>&1 \
        || { cat "$dir/embedded.out"; die "the C example failed under qemu"; }
    # What tests/support/c_programs.rs checks on x86_64: exactly these writes, in this order.
    grep '^toy received: ' "$dir/embedded.out" >"$dir/embedded.writes" || true
    printf 'toy received: %s\n' "DeviceType;" "Vibrate:10;" "Battery;" "Vibrate:0;" \
        | diff -u - "$dir/embedded.writes" || die "the toy did not receive the expected bytes"
    grep -qx 'battery: 87%' "$dir/embedded.out" && grep -qx 'done' "$dir/embedded.out" \
        || { cat "$dir/embedded.out"; die "the C example's output"; }
    echo "  the C example ran under qemu-aarch64: the toy received exactly its 4 writes"
    printf '  the CLI under qemu-aarch64: %s\n' \
        "$(timeout 60 qemu-aarch64 -L /usr/aarch64-linux-gnu "$out/teleplug" --version)"
}

apple() {
    local triple="$1"
    step "cargo check --target $triple --features $no_hid_features (no hid: hidapi's C needs Apple's SDK)"
    timed cargo check --target "$triple" --lib --bins --no-default-features --features "$no_hid_features"
}

android() {
    local triple=aarch64-linux-android
    step "cargo check --lib --target $triple --features $no_hid_features (no hid: hidapi has no Android backend without the NDK)"
    timed cargo check --target "$triple" --lib --no-default-features --features "$no_hid_features"
}

for triple in "${targets[@]}"; do
    if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
        step "rustup target add $triple"
        rustup target add "$triple"
    fi
    case "$triple" in
        aarch64-unknown-linux-gnu) aarch64_linux ;;
        x86_64-apple-darwin | aarch64-apple-darwin) apple "$triple" ;;
        aarch64-linux-android) android ;;
        *) die "unknown target $triple (known: ${all[*]})" ;;
    esac
done
step "passed: ${targets[*]}"
