#!/usr/bin/env bash
# Footprint report (prints, asserts nothing): per board, text/data/bss of
# each core module, each port, smtpc in three profiles, lwIP, mbedTLS,
# cJSON and the linked image; static RAM of the client; the mbedTLS arena
# high-water of real handshakes; the worst-case stack of the step path.
#
#   tools/footprint.sh            build (tools/cross.sh) and print markdown
#   tools/footprint.sh --no-build print from the existing build-fp-* dirs
#
# Builds: build-fp-cortex-m4, build-fp-riscv32 (cross), build-fp-arena
# (host, 32-bit when gcc -m32 works, the arena probe with the Cortex-M4
# mbedTLS configuration).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
JOBS="${SMTPC_JOBS:-2}"
DEPS="${SMTPC_DEPS_DIR:-$ROOT/build/deps}"
PY="tools/footprint/fp_report.py"
build=1
[ "${1:-}" = "--no-build" ] && build=0

if [ "$build" = 1 ]; then
    tools/cross.sh cortex-m4 riscv32 >&2
    m32=()
    if echo 'int main(void){return 0;}' | gcc -m32 -x c -o /dev/null - 2> /dev/null; then
        m32=(-DCMAKE_C_FLAGS=-m32)
    fi
    mkdir -p build-fp-arena
    cmake -S tools/footprint/arena -B build-fp-arena -DCMAKE_BUILD_TYPE=Release \
        -DSMTPC_DEPS_DIR="$DEPS" "${m32[@]}" > build-fp-arena/build.log 2>&1 &&
        cmake --build build-fp-arena -j"$JOBS" >> build-fp-arena/build.log 2>&1 ||
        echo "footprint: arena probe build failed (build-fp-arena/build.log)" >&2
fi

kb() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1024 }'; }
# sum of text/data/bss of the map records matching GROUP (and optional name regex)
map_sum() { # mapfile group [name-regex]
    python3 "$PY" map "$1" | awk -F'\t' -v g="$2" -v n="${3:-.}" \
        '$1 == g && $2 ~ n { t += $3; d += $4; b += $5 } END { printf "%d %d %d\n", t, d, b }'
}
row() { # label text data bss [note]
    printf '| %s | %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4" "${5:-}"
}

