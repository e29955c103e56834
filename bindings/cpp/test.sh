#!/usr/bin/env bash
# The C++ binding's stage of the test command (scripts/test-all.sh calls it after `cargo build`).
#
# Checks that the generated enum tables (teleplug_enums.hpp) are fresh, installs what it needs
# when missing (cmake, g++, nlohmann-json3-dev, valgrind, from Debian's packages), builds the
# tests and examples against the Rust library with CMake, runs the tests with ctest and again
# under valgrind (no definite leak, no invalid access) and built with AddressSanitizer,
# LeakSanitizer and UBSan, runs the embedded example and checks what the simulated toy received,
# then starts `teleplug serve` on ephemeral ports with a simulated toy on its simulator port and
# runs the remote example against it.
#
# With TELEPLUG_CPP_TARGET=windows (scripts/test-windows.sh, the Windows stage, sets it): the
# same tests and examples cross-built with mingw-w64's g++ (mingw-w64.cmake) against teleplug.dll
# and run under wine (ctest through CMAKE_CROSSCOMPILING_EMULATOR), the remote example against
# teleplug.exe under wine, stopped by Ctrl+C. No valgrind or sanitizers there (neither exists for
# mingw under wine). Needs WINEPREFIX: a prefix scripts/test-windows.sh prepared.
#
# Environment: TELEPLUG_LIB (libteleplug.so to use; default target/debug, built with
# `cargo build` if missing; for Windows teleplug.dll, default target/x86_64-pc-windows-gnu/debug),
# TELEPLUG_BIN (the `teleplug` binary, or teleplug.exe; default next to the library),
# TELEPLUG_CPP_BUILD_DIR (default build-cpp/, build-cpp-windows/), TELEPLUG_CPP_VALGRIND=0 to
# skip valgrind, TELEPLUG_CPP_SANITIZE=0 to skip the AddressSanitizer/UBSan build (in
# <build dir>-asan), TELEPLUG_WINE (default /usr/lib/wine/wine64).
set -euo pipefail

here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
step() { printf '\n==> C++ binding: %s\n' "$*"; }
die() { printf 'C++ binding: FAILED: %s\n' "$*" >&2; exit 1; }
os="${TELEPLUG_CPP_TARGET:-linux}"
case "$os" in
    linux)
        build="${TELEPLUG_CPP_BUILD_DIR:-$root/build-cpp}"
        exe=""
        run=()
        ;;
    windows)
        build="${TELEPLUG_CPP_BUILD_DIR:-$root/build-cpp-windows}"
        exe=".exe"
        wine="${TELEPLUG_WINE:-/usr/lib/wine/wine64}"
        run=("$wine")
        [ -n "${WINEPREFIX:-}" ] && [ -d "$WINEPREFIX/drive_c" ] \
            || die "WINEPREFIX must name a prepared wine prefix: run scripts/test-windows.sh"
        export WINEDEBUG="${WINEDEBUG:--all}"
        # Valgrind and the sanitizers are Linux's.
        TELEPLUG_CPP_VALGRIND=0
        TELEPLUG_CPP_SANITIZE=0
        ;;
    *) die "TELEPLUG_CPP_TARGET is linux or windows, not $os" ;;
esac

step "generated enum tables are fresh (bindings/tools/gen_enums.py)"
python3 "$root/bindings/tools/gen_enums.py" --check || die "teleplug_enums.hpp is stale"

# ---- tools ------------------------------------------------------------------------------------
need=()
command -v cmake >/dev/null 2>&1 || need+=(cmake)
if [ "$os" = windows ]; then
    command -v x86_64-w64-mingw32-g++-posix >/dev/null 2>&1 || need+=(g++-mingw-w64-x86-64)
    [ -x "$wine" ] || need+=(wine64)
else
    command -v g++ >/dev/null 2>&1 || need+=(g++)
fi
command -v make >/dev/null 2>&1 || need+=(make)
[ -f /usr/include/nlohmann/json.hpp ] || need+=(nlohmann-json3-dev)
if [ "${TELEPLUG_CPP_VALGRIND:-1}" != 0 ] && ! command -v valgrind >/dev/null 2>&1; then
    need+=(valgrind)
