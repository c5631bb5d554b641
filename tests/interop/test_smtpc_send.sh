#!/usr/bin/env bash
# Real-peer checks of examples/smtpc-send against the Postfix of the interop
# world (tests/interop/world): submission on 587 (STARTTLS) and 465 (implicit
# TLS) with AUTH, direct delivery on port 25 with certificate checks, body
# fidelity (dot-stuffing, line endings, 8-bit, 2 MB), error reporting and the
# --trace redaction.
#
#   tests/interop/test_smtpc_send.sh BINDIR      (root; the world must be up)
#
# Runs itself inside the world's network namespace (through tw.sh exec), so
# host names resolve through the world's DNS.  Every check prints one line,
# `PASS name` or `FAIL name -- details`; the exit status is 1 if any check
# failed.  Files of every run (messages, stdout/stderr, Maildir copies) stay
# in $TW_STATE/smtpc-send/ for inspection.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TW=$HERE/world/tw.sh
[ $# = 1 ] || { echo "usage: $0 BINDIR" >&2; exit 2; }
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL smtpc-send-present -- no directory $1"; exit 1; }

# Re-enter inside the namespace; tw.sh exec also exports the TW_* variables.
NS=${TW_NS:-smtpc-tw}
if [ "$(ip netns identify $$ 2>/dev/null || true)" != "$NS" ]; then
  exec "$TW" exec "$0" "$BINDIR"
fi

BIN=$BINDIR/smtpc-send
CA=$TW_CA
WORK=$TW_STATE/smtpc-send
rm -rf "$WORK"; mkdir -p "$WORK"
PASSES=0 FAILS=0

pass() { printf 'PASS %s\n' "$1"; PASSES=$((PASSES + 1)); }
fail() { # name details...  (details are flattened to one line)
  printf 'FAIL %s -- %s\n' "$1" "$(printf '%s' "$2" | tr '\r\n' '  ' | cut -c1-600)"
  FAILS=$((FAILS + 1))
}

if [ ! -x "$BIN" ]; then
  fail smtpc-send-present "$BIN not found or not executable"
  echo "test_smtpc_send: $PASSES passed, $FAILS failed"
  exit 1
fi

# ------------------------------------------------------------ helpers ----
PASSF=$WORK/pass.good; printf '%s' "$TW_SASL_PASS" > "$PASSF"
BADPASSF=$WORK/pass.bad; printf '%s' "wrong-$TW_SASL_PASS" > "$BADPASSF"
chmod 600 "$PASSF" "$BADPASSF"

# Submission (587 STARTTLS, verified certificate, AUTH) and port 25 defaults.
SUB=(--host mx1.good.test --port 587 --tls starttls --tls-level verified --ca-file "$CA"
     --from "$TW_SASL_USER" --user "$TW_SASL_USER" --pass-file "$PASSF" --timeout 20)
MX=(--port 25 --tls starttls --tls-level verified --ca-file "$CA" --from sender@evil.test --timeout 20)

# newtoken: sets T to a token unique to this run and message (no subshell,
# so the sequence number survives).
SEQ=0 T=""
RUNID=$(date +%s)$$
newtoken() { SEQ=$((SEQ + 1)); T=T${RUNID}x${SEQ}z; }   # z: x1 must not match x10

# mkmsg FILE TOKEN TO EOL [BODYFILE]: a complete message whose first line is
# the X-Test-Token header (the comparison anchor).  Every header Postfix
# would otherwise add for a client on one of its own addresses (Date,
# Message-ID, From, To) is present, so nothing is inserted below the anchor.
mkmsg() {
  local f=$1 t=$2 to=$3 eol=$4 body=${5:-}
  {
    printf 'X-Test-Token: %s%s' "$t" "$eol"
    printf 'From: <%s>%s' "$TW_SASL_USER" "$eol"
    printf 'To: <%s>%s' "$to" "$eol"
    printf 'Subject: smtpc interop %s%s' "$t" "$eol"
    printf 'Date: %s%s' "$(LC_ALL=C date -R)" "$eol"
    printf 'Message-ID: <%s@interop.smtpc.test>%s' "$t" "$eol"
    printf 'MIME-Version: 1.0%sContent-Type: text/plain; charset=utf-8%s' "$eol" "$eol"
    printf 'Content-Transfer-Encoding: 8bit%s%s' "$eol" "$eol"
    if [ -n "$body" ]; then cat "$body"; else printf 'Hello from the smtpc interop test.%s' "$eol"; fi
  } > "$f"
}

# send RUNNAME MSGFILE ARGS... : run smtpc-send, message on stdin.
# Sets RC; stdout/stderr go to $WORK/RUNNAME.out / .err.
# The shell's own notice about a crash ("Segmentation fault ...") goes to
# RUNNAME.shell rather than into the PASS/FAIL stream.
send() {
  local n=$1 m=$2; shift 2
  RC=0
  printf '%q ' "$BIN" "$@" > "$WORK/$n.cmd"; echo >> "$WORK/$n.cmd"
  { timeout 120 "$BIN" "$@" < "$m" > "$WORK/$n.out" 2> "$WORK/$n.err"; } 2> "$WORK/$n.shell" || RC=$?
}
# One-line summary of the last run for FAIL details.
why() {
  local sig=""
  if [ "$RC" = 124 ]; then sig=" (timed out after 120 s)"
  elif [ "$RC" -gt 128 ]; then sig=" (killed by SIG$(kill -l $((RC - 128)) 2>/dev/null || echo "?"))"; fi
  printf 'exit=%s%s stderr: %s' "$RC" "$sig" "$(tail -n 3 "$WORK/$1.err" 2>/dev/null | tr '\n' ' ')"
}

# find_delivered MAILDIR TOKEN: print the delivered file, waiting up to 15 s
# (Postfix queues the message first, virtual(8) writes it a moment later).
find_delivered() {
  local _ f
  for _ in $(seq 1 150); do
    f=$(grep -rlF -- "X-Test-Token: $2" "$1/new" 2>/dev/null | head -n 1 || true)
    [ -n "$f" ] && { printf '%s\n' "$f"; return 0; }
    sleep 0.1
  done
  return 1
}

# Messages that must NOT arrive: checked together at the end, after a pause,
# so each negative check does not need a wait of its own.
NOT_DELIVERED=()   # entries "name|maildir|token"
expect_absent() { NOT_DELIVERED+=("$1|$2|$3"); }

# deliver NAME MAILDIR TO EXTRA-ARGS... : send a small message and expect
# exit 0 and the message in MAILDIR.
deliver() {
  local n=$1 md=$2 to=$3 t; shift 3
  newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" "$to" $'\r\n'
  send "$n" "$WORK/$n.msg" --to "$to" "$@"
  if [ "$RC" != 0 ]; then fail "$n" "$(why "$n")"; return; fi
  if find_delivered "$md" "$t" > /dev/null; then pass "$n"; else fail "$n" "exit 0 but no message with token $t in $md/new"; fi
}

MAIL=$TW_MAIL/good.test
P_PIPE=("" --pipelining)
sfx() { [ -n "$1" ] && printf -- '-pipelining' || true; }

# ----------------------------------------------------------- checks ----
# usage errors exit 2
RC=0; { "$BIN" > "$WORK/usage.out" 2> "$WORK/usage.err" < /dev/null; } 2> "$WORK/usage.shell" || RC=$?
if [ "$RC" = 2 ]; then pass usage-exit-2; else fail usage-exit-2 "no arguments: $(why usage)"; fi

for p in "${P_PIPE[@]}"; do
  s=$(sfx "$p")
  # 587 STARTTLS + AUTH PLAIN
  deliver "submission-587-plain$s" "$MAIL/carol" carol@good.test "${SUB[@]}" --auth plain $p
  # 587 STARTTLS + AUTH LOGIN
  deliver "submission-587-login$s" "$MAIL/carol" carol@good.test "${SUB[@]}" --auth login $p
  # 465 implicit TLS + AUTH
  deliver "submission-465-implicit$s" "$MAIL/dave" dave@good.test "${SUB[@]}" --tls implicit --port 465 --auth plain $p
  # port 25 STARTTLS, verified certificate, no AUTH
  deliver "mx-25-verified$s" "$MAIL/bob" bob@good.test --host mx1.good.test "${MX[@]}" $p
  # an expired certificate is fine when only encryption is asked for
  deliver "cert-expired-encrypted-delivers$s" "$MAIL/bob" bob@good.test --host mx.expired.test "${MX[@]}" --tls-level encrypted $p
  # plain text when explicitly allowed (mx.notls.test offers no STARTTLS)
  deliver "mx-25-plaintext-allowed$s" "$MAIL/bob" bob@good.test --host mx.notls.test --port 25 --tls none --allow-plaintext \
    --from sender@evil.test --timeout 20 $p
done

# body fidelity --------------------------------------------------------
B=$WORK/bodies; mkdir -p "$B"
# leading dots, including a line that is just "." in the middle and at the end
printf '.\r\n..\r\n.foo\r\n...\r\nbefore the lone dot\r\n.\r\nafter the lone dot\r\n. \r\n.\t.\r\n\r\n.\r\n' > "$B/dots"
# bare LF everywhere (the headers of this message use LF too, see below)
printf 'line one\n.dot after LF\n\n..two dots\nlast\n' > "$B/lf"
# bare CR: inside a line, doubled before CRLF, in front of a dot, at the very end
printf 'one\rtwo\r\nthree\r\r\nfour\r.five\r\n\r\n..six\rseven\r\nend\r' > "$B/cr"
# 8-bit UTF-8 text
printf 'Grüße, naïve café ✓\r\n.ünïcode after a dot\r\nΚαλημέρα κόσμε, こんにちは\r\n' > "$B/utf8"
# no line ending after the last line: a CRLF must be added before "."
printf 'first\r\nthe last line has no line ending' > "$B/nofinaleol"
# ~2 MB of mixed lines: empty, dots, 998-octet (the RFC 5321 maximum),
# tabs, trailing blanks, 8-bit, and both CRLF and bare LF endings.
LC_ALL=C awk 'BEGIN {
  srand(7); long = ""; for (i = 0; i < 998; i++) long = long sprintf("%c", 33 + (i % 94));
  n = 0; total = 2 * 1024 * 1024;
  while (n < total) {
    k = int(rand() * 12);
    if (k == 0) l = "";
    else if (k == 1) l = ".";
    else if (k == 2) l = "..leading dots " n;
    else if (k == 3) l = long;
    else if (k == 4) l = "\ttab\tseparated\tline " n;
    else if (k == 5) l = "trailing blanks   ";
    else if (k == 6) l = "8-bit: Grüße naïve café ✓ " n;
    else if (k == 7) l = substr(long, 1, 1 + int(rand() * 997));
    else if (k == 8) l = "." substr(long, 1, int(rand() * 500));
    else l = sprintf("line %d %s", n, substr(long, 1, int(rand() * 80)));
    eol = (int(rand() * 5) == 0) ? "\n" : "\r\n";
    printf "%s%s", l, eol; n += length(l) + length(eol);
  }
  printf "end of the 2 MB body\r\n";
}' > "$B/big2mb"

