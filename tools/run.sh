#!/usr/bin/env bash
# smtpc entry points.
#
#   tools/run.sh build    configure and build into build/
#   tools/run.sh test     build, ctest, sanitizer build + ctest, valgrind on the
#                         unit tests, cross builds (tools/cross.sh), then the
#                         interop suite (needs root)
#   tools/run.sh demo     build and run the simulator demo
#
# Works from any directory. Environment: SMTPC_JOBS (parallel jobs, default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

JOBS="${SMTPC_JOBS:-2}"
# Bounds every test; the slowest (interop) scripts keep their own limits.
CTEST_TIMEOUT=300

section() {
    printf '\n==== %s ====\n' "$*"
}

usage() {
    echo "usage: $0 build|test|demo" >&2
    exit 2
}

do_build() {
    section "build (build/, RelWithDebInfo)"
    cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo &&
        cmake --build build -j"$JOBS"
}

# ------------------------------------------------------------------ test ---

results=()
failed=0
skipped=0

record() { # name status
    results+=("$(printf '%-28s %s' "$1" "$2")")
    case "$2" in
        FAIL) failed=1 ;;
        SKIP) skipped=1 ;;
    esac
}

step() { # name command...
    local name="$1"
    shift
    section "$name"
    if "$@"; then
        record "$name" PASS
    else
        record "$name" FAIL
    fi
}

# Test counts over every suite, for the closing "N passed, M failed" line.
tally_pass=0
tally_fail=0
LOGDIR="$ROOT/build/test-logs"

tally_ctest() { # log file of a ctest run
    local line total failed
    line=$(grep -E '^[0-9]+% tests passed, [0-9]+ tests? failed out of [0-9]+' "$1" | tail -1 || true)
    if [ -z "$line" ]; then
        tally_fail=$((tally_fail + 1)) # no summary: the run itself failed
        return
    fi
    failed=$(printf '%s' "$line" | sed -E 's/.* ([0-9]+) tests? failed out of.*/\1/')
    total=$(printf '%s' "$line" | sed -E 's/.*out of ([0-9]+).*/\1/')
    tally_pass=$((tally_pass + total - failed))
    tally_fail=$((tally_fail + failed))
}

ctest_main() {
    mkdir -p "$LOGDIR"
    local rc
    set +e
    ctest --test-dir build -j"$JOBS" --output-on-failure --timeout "$CTEST_TIMEOUT" |
        tee "$LOGDIR/ctest.log"
    rc=${PIPESTATUS[0]}
    set -e
    tally_ctest "$LOGDIR/ctest.log"
    return "$rc"
}

asan_build_and_test() {
    cmake -S . -B build-asan -DCMAKE_BUILD_TYPE=Debug -DSMTPC_SANITIZE="address;undefined" &&
        cmake --build build-asan -j"$JOBS" &&
        run_asan_ctest
}

run_asan_ctest() {
    mkdir -p "$LOGDIR"
    local rc
    set +e
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
        ctest --test-dir build-asan -j"$JOBS" --output-on-failure --timeout "$CTEST_TIMEOUT" |
        tee "$LOGDIR/ctest-asan.log"
    rc=${PIPESTATUS[0]}
    set -e
    tally_ctest "$LOGDIR/ctest-asan.log"
    return "$rc"
}

valgrind_unit() {
    section "valgrind (unit)"
    if ctest --test-dir build -L unit -N | grep -q '^Total Tests: 0$'; then
        echo "skipped: no test carries the label 'unit'"
        record "valgrind (unit)" SKIP
        return
    fi
    # CTest's memcheck mode needs no DartConfiguration when the command is given here.
    if ctest --test-dir build -L unit -T memcheck --timeout "$CTEST_TIMEOUT" \
        --overwrite MemoryCheckCommand="$(command -v valgrind)" \
        --overwrite "MemoryCheckCommandOptions=--error-exitcode=1 --leak-check=full \
--errors-for-leak-kinds=definite,indirect --track-origins=yes"; then
        record "valgrind (unit)" PASS
    else
        record "valgrind (unit)" FAIL
    fi
}

