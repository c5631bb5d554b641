#!/usr/bin/env bash
# CLI tests of smtpc-tlsrpt: txt (the RFC 8460 §3 selection), list, render
# (JSON and gzip), mail (structure, attachment back to the JSON, DKIM header
# with --dkim-key; verified with python3-dkim when installed), send to an
# https rua that refuses the connection (the report stays in the log), and
# usage errors. The log is filled by tlsrpt_log_fill with synthetic events;
# no network.
#
# Usage: test_tlsrpt_cli.sh PATH/TO/smtpc-tlsrpt PATH/TO/tlsrpt_log_fill
set -u

BIN=${1:?usage: test_tlsrpt_cli.sh SMTPC_TLSRPT TLSRPT_LOG_FILL}
FILL=${2:?usage: test_tlsrpt_cli.sh SMTPC_TLSRPT TLSRPT_LOG_FILL}
command -v python3 >/dev/null || { echo "cli: needs python3" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
pass=0
fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() { fail=$((fail + 1)); echo "FAIL $1"; [ $# -gt 1 ] && printf '%s\n' "$2" | head -20; }

# expect_rc NAME WANT GOT
expect_rc() { if [ "$3" -eq "$2" ]; then ok "$1 (exit $2)"; else ko "$1: exit $3, want $2"; fi; }

# pycheck NAME FILE PYTHON: runs PYTHON with `data` = FILE's bytes; ok when it exits 0.
pycheck() {
    local name=$1 file=$2 code=$3 out
    if out=$(${PY:-python3} - "$file" 2>&1 <<EOF
import sys, json, gzip, base64, email, email.policy
data = open(sys.argv[1], 'rb').read()
$code
EOF
    ); then ok "$name"; else ko "$name" "$out"; fi
}

LOG=$TMP/rpt.log
DAY=2026-01-01
T=$((1767225600 + 3600))
COMMON=(--log "$LOG" --day $DAY --org "Example Devices" --contact tlsrpt@reporter.test
        --unique dev01)

# ------------------------------------------------------------------ txt ---
"$BIN" --help >/dev/null; expect_rc "help" 0 $?

printf 'v=spf1 -all\nv=TLSRPTv1; rua=mailto:tlsrpt@reports.test,https://sink.reports.test:8443/r?x=1\n' \
    | "$BIN" txt >"$TMP/txt.json"; expect_rc "txt one record" 0 $?
pycheck "txt rua list" "$TMP/txt.json" '
o = json.loads(data)
assert o["result"] == "tlsrpt", o
r = o["rua"]
assert r[0] == {"kind": "mailto", "uri": "mailto:tlsrpt@reports.test", "addr": "tlsrpt@reports.test"}, r[0]
assert r[1]["kind"] == "https" and r[1]["host"] == "sink.reports.test", r[1]
assert r[1]["port"] == 8443 and r[1]["path"] == "/r?x=1", r[1]'

printf 'v=TLSRPTv1;rua=mailto:a@b.test\nv=TLSRPTv1;rua=mailto:c@d.test\n' \
    | "$BIN" txt >"$TMP/txt2.json"; expect_rc "txt two records" 1 $?
pycheck "txt two records: error" "$TMP/txt2.json" '
assert json.loads(data)["result"] == "error"'
printf 'v=TLSRPTv1;\trua=mailto:a@b.test\n' | "$BIN" txt >"$TMP/txt3.json"
expect_rc "txt strings joined" 0 $?
printf 'v=spf1 -all\n' | "$BIN" txt >"$TMP/txt4.json"; expect_rc "txt none" 1 $?
pycheck "txt none: no_tlsrpt" "$TMP/txt4.json" '
assert json.loads(data) == {"result": "no_tlsrpt"}'

# ------------------------------------------------------------- the log ---
"$FILL" "$LOG" $T ok:good.test:mx1.good.test ok:good.test:mx1.good.test \
    plain:good.test:mx2.good.test:198.51.100.7 \
    sts-ok:sts.test:mx.sts.test expired:sts.test:mx.sts.test:192.0.2.1 \
    expired:sts.test:mx.sts.test:192.0.2.1
expect_rc "log filled" 0 $?

"$BIN" list --log "$LOG" >"$TMP/list.json"; expect_rc "list" 0 $?
pycheck "list: two reports" "$TMP/list.json" '
o = json.loads(data)
r = sorted(o["reports"], key=lambda x: x["domain"])
assert [x["domain"] for x in r] == ["good.test", "sts.test"], r
assert r[0]["day"] == "2026-01-01" and r[0]["success"] == 2 and r[0]["failure"] == 1, r
assert r[1]["success"] == 1 and r[1]["failure"] == 2, r'

# --------------------------------------------------------------- render ---
"$BIN" render "${COMMON[@]}" --domain sts.test --sending-ip 203.0.113.5 >"$TMP/sts.json"
expect_rc "render" 0 $?
pycheck "render: RFC 8460 fields" "$TMP/sts.json" '
o = json.loads(data)
assert o["organization-name"] == "Example Devices"
assert o["contact-info"] == "tlsrpt@reporter.test"
assert o["report-id"] == "2026-01-01_sts.test_dev01", o["report-id"]
assert o["date-range"] == {"start-datetime": "2026-01-01T00:00:00Z", "end-datetime": "2026-01-01T23:59:59Z"}
p = o["policies"]
assert len(p) == 1
pol = p[0]["policy"]
assert pol["policy-type"] == "sts" and pol["policy-domain"] == "sts.test", pol
assert pol["policy-string"] == ["version: STSv1", "mode: enforce", "mx: mx.sts.test", "max_age: 86400"], pol
assert pol["mx-host"] == ["mx.sts.test"], pol
s = p[0]["summary"]
assert s == {"total-successful-session-count": 1, "total-failure-session-count": 2}, s
d = p[0]["failure-details"]
assert sum(x["failed-session-count"] for x in d) == 2
assert d[0]["result-type"] == "certificate-expired", d
assert d[0]["sending-mta-ip"] == "203.0.113.5" and d[0]["receiving-ip"] == "192.0.2.1", d
assert d[0]["receiving-mx-hostname"] == "mx.sts.test", d'

"$BIN" render "${COMMON[@]}" --domain good.test >"$TMP/good.json"
pycheck "render: no-policy-found" "$TMP/good.json" '
o = json.loads(data)
pol = o["policies"][0]["policy"]
assert pol == {"policy-type": "no-policy-found", "policy-domain": "good.test"}, pol
d = o["policies"][0]["failure-details"][0]
assert d["result-type"] == "starttls-not-supported" and "sending-mta-ip" not in d, d'

"$BIN" render "${COMMON[@]}" --domain good.test --gzip >"$TMP/good.json.gz"
expect_rc "render --gzip" 0 $?
python3 -c 'import gzip,sys; sys.stdout.buffer.write(gzip.decompress(open(sys.argv[1],"rb").read())+b"\n")' \
    "$TMP/good.json.gz" >"$TMP/good2.json"
if cmp -s "$TMP/good.json" "$TMP/good2.json"; then ok "gzip is the JSON"; else ko "gzip is the JSON"; fi

"$BIN" render "${COMMON[@]}" --domain none.test >/dev/null 2>&1; expect_rc "render: no such report" 1 $?
"$BIN" render "${COMMON[@]}" --day 2026-02-30 --domain good.test >/dev/null 2>&1
expect_rc "render: bad day" 2 $?
"$BIN" render --log "$LOG" --day $DAY --domain good.test >/dev/null 2>&1
expect_rc "render: missing --org" 2 $?
"$BIN" render "${COMMON[@]}" --domain good.test --contact nobody >/dev/null 2>&1
expect_rc "render: contact not an address" 2 $?

# ----------------------------------------------------------------- mail ---
"$BIN" mail "${COMMON[@]}" --domain sts.test --to tlsrpt@reports.test >"$TMP/mail.eml"
expect_rc "mail" 0 $?
pycheck "mail: headers, CRLF, attachment" "$TMP/mail.eml" '
assert b"\n" not in data.replace(b"\r\n", b""), "bare LF"
for line in data.split(b"\r\n"):
    assert len(line) <= 78, line
m = email.message_from_bytes(data, policy=email.policy.default)
assert m["TLS-Report-Domain"] == "sts.test"
assert m["TLS-Report-Submitter"] == "reporter.test"
assert m["TLS-Required"] == "No" and m["Auto-Submitted"] == "auto-generated"
assert m["From"] == "tlsrpt@reporter.test" and m["To"] == "tlsrpt@reports.test"
assert m["Subject"] == "Report Domain: sts.test Submitter: reporter.test Report-ID: <2026-01-01_sts.test_dev01@reporter.test>", m["Subject"]
assert m.get_content_type() == "multipart/report" and m.get_param("report-type") == "tlsrpt"
parts = list(m.iter_parts())
assert parts[0].get_content_type() == "text/plain"
a = parts[1]
assert a.get_content_type() == "application/tlsrpt+gzip"
assert a.get_filename() == "reporter.test!sts.test!1767225600!1767311999!dev01.json.gz", a.get_filename()
j = json.loads(gzip.decompress(a.get_payload(decode=True)))
assert j["policies"][0]["summary"]["total-failure-session-count"] == 2'

"$BIN" mail "${COMMON[@]}" --domain sts.test >/dev/null 2>&1; expect_rc "mail: missing --to" 2 $?

if command -v openssl >/dev/null 2>&1; then
    openssl genrsa -out "$TMP/dkim.pem" 2048 2>/dev/null
    openssl rsa -in "$TMP/dkim.pem" -pubout -out "$TMP/dkim.pub" 2>/dev/null
    "$BIN" mail "${COMMON[@]}" --domain sts.test --to tlsrpt@reports.test \
        --dkim-key "$TMP/dkim.pem" --dkim-selector tlsrpt >"$TMP/signed.eml"
    expect_rc "mail --dkim-key" 0 $?
    pycheck "mail: DKIM-Signature first" "$TMP/signed.eml" '
assert data.startswith(b"DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=reporter.test;"), data[:100]
hdr = data.split(b"\r\n\r\n")[0].replace(b"\r\n\t", b"").replace(b"\r\n ", b" ")
sig = [l for l in hdr.split(b"\r\n") if l.startswith(b"DKIM-Signature")][0]
assert b"s=tlsrpt;" in sig and b"l=" not in sig
assert b"tls-report-domain" in sig and b"tls-report-submitter" in sig'
    DKIMPY=
    for p in python3 /usr/bin/python3; do
        if command -v $p >/dev/null 2>&1 && $p -c 'import dkim' 2>/dev/null; then DKIMPY=$p; break; fi
    done
    if [ -n "$DKIMPY" ]; then
        PY=$DKIMPY pycheck "mail: DKIM verifies (dkimpy)" "$TMP/signed.eml" "
import dkim, re
pub = open('$TMP/dkim.pub').read()
b64 = ''.join(l for l in pub.splitlines() if not l.startswith('-----'))
# RFC 8460 §3: the key record carries s=tlsrpt; dkimpy's strict tlsrpt mode
# then requires it (and refuses l=).
rec = ('v=DKIM1; k=rsa; s=tlsrpt; p=' + b64).encode()
def dnsfunc(name, timeout=5):
    assert name == b'tlsrpt._domainkey.reporter.test.', name
    return rec
assert dkim.DKIM(data, tlsrpt='strict').verify(dnsfunc=dnsfunc)
for bad in (data.replace(b'sts.test', b'xts.test'), data.replace(b'TLS-Report-Domain: sts.test', b'TLS-Report-Domain: sts.tesu')):
    try:
        good = dkim.DKIM(bad, tlsrpt='strict').verify(dnsfunc=dnsfunc)
    except dkim.ValidationError:
        good = False
    assert not good"
    else
        echo "skip mail: DKIM verification (python3-dkim not installed)"
    fi
    "$BIN" mail "${COMMON[@]}" --domain sts.test --to a@b.test --dkim-key "$TMP/dkim.pub" \
        --dkim-selector s >/dev/null 2>&1
    expect_rc "mail: a public key cannot sign" 2 $?
fi
"$BIN" mail "${COMMON[@]}" --domain sts.test --to a@b.test --dkim-key "$TMP/dkim.pem" \
    >/dev/null 2>&1
expect_rc "mail: --dkim-key without selector" 2 $?

# ----------------------------------------------------------------- send ---
# Nothing listens on port 1: the rua fails, the report stays.
"$BIN" send "${COMMON[@]}" --domain good.test --rua https://127.0.0.1:1/r --timeout 5 \
    >"$TMP/send.json"
expect_rc "send: refused" 1 $?
pycheck "send: per-rua outcome" "$TMP/send.json" '
o = json.loads(data)
assert o["removed"] is False and o["domain"] == "good.test", o
assert o["rua"][0]["result"] == "failed" and o["rua"][0]["error"].startswith("SMTPC_ERR_NET"), o'
"$BIN" list --log "$LOG" >"$TMP/list2.json"
pycheck "send: report kept" "$TMP/list2.json" '
assert len(json.loads(data)["reports"]) == 2'
"$BIN" send "${COMMON[@]}" --domain good.test --rua ftp://x/ >/dev/null 2>&1
expect_rc "send: bad --rua" 2 $?

# ---------------------------------------------------------------- usage ---
"$BIN" >/dev/null 2>&1; expect_rc "no command" 2 $?
"$BIN" frobnicate >/dev/null 2>&1; expect_rc "unknown command" 2 $?
"$BIN" list >/dev/null 2>&1; expect_rc "list without --log" 2 $?
"$BIN" list --log "$LOG" --log-geometry 4:1000:16 >/dev/null 2>&1
expect_rc "bad geometry" 2 $?
"$BIN" list --log "$LOG" --log-geometry 8:4096:16 >/dev/null 2>&1
expect_rc "geometry of another size" 2 $?

echo "cli_tlsrpt: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
