#!/usr/bin/env bash
# Runs the fuzz suite (fuzz/, cargo-fuzz with libFuzzer and AddressSanitizer) for a bounded time
# per target, starting from a copy of the repository's seed corpus so fuzz/corpus/ is never
# changed. Any crash, sanitizer report, hang (-timeout) or failed harness check fails the script
# and prints the saved input's path. See fuzz/README.md.
#
#   scripts/fuzz.sh                    every target for 20 s (the test-all.sh stage)
#   scripts/fuzz.sh --time 60 TARGET   one target for 60 s
#   scripts/fuzz.sh --long 3600        every target for an hour, growing a working corpus kept in
#                                      fuzz/target/corpus/ between long runs
#
# Installs what it needs when missing: the nightly toolchain and cargo-fuzz. Builds into
# fuzz/target (not the shared target/), once for all targets, then runs the built binaries.
set -euo pipefail
cd "$(dirname "$0")/.."

TARGETS=(json_frame ffi_request user_config notifications)
seconds=20
long=0
chosen=()
while [ $# -gt 0 ]; do
    case "$1" in
        --time) seconds="$2"; shift 2 ;;
        --long) seconds="$2"; long=1; shift 2 ;;
        -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
        -*) echo "unknown option $1" >&2; exit 2 ;;
        *) chosen+=("$1"); shift ;;
    esac
done
[ ${#chosen[@]} -gt 0 ] && TARGETS=("${chosen[@]}")

if ! rustup run nightly rustc --version >/dev/null 2>&1; then
    echo "installing the nightly toolchain (cargo-fuzz needs it for the sanitizer flags)"
    rustup toolchain install nightly --profile minimal
fi
if ! command -v cargo-fuzz >/dev/null 2>&1; then
    echo "installing cargo-fuzz"
    cargo install cargo-fuzz --locked
fi

cargo fmt --manifest-path fuzz/Cargo.toml --check

start=$(date +%s)
# Debug assertions (hence overflow checks) and ASan are cargo-fuzz's defaults.
cargo +nightly fuzz build
echo "fuzz build: $(( $(date +%s) - start )) s"

host=$(rustc +nightly -vV | sed -n 's/^host: //p')
bin_dir="fuzz/target/$host/release"
work=$(mktemp -d "${TMPDIR:-/tmp}/teleplug-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT

failed=0
for t in "${TARGETS[@]}"; do
    if [ ! -x "$bin_dir/$t" ]; then
        echo "no fuzz target $t (targets: json_frame ffi_request user_config notifications)" >&2
        exit 2
    fi
    if [ "$long" = 1 ]; then
        corpus="fuzz/target/corpus/$t"
        mkdir -p "$corpus"
    else
        corpus="$work/corpus-$t"
        mkdir -p "$corpus"
    fi
    cp -n fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null || true
    artifacts="fuzz/artifacts/$t"
    mkdir -p "$artifacts"
    dict=()
    [ -f "fuzz/dict/$t.dict" ] && dict=(-dict="fuzz/dict/$t.dict")
    log="$work/$t.log"
    echo "==> $t for $seconds s"
    set +e
    "$bin_dir/$t" "$corpus" "${dict[@]}" \
        -max_total_time="$seconds" -timeout=30 -rss_limit_mb=4096 \
        -artifact_prefix="$artifacts/" -print_final_stats=1 >"$log" 2>&1
    rc=$?
    set -e
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -n 1)
    cov=$(sed -n -E 's/^#[0-9]+[[:space:]]+DONE +(cov: [0-9]+ ft: [0-9]+ corp: [^ ]+).*/\1/p' "$log" | tail -n 1)
    if [ "$rc" = 0 ]; then
        echo "    ok: ${runs:-?} runs, ${rate:-?} exec/s, ${cov:-}"
    else
        failed=1
        echo "    FAILED (exit $rc) after ${runs:-?} runs:"
        if grep -q "panicked at" "$log"; then
            # The panic message (a harness check names what differed), without the backtrace.
            sed -n '/panicked at/,/^stack backtrace:/p' "$log" | head -n 40 | cut -c1-2000
        elif grep -q "ERROR: AddressSanitizer" "$log"; then
            sed -n '/ERROR: AddressSanitizer/,$p' "$log" | head -n 40
        else
            tail -n 30 "$log"
        fi | sed 's/^/    | /'
        saved=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log")
        if [ -n "$saved" ]; then
            echo "    input that failed: $saved"
            echo "    reproduce: $bin_dir/$t $saved   (or cargo +nightly fuzz run $t $saved)"
        fi
    fi
done
echo "fuzz total: $(( $(date +%s) - start )) s"
exit "$failed"