# normalise FILE: what Postfix must store for it - CRLF, bare CR and bare LF
# all become LF (smtpc turns each into CRLF, Postfix stores LF), and a final
# line ending is added if missing.
normalise() { perl -0777 -pe 's/\r\n/\n/g; s/\r/\n/g; $_ .= "\n" if length($_) && !/\n\z/' "$1"; }

fidelity() { # name bodyfile eol smtpc-send-args (--to carol@good.test is added)...
  local n=$1 body=$2 eol=$3 t f; shift 3
  newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" carol@good.test "$eol" "$body"
  send "$n" "$WORK/$n.msg" --to carol@good.test "$@"
  if [ "$RC" != 0 ]; then fail "$n" "$(why "$n")"; return; fi
  if ! f=$(find_delivered "$MAIL/carol" "$t"); then fail "$n" "exit 0 but token $t not delivered"; return; fi
  # Everything above our first line was added by Postfix (Return-Path,
  # Delivered-To, Received, ...): cut it off.
  LC_ALL=C sed -n "/^X-Test-Token: $t\$/,\$p" "$f" > "$WORK/$n.stored"
  normalise "$WORK/$n.msg" > "$WORK/$n.expected"
  if cmp -s "$WORK/$n.expected" "$WORK/$n.stored"; then
    pass "$n"
  else
    fail "$n" "stored message differs: $(cmp "$WORK/$n.expected" "$WORK/$n.stored" 2>&1 | head -n 1); sizes expected=$(stat -c %s "$WORK/$n.expected") stored=$(stat -c %s "$WORK/$n.stored"); see $WORK/$n.{msg,expected,stored}"
  fi
}

