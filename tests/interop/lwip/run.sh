#!/usr/bin/env bash
# smtpc over lwIP against the real peers of the interop world:
#
#   tests/interop/lwip/run.sh BINDIR     (root; BINDIR holds lwip_nosys and
#                                         host-lwip-sockets of a host-lwip build)
#
# Brings the world up in its own namespace (TW_NS, default smtpc-lwip; torn
# down on every exit), creates a TAP device inside it (lw0, kernel side
# $LW_NET.1/24) and runs both lwIP builds on it with their own address
# ($LW_NET.2): lwIP's tapif talks Ethernet to the namespace's kernel, which
# routes to the world's addresses; the world's unbound is the DNS server.
# Nothing leaves the namespace. For each build (raw = NO_SYS=1 superloop,
# sockets = NO_SYS=0 with lwIP sockets):
#   submission on 587 (STARTTLS + AUTH PLAIN, verified), MX delivery to
#   good.test under its enforce policy, the refusal of mismatch.test, and
#   pool exhaustion (TCP pcbs, TCP segments, UDP pcbs, the pbuf pool): a
#   named error within the deadline, never a hang.
# Prints PASS/FAIL lines, the RAM figures, and last
#   interop-lwip: N passed, M failed        (exit 1 if M > 0)
#   interop-lwip: SKIPPED (reason)          (exit 77)
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORLD=$HERE/../world
[ $# = 1 ] || { echo "usage: $0 BINDIR" >&2; exit 2; }
skip() { echo "interop-lwip: SKIPPED ($*)"; exit 77; }

[ "$(id -u)" = 0 ] || skip "needs root for network namespaces, TAP devices and Postfix"
missing=""
for t in ip openssl unbound nginx postfix saslpasswd2 dig curl msmtp perl flock timeout nm; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -z "$missing" ] || skip "missing:$missing (tools/deps.sh world)"
[ -c /dev/net/tun ] || skip "no /dev/net/tun"
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL lwip-bindir -- no directory $1"; echo "interop-lwip: 0 passed, 1 failed"; exit 1; }

export TW_NS=${TW_NS:-smtpc-lwip}
NS=$TW_NS
LW_NET=${LW_NET:-10.254.0}
TAP=lw0

LOCK=/run/lock/smtpc-interop-$NS.lock
mkdir -p /run/lock
exec 9> "$LOCK"
flock -w 300 9 || { echo "FAIL lwip-lock -- $LOCK held for 300 s"; echo "interop-lwip: 0 passed, 1 failed"; exit 1; }