board_report() { # board
    local board=$1 dir="build-fp-$1" bd img map nm size
    bd="$dir/boards/$board"
    case $board in
        cortex-m4) nm=arm-none-eabi-nm; size=arm-none-eabi-size ;;
        riscv32) nm=riscv64-unknown-elf-nm; size=riscv64-unknown-elf-size ;;
    esac
    echo
    echo "### $board ($($size --version | head -1 | sed 's/GNU size //'), -Os)"
    echo
    if [ "$board" = cortex-m4 ]; then
        img="$bd/smtpc-cm4-image.elf"
        map="$img.map"
    else
        img="$bd/smtpc-fp-app3"
        [ -f "$img" ] || img="$bd/smtpc-fp-app2"
        map="$img.map"
    fi
    echo "| part | text | data | bss | note |"
    echo "| --- | ---: | ---: | ---: | --- |"
    # core modules: compiled objects (everything), and what the image keeps
    local objs
    objs=$(find "$dir/CMakeFiles/smtpc_core.dir" -name '*.obj' -o -name '*.o' | sort)
    declare -A linked=()
    if [ -f "$map" ]; then
        while IFS=$'\t' read -r g n t d b; do
            [ "$g" = smtpc ] && linked[$n]="$t"
        done < <(python3 "$PY" map "$map")
    fi
    local tt=0 td=0 tb=0
    while IFS=$'\t' read -r n t d b; do
        row "core $n" "$t" "$d" "$b" "linked: ${linked[$n]:-0}"
        tt=$((tt + t)); td=$((td + d)); tb=$((tb + b))
    done < <(python3 "$PY" objs "$nm" "$size" $objs)
    row "**core, all objects**" "**$tt**" "**$td**" "**$tb**" "compiled, before gc-sections ($(kb $tt) KB)"
    # profiles
    local p label
    for p in 1 2 3; do
        case $p in
            1) label="smtpc, submission only" ;;
            2) label="smtpc, + MX delivery, MTA-STS, cache" ;;
            3) label="smtpc, + TLS-RPT" ;;
        esac
        if [ -f "$bd/smtpc-fp-app$p" ]; then
            read -r t d b < <(map_sum "$bd/smtpc-fp-app$p.map" smtpc)
            row "**$label**" "**$t**" "$d" "$b" "linked with --gc-sections ($(kb "$t") KB)"
        else
            row "$label" "-" "-" "-" "not linked (see build log)"
        fi
    done
    if [ "$board" = cortex-m4 ] && [ -f "$map" ]; then
        local g note
        for g in port_lwip port_mbedtls lwip mbedtls cjson libc libgcc board+app; do
            read -r t d b < <(map_sum "$map" "$g")
            note="linked in the image"
            [ "$g" = board+app ] && note="start-up, drivers, example; bss holds the 40 KB mbedTLS arena"
            row "$g" "$t" "$d" "$b" "$note ($(kb "$t") KB)"
        done
        read -r t d b < <(map_sum "$map" smtpc)
        row "smtpc in the image" "$t" "$d" "$b" "$(kb "$t") KB"
        read -r t d b _ < <($size "$img" | tail -1)
        row "**image total**" "**$t**" "**$d**" "**$b**" "$(kb "$t") KB flash text, $(kb $((d + b))) KB static RAM"
    fi
    echo
    # RAM
    local sb sd
    sb=$(find "$dir" -path '*smtpc_fp_sizes_board.dir*' \( -name '*.obj' -o -name '*.o' \) | head -1)
    sd=$(find "$dir" -path '*smtpc_fp_sizes_default.dir*' \( -name '*.obj' -o -name '*.o' \) | head -1)
    if [ -n "$sb" ] && [ -n "$sd" ]; then
        echo "| state (sizeof on $board) | board config | opts.h defaults |"
        echo "| --- | ---: | ---: |"
        join -t $'\t' -a 1 <(python3 "$PY" sizes "$nm" "$sb" | sort) <(python3 "$PY" sizes "$nm" "$sd" | sort) |
            awk -F'\t' '{ printf "| %s | %s | %s |\n", $1, $2, $3 }'
        echo
    fi
    # stack
    local cis
    cis=$(find "$dir" -name '*.ci' | sort)
    if [ -n "$cis" ]; then
        echo "Stack (-fcallgraph-info=su, static frames summed along the call graph):"
        echo
        python3 "$PY" stack smtpc_client_step $(find "$dir/CMakeFiles/smtpc_core.dir" -name '*.ci') |
            awk -F'\t' '{ printf "- step path, core: %s: %s\n", $1, $2 }'
        if [ "$board" = cortex-m4 ]; then
            python3 "$PY" stack mbedtls_ssl_handshake $cis |
                awk -F'\t' '$1 == "worst" || $1 == "path" || $1 == "recursion" { printf "- TLS handshake (mbedTLS, under the step path through tls ops): %s: %s\n", $1, $2 }'
        fi
        echo
    fi
}

echo "## smtpc footprint ($(date -u +%Y-%m-%d), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))"
if grep -q SMTPC_ENABLE_MX core/src/smtpc_client.c; then
    echo
    echo "Profiles: core built with SMTPC_ENABLE_MX=0/1 and SMTPC_ENABLE_TLSRPT=0/1, linked with --gc-sections into tools/footprint/prof_app.c."
else
    echo
    echo "Profiles: SMTPC_ENABLE_MX does not exist yet: the submission profile is the submission-only application linked with --gc-sections against the full core."
fi
for b in cortex-m4 riscv32; do
    [ -d "build-fp-$b" ] && board_report "$b"
done
probe=build-fp-arena/arena/smtpc-arena-probe
if [ -x "$probe" ]; then
    echo "### mbedTLS arena high-water (host probe, Cortex-M4 mbedTLS config, $(file -b "$probe" | cut -d, -f1))"
    echo
    echo '```'
    "$probe" build-fp-arena/arena/certs || echo "probe failed"
    echo '```'
fi