# Over submission (TLS + AUTH), with and without PIPELINING, and once more
# over plain text on port 25 (mx.notls.test, explicitly allowed): when only
# the TLS runs fail, the body path itself is not to blame.
PLAIN25=(--host mx.notls.test --port 25 --tls none --allow-plaintext --from sender@evil.test --timeout 20)
for v in "" -pipelining -plaintext; do
  case $v in
    "")          args=("${SUB[@]}" --auth plain) ;;
    -pipelining) args=("${SUB[@]}" --auth plain --pipelining) ;;
    -plaintext)  args=("${PLAIN25[@]}") ;;
  esac
  fidelity "body-leading-dots$v"  "$B/dots"       $'\r\n' "${args[@]}"
  fidelity "body-bare-lf$v"       "$B/lf"         $'\n'   "${args[@]}"
  fidelity "body-bare-cr$v"       "$B/cr"         $'\r\n' "${args[@]}"
  fidelity "body-utf8$v"          "$B/utf8"       $'\r\n' "${args[@]}"
  fidelity "body-no-final-eol$v"  "$B/nofinaleol" $'\r\n' "${args[@]}"
  fidelity "body-2mb-mixed$v"     "$B/big2mb"     $'\r\n' "${args[@]}"
done

# one recipient refused -> exit 3, the other one gets the message -----
for v in "" -pipelining -plaintext; do
  case $v in
    "")          args=(--host mx1.good.test "${MX[@]}") ;;
    -pipelining) args=(--host mx1.good.test "${MX[@]}" --pipelining) ;;
    -plaintext)  args=("${PLAIN25[@]}") ;;   # mx.notls.test: the same Postfix, no TLS
  esac
  n=partial-recipients$v
  newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" bob@good.test $'\r\n'
  send "$n" "$WORK/$n.msg" "${args[@]}" --to bob@good.test --to x@example.org
  if [ "$RC" != 3 ]; then fail "$n" "expected exit 3; $(why "$n")"
  elif ! find_delivered "$MAIL/bob" "$t" > /dev/null; then fail "$n" "exit 3 but bob@good.test did not get token $t"
  else pass "$n"; fi
