#!/usr/bin/env bash
# Teleplug's server beside the reference one (intiface-engine from crates.io), measured in one
# run with the same client, the same load and the same simulated toy (BENCHMARKS.md, "Side by
# side with Intiface Engine"). Not part of the test command: it takes minutes and its figures
# depend on the machine.
#
#   scripts/compare.sh [--peer-version 4.0.4] [--commands 40000] [--inflight 1,16,256]
#                      [--devices 100] [--bursts 10] [--rounds 3]
#
# 1. builds the peer once into target/peer/intiface-engine-<version> (`cargo install`; 5.0.x
#    needs a newer rustc than 1.95: `RUSTUP_TOOLCHAIN=nightly scripts/compare.sh
#    --peer-version 5.0.5`), and Teleplug's release binary and the load generator
#    (benches/compare.rs);
# 2. for each server in turn: starts it on free loopback ports with the device WebSocket
#    listener on and only that transport, with one user config that maps the toy's handshake
#    identifier to the lovense protocol; runs the load generator (client and toy in one
#    process, raw JSON, no Buttplug library); stops the server;
# 3. prints one Markdown table for the load and one for the control quality under a slow
#    device (200 Hz updates to a toy with a 75 ms message gap). A side that failed, timed out
#    or lost commands is reported as failed and no ratio is printed.
# Beside the two servers it measures the floor (benches/compare/floor.rs): a minimal relay doing
# only the socket work of each command, to show how much of a server's cost is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

peer_version=4.0.4
commands=40000
inflight=1,16,256
devices=100
bursts=10
rounds=3
while [ $# -gt 0 ]; do
    case "$1" in
        --peer-version) peer_version="$2"; shift 2 ;;
        --commands) commands="$2"; shift 2 ;;
        --inflight) inflight="$2"; shift 2 ;;
        --devices) devices="$2"; shift 2 ;;
        --bursts) bursts="$2"; shift 2 ;;
        --rounds) rounds="$2"; shift 2 ;;
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
# Its device entry gives the control-quality toy ("bench-toy-q", a Lovense Hush: base
# definition 37642e1c… and the lovense defaults' two features) a 75 ms message gap.
cat >"$config" <<'EOF'
{"version":{"major":5,"minor":0},"user_configs":{"protocols":{
  "lovense":{"communication":[{"websocket":{"name":"LVSDevice"}}]}},
 "devices":[{"identifier":{"address":"bench-toy-q","protocol":"lovense","identifier":"Z"},
  "config":{"id":"6d1f0a52-8c1e-4f0e-9a51-3b2f4e7c9d10","base_id":"37642e1c-a416-44d3-bada-76b6d9e245c9",
   "features":[{"id":"0b9e7a3c-5d21-4c8f-a6e2-1f4d3c2b1a01","base_id":"3f7a25a5-df21-42ca-bf9f-d1c52df1f37e"},
               {"id":"0b9e7a3c-5d21-4c8f-a6e2-1f4d3c2b1a02","base_id":"14bd7637-13ed-49ba-9eb9-9c8ba9abec20"}],
   "user_config":{"allow":false,"deny":false,"index":500,"message_gap_ms":75}}}]}}
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
            --inflight "$inflight" --devices "$devices" --bursts "$bursts" --spec 4 >"$work/$name.json" \
            || echo '{"ok":false,"reason":"the load generator failed or timed out"}' >"$work/$name.json"
    fi
    kill -INT "$pid" 2>/dev/null || true
    timeout 20 tail --pid="$pid" -f /dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}

# Rounds alternate the three sides (Teleplug, peer, floor, Teleplug, ...), so a slow spell of
# the machine falls on all of them; the table shows each figure's median over the rounds.
for round in $(seq 1 "$rounds"); do
    echo "==> round $round of $rounds" >&2
    client_port="$(free_port)"; device_port="$(free_port)"
    # Each server gets its own copy (Teleplug writes new devices back into it).
    cp "$config" "$work/teleplug-config.json"; cp "$config" "$work/peer-config.json"
    measure "teleplug-$round" "$target_dir/release/teleplug" serve --port "$client_port" \
        --device-websocket-port "$device_port" --user-device-config "$work/teleplug-config.json" \
        --no-bluetooth --no-serial --no-hid --no-gamepad --log error

    client_port="$(free_port)"; device_port="$(free_port)"
    measure "peer-$round" "$peer" --websocket-port "$client_port" \
        --use-device-websocket-server --device-websocket-server-port "$device_port" \
        --user-device-config-file "$work/peer-config.json"

    # The floor: the load generator's own minimal relay (benches/compare/floor.rs), which does
    # only the socket work every server must do per command. No message gap: no quality bursts.
    client_port="$(free_port)"; device_port="$(free_port)"
    bursts_saved="$bursts"; bursts=0
    measure "floor-$round" "$loadgen" --bench --floor --port "$client_port" --device-port "$device_port"
    bursts="$bursts_saved"