fi
if [ ${#need[@]} -gt 0 ]; then
    step "install ${need[*]}"
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 \
        || die "missing ${need[*]} and cannot install them here (needs root and apt-get)"
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null 2>&1 \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null; }
fi

# ---- the Rust library and server ---------------------------------------------------------------
if [ "$os" = windows ]; then
    lib="${TELEPLUG_LIB:-$root/target/x86_64-pc-windows-gnu/debug/teleplug.dll}"
    if [ ! -f "$lib" ] && [ -z "${TELEPLUG_LIB:-}" ]; then
        step "cargo build --target x86_64-pc-windows-gnu (no teleplug.dll yet)"
        (cd "$root" && cargo build --target x86_64-pc-windows-gnu)
    fi
else
    lib="${TELEPLUG_LIB:-$root/target/debug/libteleplug.so}"
    if [ ! -f "$lib" ] && [ -z "${TELEPLUG_LIB:-}" ]; then
        step "cargo build (no target/debug/libteleplug.so yet)"
        (cd "$root" && cargo build)
    fi
fi
[ -f "$lib" ] || die "no library at $lib"
lib="$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")"
serve="${TELEPLUG_BIN:-}"
if [ -z "$serve" ]; then
    serve="$(dirname "$lib")/teleplug$exe"
    if [ ! -f "$serve" ] && [ "$os" = linux ]; then
        serve="$root/target/debug/teleplug"
        [ -x "$serve" ] || (cd "$root" && cargo build --bin teleplug)
    fi
fi
[ -f "$serve" ] || die "no teleplug binary at $serve"

# ---- build -----------------------------------------------------------------------------------
step "build tests and examples (CMake, $build)"
mkdir -p "$build"
cross=()
if [ "$os" = windows ]; then
    # nlohmann/json is header-only, but its CMake package points at the host's /usr/include,
    # whose C headers would shadow mingw's: a prefix holding that package and its headers alone.
    json="$build/host-nlohmann"
    mkdir -p "$json/include" "$json/share/cmake"
    ln -sfn /usr/include/nlohmann "$json/include/nlohmann"
    rm -rf "$json/share/cmake/nlohmann_json"
    cp -r /usr/share/cmake/nlohmann_json "$json/share/cmake/"
    cross=(-DCMAKE_TOOLCHAIN_FILE="$here/mingw-w64.cmake" -Dnlohmann_json_DIR="$json/share/cmake/nlohmann_json"
           -DCMAKE_CROSSCOMPILING_EMULATOR="$wine")
fi
cmake -S "$here" -B "$build" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 -DTELEPLUG_LIB="$lib" \
    "${cross[@]}" >"$build/configure.log" 2>&1 \
    || { cat "$build/configure.log"; die "cmake configure"; }
cmake --build "$build" -j2

# ---- tests -----------------------------------------------------------------------------------
step "ctest"
(cd "$build" && ctest --output-on-failure -j2 --timeout 120)

if [ "${TELEPLUG_CPP_VALGRIND:-1}" != 0 ]; then
    step "tests and embedded example under valgrind"
    vg=(valgrind -q --leak-check=full --show-possibly-lost=no --errors-for-leak-kinds=definite
        --error-exitcode=99)
    timeout 600 "${vg[@]}" "$build/teleplug_cpp_tests" >"$build/valgrind-tests.log" 2>&1 \
        || { cat "$build/valgrind-tests.log"; die "tests under valgrind"; }
    tail -n 1 "$build/valgrind-tests.log"
    timeout 300 "${vg[@]}" "$build/example_embedded" >"$build/valgrind-example.log" 2>&1 \
        || { cat "$build/valgrind-example.log"; die "embedded example under valgrind"; }
    echo "embedded example: clean"
fi

# `expect_in_order FILE LINE...`: FILE has these exact lines, in this order (others may come
# between them).
expect_in_order() {
    local file="$1"
    shift
    awk -v want="$(printf '%s\n' "$@")" '
        BEGIN { n = split(want, w, "\n"); if (w[n] == "") n--; i = 1 }
        i <= n && $0 == w[i] { i++ }
        END { if (i <= n) { print "missing, in order: " w[i] > "/dev/stderr"; exit 1 } }' "$file"
}

if [ "${TELEPLUG_CPP_SANITIZE:-1}" != 0 ]; then
    step "tests and embedded example with AddressSanitizer, LeakSanitizer and UBSan"
    san="-fsanitize=address,undefined -fno-omit-frame-pointer"
    mkdir -p "$build-asan"
    cmake -S "$here" -B "$build-asan" -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG=-g1 \
        -DCMAKE_CXX_FLAGS="$san" -DCMAKE_EXE_LINKER_FLAGS="$san" -DTELEPLUG_LIB="$lib" \
        >"$build-asan/configure.log" 2>&1 || { cat "$build-asan/configure.log"; die "cmake configure (sanitizers)"; }
    cmake --build "$build-asan" -j2 --target teleplug_cpp_tests example_embedded
    export ASAN_OPTIONS=detect_leaks=1:exitcode=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    timeout 300 "$build-asan/teleplug_cpp_tests" >"$build-asan/tests.log" 2>&1 \
        || { cat "$build-asan/tests.log"; die "tests under the sanitizers"; }
    tail -n 1 "$build-asan/tests.log"
    timeout 120 "$build-asan/example_embedded" >"$build-asan/example.log" 2>&1 \
        || { cat "$build-asan/example.log"; die "embedded example under the sanitizers"; }
    expect_in_order "$build-asan/example.log" "toy received: Vibrate:10;" "toy received: Vibrate:0;"
    echo "embedded example: clean"
    unset ASAN_OPTIONS UBSAN_OPTIONS
