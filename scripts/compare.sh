#!/usr/bin/env bash
# Teleplug's server beside the reference one (intiface-engine from crates.io), measured in one
# run with the same client, the same load and the same simulated toy (BENCHMARKS.md, "Side by
# side with Intiface Engine"). Not part of the test command: it takes minutes and its figures
# depend on the machine.
#
#   scripts/compare.sh [--peer-version 4.0.4] [--commands 40000] [--inflight 1,16,256]
#                      [--devices 100]
#
# 1. builds the peer once into target/peer/intiface-engine-<version> (`cargo install`; 5.0.x
#    needs a newer rustc than 1.95: `RUSTUP_TOOLCHAIN=nightly scripts/compare.sh
#    --peer-version 5.0.5`), and Teleplug's release binary and the load generator
#    (benches/compare.rs);
# 2. for each server in turn: starts it on free loopback ports with the device WebSocket
#    listener on and only that transport, with one user config that maps the toy's handshake
#    identifier to the lovense protocol; runs the load generator (client and toy in one
#    process, raw JSON, no Buttplug library); stops the server;
# 3. prints one Markdown table. A side that failed, timed out or lost commands is reported as
#    failed and no ratio is printed.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

peer_version=4.0.4
commands=40000
inflight=1,16,256
devices=100
while [ $# -gt 0 ]; do
    case "$1" in
        --peer-version) peer_version="$2"; shift 2 ;;
        --commands) commands="$2"; shift 2 ;;
        --inflight) inflight="$2"; shift 2 ;;
        --devices) devices="$2"; shift 2 ;;
        *) echo "compare: unknown argument $1" >&2; exit 2 ;;
    esac
done

target_dir="${CARGO_TARGET_DIR:-$root/target}"
peer_root="$target_dir/peer/intiface-engine-$peer_version"
peer="$peer_root/bin/intiface-engine"
if [ ! -x "$peer" ]; then
    # The peer links the system's libdbus and libudev (Teleplug needs neither).
    if ! pkg-config --exists dbus-1 libudev 2>/dev/null; then
        echo "==> apt-get install libdbus-1-dev libudev-dev pkg-config (the peer needs them)" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq libdbus-1-dev libudev-dev pkg-config >&2 \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
                 apt-get install -y -qq libdbus-1-dev libudev-dev pkg-config >&2; }
    fi
    echo "==> building intiface-engine $peer_version from crates.io (once; several minutes)" >&2
    cargo install intiface-engine --version "$peer_version" --root "$peer_root" --locked \
        || cargo install intiface-engine --version "$peer_version" --root "$peer_root"
fi
echo "==> building teleplug (release) and the load generator" >&2
cargo build --release --bin teleplug >&2
cargo bench --bench compare --no-run >&2 2>&1
loadgen="$(cargo bench --bench compare --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m=json.loads(l)
    if m.get("reason")=="compiler-artifact" and m["target"]["name"]=="compare" and m.get("executable"):
        print(m["executable"])')"
[ -x "$loadgen" ] || { echo "compare: no load generator binary" >&2; exit 1; }

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Both servers read this user config (major 5: intiface-engine 4.0.4 and later read only their
# own major, Teleplug reads 4 and 5). It lets a device dialing in as "LVSDevice" speak the
# lovense protocol.
config="$work/user-config.json"
cat >"$config" <<'EOF'
{"version":{"major":5,"minor":0},"user_configs":{"protocols":{
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}}}}
EOF

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_port() {
    for _ in $(seq 1 300); do
        if python3 -c "import socket,sys; socket.create_connection(('127.0.0.1',$1),0.2)" 2>/dev/null; then
            return 0
        fi
        python3 -c 'import time; time.sleep(0.05)'
    done
    return 1
}

