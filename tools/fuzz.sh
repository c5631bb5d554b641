#!/usr/bin/env bash
# Build the libFuzzer targets with clang (ASan + UBSan) and run each one for
# a fixed time, one after the other (never two fuzzers at once).
#
#   tools/fuzz.sh SECONDS [TARGET...]     default: every target of the build
#
# Per target it prints executions, executions per second, coverage (cov:
# from libFuzzer), corpus size and crashes. New inputs go to
# build/fuzz/corpus/<target>/ (the seeds in tests/fuzz/corpus/ are read,
# never written); crash, leak and timeout inputs are saved under
# build/fuzz/crashes/. Every run is appended to build/fuzz/history.tsv, and
# the closing table gives each target's total fuzzing time and executions
# since its last finding.
#
# Environment: SMTPC_FUZZ_BUILD (build directory, default build/fuzz),
# SMTPC_JOBS (build jobs, default 2), SMTPC_FUZZ_ARGS (extra libFuzzer
# flags). Exit status: 0 when no target found anything, 1 otherwise.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

SECS="${1:-}"
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || [ "$SECS" -lt 1 ]; then
    echo "usage: $0 SECONDS [TARGET...]" >&2
    exit 2
fi
shift
B="${SMTPC_FUZZ_BUILD:-build/fuzz}"
case "$B" in /*) ;; *) B="$ROOT/$B" ;; esac
JOBS="${SMTPC_JOBS:-2}"

if ! command -v clang >/dev/null 2>&1; then
    echo "fuzz: clang is not installed (tools/deps.sh build)" >&2
    exit 1
fi

echo "fuzz: building into $B"
mkdir -p "$B"
CC=clang cmake -S . -B "$B" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMTPC_BUILD_FUZZ=ON \
    -DSMTPC_SANITIZE="fuzzer-no-link;address;undefined" -DSMTPC_BUILD_EXAMPLES=OFF \
    >"$B/configure.log" 2>&1 || { cat "$B/configure.log"; exit 1; }
read -r -a all <"$B/fuzz-targets.txt"
all=(${all[@]//;/ })
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")
build_targets=()
for t in "${targets[@]}"; do
    build_targets+=("fuzz_$t")
done
cmake --build "$B" -j"$JOBS" --target "${build_targets[@]}" >"$B/build.log" 2>&1 ||
    { tail -50 "$B/build.log"; exit 1; }

mkdir -p "$B/crashes" "$B/logs"
HIST="$B/history.tsv"
[ -f "$HIST" ] || printf 'date\ttarget\tseconds\texecs\tcov\tcrashes\n' >"$HIST"

export ASAN_OPTIONS="${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

printf '\n%-14s %8s %10s %8s %6s %7s %8s\n' target seconds execs exec/s cov corpus crashes
found=0
for t in "${targets[@]}"; do
    exe="$B/tests/fuzz/fuzz_$t"
    seeds="$ROOT/tests/fuzz/corpus/$t"
    work="$B/corpus/$t"
    log="$B/logs/$t.log"
    mkdir -p "$work"
    before=$(find "$B/crashes" -maxdepth 1 -type f -name "$t-*" | wc -l)
    set +e
    # shellcheck disable=SC2086
    "$exe" -max_total_time="$SECS" -print_final_stats=1 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="$B/crashes/$t-" ${SMTPC_FUZZ_ARGS:-} "$work" "$seeds" >"$log" 2>&1
    rc=$?
    set -e
    after=$(find "$B/crashes" -maxdepth 1 -type f -name "$t-*" | wc -l)
    crashes=$((after - before))
    if [ "$rc" -ne 0 ] && [ "$crashes" -eq 0 ]; then
        crashes=1 # the fuzzer died without leaving an input: still a finding
    fi
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    last=$(grep -E '#[0-9]+.*cov: [0-9]+' "$log" | tail -1 || true)
    cov=$(printf '%s' "$last" | sed -nE 's/.*cov: ([0-9]+).*/\1/p')
    corp=$(printf '%s' "$last" | sed -nE 's/.*corp: ([0-9]+).*/\1/p')
    printf '%-14s %8s %10s %8s %6s %7s %8s\n' "$t" "$SECS" "${execs:-?}" "${rate:-?}" \
        "${cov:-?}" "$corp" "$crashes"
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$SECS" "${execs:-0}" \
        "${cov:-0}" "$crashes" >>"$HIST"
    if [ "$crashes" -ne 0 ]; then
        found=1
        echo "  FINDING in $t: see $log and $B/crashes/$t-*"
        grep -m3 -E 'ERROR: |invariant failed|runtime error' "$log" | sed 's/^/  /' || true
    fi
done

# Time and executions per target since its last finding, over all runs
# recorded in this build directory.
echo
echo "since the last finding (all runs in $HIST):"
awk -F'\t' 'NR > 1 {
        if ($6 > 0) { s[$2] = 0; e[$2] = 0 } else { s[$2] += $3; e[$2] += $4 }
        c[$2] = $5 }
    END { for (t in s) printf "  %-14s %7d s %12d execs  cov %s\n", t, s[t], e[t], c[t] }' \
    "$HIST" | sort
[ "$found" -eq 0 ]
