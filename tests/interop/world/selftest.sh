#!/usr/bin/env bash
# Prove the interop world works, using only real, independent clients
# (dig, curl, openssl s_client, msmtp, and mta-sts-query when
# postfix-mta-sts-resolver is installed).  Run after up.sh.
# Prints PASS / FAIL / SKIP lines and a summary; exits 1 if any check failed.
#
# -e is deliberately left out: a failing probe is a FAIL line, and the run
# must go on to show every other result.
set -uo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TW="$HERE/tw.sh"
eval "$("$TW" env)"
CA=$TW_CA
X() { "$TW" exec "$@"; }          # run inside the namespace
passes=0 fails=0 skips=0
ok()   { printf 'PASS  %s\n' "$1"; passes=$((passes + 1)); }
bad()  { printf 'FAIL  %s  -- got: %s\n' "$1" "$2"; fails=$((fails + 1)); }
skip() { printf 'SKIP  %s  -- %s\n' "$1" "$2"; skips=$((skips + 1)); }
check() { # name expected-regex actual
  if printf '%s' "$3" | grep -Eq -- "$2"; then ok "$1"; else bad "$1" "$(printf '%s' "$3" | tr '\n' ' ' | cut -c1-200)"; fi
}
token() { printf 'tw-%s-%s' "$1" "$(date +%s%N)"; }
maildir_has() { # dir token  -> waits up to 10 s for delivery
  local _
  for _ in $(seq 1 100); do
    grep -rlsF -- "$2" "$1/new" >/dev/null 2>&1 && return 0
    sleep 0.1
  done
  return 1
}

echo "== DNS (unbound at $TW_DNS, via the namespace's resolv.conf)"
check "MX good.test"            '10 mx1\.good\.test\..*20 mx2\.good\.test\.' "$(X dig +short MX good.test | sort | tr "\n" " ")"
check "A mx1.good.test"         '^'"$TW_MX1"'$' "$(X dig +short A mx1.good.test)"
check "TXT _mta-sts.good.test"  "^\"v=STSv1; id=$TW_STS_ID;\"\$" "$(X dig +short TXT _mta-sts.good.test)"
check "TXT _smtp._tls.good.test" '^"v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"$' "$(X dig +short TXT _smtp._tls.good.test)"
check "two STS records"         '^2$' "$(X dig +short TXT _mta-sts.twosts.test | grep -c STSv1)"
check "bad id"                  'id=bad_id!' "$(X dig +short TXT _mta-sts.badid.test)"
check "no TXT -> NXDOMAIN"      'status: NXDOMAIN' "$(X dig TXT _mta-sts.notxt.test)"
check "split TXT strings"       '"v=STSv1; " "id=' "$(X dig +short TXT _mta-sts.split.test)"
check "REFUSED"                 'status: REFUSED' "$(X dig TXT _mta-sts.stsrefused.test)"
check "SERVFAIL"                'status: SERVFAIL' "$(X dig TXT _mta-sts.stsservfail.test)"
check "timeout (dropped)"       'timed out' "$(X dig +time=1 +tries=1 TXT _mta-sts.ststimeout.test 2>&1)"
check "PTR $TW_MX1"       '^mx1\.good\.test\.$' "$(X dig +short -x "$TW_MX1")"

echo "== DNS for MX delivery (smtpc-send --mx)"
check "null MX nullmx.test"     '^0 \.$' "$(X dig +short MX nullmx.test)"
check "nomx.test: no MX"        'status: NOERROR.*ANSWER: 0,' "$(X dig MX nomx.test | tr '\n' ' ')"
check "nomx.test: A -> mx1"     '^'"$TW_MX1"'$' "$(X dig +short A nomx.test)"
check "MX fallback.test"        '10 mx\.dead\.test\..*20 mx1\.good\.test\.' "$(X dig +short MX fallback.test | sort | tr "\n" " ")"
check "A mx.dead.test"          '^'"$TW_DEAD"'$' "$(X dig +short A mx.dead.test)"
check "mx.dead.test:25 refuses" 'refused' "$(X bash -c "exec 3<>/dev/tcp/$TW_DEAD/25" 2>&1)"
check "MX cnamemx.test"         '^10 alias\.cnamemx\.test\.$' "$(X dig +short MX cnamemx.test)"
check "alias.cnamemx.test CNAME + A" '^mx\.cnamemx\.test\. '"$TW_MX1"' $' "$(X dig +short A alias.cnamemx.test | tr '\n' ' ')"
check "libc follows the CNAME"  "^$TW_MX1 +" "$(X getent hosts alias.cnamemx.test)"
check "MX refused.test REFUSED" 'status: REFUSED' "$(X dig MX refused.test)"
check "MX servfail.test SERVFAIL" 'status: SERVFAIL' "$(X dig MX servfail.test)"
check "MX nosuch.test NXDOMAIN" 'status: NXDOMAIN' "$(X dig MX nosuch.test)"
check "MX dnstimeout.test dropped" 'timed out' "$(X dig +time=1 +tries=1 MX dnstimeout.test 2>&1)"

