#!/usr/bin/env bash
# Runs the real Buttplug client libraries (buttplug-js 5 and 3 from npm, buttplug-py from PyPI)
# and a Lovense local-API client (lovensepy from PyPI, against `serve --lovense-api`)
# against the real `teleplug serve`, each against a fresh server, and checks that every reply
# reaches them from frames that hold several messages (see README.md beside this file).
#
# Installs what is missing: Node.js and npm (apt-get, when root), the npm packages (`npm ci`
# from the committed package-lock.json) and a virtualenv with requirements.txt.
#
# Environment:
#   TELEPLUG_BIN   the teleplug CLI (default: target/debug/teleplug, built if missing)
#   TELEPLUG_CLIENTS_VENV  the virtualenv (default: target/real-clients/venv, reused)
#   PYTHON         the interpreter that creates it (default: python3)
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
cd "$REPO"

say() { printf '==> real clients: %s\n' "$*"; }

BIN="${TELEPLUG_BIN:-$REPO/target/debug/teleplug}"
VENV="${TELEPLUG_CLIENTS_VENV:-$REPO/target/real-clients/venv}"
PY="${PYTHON:-python3}"
# Each client script ends itself after 20 s; this only guards against a hung interpreter.
CLIENT_TIMEOUT=60

apt_install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
    else
        return 1
    fi
}

# --- what the clients need -------------------------------------------------------------------

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    say "install Node.js and npm (apt-get)"
    apt_install nodejs npm || {
        echo "real clients: node/npm missing; installing them needs root and apt-get" >&2
        exit 1
    }
fi

# `npm ci` when node_modules is missing or was installed from another package-lock.json.
npm_stamp="$HERE/node_modules/.teleplug-package-lock.json"
if ! cmp -s "$HERE/package-lock.json" "$npm_stamp"; then
    say "npm ci (buttplug 5, buttplug 3, ws)"
    (cd "$HERE" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$HERE/package-lock.json" "$npm_stamp"
fi

venv_stamp="$VENV/.teleplug-requirements.txt"
if ! "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then
    say "virtualenv $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    if ! "$PY" -m venv "$VENV" >/dev/null 2>&1; then
        # Debian's python3 needs python3-venv for ensurepip.
        rm -rf "$VENV"
        pyver="$("$PY" -c 'import sys; print(f"{sys.version_info[0]}.{sys.version_info[1]}")')"
        apt_install python3-venv "python${pyver}-venv" || apt_install python3-venv || true
        "$PY" -m venv "$VENV"
    fi
fi
if ! cmp -s "$HERE/requirements.txt" "$venv_stamp"; then
    say "pip install -r tests/clients/requirements.txt (buttplug==1.0.0)"
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$HERE/requirements.txt"
    cp "$HERE/requirements.txt" "$venv_stamp"
fi

if [ ! -x "$BIN" ]; then
    if [ -n "${TELEPLUG_BIN:-}" ]; then
        echo "real clients: TELEPLUG_BIN=$BIN is not an executable" >&2
        exit 1
    fi
    say "cargo build --bin teleplug"
    cargo build --bin teleplug
fi

# --- the server ------------------------------------------------------------------------------

LOGS="$(mktemp -d)"
SERVER_PID=""
SERVER_URL=""
SIM_URL=""

cleanup() {
    if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
    fi
    rm -rf "$LOGS"
}
trap cleanup EXIT

# Start `teleplug serve` on free ports and read the URLs it prints.
start_server() {
    # Created here: the background job opens them only once it runs.
    : >"$LOGS/server.out"
    : >"$LOGS/server.err"
    "$BIN" serve --port 0 --simulator-port 0 --no-bluetooth --no-serial --no-hid --no-gamepad \
        >"$LOGS/server.out" 2>"$LOGS/server.err" &
    SERVER_PID=$!
    SERVER_URL=""
    SIM_URL=""
    local _
    for _ in $(seq 200); do
        SERVER_URL="$(sed -n 's|^Buttplug server listening on \(ws://[^ ]*\).*$|\1|p' \
            "$LOGS/server.out")"
        SIM_URL="$(sed -n 's|^simulator control on \(ws://[^ ]*\).*$|\1|p' "$LOGS/server.out")"
        # (Both lines complete: the file ends with a newline.)
        if [ -n "$SERVER_URL" ] && [ -n "$SIM_URL" ] \
            && [ -z "$(tail -c 1 "$LOGS/server.out")" ]; then
            return 0
        fi
        if ! kill -0 "$SERVER_PID" 2>/dev/null; then
            break
        fi
        sleep 0.05
    done
    echo "real clients: teleplug serve did not print its URLs within 10 s" >&2
    cat "$LOGS/server.out" "$LOGS/server.err" >&2
    return 1
}

# SIGTERM, then the exit code (124 when it had not exited 10 s later).
stop_server() {
    local rc=0 _
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 200); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$SERVER_PID" 2>/dev/null; then
        kill -KILL "$SERVER_PID" 2>/dev/null || true
        wait "$SERVER_PID" 2>/dev/null || true
        rc=124
    else
        wait "$SERVER_PID" || rc=$?
    fi
    SERVER_PID=""
    return "$rc"
}