done

# expect_error NAME RC REGEX MAILDIR TOKEN: exit status and stderr line
expect_error() {
  local n=$1 want=$2 re=$3
  if [ "$RC" != "$want" ]; then fail "$n" "expected exit $want; $(why "$n")"
  elif ! grep -Eq -- "$re" "$WORK/$n.err"; then fail "$n" "stderr does not match /$re/; $(why "$n")"
  else pass "$n"; fi
  expect_absent "$n" "$4" "$5"
}

# wrong password ---------------------------------------------------------
n=auth-wrong-password; newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" carol@good.test $'\r\n'
send "$n" "$WORK/$n.msg" --to carol@good.test --host mx1.good.test --port 587 --tls starttls --ca-file "$CA" \
  --from "$TW_SASL_USER" --user "$TW_SASL_USER" --pass-file "$BADPASSF" --auth plain --timeout 20
expect_error "$n" 1 'smtpc-send: SMTPC_ERR_AUTH_FAILED .*535' "$MAIL/carol" "$t"

# plaintext -----------------------------------------------------------------
# Postfix's 587 demands STARTTLS (530, and no AUTH before TLS): the session
# must fail, whatever the exact error.
n=plaintext-587-refused; newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" carol@good.test $'\r\n'
send "$n" "$WORK/$n.msg" --to carol@good.test --host mx1.good.test --port 587 --tls none --allow-plaintext \
  --from "$TW_SASL_USER" --user "$TW_SASL_USER" --pass-file "$PASSF" --auth plain --timeout 20
expect_error "$n" 1 'smtpc-send: SMTPC_ERR_' "$MAIL/carol" "$t"
# Without --allow-plaintext, --tls none must be refused before any connection:
# Postfix logs every connection to 587, so the count must not change.
subconn() { grep -c 'postfix/submission/smtpd\[[0-9]*\]: connect from' "$TW_LOG/postfix.log" || true; }
n=plaintext-forbidden-no-connect; newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" carol@good.test $'\r\n'
c0=$(subconn)
send "$n" "$WORK/$n.msg" --to carol@good.test --host mx1.good.test --port 587 --tls none \
  --from "$TW_SASL_USER" --user "$TW_SASL_USER" --pass-file "$PASSF" --auth plain --timeout 20