echo "== HTTPS policy hosts (nginx, test CA)"
u() { printf 'https://mta-sts.%s.test/.well-known/mta-sts.txt' "$1"; }
fmt='%{http_code} %{content_type} %{size_download}'
check "good policy 200 text/plain" '^200 text/plain 83$' "$(X curl -sS -o /dev/null -w "$fmt" --cacert "$CA" "$(u good)" 2>&1)"
check "good policy body" 'mode: enforce.*mx: mx1\.good\.test.*mx: \*\.good\.test.*max_age: 86400' "$(X curl -sS --cacert "$CA" "$(u good)" | tr -d '\r' | tr '\n' ' ')"
check "redirect -> 301"         '^301 ' "$(X curl -sS -o /dev/null -w "$fmt" --cacert "$CA" "$(u redirect)" 2>&1)"
check "wrong content type"      '^200 text/html ' "$(X curl -sS -o /dev/null -w "$fmt" --cacert "$CA" "$(u ctype)" 2>&1)"
check "404"                     '^404 ' "$(X curl -sS -o /dev/null -w "$fmt" --cacert "$CA" "$(u notfound)" 2>&1)"
check "oversize body > 64 KiB"  '^200 text/plain [0-9]{5,}$' "$(X curl -sS -o /dev/null -w "$fmt" --cacert "$CA" "$(u big)" 2>&1)"
check "none.test mode none"      '^mode: none$' "$(X curl -sS --cacert "$CA" "$(u none)" | grep '^mode')"
check "testing.test mode testing" '^mode: testing$' "$(X curl -sS --cacert "$CA" "$(u testing)" | grep '^mode')"
check "badsyntax.test mode strict" '^mode: strict$' "$(X curl -sS --cacert "$CA" "$(u badsyntax)" | grep '^mode')"
check "slow policy host trickles" 'timed out' "$(X curl -sS -m 2 -o /dev/null --cacert "$CA" "$(u slow)" 2>&1)"
check "expired cert rejected"   'certificate has expired' "$(X curl -sS -o /dev/null --cacert "$CA" "$(u expired)" 2>&1)"
check "wrong-host cert rejected" 'no alternative certificate subject name' "$(X curl -sS -o /dev/null --cacert "$CA" "$(u wronghost)" 2>&1)"
check "no SNI -> handshake refused" 'unrecognized name' "$(X curl -sS -o /dev/null --cacert "$CA" "https://$TW_WWW/.well-known/mta-sts.txt" 2>&1)"
check "system CAs do not trust it" 'unable to get local issuer' "$(X curl -sS -o /dev/null --cacert /etc/ssl/certs/ca-certificates.crt "$(u good)" 2>&1)"

t=$(token rua)
check "TLS-RPT https rua POST -> 200" '^200$' "$(printf '{"organization-name":"%s"}' "$t" | gzip | X curl -sS -o /dev/null -w '%{http_code}' --cacert "$CA" -H 'Content-Type: application/tlsrpt+gzip' --data-binary @- https://reports.test/tlsrpt 2>&1)"
check "TLS-RPT https body stored" "$t" "$(for f in "$TW_TLSRPT_HTTPS"/*; do zcat "$f" 2>/dev/null; done)"

echo "== SMTP STARTTLS certificates (openssl s_client, port 25)"
sc() { echo QUIT | X timeout 10 openssl s_client -brief -starttls smtp -connect "$1:25" -servername "$1" -verify_hostname "$1" -CAfile "$CA" 2>&1; }
for h in mx1.good.test mx2.good.test mx.evil.test mx.wild.test; do check "STARTTLS $h verifies" 'Verification: OK' "$(sc $h)"; done
check "mx.expired.test expired"     'certificate has expired'       "$(sc mx.expired.test)"
check "mx.wronghost.test mismatch"  'hostname mismatch'             "$(sc mx.wronghost.test)"
check "mx.untrusted.test rogue CA"  'unable to get local issuer'    "$(sc mx.untrusted.test)"
check "mx.notls.test has no STARTTLS" "Didn't find STARTTLS"        "$(sc mx.notls.test)"
check "TLS 1.2 offered (mx1)"       'Protocol version: TLSv1.2'     "$(echo QUIT | X openssl s_client -brief -tls1_2 -starttls smtp -connect mx1.good.test:25 -CAfile "$CA" 2>&1)"

