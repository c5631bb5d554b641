#!/usr/bin/env bash
# Host benchmark (prints ratios measured in this one run; asserts nothing):
# smtpc-send against msmtp, curl and swaks, all sending the same messages to
# the same Postfix of the interop world, plain on port 25 and STARTTLS + AUTH
# on 587; then an MTA-STS delivery with a cold and a warm flash policy cache.
#
#   tools/bench.sh [--quick]            needs root (network namespace, Postfix)
#
# Per client and case: messages per second (N sequential sends), CPU time per
# message (user + sys of the client process), and instructions per message
# from valgrind --tool=callgrind (one send; repeatable on a noisy machine).
# Message set: 1 KB, 100 KB and 2 MB bodies, to 1 and to 10 recipients.
#
# Environment: SMTPC_SEND (default: build-bench/host/examples/smtpc-send,
# built here), TW_NS (smtpc-bench), TW_STATE (build-bench/tw-state),
# SMTPC_JOBS (2). Slow: not part of tools/run.sh test (about 8 minutes).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
export TW_NS="${TW_NS:-smtpc-bench}"
export TW_STATE="${TW_STATE:-$ROOT/build-bench/tw-state}"
TW="$ROOT/tests/interop/world/tw.sh"
JOBS="${SMTPC_JOBS:-2}"

if [ "${1:-}" != "--inner" ]; then
    [ "$(id -u)" -eq 0 ] || { echo "bench.sh: needs root (network namespace, Postfix)" >&2; exit 77; }
    mkdir -p build-bench
    if [ -z "${SMTPC_SEND:-}" ]; then
        cmake -S . -B build-bench/host -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMTPC_BUILD_TESTS=OFF \
            > build-bench/host.log 2>&1 || { cat build-bench/host.log; exit 1; }
        cmake --build build-bench/host -j"$JOBS" --target smtpc-send >> build-bench/host.log 2>&1 ||
            { tail -30 build-bench/host.log; exit 1; }
        export SMTPC_SEND="$ROOT/build-bench/host/examples/smtpc-send/smtpc-send"
        [ -x "$SMTPC_SEND" ] || SMTPC_SEND=$(find "$ROOT/build-bench/host/examples" -name smtpc-send -type f -perm -u+x | head -1)
    fi
    mkdir -p "$TW_STATE"
    "$TW" up > build-bench/tw-up.log 2>&1 || { tail -30 build-bench/tw-up.log; exit 1; }
    trap '"$TW" down > build-bench/tw-down.log 2>&1 || true' EXIT
    rc=0
    "$TW" exec bash "$ROOT/tools/bench.sh" --inner "${2:-}" || rc=$?
    exit "$rc"
fi
quick="${2:-}"

# --------------------------------------------------------- inside the world
W="$ROOT/build-bench/work"
rm -rf "$W"
mkdir -p "$W"
CA=$TW_CA
HOST=mx1.good.test
USER_=$TW_SASL_USER
PASSF="$W/pass"
printf '%s' "$TW_SASL_PASS" > "$PASSF"
chmod 600 "$PASSF"
RCPT1=(alice@good.test)
RCPT10=(alice@good.test bob@good.test carol@good.test dave@good.test postmaster@good.test
        tlsrpt@good.test alice@good.test bob@good.test carol@good.test dave@good.test)

mkmsg() { # file body-bytes
    {
        printf 'From: <%s>\r\nTo: <alice@good.test>\r\nSubject: smtpc bench\r\n' "$USER_"
        printf 'Date: %s\r\nMessage-ID: <bench-%s@smtpc.test>\r\nMIME-Version: 1.0\r\n' "$(LC_ALL=C date -R)" "$2"
        printf 'Content-Type: text/plain; charset=us-ascii\r\n\r\n'
        # 76-character lines of text, one in 40 starting with a dot
        awk -v n="$2" 'BEGIN { line = ""; for (i = 0; i < 74; i++) line = line sprintf("%c", 97 + i % 26);
            w = 0; k = 0; while (w < n) { l = (k % 40 == 0 ? "." substr(line, 2) : line); printf "%s\r\n", l; w += 76; k++ } }'
    } > "$1"
}
mkmsg "$W/m1k" 1024
mkmsg "$W/m100k" 102400
mkmsg "$W/m2m" 2097152