sleep 1; c1=$(subconn)
expect_error "$n" 1 'smtpc-send: SMTPC_ERR_PLAINTEXT_FORBIDDEN' "$MAIL/carol" "$t"
if [ "$c0" = "$c1" ]; then pass "$n-log"; else fail "$n-log" "Postfix saw $((c1 - c0)) connection(s) to 587"; fi

# no STARTTLS offered, default TLS settings --------------------------------
n=notls-starttls-required; newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" bob@good.test $'\r\n'
send "$n" "$WORK/$n.msg" --to bob@good.test --host mx.notls.test --port 25 --ca-file "$CA" --from sender@evil.test --timeout 20
expect_error "$n" 1 'smtpc-send: SMTPC_ERR_STARTTLS_REQUIRED' "$MAIL/bob" "$t"

# certificate failures with --tls-level verified -----------------------------
for c in expired:EXPIRED wronghost:HOSTNAME untrusted:UNTRUSTED; do
  h=${c%%:*}; e=${c#*:}; n=cert-$h-verified
  newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" bob@good.test $'\r\n'
  send "$n" "$WORK/$n.msg" --to bob@good.test --host "mx.$h.test" "${MX[@]}"
  expect_error "$n" 1 "smtpc-send: SMTPC_ERR_TLS_CERT_$e" "$MAIL/bob" "$t"
done

# --trace: commands visible, credentials never ------------------------------
U=$TW_SASL_USER PW=$TW_SASL_PASS
# what an unredacted trace would show: the password, the AUTH PLAIN blobs
# (with and without authzid), the AUTH LOGIN password line
SECRETS=("$PW" "$(printf '\0%s\0%s' "$U" "$PW" | base64 -w0)"
         "$(printf '%s\0%s\0%s' "$U" "$U" "$PW" | base64 -w0)" "$(printf '%s' "$PW" | base64 -w0)")
for mech in plain login; do
  n=trace-auth-$mech; newtoken; t=$T; mkmsg "$WORK/$n.msg" "$t" carol@good.test $'\r\n'
  send "$n" "$WORK/$n.msg" --to carol@good.test "${SUB[@]}" --auth "$mech" --trace
  cat "$WORK/$n.out" "$WORK/$n.err" > "$WORK/$n.trace"
  M=${mech^^}; problems=""
  [ "$RC" = 0 ] || problems="$problems $(why "$n");"
  # "C: AUTH ..." - the server's "250-AUTH PLAIN LOGIN" must not count
  for want in "C: EHLO" "C: STARTTLS" "C: AUTH $M"; do
    grep -qF -- "$want" "$WORK/$n.trace" || problems="$problems missing '$want';"
  done
  # AUTH must come after STARTTLS
  ls_=$(grep -nF "C: STARTTLS" "$WORK/$n.trace" | head -n 1 | cut -d: -f1 || true)
  la_=$(grep -nF "C: AUTH $M" "$WORK/$n.trace" | head -n 1 | cut -d: -f1 || true)
  if [ -n "$ls_" ] && [ -n "$la_" ] && [ "$la_" -lt "$ls_" ]; then problems="$problems AUTH before STARTTLS;"; fi
  for secret in "${SECRETS[@]}"; do
    grep -qF -- "$secret" "$WORK/$n.trace" && problems="$problems trace contains '$secret';"
  done
  if [ -z "$problems" ]; then pass "$n"; else fail "$n" "$problems see $WORK/$n.trace"; fi
done

# Negative checks: none of those messages may have been delivered. -------------
sleep 2
for e in "${NOT_DELIVERED[@]}"; do
  IFS='|' read -r n md t <<< "$e"
  if grep -rqF -- "X-Test-Token: $t" "$md/new" 2>/dev/null; then fail "$n-not-delivered" "token $t found in $md/new"
  else pass "$n-not-delivered"; fi
done

echo "test_smtpc_send: $PASSES passed, $FAILS failed"
[ "$FAILS" = 0 ]