done

python3 - "$work" "$rounds" "intiface-engine $peer_version" "$commands" \
    "$(uname -m) $(nproc) cores" <<'PY'
import json, statistics, sys
work, rounds = sys.argv[1], int(sys.argv[2])
def merged(name):
    """The rounds of one side as one result: each figure's median; failed if any round failed."""
    runs = [json.load(open(f"{work}/{name}-{r}.json")) for r in range(1, rounds + 1)]
    bad = [r for r in runs if not r.get("ok")]
    if bad:
        return {"ok": False, "reason": f"{len(bad)} of {rounds} rounds failed: " + bad[0].get("reason", "")}
    def med(dicts):
        out = {}
        for key, v in dicts[0].items():
            vals = [d.get(key) for d in dicts]
            if all(isinstance(x, bool) for x in vals):
                out[key] = all(vals)
            elif all(isinstance(x, (int, float)) and not isinstance(x, bool) for x in vals):
                out[key] = statistics.median_low(vals)
            else:
                out[key] = v
        return out
    result = med(runs)
    steps = []
    for i in range(len(runs[0]["steps"])):
        st = [r["steps"][i] for r in runs]
        failed = [x for x in st if not x.get("ok")]
        steps.append({"inflight": st[0]["inflight"], "ok": False,
                      "reason": f"{len(failed)} of {rounds} rounds: " + failed[0].get("reason", "")}
                     if failed else med(st))
    result["steps"] = steps
    q = [r.get("quality") for r in runs]
    result["quality"] = med(q) if all(q) else None
    return result
a, b, f = merged("teleplug"), merged("peer"), merged("floor")
peer, commands, machine = sys.argv[3], sys.argv[4], sys.argv[5]
print(f"Side by side, one run of {rounds} rounds (sides alternating, each figure the (low) median "
      f"over the rounds), {commands} commands per row, {machine}; client and toy: "
      "benches/compare/main.rs (raw JSON over WebSocket, Lovense Hush dialing in). "
      "Floor: benches/compare/floor.rs, not a Buttplug server, only the socket work each "
      "command needs (no ratio is taken against it).\n")
failed = [(n, r) for n, r in (("Teleplug", a), (peer, b)) if not r.get("ok")]
for n, r in failed + ([("floor", f)] if not f.get("ok") else []):
    print(f"**{n} FAILED**: {r.get('reason')}\n")
def step_ok(r, i):
    return bool(r.get("ok")) and r["steps"][i].get("ok", False)
for n, r in (("Teleplug", a), (peer, b), ("floor", f)):
    for st in (r.get("steps") or []) if r.get("ok") else []:
        if not st.get("ok"):
            print(f"**{n} FAILED at {st['inflight']} in flight**: {st.get('reason')}\n")
def cell(r, i, key, fmt):
    if not step_ok(r, i): return "failed"
    return fmt.format(r["steps"][i][key])
rows = [("commands/s", "per_second", "{:,.0f}"),
        ("reply RTT p50 / p99 (µs)", None, None),
        ("send → device write p50 / p99 (µs)", None, None),
        ("writes reaching the toy (commands waiting for the toy may be merged)", "device_writes", "{:,}"),
        ("server CPU per command (µs)", "server_cpu_us_per_cmd", "{:.1f}"),
        ("load generator CPU per command (µs)", "client_cpu_us_per_cmd", "{:.1f}")]