T0=$SECONDS
cleanup() {
  local rc=$?
  "$WORLD/down.sh" >/dev/null 2>&1 || echo "WARNING: tearing the world down failed; run TW_NS=$NS $WORLD/down.sh" >&2
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

LOG=$(mktemp)
if ! "$WORLD/up.sh" > "$LOG" 2>&1 9>&-; then
  cat "$LOG" >&2; rm -f "$LOG"
  echo "FAIL lwip-world-up -- see the log above"; echo "interop-lwip: 0 passed, 1 failed"; exit 1
fi
rm -f "$LOG"
set -a; . "${TW_STATE:-$WORLD/../state}/env"; set +a
# The TAP device and its kernel side, inside the namespace only.
ip -n "$NS" tuntap add dev "$TAP" mode tap
ip -n "$NS" addr add "$LW_NET.1/24" dev "$TAP"
ip -n "$NS" link set "$TAP" up

WORK=$TW_STATE/smtpc-lwip
rm -rf "$WORK"; mkdir -p "$WORK"
echo "$TW_SASL_PASS" > "$WORK/pass"
PASSES=0 FAILS=0
pass() { printf 'PASS %s\n' "$1"; PASSES=$((PASSES + 1)); }
fail() { printf 'FAIL %s -- %s\n' "$1" "$(printf '%s' "$2" | tr '\r\n' '  ' | cut -c1-400)"; FAILS=$((FAILS + 1)); }

RUNID=$(date +%s)$$ SEQ=0
# run NAME PROG ARGS... : RC, ELAPSED, $WORK/NAME.out (stdout+stderr), TOKEN
run() {
  local n=$1 prog=$2 t0; shift 2
  SEQ=$((SEQ + 1)); TOKEN=L${RUNID}x$SEQ
  t0=$(date +%s)
  RC=0
  timeout 120 ip netns exec "$NS" "$BINDIR/$prog" --tap "$TAP" --ip "$LW_NET.2" --gw "$LW_NET.1" \
    --dns "$TW_DNS" --ca "$TW_CA" --id "$TOKEN" "$@" > "$WORK/$n.out" 2>&1 || RC=$?
  ELAPSED=$(( $(date +%s) - t0 ))
}
delivered() { # maildir token
  local _
  for _ in $(seq 1 100); do
    grep -rlqF -- "X-Alert-Id: $2" "$1/new" 2>/dev/null && return 0
    sleep 0.1
  done
  return 1
}
has() { grep -qF -- "$2" "$WORK/$1.out"; }
M=$TW_MAIL

for flavour in raw sockets; do
  prog=lwip_nosys; [ $flavour = sockets ] && prog=host-lwip-sockets
  if [ ! -x "$BINDIR/$prog" ]; then fail "lwip-$flavour-present" "$BINDIR/$prog missing"; continue; fi

  n=lwip-$flavour-submit
  run "$n" $prog --mode submit --host mx1.good.test --port 587 --user "$TW_SASL_USER" \
    --pass-file "$WORK/pass" --from "$TW_SASL_USER" --to carol@good.test --timeout 30
  qid=$(sed -n 's/.*queued as \([0-9A-F]*\).*/\1/p' "$WORK/$n.out" | head -n1)
  if [ "$RC" = 0 ] && has "$n" "tls=verified" && [ -n "$qid" ] &&
     grep -q "$qid: client=unknown\[$LW_NET.2\], sasl_method=PLAIN, sasl_username=$TW_SASL_USER" "$TW_LOG/postfix.log" &&
     delivered "$M/good.test/carol" "$TOKEN"; then
    pass "$n"
  else fail "$n" "exit=$RC qid=$qid $(tail -n 3 "$WORK/$n.out")"; fi

  n=lwip-$flavour-mx-sts-good
  run "$n" $prog --mode mx --from sender@evil.test --to bob@good.test --timeout 30
  if [ "$RC" = 0 ] && has "$n" "policy=fetched mode=enforce id=$TW_STS_ID" &&
     has "$n" "* mx mx1.good.test: listed tried=1 cert=ok SMTPC_OK" && has "$n" "tls=verified" &&
     delivered "$M/good.test/bob" "$TOKEN"; then
    pass "$n"
  else fail "$n" "exit=$RC $(tail -n 6 "$WORK/$n.out")"; fi

  n=lwip-$flavour-mx-sts-mismatch
  run "$n" $prog --mode mx --from sender@evil.test --to bob@mismatch.test --timeout 30
  if [ "$RC" = 1 ] && has "$n" "failed: SMTPC_ERR_STS_MX_NOT_ALLOWED" &&
     has "$n" "* mx mx.evil.test: not-listed tried=0" && ! delivered "$M/mismatch.test/bob" "$TOKEN"; then
    pass "$n"
  else fail "$n" "exit=$RC $(tail -n 6 "$WORK/$n.out")"; fi

  # Pool exhaustion: the pool is emptied before the delivery starts.
  for ex in tcp-pcb tcp-seg udp-pcb; do
    n=lwip-$flavour-exhaust-$ex
    run "$n" $prog --mode mx --from sender@evil.test --to bob@good.test --timeout 20 \
      --connect-timeout 3 --exhaust $ex
    if [ "$RC" = 1 ] && has "$n" "failed: SMTPC_ERR_NET_NO_MEMORY" && [ "$ELAPSED" -le 10 ]; then
      pass "$n"
    else fail "$n" "exit=$RC after ${ELAPSED}s $(tail -n 4 "$WORK/$n.out")"; fi
  done
  # No pool buffer for received frames: nothing comes in, and the connect
  # deadline (3 s) ends the attempt with its name.
  n=lwip-$flavour-exhaust-pbuf-pool
  run "$n" $prog --mode submit --host "$TW_MX1" --port 25 --from sender@evil.test \
    --to bob@good.test --timeout 20 --connect-timeout 3 --exhaust pbuf-pool
  if [ "$RC" = 1 ] && grep -qE "^failed: SMTPC_ERR_[A-Z_]+ stage=CONNECT" "$WORK/$n.out" &&
     [ "$ELAPSED" -le 10 ]; then
    pass "$n ($(sed -n 's/^failed: \(SMTPC_ERR_[A-Z_]*\).*/\1/p' "$WORK/$n.out") after ${ELAPSED}s)"
  else fail "$n" "exit=$RC after ${ELAPSED}s $(tail -n 4 "$WORK/$n.out")"; fi
done

# RAM figures: from the MX delivery of each build (STARTTLS + policy fetch),
# and lwIP's static heap and pools as linked (nm: ram_heap, memp_memory_*).
for flavour in raw sockets; do
  prog=lwip_nosys; [ $flavour = sockets ] && prog=host-lwip-sockets
  [ -f "$WORK/lwip-$flavour-mx-sts-good.out" ] || continue
  grep '^\* ram:' "$WORK/lwip-$flavour-mx-sts-good.out" | sed "s/^/  $flavour: /"
  nm -S -t d "$BINDIR/$prog" 2>/dev/null |
    awk -v f="$flavour" '$4 ~ /^(ram_heap|memp_memory_.*_base)$/ { n = $2 + 0; t += n; d = d " " $4 "=" n }
         END { printf "  %s: lwip static RAM %d bytes:%s\n", f, t, d }' || true
done
echo "(lwIP interop took $((SECONDS - T0)) s; files: $WORK)"
echo "interop-lwip: $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
