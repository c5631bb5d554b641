#!/usr/bin/env bash
# Real-peer checks of direct-to-MX delivery (`smtpc-send --mx`): the core
# DNS resolver asks the world's unbound for each recipient domain's MX
# records, and the message goes to Postfix through STARTTLS on port 25.
# Covers the null MX (RFC 7505), the implicit MX (RFC 5321 §5.1), falling
# back to the next MX, an MX host that is a CNAME, the DNS failure modes
# (SERVFAIL, REFUSED, timeout, NXDOMAIN), one session per recipient domain,
# and --resolve overriding the address of an MX host.
#
#   tests/interop/test_mx.sh BINDIR      (root; the world must be up)
#
# Runs itself inside the world's network namespace (through tw.sh exec).
# Every check prints one line, `PASS name` or `FAIL name -- details`; the
# exit status is 1 if any check failed.  Files of every run stay in
# $TW_STATE/smtpc-mx/ for inspection.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TW=$HERE/world/tw.sh
[ $# = 1 ] || { echo "usage: $0 BINDIR" >&2; exit 2; }
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL smtpc-send-present -- no directory $1"; exit 1; }

NS=${TW_NS:-smtpc-tw}
if [ "$(ip netns identify $$ 2>/dev/null || true)" != "$NS" ]; then
  exec "$TW" exec "$0" "$BINDIR"
fi

BIN=$BINDIR/smtpc-send
CA=$TW_CA
WORK=$TW_STATE/smtpc-mx
rm -rf "$WORK"; mkdir -p "$WORK"
PASSES=0 FAILS=0

pass() { printf 'PASS %s\n' "$1"; PASSES=$((PASSES + 1)); }
fail() {
  printf 'FAIL %s -- %s\n' "$1" "$(printf '%s' "$2" | tr '\r\n' '  ' | cut -c1-600)"
  FAILS=$((FAILS + 1))
}

if [ ! -x "$BIN" ]; then
  fail smtpc-send-present "$BIN not found or not executable"
  echo "test_mx: $PASSES passed, $FAILS failed"
  exit 1
fi

# The world's resolver, given explicitly (the namespace's resolv.conf names
# it too; --dns makes the test independent of that).
MXA=(--mx --dns "$TW_DNS" --ca-file "$CA" --from sender@evil.test --timeout 30 --trace)

SEQ=0 T=""
RUNID=$(date +%s)$$
newtoken() { SEQ=$((SEQ + 1)); T=M${RUNID}x${SEQ}z; }

mkmsg() { # file token to
  {
    printf 'X-Test-Token: %s\r\n' "$2"
    printf 'From: <sender@evil.test>\r\nTo: <%s>\r\n' "$3"
    printf 'Subject: smtpc MX interop %s\r\n' "$2"
    printf 'Date: %s\r\n' "$(LC_ALL=C date -R)"
    printf 'Message-ID: <%s@interop.smtpc.test>\r\n\r\n' "$2"
    printf 'Hello from the smtpc MX interop test.\r\n'
  } > "$1"
}

# send RUNNAME MSGFILE ARGS... : sets RC and ELAPSED (seconds).
send() {
  local n=$1 m=$2 t0; shift 2
  RC=0
  printf '%q ' "$BIN" "$@" > "$WORK/$n.cmd"; echo >> "$WORK/$n.cmd"
  t0=$SECONDS
  { timeout 120 "$BIN" "$@" < "$m" > "$WORK/$n.out" 2> "$WORK/$n.err"; } 2> "$WORK/$n.shell" || RC=$?
  ELAPSED=$((SECONDS - t0))
}
why() {
  local sig=""
  if [ "$RC" = 124 ]; then sig=" (timed out after 120 s)"
  elif [ "$RC" -gt 128 ]; then sig=" (killed by SIG$(kill -l $((RC - 128)) 2>/dev/null || echo "?"))"; fi
  printf 'exit=%s%s stderr: %s' "$RC" "$sig" "$(grep -v '^[CS*]: \|^\* ' "$WORK/$1.err" 2>/dev/null | tail -n 3 | tr '\n' ' ')"
}
find_delivered() { # maildir token
  local _ f
  for _ in $(seq 1 150); do
    f=$(grep -rlF -- "X-Test-Token: $2" "$1/new" 2>/dev/null | head -n 1 || true)
    [ -n "$f" ] && { printf '%s\n' "$f"; return 0; }
    sleep 0.1
  done
  return 1
}
# trace_has RUN REGEX: the --trace output (stderr) has a matching line
trace_has() { grep -Eq -- "$2" "$WORK/$1.err"; }
# line number of the first line matching REGEX in the trace (empty if none)
trace_line() { grep -nE -- "$2" "$WORK/$1.err" | head -n 1 | cut -d: -f1 || true; }

NOT_DELIVERED=()
expect_absent() { NOT_DELIVERED+=("$1|$2|$3"); }

M=$TW_MAIL

# ------------------------------------------------------------ delivery ----
# deliver NAME MAILDIR TO EXTRA-ARGS... : exit 0 and the message in MAILDIR;
# extra checks on the trace follow in the caller (TOKEN is in $T).
deliver() {
  local n=$1 md=$2 to=$3; shift 3
  newtoken; mkmsg "$WORK/$n.msg" "$T" "$to"
  send "$n" "$WORK/$n.msg" --to "$to" "$@"
  if [ "$RC" != 0 ]; then fail "$n" "$(why "$n")"; return 1; fi
  if ! find_delivered "$md" "$T" > /dev/null; then fail "$n" "exit 0 but no message with token $T in $md/new"; return 1; fi
  return 0
}

# good.test: MX 10 mx1.good.test, MX 20 mx2.good.test; STARTTLS on port 25
n=mx-good-starttls
if deliver "$n" "$M/good.test/alice" alice@good.test "${MXA[@]}"; then
  problems=""
  trace_has "$n" '^\* MX lookup for good\.test$' || problems="$problems no MX lookup in the trace;"
  trace_has "$n" '^\* connecting to mx1\.good\.test$' || problems="$problems not sent to mx1.good.test;"
  trace_has "$n" '^C: STARTTLS' || problems="$problems no STARTTLS;"
  ls_=$(trace_line "$n" '^C: STARTTLS'); lm_=$(trace_line "$n" '^C: MAIL FROM')
  if [ -z "$ls_" ] || [ -z "$lm_" ] || [ "$lm_" -lt "$ls_" ]; then problems="$problems MAIL not after STARTTLS;"; fi
  if [ -z "$problems" ]; then pass "$n"; else fail "$n" "$problems see $WORK/$n.err"; fi
fi
n=mx-good-verified
deliver "$n" "$M/good.test/alice" alice@good.test "${MXA[@]}" --tls-level verified \
  && { if trace_has "$n" '^\* result: SMTPC_OK .*tls=verified'; then pass "$n"
       else fail "$n" "delivered, but the result line does not say tls=verified; see $WORK/$n.err"; fi; }

# nomx.test: no MX records, an A record -> the implicit MX (the domain itself)
n=mx-implicit-nomx
if deliver "$n" "$M/nomx.test/bob" bob@nomx.test "${MXA[@]}"; then
  if trace_has "$n" 'implicit MX' && trace_has "$n" '^\* connecting to nomx\.test$'; then pass "$n"
  else fail "$n" "delivered, but the trace shows no implicit MX to nomx.test; see $WORK/$n.err"; fi
fi

# fallback.test: MX 10 mx.dead.test (connection refused), MX 20 mx1.good.test
n=mx-fallback-next-mx
if deliver "$n" "$M/fallback.test/bob" bob@fallback.test "${MXA[@]}"; then
  ld=$(trace_line "$n" '^\* connecting to mx\.dead\.test$')
  lg=$(trace_line "$n" '^\* connecting to mx1\.good\.test$')
  if [ -n "$ld" ] && [ -n "$lg" ] && [ "$ld" -lt "$lg" ] && trace_has "$n" 'trying the next MX'; then pass "$n"
  else fail "$n" "delivered, but the trace does not show mx.dead.test, then mx1.good.test; see $WORK/$n.err"; fi
fi

# cnamemx.test: MX 10 alias.cnamemx.test, a CNAME of mx.cnamemx.test (mx1's address)
n=mx-cname-target
if deliver "$n" "$M/cnamemx.test/bob" bob@cnamemx.test "${MXA[@]}"; then
  if trace_has "$n" '^\* connecting to alias\.cnamemx\.test$'; then pass "$n"
  else fail "$n" "delivered, but not through alias.cnamemx.test; see $WORK/$n.err"; fi
fi

# two domains, both with mx1.good.test as MX: two lookups, one session each
n=mx-two-domains
newtoken; mkmsg "$WORK/$n.msg" "$T" alice@good.test
send "$n" "$WORK/$n.msg" --to alice@good.test --to bob@nosts.test "${MXA[@]}"
if [ "$RC" != 0 ]; then fail "$n" "$(why "$n")"
elif ! find_delivered "$M/good.test/alice" "$T" > /dev/null; then fail "$n" "alice@good.test did not get token $T"
elif ! find_delivered "$M/nosts.test/bob" "$T" > /dev/null; then fail "$n" "bob@nosts.test did not get token $T"
else
  lookups=$(grep -cE '^\* MX lookup for ' "$WORK/$n.err" || true)
  sessions=$(grep -cE '^C: MAIL FROM' "$WORK/$n.err" || true)
  rcpts=$(grep -cE '^C: RCPT TO' "$WORK/$n.err" || true)
  if [ "$lookups" = 2 ] && [ "$sessions" = 2 ] && [ "$rcpts" = 2 ]; then pass "$n"
  else fail "$n" "expected 2 MX lookups, 2 sessions, 2 RCPT; got $lookups, $sessions, $rcpts"; fi
fi

# --resolve pins mx1.good.test:25 to mx2's address: the MX host name stays,
# the connection goes to the Postfix listener that greets as mx2.good.test
n=mx-resolve-override
if deliver "$n" "$M/good.test/carol" carol@good.test "${MXA[@]}" --resolve "mx1.good.test:25:$TW_NET.12"; then
  if trace_has "$n" '^\* connecting to mx1\.good\.test$' && trace_has "$n" '^S: 220 mx2\.good\.test'; then pass "$n"
  else fail "$n" "delivered, but not to mx1.good.test at $TW_NET.12; see $WORK/$n.err"; fi
fi

# ------------------------------------------------------------ failures ----
# expect_error NAME RC REGEX MAILDIR TOKEN
expect_error() {
  local n=$1 want=$2 re=$3
  if [ "$RC" != "$want" ]; then fail "$n" "expected exit $want; $(why "$n")"
  elif ! grep -Eq -- "$re" "$WORK/$n.err"; then fail "$n" "stderr does not match /$re/; $(why "$n")"
  else pass "$n"; fi
  expect_absent "$n" "$4" "$5"
}
# mx_fail NAME DOMAIN ERROR : one recipient at DOMAIN, exit 1 with ERROR at stage DNS,
# and no SMTP connection at all
mx_fail() {
  local n=$1 d=$2 e=$3
  newtoken; mkmsg "$WORK/$n.msg" "$T" "bob@$d"
  send "$n" "$WORK/$n.msg" --to "bob@$d" "${MXA[@]}"
  expect_error "$n" 1 "^smtpc-send: $e stage=DNS" "$M/$d/bob" "$T"
  if trace_has "$n" '^\* connecting to '; then fail "$n-no-connect" "a connection was attempted; see $WORK/$n.err"
  else pass "$n-no-connect"; fi
}
mx_fail mx-null-mx nullmx.test SMTPC_ERR_DNS_NULL_MX
mx_fail mx-servfail servfail.test SMTPC_ERR_DNS_SERVFAIL
mx_fail mx-refused refused.test SMTPC_ERR_DNS_REFUSED
mx_fail mx-nxdomain nosuch.test SMTPC_ERR_DNS_NXDOMAIN
mx_fail mx-dns-timeout dnstimeout.test SMTPC_ERR_DNS_TIMEOUT
# SMTPC_DNS_TRIES x SMTPC_DNS_TIMEOUT_MS = 3 x 2 s by default: bounded
if [ "$ELAPSED" -ge 4 ] && [ "$ELAPSED" -le 15 ]; then pass mx-dns-timeout-bounded
else fail mx-dns-timeout-bounded "took $ELAPSED s (expected about 6 s)"; fi

# Negative checks: none of those messages may have been delivered.
sleep 2
for e in "${NOT_DELIVERED[@]}"; do
  IFS='|' read -r n md t <<< "$e"
  if grep -rqF -- "X-Test-Token: $t" "$md/new" 2>/dev/null; then fail "$n-not-delivered" "token $t found in $md/new"
  else pass "$n-not-delivered"; fi
done

echo "test_mx: $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
