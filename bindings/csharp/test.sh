#!/usr/bin/env bash
# The C# binding's stage of scripts/test-all.sh: checks that the generated enum tables
# (src/Teleplug/Enums.cs) are fresh, installs Mono and Newtonsoft.Json from the
# distribution when missing, compiles the binding (mcs, C# 7), its tests, the examples and the
# Unity scripts (against stubs), starts `teleplug serve` on ephemeral ports with a simulator
# control endpoint, and runs the tests and the examples with mono. Exits non-zero on any failure.
#
# Environment: TELEPLUG_LIB (the shared library; default target/debug/libteleplug.so),
# TELEPLUG_BIN (the teleplug binary; default next to the library), CARGO_TARGET_DIR,
# NEWTONSOFT_JSON_DLL (default: Debian's libnewtonsoft-json5.0-cil). Arguments select tests by
# name substring.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
step() { printf '\n==> C#: %s\n' "$*"; }

step "generated enum tables are fresh (bindings/tools/gen_enums.py)"
python3 "$root/bindings/tools/gen_enums.py" --check

# ---- tools --------------------------------------------------------------------------------
newtonsoft="${NEWTONSOFT_JSON_DLL:-/usr/lib/cli/Newtonsoft.Json-5.0/Newtonsoft.Json.dll}"
if ! command -v mcs >/dev/null 2>&1 || ! command -v mono >/dev/null 2>&1 || [ ! -f "$newtonsoft" ]; then
    step "install mono and Newtonsoft.Json (Debian packages)"
    if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null 2>&1; then
        echo "mono (mcs, mono) and libnewtonsoft-json5.0-cil are missing and cannot be installed here" >&2
        exit 1
    fi
    pkgs=(mono-mcs mono-runtime libnewtonsoft-json5.0-cil)
    export DEBIAN_FRONTEND=noninteractive
    apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null \
        || { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null; }
fi
[ -f "$newtonsoft" ] || { echo "Newtonsoft.Json.dll not found at $newtonsoft" >&2; exit 1; }

# ---- the native library and the server binary ------------------------------------------------
target="${CARGO_TARGET_DIR:-$root/target}"
lib="${TELEPLUG_LIB:-$target/debug/libteleplug.so}"
bin="${TELEPLUG_BIN:-$(dirname "$lib")/teleplug}"
if [ ! -f "$lib" ] || [ ! -x "$bin" ]; then
    if [ -n "${TELEPLUG_LIB:-}" ] && [ ! -f "$lib" ]; then
        echo "TELEPLUG_LIB=$lib does not exist" >&2
        exit 1
    fi
    step "cargo build (library or binary missing)"
    (cd "$root" && cargo build)
fi
[ -x "$bin" ] || { echo "teleplug binary not found at $bin (set TELEPLUG_BIN)" >&2; exit 1; }

