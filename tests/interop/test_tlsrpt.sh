#!/usr/bin/env bash
# Real-peer checks of TLS-RPT (RFC 8460) with smtpc-send --tlsrpt-log and
# smtpc-tlsrpt: deliveries to good.test, testing.test (MX with an expired
# certificate under a testing policy), notls.test, untrusted.test, the
# policy-host failures (expired.test, wronghost.test, redirect.test,
# badsyntax.test) and nosts.test fill a log; each domain's report must carry
# exactly the result type, reason, MX and IP the world implies; then
#  - `smtpc-tlsrpt mail` with a DKIM key generated here (published nowhere:
#    the verifier is given the key) is submitted with smtpc-send, accepted
#    by Postfix, and its signature verifies with python3-dkim (strict
#    tlsrpt mode, key record s=tlsrpt) in the delivered copy;
#  - `smtpc-tlsrpt send` for testing.test, whose record lists
#    mailto:tlsrpt@reports.test and https://reports.test/tlsrpt, reaches
#    both: the https sink's POST body gunzips to the report JSON, the
#    Maildir gets the report mail; the report then leaves the log.
#
#   tests/interop/test_tlsrpt.sh BINDIR      (root; the world must be up)
#
# Prints `PASS name` / `FAIL name -- details` per check; files stay in
# $TW_STATE/smtpc-tlsrpt/.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TW=$HERE/world/tw.sh
[ $# = 1 ] || { echo "usage: $0 BINDIR" >&2; exit 2; }
BINDIR=$(cd "$1" 2>/dev/null && pwd) || { echo "FAIL tlsrpt-present -- no directory $1"; exit 1; }

NS=${TW_NS:-smtpc-tw}
if [ "$(ip netns identify $$ 2>/dev/null || true)" != "$NS" ]; then
  exec "$TW" exec "$0" "$BINDIR"
fi

SEND=$BINDIR/smtpc-send
RPT=$BINDIR/smtpc-tlsrpt
CA=$TW_CA
M=$TW_MAIL
WORK=$TW_STATE/smtpc-tlsrpt
LOGF=$WORK/tlsrpt.log
rm -rf "$WORK"; mkdir -p "$WORK"
PASSES=0 FAILS=0
pass() { printf 'PASS %s\n' "$1"; PASSES=$((PASSES + 1)); }
fail() {
  printf 'FAIL %s -- %s\n' "$1" "$(printf '%s' "$2" | tr '\r\n' '  ' | cut -c1-600)"
  FAILS=$((FAILS + 1))
}
finish() { echo "test_tlsrpt: $PASSES passed, $FAILS failed"; [ "$FAILS" = 0 ]; exit $?; }

for b in "$SEND" "$RPT"; do
  [ -x "$b" ] || { fail tlsrpt-present "$b not found or not executable"; finish; }
done
PY=
for p in /usr/bin/python3 python3; do
  if command -v "$p" >/dev/null 2>&1 && "$p" -c 'import dkim' 2>/dev/null; then PY=$p; break; fi
done

DAY=$(date -u +%F)
REPORT=(--log "$LOGF" --day "$DAY" --org "smtpc interop" --contact tlsrpt@reporter.test
        --unique iop)

# ---- 1. deliveries fill the log ---------------------------------------------
mkmsg() { # file to
  {
    printf 'From: <sender@reporter.test>\r\nTo: <%s>\r\n' "$2"
    printf 'Subject: smtpc TLS-RPT interop\r\nDate: %s\r\n' "$(LC_ALL=C date -R)"
    printf 'Message-ID: <%s.%s@reporter.test>\r\n\r\nhello\r\n' "$(date +%s)" "$RANDOM"
  } > "$1"
}
DOMAINS="good.test testing.test notls.test expired.test wronghost.test untrusted.test
  redirect.test badsyntax.test nosts.test"
for d in $DOMAINS; do
  mkmsg "$WORK/$d.msg" "bob@$d"
  timeout 60 "$SEND" --mx --dns "$TW_DNS" --ca-file "$CA" --from sender@reporter.test \
    --to "bob@$d" --timeout 20 --tlsrpt-log "$LOGF" --data "$WORK/$d.msg" \
    > "$WORK/$d.out" 2> "$WORK/$d.err" || true
done
if "$RPT" list --log "$LOGF" > "$WORK/list.json" 2> "$WORK/list.err" &&
   /usr/bin/env python3 - "$WORK/list.json" "$DAY" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
r = {x["domain"]: x for x in o["reports"]}
for d in ("good.test", "testing.test", "notls.test"):
    assert d in r and r[d]["day"] == sys.argv[2], (d, o)
assert r["good.test"]["success"] >= 1, r["good.test"]
assert r["testing.test"]["failure"] >= 1, r["testing.test"]
assert r["notls.test"]["failure"] >= 1, r["notls.test"]
EOF
then pass tlsrpt-log-filled
else fail tlsrpt-log-filled "$(cat "$WORK/list.json" "$WORK/list.err" "$WORK"/*.err 2>/dev/null | head -c 600)"
fi

# ---- 1b. one report per domain, with the result types the world implies ----
# domain:policy-type:mode:successes:result-type:failure-reason-code
for spec in good.test:sts:enforce:1:: \
            testing.test:sts:testing:0:certificate-expired:SMTPC_ERR_TLS_CERT_EXPIRED \
            notls.test:sts:enforce:0:starttls-not-supported:SMTPC_ERR_STARTTLS_REQUIRED \
            untrusted.test:sts:enforce:0:certificate-not-trusted:SMTPC_ERR_TLS_CERT_UNTRUSTED \
            expired.test:sts:-:0:sts-webpki-invalid:SMTPC_ERR_TLS_CERT_EXPIRED \
            wronghost.test:sts:-:0:sts-webpki-invalid:SMTPC_ERR_TLS_CERT_HOSTNAME \
            redirect.test:sts:-:0:sts-policy-fetch-error:SMTPC_ERR_HTTP_REDIRECT \
            badsyntax.test:sts:-:0:sts-policy-invalid:SMTPC_ERR_STS_POLICY_INVALID \
            nosts.test:no-policy-found:-:1::; do
  IFS=: read -r d ptype mode succ rtype reason <<< "$spec"
  n=tlsrpt-report-${d%.test}
  if "$RPT" render "${REPORT[@]}" --domain "$d" > "$WORK/$d.json" 2> "$WORK/$d.render.err" &&
     out=$(python3 - "$WORK/$d.json" "$d" "$ptype" "$mode" "$succ" "$rtype" "$reason" "$DAY" 2>&1 <<'EOF'
import json, sys
f, d, ptype, mode, succ, rtype, reason, day = sys.argv[1:]
j = json.load(open(f))
assert j["date-range"]["start-datetime"] == day + "T00:00:00Z", j["date-range"]
assert j["date-range"]["end-datetime"] == day + "T23:59:59Z", j["date-range"]
(p,) = j["policies"]
pol = p["policy"]
assert pol["policy-type"] == ptype and pol["policy-domain"] == d, pol
if mode != "-":
    assert "mode: " + mode in pol["policy-string"], pol
else:
    assert "policy-string" not in pol, pol
s = p["summary"]
assert s["total-successful-session-count"] == int(succ), s
det = p.get("failure-details", [])
assert s["total-failure-session-count"] == sum(x["failed-session-count"] for x in det), p
if rtype:
    assert s["total-failure-session-count"] == 1 and len(det) == 1, p
    assert det[0]["result-type"] == rtype, det
    assert det[0].get("failure-reason-code") == reason, det
    if not rtype.startswith("sts-"):
        mx = "mx.expired.test" if d == "testing.test" else "mx." + d
        assert det[0]["receiving-mx-hostname"] == mx, det
        assert "receiving-ip" in det[0], det
else:
    assert s["total-failure-session-count"] == 0 and not det, p
EOF
     ); then pass "$n"
  else fail "$n" "${out:-render failed} $(cat "$WORK/$d.json" "$WORK/$d.render.err" 2>/dev/null | head -c 500)"
  fi
done

# ---- 2. the report mail, DKIM-signed, through Postfix -----------------------
openssl genrsa -out "$WORK/dkim.pem" 2048 2>/dev/null
openssl rsa -in "$WORK/dkim.pem" -pubout -out "$WORK/dkim.pub" 2>/dev/null
if "$RPT" mail "${REPORT[@]}" --domain good.test --to tlsrpt@reports.test \
     --dkim-key "$WORK/dkim.pem" --dkim-selector tlsrpt > "$WORK/good.eml" 2> "$WORK/mail.err"
then pass tlsrpt-mail-built
else fail tlsrpt-mail-built "$(cat "$WORK/mail.err")"
fi
box=$M/reports.test/tlsrpt/new
before=$(ls "$box" 2>/dev/null | wc -l)
PASSF=$WORK/pass; printf '%s' "$TW_SASL_PASS" > "$PASSF"
if timeout 60 "$SEND" --host mx1.good.test --port 587 --tls starttls --tls-level verified \
     --ca-file "$CA" --from "$TW_SASL_USER" --user "$TW_SASL_USER" --pass-file "$PASSF" \
     --to tlsrpt@reports.test --timeout 20 --data "$WORK/good.eml" > /dev/null 2> "$WORK/submit.err"
then pass tlsrpt-mail-accepted
else fail tlsrpt-mail-accepted "$(cat "$WORK/submit.err")"
fi
got=
for _ in $(seq 1 50); do
  got=$(grep -l "TLS-Report-Domain: good.test" "$box"/* 2>/dev/null | head -n 1 || true)
  [ -n "$got" ] && break
  sleep 0.1
done
if [ -z "$got" ]; then
  fail tlsrpt-mail-delivered "no report mail for good.test in $box"
elif [ -z "$PY" ]; then
  pass tlsrpt-mail-delivered
  echo "SKIP tlsrpt-mail-dkim -- python3-dkim not installed (Debian: python3-dkim)"
else
  pass tlsrpt-mail-delivered
  if out=$("$PY" - "$got" "$WORK/dkim.pub" 2>&1 <<'EOF'
import sys, dkim
data = open(sys.argv[1], "rb").read()
b64 = "".join(l for l in open(sys.argv[2]).read().splitlines() if not l.startswith("-----"))
rec = ("v=DKIM1; k=rsa; s=tlsrpt; p=" + b64).encode()
def dnsfunc(name, timeout=5):
    assert name == b"tlsrpt._domainkey.reporter.test.", name
    return rec
# the delivered copy: Postfix added Received/Return-Path above the signature
assert dkim.DKIM(data, tlsrpt="strict").verify(dnsfunc=dnsfunc), "signature does not verify"
bad = data.replace(b"TLS-Report-Domain: good.test", b"TLS-Report-Domain: evil.test")
try:
    ok = dkim.DKIM(bad, tlsrpt="strict").verify(dnsfunc=dnsfunc)
except dkim.ValidationError:
    ok = False
assert not ok, "a tampered copy verifies"
EOF
  ); then pass tlsrpt-mail-dkim; else fail tlsrpt-mail-dkim "$out"; fi
fi

# ---- 3. send: https sink and mailto, then the report leaves the log ---------
H=$TW_TLSRPT_HTTPS
hbefore=$(ls "$H" 2>/dev/null | wc -l)
timeout 120 "$RPT" send "${REPORT[@]}" --domain testing.test --dns "$TW_DNS" --ca-file "$CA" \
  --helo reporter.test --timeout 20 > "$WORK/send.json" 2> "$WORK/send.err"
RC=$?
if [ "$RC" = 0 ] && python3 - "$WORK/send.json" <<'EOF'
import json, sys
o = json.load(open(sys.argv[1]))
r = {x["uri"]: x for x in o["rua"]}
assert r["mailto:tlsrpt@reports.test"]["result"] == "accepted", r
assert r["https://reports.test/tlsrpt"]["result"] == "accepted", r
assert r["https://reports.test/tlsrpt"]["status"] == 200, r
assert o["removed"] is True, o
EOF
then pass tlsrpt-send-both
else fail tlsrpt-send-both "exit $RC: $(cat "$WORK/send.json" "$WORK/send.err")"
fi
body=$(ls -t "$H" 2>/dev/null | head -n 1 || true)
if [ "$(ls "$H" 2>/dev/null | wc -l)" -gt "$hbefore" ] && python3 - "$H/$body" <<'EOF'
import gzip, json, sys
j = json.loads(gzip.decompress(open(sys.argv[1], "rb").read()))
p = j["policies"]
assert j["organization-name"] == "smtpc interop" and j["contact-info"] == "tlsrpt@reporter.test"
assert any(x["policy"]["policy-domain"] == "testing.test" for x in p), p
assert any(x["policy"]["policy-type"] == "sts" for x in p), p
for x in p:
    s = x["summary"]
    assert s["total-failure-session-count"] == sum(d["failed-session-count"] for d in x.get("failure-details", [])), x
EOF
then pass tlsrpt-https-body
else fail tlsrpt-https-body "no new POST body in $H that gunzips to the testing.test report"
fi
got=
for _ in $(seq 1 50); do
  got=$(grep -l "TLS-Report-Domain: testing.test" "$box"/* 2>/dev/null | head -n 1 || true)
  [ -n "$got" ] && break
  sleep 0.1
done
if [ -n "$got" ] && grep -q '^TLS-Required: No' "$got" && python3 - "$got" <<'EOF'
import email, email.policy, gzip, json, sys
m = email.message_from_bytes(open(sys.argv[1], "rb").read(), policy=email.policy.default)
a = list(m.iter_parts())[1]
assert a.get_content_type() == "application/tlsrpt+gzip"
assert json.loads(gzip.decompress(a.get_payload(decode=True)))["report-id"].endswith("testing.test_iop")
EOF
then pass tlsrpt-send-maildir
else fail tlsrpt-send-maildir "no report mail for testing.test in $box"
fi
"$RPT" list --log "$LOGF" > "$WORK/list2.json" 2>&1 || true
if grep -q '"testing.test"' "$WORK/list2.json"; then
  fail tlsrpt-removed "testing.test still listed: $(cat "$WORK/list2.json")"
elif grep -q '"good.test"' "$WORK/list2.json"; then pass tlsrpt-removed
else fail tlsrpt-removed "$(cat "$WORK/list2.json")"
fi
finish
