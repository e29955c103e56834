#!/usr/bin/env bash
# The control panel in a real browser (panel.mjs): Debian's Chromium, driven by playwright-core
# from npm (no browser download), against the `teleplug serve` of target/debug (built first).
# Installs chromium with apt-get and the npm package (npm ci) when missing.
#   bash tests/browser/run.sh [screenshot.png]   (default target/browser/panel.png; the README's
#   image is docs/images/panel.png, made the same way)
# Cost on this 2-core machine: apt-get install chromium 22 s (once), npm ci 1 s, the run 9 s
# (5 s before the check that the page reconnects to a restarted server).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
bin="${TELEPLUG_BIN:-$root/target/debug/teleplug}"
out="${1:-$root/target/browser/panel.png}"
mkdir -p "$(dirname "$out")"
case "$out" in /*) ;; *) out="$PWD/$out" ;; esac

install() {
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null; }
    else
        echo "$* missing and cannot be installed here" >&2
        exit 1
    fi
}
command -v chromium >/dev/null 2>&1 || install chromium
command -v npm >/dev/null 2>&1 || install nodejs npm
[ -x "$bin" ] || { echo "no $bin: run cargo build first" >&2; exit 1; }

cd "$here"
npm ci --no-audit --no-fund --silent
# Node 20 has WebSocket behind a flag; later versions have it built in.
flags=()
if [ "$(node -e 'process.stdout.write(typeof WebSocket)')" = undefined ]; then
    flags+=(--experimental-websocket)
fi
CHROMIUM="${CHROMIUM:-$(command -v chromium)}" node "${flags[@]}" panel.mjs "$bin" "$out"
echo "screenshot: $out"
