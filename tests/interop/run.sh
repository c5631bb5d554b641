#!/usr/bin/env bash
# Interop test entry point (called as root by `tools/run.sh test`):
#
#   tests/interop/run.sh BINDIR
#
# Brings the interop world up (tests/interop/world, torn down again on any
# exit), proves it with world/selftest.sh, then runs test_smtpc_send.sh,
# test_mx.sh (smtpc-send --mx), test_sts.sh (MTA-STS) and test_tlsrpt.sh
# (TLS-RPT: smtpc-tlsrpt), each with BINDIR,
# inside the world's network namespace, counting the checks of all three.
# The last line is always
#
#   interop: N passed, M failed         exit 0 if M = 0, else 1
#   interop: SKIPPED (reason)           exit 77: cannot run here (not root,
#                                       no network namespaces, packages missing)
#
# Skips are never counted as passes; the caller decides what a skip means.
# Environment: TW_STATE (default tests/interop/state; pointing it into the
# build directory keeps the tree clean), TW_NS (default smtpc-tw), TW_NET.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
WORLD=$HERE/world
[ $# = 1 ] || { echo "usage: $0 BINDIR" >&2; exit 2; }
BINDIR=$1

skip() { echo "interop: SKIPPED ($*)"; exit 77; }

# ---- can the world run here at all? ----------------------------------------
[ "$(id -u)" = 0 ] || skip "needs root for network namespaces and Postfix"
missing=""
for t in ip openssl unbound nginx postfix saslpasswd2 dig curl msmtp perl flock timeout; do
  command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
done
[ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] || missing="$missing nginx-echo-module"
[ -z "$missing" ] || skip "missing:$missing; Debian: apt-get install iproute2 openssl unbound nginx-light postfix sasl2-bin libsasl2-modules dnsutils curl msmtp"
NS=${TW_NS:-smtpc-tw}
# Listing is not enough (it works unprivileged): create and delete a probe.
probe="$NS-probe-$$"
if ! ip netns add "$probe" >/dev/null 2>&1; then skip "'ip netns add' does not work here"; fi
ip netns del "$probe" >/dev/null 2>&1 || true

BINDIR=$(cd "$BINDIR" 2>/dev/null && pwd) || { echo "FAIL interop -- no directory $1"; echo "interop: 0 passed, 1 failed"; exit 1; }
export TW_NS=$NS

# ---- one world per namespace name at a time -----------------------------------
# `up` tears down any world of the same name, so two concurrent runs would
# destroy each other's world: serialise them.
LOCK=/run/lock/smtpc-interop-$NS.lock
mkdir -p /run/lock
exec 9> "$LOCK"
if ! flock -w 300 9; then
  echo "FAIL interop-lock -- another interop run holds $LOCK for more than 300 s"
  echo "interop: 0 passed, 1 failed"
  exit 1
fi

T0=$SECONDS
LOG=$(mktemp)
cleanup() {
  local rc=$?
  "$WORLD/down.sh" >/dev/null 2>&1 || echo "WARNING: tearing the interop world down failed; run $WORLD/down.sh" >&2
  rm -f "$LOG"
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- world ---------------------------------------------------------------------
# 9>&-: the daemons started by up.sh must not inherit (and hold) the lock.
if ! "$WORLD/up.sh" > "$LOG" 2>&1 9>&-; then
  cat "$LOG" >&2
  echo "FAIL interop-world-up -- see the log above"
  echo "interop: 0 passed, 1 failed"
  exit 1
fi
if ! "$WORLD/selftest.sh" > "$LOG" 2>&1; then
  cat "$LOG"
  echo "FAIL interop-world-selftest -- the world itself is broken; smtpc was not tested"
  echo "interop: 0 passed, 1 failed"
  exit 1
fi
grep '^selftest:' "$LOG" || true

# ---- smtpc-send against the world ------------------------------------------------
# Each script prints PASS / FAIL lines; all of them are counted together.
passed=0 failed=0
for t in test_smtpc_send test_mx test_sts test_tlsrpt; do
  rc=0
  "$HERE/$t.sh" "$BINDIR" 2>&1 | tee "$LOG" || rc=$?
  p=$(grep -c '^PASS ' "$LOG" || true)
  f=$(grep -c '^FAIL ' "$LOG" || true)
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
    echo "FAIL $t -- exited with status $rc without reporting a failure"
    f=1
  fi
  passed=$((passed + p))
  failed=$((failed + f))
done
echo "(interop run took $((SECONDS - T0)) s; files of the runs: ${TW_STATE:-$HERE/state}/smtpc-send, .../smtpc-mx, .../smtpc-sts)"
echo "interop: $passed passed, $failed failed"
[ "$failed" = 0 ]