echo "== delivery (msmtp, port 25 STARTTLS, certificate verified against the test CA)"
# msmtp is used rather than swaks: swaks needs the optional Perl modules
# Net::SSLeay / Net::DNS for TLS and MX routing, msmtp has TLS built in.
# M [msmtp-args...] -- FROM RCPT...   (message on stdin; output on stdout)
M() { X msmtp --tls-trust-file="$CA" "$@" 2>&1; }
msg() { printf 'From: %s\nTo: %s\nSubject: %s\n\nhello\n' "$1" "$2" "$3"; }
check "libc resolver in the namespace" "^$TW_MX1 +mx1\.good\.test" "$(X getent hosts mx1.good.test)"
t=$(token mx)
out=$(msg sender@evil.test bob@good.test "$t" | M --debug --host=mx1.good.test --port=25 --tls=on --tls-starttls=on --auth=off --from=sender@evil.test bob@good.test)
check "mx1 STARTTLS + verify + 250" '<-- 250 2\.0\.0 Ok: queued' "$out"
maildir_has "$TW_MAIL/good.test/bob" "$t" && ok "message in Maildir good.test/bob" || bad "message in Maildir good.test/bob" "not found"
t=$(token mx2)
msg sender@evil.test zed@good.test "$t" | M --host=mx2.good.test --port=25 --tls=on --tls-starttls=on --auth=off --from=sender@evil.test zed@good.test >/dev/null
maildir_has "$TW_MAIL/good.test/catchall" "$t" && ok "mx2 + catch-all Maildir" || bad "mx2 + catch-all Maildir" "not found"
check "relay to outside denied" '554 5\.7\.1 .*Relay access denied' \
  "$(msg sender@evil.test x@example.org x | M --host=mx1.good.test --port=25 --tls=on --tls-starttls=on --auth=off --from=sender@evil.test x@example.org)"

echo "== submission (587 STARTTLS + AUTH, 465 implicit TLS; Cyrus sasldb, no daemon)"
A=(--auth=plain --user="$TW_SASL_USER" --passwordeval="printf %s '$TW_SASL_PASS'")
t=$(token sub)
out=$(msg "$TW_SASL_USER" carol@good.test "$t" | M --debug --host=mx1.good.test --port=587 --tls=on --tls-starttls=on "${A[@]}" --from="$TW_SASL_USER" carol@good.test)
check "587 AUTH PLAIN accepted" '<-- 235 2\.7\.0' "$out"
maildir_has "$TW_MAIL/good.test/carol" "$t" && ok "submitted message delivered" || bad "submitted message delivered" "not found"
t=$(token smtps)
out=$(msg "$TW_SASL_USER" dave@good.test "$t" | M --debug --host=mx1.good.test --port=465 --tls=on --tls-starttls=off \
      --auth=login --user="$TW_SASL_USER" --passwordeval="printf %s '$TW_SASL_PASS'" --from="$TW_SASL_USER" dave@good.test)
check "465 implicit TLS + AUTH LOGIN" '<-- 235 2\.7\.0' "$out"
maildir_has "$TW_MAIL/good.test/dave" "$t" && ok "465 message delivered" || bad "465 message delivered" "not found"
check "wrong password -> 535" '535 5\.7\.8' \
  "$(msg "$TW_SASL_USER" x@good.test x | M --host=mx1.good.test --port=587 --tls=on --tls-starttls=on --auth=plain --user="$TW_SASL_USER" --passwordeval="echo wrong" --from="$TW_SASL_USER" x@good.test)"
check "587 without TLS -> 530" '530 5\.7\.0 Must issue a STARTTLS' \
  "$(msg "$TW_SASL_USER" x@good.test x | M --host=mx1.good.test --port=587 --tls=off --auth=off --from="$TW_SASL_USER" x@good.test)"
t=$(token msmtp)
msg "$TW_SASL_USER" tlsrpt@reports.test "$t" | M --host=mx1.good.test --port=587 --tls=on --tls-starttls=on "${A[@]}" --from="$TW_SASL_USER" tlsrpt@reports.test >/dev/null
maildir_has "$TW_MAIL/reports.test/tlsrpt" "$t" && ok "submission -> tlsrpt@reports.test" || bad "submission -> tlsrpt@reports.test" "not found"

echo "== mta-sts-query (postfix-mta-sts-resolver: aiodns + aiohttp, SSL_CERT_FILE=test CA)"
STS_CHECKS=("good.test VALID" "twosts.test NONE" "notxt.test NONE" "redirect.test FETCH_ERROR"
            "big.test FETCH_ERROR" "good.test w/o test CA FETCH_ERROR")
if X sh -c 'command -v mta-sts-query' >/dev/null 2>&1; then
  q() { X mta-sts-query "$1" 2>&1 | tail -1; }
  check "${STS_CHECKS[0]}" "VALID.*'$TW_STS_ID'.*'mode': 'enforce'" "$(q good.test)"
  check "${STS_CHECKS[1]}" 'STSFetchResult.NONE' "$(q twosts.test)"
  check "${STS_CHECKS[2]}" 'STSFetchResult.NONE' "$(q notxt.test)"
  check "${STS_CHECKS[3]}" 'FETCH_ERROR' "$(q redirect.test)"
  check "${STS_CHECKS[4]}" 'FETCH_ERROR' "$(q big.test)"
  check "${STS_CHECKS[5]}" 'FETCH_ERROR' "$("$TW" exec env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt mta-sts-query good.test 2>&1 | tail -1)"
else
  for c in "${STS_CHECKS[@]}"; do skip "$c" "mta-sts-query not installed (Debian: postfix-mta-sts-resolver)"; done
fi

echo "== isolation"
check "nothing of ours listens in the host namespace" '^0$' "$(ss -Hltnu | grep -cF "$TW_NET." || true)"

echo "selftest: $passes passed, $fails failed, $skips skipped"
[ "$fails" = 0 ]
