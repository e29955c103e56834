#!/usr/bin/env bash
# Instructions per command on a hot path, counted by callgrind (repeatable on a loaded machine).
#
#   scripts/callgrind.sh [embedded|ffi|ws] [current|multi] [N]
#
# Runs the bench binary's fixed workload (`profile WHAT N FLAVOUR`) with 1,000 and with N+1,000
# commands and prints (Ir(N+1000) − Ir(1000)) / N: set-up, connection and shutdown cancel out.
# The profile of the larger run is kept in target/callgrind/WHAT-FLAVOUR.out for
# `callgrind_annotate --inclusive=yes target/callgrind/WHAT-FLAVOUR.out | head -60`.
set -euo pipefail
what="${1:-embedded}"
flavour="${2:-current}"
n="${3:-10000}"
cd "$(dirname "$0")/.."
bin=$(cargo bench --bench perf --no-run --message-format=json 2>/dev/null |
  python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m["target"]["name"] == "perf" and m.get("executable"):
        print(m["executable"])')
mkdir -p target/callgrind
count() {
  local out="target/callgrind/$what-$flavour-$1.out"
  valgrind --tool=callgrind --callgrind-out-file="$out" "$bin" --bench profile "$what" "$1" "$flavour" \
    >/dev/null 2>"$out.log"
  grep -E '^(summary|totals):' "$out" | head -1 | awk '{print $2}'
}
base=$(count 1000)
full=$(count $((n + 1000)))
mv "target/callgrind/$what-$flavour-$((n + 1000)).out" "target/callgrind/$what-$flavour.out"
echo "$what ($flavour): $(( (full - base) / n )) instructions per command (Ir $base for 1000, $full for $((n + 1000)))"
