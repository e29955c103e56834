#!/usr/bin/env bash
# The Python binding's stage of scripts/test-all.sh: checks the generated ctypes module against
# the header, installs the package into a virtualenv (`pip install ./bindings/python` with the
# library that `cargo build` made, so no second cargo build runs), then runs pytest: the
# binding's tests and every example in examples/python, against simulated devices (embedded, and
# through `teleplug serve` started on ephemeral ports and stopped by the tests' fixtures).
#
# Environment:
#   TELEPLUG_LIB      the library to test (default: target/debug/libteleplug.so)
#   TELEPLUG_BIN      the teleplug CLI for `teleplug serve` (default: next to the library)
#   TELEPLUG_PY_VENV  the virtualenv to use (default: target/python-venv, reused between runs)
#   PYTHON            the interpreter that creates it (default: python3)
#   TELEPLUG_PY_FULL_BUILD=1  also check `pip install` building the library with cargo
#                     (setuptools-rust, release profile: about 3 minutes from scratch, so off
#                     by default; scripts/test-packages.sh checks the same build from the sdist)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

step() { printf '\n==> python: %s\n' "$*"; }

LIB="${TELEPLUG_LIB:-$REPO/target/debug/libteleplug.so}"
if [ ! -f "$LIB" ]; then
    echo "python: $LIB not found: run \`cargo build\` first (or set TELEPLUG_LIB)" >&2
    exit 1
fi
LIB="$(cd "$(dirname "$LIB")" && pwd)/$(basename "$LIB")"
BIN="${TELEPLUG_BIN:-$(dirname "$LIB")/teleplug}"
if [ ! -x "$BIN" ]; then
    echo "python: $BIN not found: run \`cargo build\` first (or set TELEPLUG_BIN)" >&2
    exit 1
fi
PY="${PYTHON:-python3}"
VENV="${TELEPLUG_PY_VENV:-$REPO/target/python-venv}"

step "generated ctypes declarations are fresh"
"$PY" "$HERE/tools/gen_ffi.py" --check

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
    else
        return 1
    fi
}

step "virtualenv $VENV"
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    rm -rf "$VENV"
    if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
        # Debian's python3 needs python3-venv for ensurepip.
        rm -rf "$VENV"
        pyver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install python3-venv "python${pyver}-venv" || apt_install python3-venv || true
        "$PY" -m venv "$VENV"
    fi
fi
VPY="$VENV/bin/python"
if ! "$VPY" -c 'import pytest, websockets, mypy, setuptools, setuptools_rust, wheel' >/dev/null 2>&1; then
    step "install test and build requirements (pip)"
    "$VPY" -m pip install -q --disable-pip-version-check \
        "pytest>=7" "websockets>=12" "mypy>=1" "setuptools>=61" "setuptools-rust>=1.5" wheel
fi

step "pip install ./bindings/python (bundling $LIB)"
# In-tree build: setuptools writes bindings/python/build/; remove it (and egg-info) afterwards.
cleanup_build() { rm -rf "$HERE/build" "$HERE"/*.egg-info; }
trap cleanup_build EXIT
TELEPLUG_LIB="$LIB" "$VPY" -m pip install -q --disable-pip-version-check --no-build-isolation \
    --no-deps --force-reinstall "$HERE"
cleanup_build

step "pytest (binding tests and examples)"
# From the repository root with the venv's interpreter: `teleplug` is the installed package.
status=0
env -u TELEPLUG_LIB TELEPLUG_BIN="$BIN" TELEPLUG_EXPECT_INSTALLED=1 \
    "$VPY" -m pytest -p no:cacheprovider -q "$HERE/tests" || status=$?

if [ "${TELEPLUG_PY_FULL_BUILD:-0}" = 1 ] && [ "$status" = 0 ]; then
    step "pip install ./bindings/python building the library with cargo (setuptools-rust)"
    FULL="$(mktemp -d)"
    "$PY" -m venv "$FULL/venv"
    env -u TELEPLUG_LIB "$FULL/venv/bin/python" -m pip install -q "$HERE" || status=$?
    cleanup_build
    if [ "$status" = 0 ]; then
        # The installed package must load the library it bundles, and drive the toy with it.
        lib_path="$(cd "$FULL" && env -u TELEPLUG_LIB -u CARGO_TARGET_DIR "$FULL/venv/bin/python" \
            -c 'from teleplug import _native; print(_native.LIBRARY_PATH)')" || status=$?
        case "$lib_path" in
            "$FULL"/venv/*) echo "installed package loads $lib_path" ;;
            *) echo "python: the installed package loads ${lib_path:-nothing}, not its own library" >&2
               status=1 ;;
        esac
    fi
    if [ "$status" = 0 ]; then
        (cd "$FULL" && env -u TELEPLUG_LIB -u CARGO_TARGET_DIR "$FULL/venv/bin/python" \
            "$REPO/examples/python/embedded.py") >"$FULL/example.out" || status=$?
        cat "$FULL/example.out"
        for want in "toy received: Vibrate:10;" "toy received: Battery;" "toy received: Vibrate:0;"; do
            grep -qxF "$want" "$FULL/example.out" || { echo "python: example output lacks '$want'" >&2; status=1; }
        done
    fi
    rm -rf "$FULL"
fi
exit "$status"