# --- the clients -----------------------------------------------------------------------------

SUMMARY=()
passed=0
failed=0

# run_client LABEL COMMAND...: one client against a fresh server; the client prints
# `result: NAME VERSION largest_frame=N PASS|FAIL` as its last line.
run_client() {
    local label="$1"
    shift
    say "$label"
    start_server
    local status=0 server_rc=0
    timeout -k 5 "$CLIENT_TIMEOUT" "$@" "$SERVER_URL" "$SIM_URL" \
        >"$LOGS/$label.out" 2>"$LOGS/$label.err" || status=$?
    stop_server || server_rc=$?

    local name="$label" version="?" largest="?" verdict="FAIL" why=""
    local line
    line="$(grep '^result: ' "$LOGS/$label.out" | tail -n 1 || true)"
    if [ -n "$line" ]; then
        read -r _ name version largest verdict <<<"$line"
        largest="${largest#largest_frame=}"
    else
        why="no result line (exit $status)"
    fi
    if [ "$status" != 0 ] && [ "$verdict" = PASS ]; then
        verdict=FAIL
        why="client exit $status"
    fi
    if [ "$server_rc" != 0 ]; then
        verdict=FAIL
        why="${why:+$why; }teleplug serve exited $server_rc after SIGTERM"
    fi
    sed 's/^/    /' "$LOGS/$label.err"
    if [ "$verdict" = PASS ]; then
        passed=$((passed + 1))
    else
        failed=$((failed + 1))
        echo "    --- client stdout" && sed 's/^/    /' "$LOGS/$label.out"
        echo "    --- teleplug serve stderr" && sed 's/^/    /' "$LOGS/server.err"
    fi
    SUMMARY+=("$(printf '%-12s %-8s largest frame %3s messages  %s%s' \
        "$name" "$version" "$largest" "$verdict" "${why:+  ($why)}")")
}

run_client buttplug-js5 node "$HERE/buttplug_js5.mjs"
run_client buttplug-js3 node "$HERE/buttplug_js3.mjs"
run_client buttplug-py "$VENV/bin/python" "$HERE/buttplug_py.py"

# lovensepy (a Lovense local-API client) against `serve --lovense-api`: it starts its own server
# (the API's flags) and checks the bytes a simulated non-Lovense toy received (about 3 s).
say "lovensepy"
if timeout -k 5 "$CLIENT_TIMEOUT" "$VENV/bin/python" "$HERE/lovensepy_lan.py" "$BIN" \
    >"$LOGS/lovensepy.out" 2>"$LOGS/lovensepy.err"; then
    passed=$((passed + 1))
    SUMMARY+=("$(grep '^result: ' "$LOGS/lovensepy.out" | tail -n 1)")
else
    failed=$((failed + 1))
    SUMMARY+=("lovensepy FAIL")
    sed 's/^/    /' "$LOGS/lovensepy.out" "$LOGS/lovensepy.err"
fi

echo
say "results"
printf '%s\n' "${SUMMARY[@]}"
echo "real clients: $passed passed, $failed failed"
[ "$failed" = 0 ]