# ---- build (a few hundred KB in a temporary folder) ---------------------------------------
build="$(mktemp -d "${TMPDIR:-/tmp}/teleplug-cs.XXXXXX")"
serve_pid=""
tests_pid=""
cleanup() {
    if [ -n "$tests_pid" ] && kill -0 "$tests_pid" 2>/dev/null; then
        kill "$tests_pid" 2>/dev/null || true
        wait "$tests_pid" 2>/dev/null || true
    fi
    if [ -n "$serve_pid" ] && kill -0 "$serve_pid" 2>/dev/null; then
        kill "$serve_pid" 2>/dev/null || true
        wait "$serve_pid" 2>/dev/null || true
    fi
    rm -rf "$build"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
# Mono finds the library by its plain name ("teleplug" -> libteleplug.so) on LD_LIBRARY_PATH.
ln -s "$(cd "$(dirname "$lib")" && pwd)/$(basename "$lib")" "$build/libteleplug.so"

step "compile (mcs, C# 7)"
mcs_flags=(-langversion:7 -nologo -warnaserror+ -r:"$newtonsoft" -r:System.Core.dll -r:System.dll)
mcs "${mcs_flags[@]}" -nowarn:1591 -target:library -doc:"$build/Teleplug.xml" -out:"$build/Teleplug.dll" "$here"/src/Teleplug/*.cs
mcs "${mcs_flags[@]}" -r:"$build/Teleplug.dll" -out:"$build/Teleplug.Tests.exe" "$here"/tests/*.cs
mcs "${mcs_flags[@]}" -r:"$build/Teleplug.dll" -out:"$build/embedded.exe" "$root/examples/csharp/Embedded.cs"
mcs "${mcs_flags[@]}" -r:"$build/Teleplug.dll" -out:"$build/remote.exe" "$root/examples/csharp/Remote.cs"

# The README examples compile (first csharp block of each README, inside an async method).
for readme in "$root/README.md" "$here/README.md"; do
    {
        echo 'using System; using System.Threading.Tasks; using Teleplug;'
        echo 'static class ReadmeExample { static void Main() { } static async Task Run() {'
        awk '/^```csharp/ { inside = 1; blocks++; next } /^```/ { inside = 0 } inside && blocks == 1' "$readme"
        echo '} }'
    } >"$build/readme.cs"
    mcs "${mcs_flags[@]}" -r:"$build/Teleplug.dll" -out:"$build/readme.exe" "$build/readme.cs" \
        || { echo "the C# example of $readme does not compile" >&2; exit 1; }
done

step "compile the Unity flavour against UnityEngine/UnityEditor stubs (player, editor, iOS)"
mcs -langversion:7 -nologo -target:library -out:"$build/UnityStubs.dll" "$here"/tests/unity-stubs/*.cs
for defines in "UNITY_5_3_OR_NEWER" "UNITY_5_3_OR_NEWER;UNITY_EDITOR" "UNITY_5_3_OR_NEWER;UNITY_IOS"; do
    mcs "${mcs_flags[@]}" -target:library -define:"$defines" -r:"$build/UnityStubs.dll" \
        -out:"$build/Teleplug.Unity.dll" "$here"/src/Teleplug/*.cs "$here"/unity/Runtime/*.cs
done

# ---- teleplug serve on ephemeral ports ------------------------------------------------------
step "start teleplug serve (port 0, simulator control port 0, no hardware)"
# setpriv: the server also gets SIGTERM if this script dies without running its cleanup.
deathsig=()
command -v setpriv >/dev/null 2>&1 && deathsig=(setpriv --pdeathsig TERM)
"${deathsig[@]}" "$bin" serve --port 0 --simulator-port 0 --no-bluetooth --no-serial --no-hid --no-gamepad \
    >"$build/serve.out" 2>"$build/serve.err" &
serve_pid=$!
serve_url="" sim_url=""
for _ in $(seq 200); do
    serve_url="$(sed -n 's/^Buttplug server listening on \(ws:[^ ]*\)$/\1/p' "$build/serve.out")"
    sim_url="$(sed -n 's/^simulator control on \(ws:[^ ]*\)$/\1/p' "$build/serve.out")"
    [ -n "$serve_url" ] && [ -n "$sim_url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.05
done
if [ -z "$serve_url" ] || [ -z "$sim_url" ]; then
    echo "teleplug serve did not start:" >&2
    cat "$build/serve.out" "$build/serve.err" >&2
    exit 1
fi
echo "server $serve_url, simulator control $sim_url"

# ---- tests and examples ------------------------------------------------------------------
step "mono tests and examples"
status=0
# In the background so a TERM/INT to this script is handled at once (cleanup stops both).
# Injected panics (debug test hooks) print one line each instead of a backtrace.
LD_LIBRARY_PATH="$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
    MONO_PATH="$build:$(dirname "$newtonsoft")" \
    TELEPLUG_ROOT="$root" TELEPLUG_EXAMPLES="$build" TELEPLUG_REQUIRE_ALL=1 \
    TELEPLUG_SERVE_URL="$serve_url" TELEPLUG_SIMULATOR_URL="$sim_url" RUST_BACKTRACE=0 \
    "${deathsig[@]}" timeout 300 mono --debug "$build/Teleplug.Tests.exe" "$@" &
tests_pid=$!
wait "$tests_pid" || status=$?
tests_pid=""

# The server is still up and stops cleanly on SIGTERM.
if ! kill -0 "$serve_pid" 2>/dev/null; then
    echo "teleplug serve died during the tests:" >&2
    cat "$build/serve.err" >&2
    status=1
else
    kill -TERM "$serve_pid"
    serve_status=0
    wait "$serve_pid" || serve_status=$?
    serve_pid=""
    if [ "$serve_status" != 0 ]; then
        echo "teleplug serve exited with $serve_status on SIGTERM" >&2
        cat "$build/serve.err" >&2
        status=1
    fi
fi
exit "$status"