# Run a real-peer suite as root (sudo -n when not root): NAME for the summary,
# PREFIX of its closing "PREFIX: N passed, M failed" line (counted in the
# tally), LOG file name, then the command. Exit 77 is the suite's "cannot run
# here": a skip, not a pass.
run_root_suite() { # name prefix log command...
    local name=$1 prefix=$2 log="$LOGDIR/$3" rc=0 line
    shift 3
    local runner=()
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
            runner=(sudo -n)
        else
            echo "skipped: $name needs root (network namespaces, Postfix, TAP)"
            record "$name" SKIP
            return
        fi
    fi
    mkdir -p "$LOGDIR"
    set +e
    "${runner[@]}" "$@" | tee "$log"
    rc=${PIPESTATUS[0]}
    set -e
    line=$(grep -E "^$prefix: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1 || true)
    if [ -n "$line" ]; then
        tally_pass=$((tally_pass + $(printf '%s' "$line" | sed -E "s/^$prefix: ([0-9]+) passed.*/\1/")))
        tally_fail=$((tally_fail + $(printf '%s' "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')))
    elif [ "$rc" -ne 77 ]; then
        tally_fail=$((tally_fail + 1))
    fi
    case "$rc" in
        0) record "$name" PASS ;;
        77) record "$name" SKIP ;;
        *) record "$name" FAIL ;;
    esac
}

interop() {
    local script=tests/interop/run.sh
    section "interop (Postfix, unbound, nginx)"
    if [ ! -f "$script" ]; then
        echo "skipped: $script does not exist"
        record interop SKIP
        return
    fi
    # The world's state goes to the build directory to keep the tree clean.
    run_root_suite interop interop interop.log \
        env TW_STATE="$ROOT/build/interop-state" bash "$script" build/examples
}

# lwIP: a host-lwip build (lwIP and mbedTLS built from Debian's source
# packages, fetched once into build/deps) in build/host-lwip, and its interop
# run over a TAP device in a namespace of its own (smtpc-lwip). The checks
# count in the closing tally like the interop suite's.
lwip() {
    section "lwIP (host-lwip build, interop over TAP)"
    if ! tools/fetch-sources.sh build/deps lwip mbedtls >/dev/null ||
        ! cmake -S . -B build/host-lwip -DSMTPC_BOARD=host-lwip \
            -DSMTPC_DEPS_DIR="$ROOT/build/deps" -DCMAKE_BUILD_TYPE=RelWithDebInfo ||
        ! cmake --build build/host-lwip -j"$JOBS"; then
        record "lwip (build)" FAIL
        tally_fail=$((tally_fail + 1))
        return
    fi
    record "lwip (build)" PASS
    run_root_suite "lwip (interop)" interop-lwip interop-lwip.log \
        env TW_NS=smtpc-lwip TW_STATE="$ROOT/build/lwip-state" \
        bash tests/interop/lwip/run.sh build/host-lwip/boards/host-lwip
}

do_test() {
    local start=$SECONDS
    section "dependencies"
    tools/deps.sh build world cross
    if ! do_build; then
        record build FAIL
    else
        record build PASS
        step "ctest" ctest_main
        step "sanitizers (asan+ubsan)" asan_build_and_test
        valgrind_unit
        # Robustness (issue 9): each fuzz target for a short fixed time on top
        # of the corpus replay in ctest, the configuration matrix, cppcheck +
        # clang-tidy + clang-format, and the stack report (no recursion).
        step "fuzz (8 s per target)" tools/fuzz.sh 8
        step "configuration matrix" tools/matrix.sh
        step "static analysis" tools/static.sh
        step "stack (no recursion)" tools/stack.sh
        step "cross (cortex-m4, riscv32)" tools/cross.sh
        interop
        lwip
    fi
    section "summary ($((SECONDS - start)) s)"
    printf '%s\n' "${results[@]}"
    if [ "$failed" -ne 0 ]; then
        echo "RESULT: FAIL"
    elif [ "$skipped" -ne 0 ]; then
        echo "RESULT: PASS (some parts skipped, see above)"
    else
        echo "RESULT: PASS"
    fi
    # Closing tally over ctest (plain and sanitizer builds) and interop checks.
    echo "$tally_pass passed, $tally_fail failed"
    [ "$failed" -eq 0 ]
}

do_demo() {
    local sim=build/tests/sim/smtpc-sim
    tools/deps.sh build
    do_build
    section "demo"
    if [ ! -x "$sim" ]; then
        echo "demo: $sim is missing (the simulator was not built)" >&2
        exit 1
    fi
    # The policy cache lives in a NOR-emulating file: run the demo twice and
    # the second run takes the policy from flash (no HTTPS fetch).
    "$sim" demo "${1:-build/demo-policy-cache.bin}"
}

[ $# -ge 1 ] || usage
cmd="$1"
shift
case "$cmd" in
    build)
        tools/deps.sh build
        do_build
        ;;
    test) do_test ;;
    demo) do_demo "$@" ;;
    *) usage ;;
esac
