#!/usr/bin/env bash
# The control panel in Firefox: Debian's firefox-esr driven by geckodriver (crates.io) over
# WebDriver (firefox.mjs). Not a stage of the test command (installing geckodriver builds it,
# about 3 minutes on 2 cores); the Chromium test (run.sh) is. Installs firefox-esr (apt-get) and
# geckodriver (cargo install into target/geckodriver) when missing.
#
#   bash tests/browser/run-firefox.sh
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${TELEPLUG_BIN:-$root/target/debug/teleplug}"
[ -x "$bin" ] || { echo "no $bin: run cargo build first" >&2; exit 1; }
if ! command -v firefox-esr >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null \
        || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq firefox-esr >/dev/null; }
fi
gd="$root/target/geckodriver/bin/geckodriver"
[ -x "$gd" ] || cargo install geckodriver --version 0.37.1 --locked --root "$root/target/geckodriver"

work="$(mktemp -d)"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$work"; }
trap cleanup EXIT
"$bin" serve --port 0 --simulator-port 0 --no-bluetooth --no-serial --no-hid --no-gamepad \
    --panel-token firefox-check >"$work/serve.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q "#token=" "$work/serve.out" && break; sleep 0.1; done
url="$(grep -o 'http://[^ ]*#token=[^ ]*' "$work/serve.out" | head -1)"
[ -n "$url" ] || { cat "$work/serve.out" >&2; echo "teleplug serve printed no panel URL" >&2; exit 1; }
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"$gd" --port "$port" >"$work/geckodriver.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$port/status" >/dev/null && break; sleep 0.1; done
node "$here/firefox.mjs" "http://127.0.0.1:$port" "$url"
