#!/usr/bin/env bash
# Static analysis of core/ and port/: cppcheck, clang-tidy (checks in
# .clang-tidy, exclusions explained there) and the clang-format check.
#
#   tools/static.sh [cppcheck] [tidy] [format]     default: all three
#
# cppcheck and clang-tidy must report nothing; every C file of the tree
# (core, port, boards, tests, examples, tools) must be as clang-format
# (.clang-format) leaves it. port/lwip is analysed when its files are in the
# compile database (board host-lwip); otherwise cppcheck alone looks at it.
#
# Environment: SMTPC_SA_DIR (build directory for the compile database,
# default build-sa), SMTPC_JOBS (default 2).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
B="${SMTPC_SA_DIR:-build-sa}"
JOBS="${SMTPC_JOBS:-2}"
WHAT=("$@")
[ ${#WHAT[@]} -gt 0 ] || WHAT=(cppcheck tidy format)
status=0

sources() { # core and port C files tracked or present
    find core/src port -name '*.c' | sort
}

run_cppcheck() {
    echo "==== cppcheck $(cppcheck --version | awk '{print $2}') ===="
    local inc=(-I core/include -I boards/host)
    local d
    for d in port/*/; do
        inc+=(-I "$d")
    done
    # One configuration (the host board's options, JSON off so no cJSON
    # header is needed); missingIncludeSystem: libc and third-party headers
    # are not analysed.
    if cppcheck --std=c99 --enable=warning,portability,performance --inline-suppr \
        --error-exitcode=1 -q -j "$JOBS" "${inc[@]}" -DSMTPC_ENABLE_TLSRPT_JSON=0 \
        --suppress=missingIncludeSystem --suppress=unmatchedSuppression \
        $(sources) 2>&1 | tee "$B/cppcheck.log"; then
        if [ -s "$B/cppcheck.log" ]; then
            status=1
        else
            echo "cppcheck: clean ($(sources | wc -l) files)"
        fi
    else
        status=1
    fi
}

run_tidy() {
    echo "==== clang-tidy $(clang-tidy --version | sed -n 's/.*version \([0-9.]*\).*/\1/p' | head -1) ===="
    cmake -S . -B "$B" -DCMAKE_EXPORT_COMPILE_COMMANDS=ON -DSMTPC_BUILD_TESTS=OFF \
        -DSMTPC_BUILD_EXAMPLES=OFF >"$B/configure.log" 2>&1 || { cat "$B/configure.log"; status=1; return; }
    local files=() f skipped=()
    for f in $(sources); do
        if grep -q "\"file\": \"$ROOT/$f\"" "$B/compile_commands.json" ||
            grep -q "\"file\": \"$f\"" "$B/compile_commands.json"; then
            files+=("$f")
        else
            skipped+=("$f")
        fi
    done
    [ ${#skipped[@]} -eq 0 ] || echo "clang-tidy: not in this build's compile database: ${skipped[*]}"
    : >"$B/tidy.log"
    printf '%s\n' "${files[@]}" | xargs -P "$JOBS" -n 4 clang-tidy -p "$B" --quiet \
        >>"$B/tidy.log" 2>/dev/null || true
    if grep -qE '(warning|error):' "$B/tidy.log"; then
        grep -E -A3 '(warning|error):' "$B/tidy.log"
        echo "clang-tidy: $(grep -cE '(warning|error):' "$B/tidy.log") finding(s)"
        status=1
    else
        echo "clang-tidy: clean (${#files[@]} files)"
    fi
}

run_format() {
    echo "==== clang-format $(clang-format --version | sed -n 's/.*version \([0-9.]*\).*/\1/p') ===="
    local f n dev=0 total=0
    while IFS= read -r f; do
        total=$((total + 1))
        n=$(clang-format --style=file "$f" | diff "$f" - | grep -c '^[<>]' || true)
        if [ "$n" -ne 0 ]; then
            echo "  FAIL $f: $n changed lines (run: clang-format --style=file -i $f)"
            dev=$((dev + 1))
        fi
    done < <(find core port boards tests examples tools -name '*.[ch]' -not -path '*/corpus/*' | sort)
    echo "clang-format: $dev of $total file(s) deviate"
    [ "$dev" -eq 0 ] || status=1
}

mkdir -p "$B"
for w in "${WHAT[@]}"; do
    case "$w" in
        cppcheck) run_cppcheck ;;
        tidy) run_tidy ;;
        format) run_format ;;
        *) echo "usage: $0 [cppcheck] [tidy] [format]" >&2; exit 2 ;;
    esac
done
exit "$status"