steps = a["steps"] if a.get("ok") else b.get("steps") or f.get("steps") or []
print(f"| in flight | figure | Teleplug | {peer} | Teleplug's lead (×) | floor |")
print("|---|---|---|---|---|---|")
for i, s in enumerate(steps):
    k = s["inflight"]
    for label, key, fmt in rows:
        if key is None:
            base = "rtt" if "RTT" in label else "write"
            def pair(r):
                if not step_ok(r, i): return "failed"
                st = r["steps"][i]
                if st[base+'_p50_us'] is None: return "— (merged)"
                return f"{st[base+'_p50_us']:.0f} / {st[base+'_p99_us']:.0f}"
            ratio = ""
            if step_ok(a, i) and step_ok(b, i) and all(
                    r["steps"][i][base+'_p50_us'] is not None for r in (a, b)):
                ratio = f"{b['steps'][i][base+'_p50_us'] / a['steps'][i][base+'_p50_us']:.2f} (p50)"
            print(f"| {k} | {label} | {pair(a)} | {pair(b)} | {ratio} | {pair(f)} |")
        else:
            ratio = ""
            if step_ok(a, i) and step_ok(b, i) and "load generator" not in label and key != "device_writes":
                x, y = a['steps'][i][key], b['steps'][i][key]
                # CPU time comes in 10 ms ticks: a short run may count none on one side.
                ratio = f"{(x / y if key == 'per_second' else y / x):.2f}" if x and y else "too few CPU ticks"
            print(f"| {k} | {label} | {cell(a, i, key, fmt)} | {cell(b, i, key, fmt)} | {ratio} | {cell(f, i, key, fmt)} |")
    # Only where all three wrote every command: merged writes are less work than the floor's.
    if all(step_ok(r, i) and r["steps"][i]["device_writes"] >= r["steps"][i]["commands"]
           for r in (a, b, f)):
        key = "server_cpu_us_per_cmd"
        x, y, z = a["steps"][i][key], b["steps"][i][key], f["steps"][i][key]
        lead = f"{(y - z) / (x - z):.2f}" if x > z and y > z else ""
        print(f"| {k} | server CPU per command above the floor (µs) | {x - z:.1f} | {y - z:.1f} | {lead} | |")
def mem(r, key):
    return f"{r[key] / 1024:.1f} MiB" if r.get("ok") else "failed"
print(f"| — | resident memory, idle | {mem(a, 'idle_rss_kib')} | {mem(b, 'idle_rss_kib')} | | {mem(f, 'idle_rss_kib')} |")
n = a.get("devices") or b.get("devices") or "the"
print(f"| — | resident memory, {n} toys connected | {mem(a, 'devices_rss_kib')} | {mem(b, 'devices_rss_kib')} | | {mem(f, 'devices_rss_kib')} |")
qa, qb = a.get("quality"), b.get("quality")
if qa or qb:
    q = qa or qb
    print(f"\nControl quality: Vibrate updates at {q['update_hz']} Hz to a toy whose message gap is "
          f"{q['gap_ms']} ms, {q['bursts']} bursts of 1 s to 1 s + one gap ({q['commands']} commands); "
          "ages and delays from the command's send to the toy's read of the bytes.\n")
    print(f"| figure | Teleplug | {peer} |")
    print("|---|---|---|")
    def qcell(r, key, fmt):
        r = r if r and r.get("ok") else None
        return fmt.format(r["quality"][key]) if r and r.get("quality") else "failed"
    for label, key, fmt in [
            ("writes reaching the toy per second while commands come (one per gap: {:.1f})".format(1000 / q["gap_ms"]), "writes_per_second", "{:.2f}"),
            ("shortest interval between two writes (ms)", "min_spacing_ms", "{:.1f}"),
            ("the gap is respected", "gap_respected", "{}"),
            ("time the toy is behind the app, mean over the bursts (ms)", "behind_mean_ms", "{:.2f}"),
            ("age of the written value p50 (ms)", "age_p50_ms", "{:.2f}"),
            ("age of the written value p99 (ms)", "age_p99_ms", "{:.2f}"),
            ("age of the written value, max (ms)", "age_max_ms", "{:.2f}"),
            ("write late beyond the moment the gap allowed it, p50 (ms)", "late_p50_ms", "{:.2f}"),
            ("write late beyond the moment the gap allowed it, p99 (ms)", "late_p99_ms", "{:.2f}"),
            ("first command after a pause → its write, p50 (ms)", "first_delay_p50_ms", "{:.2f}"),
            ("first command after a pause → its write, max (ms)", "first_delay_max_ms", "{:.2f}"),
            ("written value already replaced by a newer command, p50 (ms)", "superseded_p50_ms", "{:.2f}"),
            ("written value already replaced by a newer command, p99 (ms)", "superseded_p99_ms", "{:.2f}"),
            ("bursts whose last command was written", "last_written", "{} of " + str(q["bursts"])),
            ("last command → its write, p50 (ms)", "last_delay_p50_ms", "{:.1f}"),
            ("last command → its write, max (ms)", "last_delay_max_ms", "{:.1f}")]:
        print(f"| {label} | {qcell(a, key, fmt)} | {qcell(b, key, fmt)} |")
step_failed = any(not st.get("ok") for r in (a, b) if r.get("ok") for st in r["steps"])
sys.exit(1 if failed or step_failed else 0)
PY
