#!/usr/bin/env bash
# Cross builds of the firmware boards, warnings as errors for smtpc's code:
#   cortex-m4  complete image (smtpc + lwIP + mbedTLS + cJSON + newlib-nano)
#              into build-fp-cortex-m4/, checked free of heap/gmtime/printf
#   riscv32    core compile and size check (freestanding) into build-fp-riscv32/
#
#   tools/cross.sh [cortex-m4|riscv32 ...]      (default: both)
#
# Third-party sources: tools/fetch-sources.sh build/deps (Debian source
# packages, cached). Environment: SMTPC_JOBS (default 2), SMTPC_DEPS_DIR.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${SMTPC_JOBS:-2}"
DEPS="${SMTPC_DEPS_DIR:-$ROOT/build/deps}"

[ $# -gt 0 ] || set -- cortex-m4 riscv32
for board in "$@"; do
    case "$board" in
        cortex-m4)
            tools/fetch-sources.sh "$DEPS" mbedtls lwip cjson > /dev/null
            ;;
        riscv32) ;;
        *) echo "cross.sh: unknown board $board" >&2; exit 2 ;;
    esac
    dir="build-fp-$board"
    echo "== $board -> $dir"
    mkdir -p "$dir"
    cmake -S . -B "$dir" -DSMTPC_BOARD="$board" -DCMAKE_BUILD_TYPE=MinSizeRel \
        -DSMTPC_DEPS_DIR="$DEPS" > "$dir/configure.log" 2>&1 ||
        { cat "$dir/configure.log"; exit 1; }
    log="$dir/build.log"
    if ! cmake --build "$dir" -j"$JOBS" > "$log" 2>&1; then
        grep -E 'error|Error|undefined' "$log" | head -40
        echo "cross.sh: $board build FAILED (full log: $log)" >&2
        exit 1
    fi
    # smtpc's own code must build warning-free (-Werror covers it; third-party
    # code keeps its warnings visible without failing, and is not counted).
    own=$(grep -E 'warning:' "$log" | grep -v -E '/deps/src/|check_config' || true)
    if [ -n "$own" ]; then
        echo "$own"
        echo "cross.sh: $board has warnings in smtpc code" >&2
        exit 1
    fi
    third=$(grep -c -E 'warning:' "$log" || true)
    echo "   ok ($third third-party warnings, see $log)"
done