clear_mail() { find "$TW_MAIL" -type f -path '*/new/*' -delete 2> /dev/null || true; }

# cmd_for CLIENT MODE MSG NRCPT: sets CMD (argv) and IN (stdin file)
cmd_for() {
    local client=$1 mode=$2 msg=$3 n=$4 r rc_args=() to_list
    local -a rcpts
    if [ "$n" = 1 ]; then rcpts=("${RCPT1[@]}"); else rcpts=("${RCPT10[@]}"); fi
    IN=$msg
    case $client in
        smtpc)
            for r in "${rcpts[@]}"; do rc_args+=(--to "$r"); done
            if [ "$mode" = plain25 ]; then
                CMD=("$SMTPC_SEND" --host "$HOST" --port 25 --tls none --allow-plaintext
                     --from "$USER_" "${rc_args[@]}" --pipelining --data "$msg")
            else
                CMD=("$SMTPC_SEND" --host "$HOST" --port 587 --tls starttls --tls-level verified
                     --ca-file "$CA" --user "$USER_" --pass-file "$PASSF" --from "$USER_"
                     "${rc_args[@]}" --pipelining --data "$msg")
            fi ;;
        msmtp)
            if [ "$mode" = plain25 ]; then
                CMD=(msmtp --host="$HOST" --port=25 --tls=off --auth=off --from="$USER_" "${rcpts[@]}")
            else
                CMD=(msmtp --host="$HOST" --port=587 --tls=on --tls-starttls=on --tls-trust-file="$CA"
                     --auth=plain --user="$USER_" --passwordeval="cat $PASSF" --from="$USER_" "${rcpts[@]}")
            fi ;;
        curl)
            for r in "${rcpts[@]}"; do rc_args+=(--mail-rcpt "$r"); done
            if [ "$mode" = plain25 ]; then
                CMD=(curl -sS "smtp://$HOST:25" --mail-from "$USER_" "${rc_args[@]}" --upload-file "$msg")
            else
                CMD=(curl -sS "smtp://$HOST:587" --ssl-reqd --cacert "$CA" --login-options AUTH=PLAIN
                     -u "$USER_:$TW_SASL_PASS" --mail-from "$USER_" "${rc_args[@]}" --upload-file "$msg")
            fi
            IN=/dev/null ;;
        swaks)
            to_list=$(IFS=,; echo "${rcpts[*]}")
            if [ "$mode" = plain25 ]; then
                CMD=(swaks --silent 2 --server "$HOST" --port 25 --from "$USER_" --to "$to_list" --data "$msg")
            else
                CMD=(swaks --silent 2 --server "$HOST" --port 587 --tls --tls-verify --tls-ca-path "$CA"
                     -a PLAIN -au "$USER_" -ap "$TW_SASL_PASS" --from "$USER_" --to "$to_list" --data "$msg")
            fi
            IN=/dev/null ;;
    esac
}

# measure CLIENT MODE MSG NRCPT RUNS -> "msgs_per_s cpu_ms_per_msg instr_per_msg ok"
measure() {
    local client=$1 mode=$2 msg=$3 n=$4 runs=$5 i t0 t1 ok=1 cpu ins
    cmd_for "$client" "$mode" "$msg" "$n"
    # warm-up (and a correctness check of the command line)
    if ! "${CMD[@]}" < "$IN" > "$W/last.out" 2> "$W/last.err"; then
        ok=0
    fi
    clear_mail
    t0=$(date +%s%N)
    # CPU of the waited-for children of this (sub)shell, before and after
    local c0 c1
    c0=$(awk '{ print $16 + $17 }' "/proc/$BASHPID/stat")
    for ((i = 0; i < runs; i++)); do
        "${CMD[@]}" < "$IN" > /dev/null 2>> "$W/last.err" || ok=0
    done
    c1=$(awk '{ print $16 + $17 }' "/proc/$BASHPID/stat")
    t1=$(date +%s%N)
    clear_mail
    cpu=$(awk -v a="$c0" -v b="$c1" -v r="$runs" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.2f", (b - a) * 1000 / hz / r }')
    ins=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null "${CMD[@]}" < "$IN" 2>&1 > /dev/null |
          sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -1)
    clear_mail
    awk -v t0="$t0" -v t1="$t1" -v r="$runs" -v c="$cpu" -v i="${ins:-0}" -v ok="$ok" \
        'BEGIN { printf "%.1f %s %s %s\n", r / ((t1 - t0) / 1e9), c, i, ok }'
}