fi

# ---- example 1: embedded server with a simulated toy -------------------------------------------
# `program NAME ARGS...` runs the built program NAME (under wine for Windows, whose console
# output ends lines with CRLF: stripped, so the checks below read the same lines on both).
program() {
    local name="$1"
    shift
    timeout 60 "${run[@]}" "$build/$name$exe" "$@" 2>&1 | tr -d '\r'
    return "${PIPESTATUS[0]}"
}

step "example: embedded"
program example_embedded >"$build/embedded.out" \
    || { cat "$build/embedded.out"; die "embedded example exited non-zero"; }
cat "$build/embedded.out"
expect_in_order "$build/embedded.out" \
    "found device 0: Lovense Hush" \
    "vibrate at 50%" \
    "battery: 87%" \
    "stop" \
    "done" || die "embedded example output"
# Exactly what the toy received (the example prints every write).
grep '^toy received: ' "$build/embedded.out" >"$build/embedded.writes" || true
printf 'toy received: %s\n' "DeviceType;" "Vibrate:10;" "Battery;" "Vibrate:0;" \
    | diff -u - "$build/embedded.writes" || die "the toy did not receive the expected bytes"
grep -q '^  feature 0: OUTPUT_TYPE_VIBRATE \[0..20\]$' "$build/embedded.out" \
    || die "feature list of the embedded example"

# The main README's C++ example, compiled from the README itself.
step "example: README"
program example_readme >"$build/readme.out" \
    || { cat "$build/readme.out"; die "README example exited non-zero"; }
cat "$build/readme.out"
grep -qx 'Lovense Hush: battery 87%' "$build/readme.out" || die "README example output"

# ---- example 2: a running `teleplug serve` with a simulated toy ---------------------------------
step "example: remote (teleplug serve on ephemeral ports)"
serve_pid=""
toy_pid=""
cleanup() {
    # Only the processes this script started, by pid.
    if [ -n "$toy_pid" ]; then kill "$toy_pid" 2>/dev/null || true; fi
    if [ -n "$serve_pid" ]; then kill "$serve_pid" 2>/dev/null || true; fi
}
trap cleanup EXIT

exec {serve_out}< <(exec "${run[@]}" "$serve" serve --port 0 --simulator-port 0 --no-bluetooth --no-serial \
    --no-hid --no-gamepad --server-name "teleplug serve (C++ test)" 2>"$build/serve.err")
serve_pid=$!
sim_url=""
client_url=""
while [ -z "$sim_url" ] || [ -z "$client_url" ]; do
    IFS= read -r -t 30 -u "$serve_out" line \
        || { cat "$build/serve.err" >&2; die "teleplug serve did not announce its ports within 30 s"; }
    line="${line%$'\r'}" # teleplug.exe's console output ends lines with CRLF
    case "$line" in
        "simulator control on "*) sim_url="${line#simulator control on }" ;;
        "Buttplug server listening on "*) client_url="${line#Buttplug server listening on }" ;;
    esac
done
echo "server: $client_url, simulator control: $sim_url"

python3 "$here/tools/fake_toy.py" "$sim_url" --battery 64 >"$build/toy.out" 2>&1 &
toy_pid=$!

program example_remote "$client_url" >"$build/remote.out" \
    || { cat "$build/remote.out" "$build/toy.out"; die "remote example exited non-zero"; }
cat "$build/remote.out"
expect_in_order "$build/remote.out" \
    "connected to teleplug serve (C++ test) at $client_url (protocol 4.0)" \
    "found device 0: Lovense Hush" \
    "vibrate at 50%" \
    "battery: 64%" \
    "stop" \
    "done" || die "remote example output"

# Stop the server: it closes the simulator connection, so the toy has printed everything once
# it exits. Under wine SIGTERM ends the process outright (TerminateProcess); SIGINT is the
# console's Ctrl+C, which stops the devices and exits 0 like SIGTERM on Linux.
if [ "$os" = windows ]; then kill -INT "$serve_pid"; else kill "$serve_pid"; fi
wait "$serve_pid" || die "teleplug serve did not exit cleanly"
serve_pid=""
timeout 30 tail --pid="$toy_pid" -f /dev/null || die "the simulated toy did not exit"
wait "$toy_pid" || { cat "$build/toy.out"; die "the simulated toy failed"; }
toy_pid=""
cat "$build/toy.out"
expect_in_order "$build/toy.out" \
    "advertised" \
    "toy received: DeviceType;" \
    "toy received: Vibrate:10;" \
    "toy received: Battery;" \
    "toy received: Vibrate:0;" \
    "control connection closed" || die "the remote toy did not receive the expected bytes"

step "every test and example passed"
