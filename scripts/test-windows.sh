#!/usr/bin/env bash
# The Windows stage of the test command (scripts/test-all.sh): cross-builds teleplug.dll, its
# import library, the static library and teleplug.exe for x86_64-pc-windows-gnu, lints the crate
# for that target, and tests the build under wine (README: "Platforms").
#
#   1. installs what is missing: the rustup target, Debian's mingw-w64 (gcc, g++) and wine64;
#   2. `cargo clippy --target x86_64-pc-windows-gnu --all-targets` (and `--lib --bins` without
#      the hardware features) and `cargo build --target x86_64-pc-windows-gnu`;
#   3. prepares a wine prefix of its own (<target dir>/wine-prefix; never ~/.wine), adding
#      bcryptprimitives.dll when wine lacks it (tests/c/wine_bcryptprimitives.c);
#   4. runs tests/windows.rs (ignored in a plain `cargo test`): the DLL's exports and imports,
#      the C example and stress test built with mingw and run under wine, loading the DLL from a
#      path with spaces and non-ASCII characters, `teleplug.exe serve` driven over loopback;
#   5. the C++ binding's tests and examples, built with mingw g++ and run under wine
#      (bindings/cpp/test.sh with TELEPLUG_CPP_TARGET=windows).
#
# The Python binding cannot be tested against teleplug.dll here: that needs a Windows CPython,
# and wine runs none in this setup.
#
# Environment: TELEPLUG_WINDOWS_PROFILE (cargo profile, default dev → target/<triple>/debug;
# scripts/test-all.sh sets release: its packages stage, which runs next, ships that same build),
# CARGO_TARGET_DIR (default target/), WINEPREFIX (default <target dir>/wine-prefix),
# TELEPLUG_CPP_BUILD_DIR (default build-cpp-windows/).
#
# Time on the 2-core machine: about 4.5 minutes once built, after other commits changed the
# crate (clippy 1.7 min, build 1.5 min, tests/windows.rs 8 s, the C++ binding 30 s); 9 minutes
# with the C++ binding built from scratch (build-cpp-windows/, 3 minutes); about 11 minutes from
# nothing (into an empty target directory: clippy 5.1 min, build 1.75 min; 1.8 GB).
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

triple=x86_64-pc-windows-gnu
step() { printf '\n==> Windows: %s\n' "$*"; }
die() { printf 'Windows: FAILED: %s\n' "$*" >&2; exit 1; }

# ---- tools -------------------------------------------------------------------------------------
if ! rustup target list --installed 2>/dev/null | grep -qx "$triple"; then
    step "rustup target add $triple"
    rustup target add "$triple"
fi
wine="/usr/lib/wine/wine64"
need=()
command -v x86_64-w64-mingw32-gcc-posix >/dev/null 2>&1 || need+=(gcc-mingw-w64-x86-64)
command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 || need+=(g++-mingw-w64-x86-64)
[ -x "$wine" ] || need+=(wine64)
if [ ${#need[@]} -gt 0 ]; then
    step "install ${need[*]} (apt-get)"
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        || die "missing ${need[*]} and cannot install them here (needs root and apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi

# ---- lint and build ----------------------------------------------------------------------------
step "clippy --target $triple"
cargo clippy --target "$triple" --all-targets -- -D warnings
# Without the hardware features, the library and the CLI only: the code that differs between
# targets is theirs (the Linux stage lints the tests without the features), and linting the
# 40-odd test crates a second time for this target would cost about a minute and 2 GB of
# incremental state.
cargo clippy --target "$triple" --no-default-features --lib --bins -- -D warnings

profile="${TELEPLUG_WINDOWS_PROFILE:-dev}"
step "cargo build --target $triple --profile $profile (teleplug.dll, libteleplug.dll.a, libteleplug.a, teleplug.exe)"
cargo build --target "$triple" --profile "$profile"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
case "$profile" in dev) out="$target_dir/$triple/debug" ;; *) out="$target_dir/$triple/$profile" ;; esac
for f in teleplug.dll libteleplug.dll.a libteleplug.a teleplug.exe; do
    [ -f "$out/$f" ] || die "no $out/$f"
    printf '  %-18s %s\n' "$f" "$(du -h "$out/$f" | cut -f1)"
done

# ---- wine --------------------------------------------------------------------------------------
export WINEPREFIX="${WINEPREFIX:-$target_dir/wine-prefix}"
export WINEDEBUG=-all
system32="$WINEPREFIX/drive_c/windows/system32"
if [ ! -f "$system32/kernel32.dll" ]; then
    step "wine prefix $WINEPREFIX (first start: about 10-20 s)"
    mkdir -p "$WINEPREFIX"
    # No display here: wine's first start must not try to install Mono or Gecko.
    WINEDLLOVERRIDES="mscoree,mshtml=" timeout 300 "$wine" wineboot --init >/dev/null 2>&1 \
        || die "wineboot"
fi
if [ ! -f "$system32/bcryptprimitives.dll" ]; then
    step "bcryptprimitives.dll for this wine (Rust programs import its ProcessPrng)"
    x86_64-w64-mingw32-gcc-posix -shared -O2 -Wall -Werror -o "$system32/bcryptprimitives.dll" \
        tests/c/wine_bcryptprimitives.c -lbcrypt
fi
# One wineserver for the whole stage (each wine program would otherwise start its own, with
# wine's services, and stop it again); `wineserver -k` ends it, and only it, at the end.
wineserver="$(dirname "$wine")/wineserver"
# A server still up in this prefix (wineboot's, or a run that was killed and left its
# persistent one) is waited for, then ended: the prefix is this stage's own.
if ! timeout 30 "$wineserver" -w; then
    "$wineserver" -k 2>/dev/null || true
    timeout 30 "$wineserver" -w || die "the prefix's wineserver did not exit"
fi
"$wineserver" -p || die "wineserver -p"
trap '"$wineserver" -k 2>/dev/null || true' EXIT

# ---- tests -------------------------------------------------------------------------------------
# The programs the tests build (about 150 MB a run) go to a directory emptied here each run.
export TELEPLUG_WINDOWS_DIR="$out" TELEPLUG_WINE="$wine" TELEPLUG_WINDOWS_SCRATCH="$target_dir/windows-scratch"
rm -rf "$TELEPLUG_WINDOWS_SCRATCH"
mkdir -p "$TELEPLUG_WINDOWS_SCRATCH"
step "tests/windows.rs under wine"
if command -v cargo-nextest >/dev/null 2>&1; then
    cargo nextest run --test windows --run-ignored only --no-fail-fast
else
    cargo test --test windows -- --ignored
fi

step "C++ binding built with mingw g++, run under wine"
TELEPLUG_CPP_TARGET=windows TELEPLUG_LIB="$out/teleplug.dll" TELEPLUG_BIN="$out/teleplug.exe" \
    bash bindings/cpp/test.sh

step "passed in $SECONDS s"