human() { awk -v v="$1" 'BEGIN { if (v >= 1e9) printf "%.2fG", v / 1e9; else if (v >= 1e6) printf "%.1fM", v / 1e6; else if (v >= 1e3) printf "%.0fk", v / 1e3; else printf "%d", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }'; }

echo "## smtpc bench ($(date -u +%Y-%m-%d), $(uname -m), $(nproc) CPUs)"
echo
echo "Postfix in the interop world (namespace $TW_NS); N sequential sends per cell; CPU = user+sys of"
echo "the client per message; instr = callgrind instructions per message (one send). Ratios are"
echo "smtpc/peer: msg/s above 1 and instr below 1 favour smtpc."
echo
echo "| case | smtpc msg/s | smtpc CPU ms | smtpc instr | peer | peer msg/s | peer CPU ms | peer instr | msg/s ratio | instr ratio |"
echo "| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: |"
for mode in plain25 starttls587; do
    for size in 1k 100k 2m; do
        case $size in 1k) runs=10 ;; 100k) runs=5 ;; 2m) runs=2 ;; esac
        [ "$quick" = --quick ] && runs=2
        for n in 1 10; do
            read -r s_rate s_cpu s_ins s_ok < <(measure smtpc "$mode" "$W/m$size" "$n" "$runs")
            for peer in msmtp curl swaks; do
                read -r p_rate p_cpu p_ins p_ok < <(measure "$peer" "$mode" "$W/m$size" "$n" "$runs")
                flag=""
                [ "$s_ok" = 1 ] || flag=" (smtpc failed)"
                [ "$p_ok" = 1 ] || flag="$flag ($peer failed)"
                printf '| %s %s %s rcpt%s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n' \
                    "$mode" "$size" "$n" "$flag" "$s_rate" "$s_cpu" "$(human "$s_ins")" "$peer" \
                    "$p_rate" "$p_cpu" "$(human "$p_ins")" "$(ratio "$s_rate" "$p_rate")" \
                    "$(ratio "$s_ins" "$p_ins")"
            done
        done
    done
done

# ------------------------------------------- MTA-STS: cold vs warm cache
echo
echo "### MTA-STS delivery to good.test (enforce): cold vs warm flash cache"
echo
echo "| run | result | connects | DNS queries | wall ms | instr |"
echo "| --- | --- | ---: | ---: | ---: | ---: |"
cache="$W/sts-cache.bin"
rm -f "$cache"
mkmsg "$W/msts" 1024
sts_run() { # label
    local t0 t1 rc=0 ins conn dnsq
    local cmd=("$SMTPC_SEND" --mx --dns "$TW_DNS" --ca-file "$CA" --cache "$cache"
               --from sender@evil.test --to alice@good.test --data "$W/msts")
    cp -f "$cache" "$W/cache.before" 2> /dev/null || rm -f "$W/cache.before"
    t0=$(date +%s%N)
    strace -f -qq -e trace=connect,sendto,sendmsg -o "$W/sts.strace" "${cmd[@]}" > /dev/null 2> "$W/sts.err" || rc=$?
    t1=$(date +%s%N)
    conn=$(grep -E 'connect\(' "$W/sts.strace" | grep -c -E 'htons\((25|443)\)' || true)
    dnsq=$(grep -E '(connect|sendto|sendmsg)\(' "$W/sts.strace" | grep -c -E 'htons\(53\)' || true)
    # instructions of the same run again from the same cache state
    if [ -f "$W/cache.before" ]; then cp -f "$W/cache.before" "$W/cache.vg"; else rm -f "$W/cache.vg"; fi
    ins=$(valgrind --tool=callgrind --callgrind-out-file=/dev/null \
          "${cmd[@]/$cache/$W/cache.vg}" 2>&1 > /dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p' | tail -1)
    clear_mail
    printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$([ "$rc" = 0 ] && echo delivered || echo "exit $rc")" \
        "$conn" "$dnsq" "$(( (t1 - t0) / 1000000 ))" "$(human "${ins:-0}")"
    echo "$ins" > "$W/sts.$1.ins"
}
sts_run cold
sts_run warm
echo
echo "warm/cold instructions: $(ratio "$(cat "$W/sts.warm.ins")" "$(cat "$W/sts.cold.ins")")"