# measure NAME COMMAND... : start the server, run the load, stop it; one JSON line in $work/NAME.
measure() {
    local name="$1"; shift
    echo "==> $name" >&2
    "$@" >"$work/$name.log" 2>&1 &
    local pid=$!
    if ! wait_port "$client_port" || ! wait_port "$device_port"; then
        python3 -c 'import json,sys; print(json.dumps({"ok": False, "reason": "the server did not listen; its log ends: " + open(sys.argv[1], errors="replace").read()[-300:]}))' \
            "$work/$name.log" >"$work/$name.json"
    else
        timeout 600 "$loadgen" --bench --client "ws://127.0.0.1:$client_port" \
            --device "ws://127.0.0.1:$device_port" --pid "$pid" --commands "$commands" \
            --inflight "$inflight" --devices "$devices" --spec 4 >"$work/$name.json" \
            || echo '{"ok":false,"reason":"the load generator failed or timed out"}' >"$work/$name.json"
    fi
    kill -INT "$pid" 2>/dev/null || true
    timeout 20 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

client_port="$(free_port)"; device_port="$(free_port)"
measure teleplug "$target_dir/release/teleplug" serve --port "$client_port" \
    --device-websocket-port "$device_port" --user-device-config "$config" \
    --no-bluetooth --no-serial --no-hid --no-gamepad --log error

client_port="$(free_port)"; device_port="$(free_port)"
measure "intiface-engine-$peer_version" "$peer" --websocket-port "$client_port" \
    --use-device-websocket-server --device-websocket-server-port "$device_port" \
    --user-device-config-file "$config"

python3 - "$work/teleplug.json" "$work/intiface-engine-$peer_version.json" \
    "intiface-engine $peer_version" "$commands" "$(uname -m) $(nproc) cores" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
peer, commands, machine = sys.argv[3], sys.argv[4], sys.argv[5]
print(f"Side by side, one run, {commands} commands per row, {machine}; client and toy: "
      "benches/compare.rs (raw JSON over WebSocket, Lovense Hush dialing in).\n")
failed = [(n, r) for n, r in (("Teleplug", a), (peer, b)) if not r.get("ok")]
for n, r in failed:
    print(f"**{n} FAILED**: {r.get('reason')}\n")
def cell(r, i, key, fmt):
    if not r.get("ok"): return "failed"
    return fmt.format(r["steps"][i][key])
rows = [("commands/s", "per_second", "{:,.0f}"),
        ("reply RTT p50 / p99 (µs)", None, None),
        ("send → device write p50 / p99 (µs)", None, None),
        ("writes reaching the toy (commands waiting for the toy may be merged)", "device_writes", "{:,}"),
        ("server CPU per command (µs)", "server_cpu_us_per_cmd", "{:.1f}"),
        ("load generator CPU per command (µs)", "client_cpu_us_per_cmd", "{:.1f}")]
steps = a["steps"] if a.get("ok") else b.get("steps", [])
print(f"| in flight | figure | Teleplug | {peer} | Teleplug's lead (×) |")
print("|---|---|---|---|---|")
for i, s in enumerate(steps):
    k = s["inflight"]
    for label, key, fmt in rows:
        if key is None:
            base = "rtt" if "RTT" in label else "write"
            def pair(r):
                if not r.get("ok"): return "failed"
                st = r["steps"][i]
                return f"{st[base+'_p50_us']:.0f} / {st[base+'_p99_us']:.0f}"
            ratio = ""
            if not failed:
                ratio = f"{b['steps'][i][base+'_p50_us'] / a['steps'][i][base+'_p50_us']:.2f} (p50)"
            print(f"| {k} | {label} | {pair(a)} | {pair(b)} | {ratio} |")
        else:
            ratio = ""
            if not failed and "load generator" not in label and key != "device_writes":
                x, y = a['steps'][i][key], b['steps'][i][key]
                # CPU time comes in 10 ms ticks: a short run may count none on one side.
                ratio = f"{(x / y if key == 'per_second' else y / x):.2f}" if x and y else "too few CPU ticks"
            print(f"| {k} | {label} | {cell(a, i, key, fmt)} | {cell(b, i, key, fmt)} | {ratio} |")
def mem(r, key):
    return f"{r[key] / 1024:.1f} MiB" if r.get("ok") else "failed"
print(f"| — | resident memory, idle | {mem(a, 'idle_rss_kib')} | {mem(b, 'idle_rss_kib')} | |")
n = a.get("devices") or b.get("devices") or "the"
print(f"| — | resident memory, {n} toys connected | {mem(a, 'devices_rss_kib')} | {mem(b, 'devices_rss_kib')} | |")
sys.exit(1 if failed else 0)
PY
