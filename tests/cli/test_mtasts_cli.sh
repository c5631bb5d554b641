#!/usr/bin/env bash
# CLI tests of smtpc-mtasts: the txt, policy, match and explain commands,
# with the MTA-STS rules of RFC 8461 (selection of the TXT record, policy
# grammar, MX matching, and the cache decision: id churn, expiry counted from
# the last fetch, failed fetches, back-off, vanished records, the `none`
# opt-out, an unknown clock), and the checks of fetch/check's --cache and
# --cache-geometry arguments. No network.
#
# Usage: test_mtasts_cli.sh PATH/TO/smtpc-mtasts
# JSON is compared with jq when installed, else with python3.
set -u

BIN=${1:?usage: test_mtasts_cli.sh PATH/TO/smtpc-mtasts}
[ -x "$BIN" ] || { echo "cli: $BIN is not executable" >&2; exit 2; }

TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

pass=0
fail=0

if command -v jq >/dev/null 2>&1; then
    JSON_TOOL=jq
elif command -v python3 >/dev/null 2>&1; then
    JSON_TOOL=python3
else
    echo "cli: needs jq or python3" >&2
    exit 2
fi

# json_cmp MODE ACTUAL EXPECTED: MODE "exact" (equal) or "sub" (every key of
# EXPECTED is in ACTUAL with an equal value, recursively into objects; arrays
# and scalars compare whole). Also fails when ACTUAL is not one JSON value.
json_cmp() {
    local mode=$1 actual=$2 expected=$3
    if [ "$JSON_TOOL" = jq ]; then
        jq -n -e --argjson a "$actual" --argjson e "$expected" --arg mode "$mode" '
            def sub($x; $y):
              if ($x | type) == "object"
              then ($y | type) == "object" and
                   all($x | keys[]; . as $k | ($y | has($k)) and sub($x[$k]; $y[$k]))
              else $x == $y end;
            if $mode == "exact" then $a == $e else sub($e; $a) end' >/dev/null 2>&1
    else
        python3 -c '
import json, sys
mode, a, e = sys.argv[1], json.loads(sys.argv[2]), json.loads(sys.argv[3])
def sub(x, y):
    if isinstance(x, dict):
        return isinstance(y, dict) and all(k in y and sub(v, y[k]) for k, v in x.items())
    return x == y and type(x) == type(y)
sys.exit(0 if (a == e if mode == "exact" else sub(e, a)) else 1)
' "$mode" "$actual" "$expected" 2>/dev/null
    fi
}

# run STDIN ARGS...: sets OUT (stdout), ERR (stderr) and RC.
run() {
    local input=$1
    shift
    OUT=$(printf '%s' "$input" | "$BIN" "$@" 2>"$TMP/err")
    RC=$?
    ERR=$(cat "$TMP/err")
}

ok() { pass=$((pass + 1)); }
ko() {
    fail=$((fail + 1))
    echo "FAIL: $1" >&2
    echo "  rc=$RC stdout=$OUT" >&2
    [ -n "$ERR" ] && echo "  stderr=$ERR" >&2
    [ -n "${2:-}" ] && echo "  expected: $2" >&2
    return 0
}

# expect NAME MODE RC EXPECTED_JSON STDIN ARGS...
expect() {
    local name=$1 mode=$2 rc=$3 exp=$4 input=$5
    shift 5
    run "$input" "$@"
    if [ "$RC" -eq "$rc" ] && json_cmp "$mode" "$OUT" "$exp"; then ok; else ko "$name" "rc=$rc $exp"; fi
}

# expect_text NAME RC TEXT STDIN ARGS...
expect_text() {
    local name=$1 rc=$2 text=$3 input=$4
    shift 4
    run "$input" "$@"
    if [ "$RC" -eq "$rc" ] && [ "$OUT" = "$text" ]; then ok; else ko "$name" "rc=$rc $text"; fi
}

# expect_fail NAME RC STDERR_SUBSTRING STDIN ARGS...: a usage or input error.
expect_fail() {
    local name=$1 rc=$2 text=$3 input=$4
    shift 4
    run "$input" "$@"
    if [ "$RC" -eq "$rc" ] && [[ "$ERR" == *"$text"* ]]; then ok; else ko "$name" "rc=$rc stderr~$text"; fi
}

TAB=$'\t'

# ------------------------------------------------------------------ txt ----
expect "txt: one valid record" exact 0 '{"result":"sts","id":"20240101T1200"}' \
    'v=STSv1; id=20240101T1200
' txt
expect "txt: unrelated records are ignored" exact 0 '{"result":"sts","id":"abc"}' \
    'v=spf1 -all
google-site-verification=xyz
v=STSv1; id=abc;
' txt
expect "txt: no candidate is no_sts" exact 1 '{"result":"no_sts"}' \
    'v=spf1 -all
' txt
expect "txt: empty input is no_sts" exact 1 '{"result":"no_sts"}' '' txt
expect "txt: two STS records are an error" exact 1 \
    '{"result":"error","error":"SMTPC_ERR_STS_TXT_INVALID"}' \
    'v=STSv1; id=one
v=STSv1; id=two
' txt
expect "txt: one invalid candidate is an error (id with -)" exact 1 \
    '{"result":"error","error":"SMTPC_ERR_STS_TXT_INVALID"}' 'v=STSv1; id=2024-01-01
' txt
expect "txt: strings of one RR joined without separator" exact 0 '{"result":"sts","id":"abc12"}' \
    "v=STSv1; id=ab${TAB}c12
" txt
expect "txt: split inside the version tag" exact 0 '{"result":"sts","id":"x1"}' \
    "v=STS${TAB}v1; ${TAB}id=x1
" txt
expect "txt: v=STSv10 is not a candidate" exact 1 '{"result":"no_sts"}' 'v=STSv10; id=1
' txt
expect "txt: first id wins" exact 0 '{"result":"sts","id":"abc"}' 'v=STSv1; id=abc; id=def
' txt
expect "txt: trailing blank without ; is invalid" exact 1 \
    '{"result":"error","error":"SMTPC_ERR_STS_TXT_INVALID"}' 'v=STSv1; id=abc 
' txt
expect "txt: id of 32 characters" exact 0 '{"result":"sts","id":"abcdefghijklmnopqrstuvwxyz012345"}' \
    'v=STSv1; id=abcdefghijklmnopqrstuvwxyz012345
' txt
expect "txt: id of 33 characters is invalid" exact 1 \
    '{"result":"error","error":"SMTPC_ERR_STS_TXT_INVALID"}' \
    'v=STSv1; id=abcdefghijklmnopqrstuvwxyz0123456
' txt
expect "txt: CRLF input, no final newline" exact 0 '{"result":"sts","id":"crlf"}' \
    $'v=STSv1; id=crlf\r' txt
expect "txt: ID= is an extension, the id is missing" exact 1 \
    '{"result":"error","error":"SMTPC_ERR_STS_TXT_INVALID"}' 'v=STSv1; ID=abc
' txt
long=$(printf 'v=STSv1; id=a; x=%05000d' 0)
expect_fail "txt: a line over 4096 bytes is refused" 2 "longer than 4096 bytes" "$long" txt
expect_fail "txt: no arguments" 2 "takes no arguments" '' txt extra

# --------------------------------------------------------------- policy ----
expect "policy: valid enforce, LF and CRLF mixed" exact 0 \
    '{"valid":true,"version":"STSv1","mode":"enforce","mx":["mx1.example.com","*.example.net"],"max_age":86400}' \
    $'version: STSv1\r\nmode: enforce\nmx: mx1.example.com\r\nmx: *.Example.NET\nmax_age: 86400' policy
expect "policy: mode none needs no mx" exact 0 \
    '{"valid":true,"version":"STSv1","mode":"none","mx":[],"max_age":0}' \
    $'version: STSv1\nmode: none\nmax_age: 0\n' policy
expect "policy: enforce without mx is invalid" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_STS_POLICY_INVALID"}' \
    $'version: STSv1\nmode: enforce\nmax_age: 86400\n' policy
expect "policy: keys are case-sensitive" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_STS_POLICY_INVALID"}' \
    $'version: STSv1\nMode: enforce\nmx: mx.example.com\nmax_age: 86400\n' policy
expect "policy: max_age above 31557600 is invalid" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_STS_POLICY_INVALID"}' \
    $'version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 31557601\n' policy
expect "policy: max_age 31557600 is the cap" sub 0 '{"valid":true,"max_age":31557600}' \
    $'version: STSv1\nmode: testing\nmx: mx.example.com\nmax_age: 31557600\n' policy
expect "policy: first mode wins" sub 0 '{"valid":true,"mode":"testing"}' \
    $'version: STSv1\nmode: testing\nmode: enforce\nmx: mx.example.com\nmax_age: 60\n' policy
expect "policy: a blank line is invalid" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_STS_POLICY_INVALID"}' \
    $'version: STSv1\n\nmode: testing\nmx: mx.example.com\nmax_age: 60\n' policy
expect "policy: a U-label mx is invalid" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_STS_POLICY_INVALID"}' \
    $'version: STSv1\nmode: enforce\nmx: mx.bücher.example\nmax_age: 60\n' policy
expect "policy: empty body is invalid" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_STS_POLICY_INVALID"}' '' policy
big=$(printf 'version: STSv1\nmode: none\nmax_age: 60\nx: %070000d\n' 0)
expect "policy: a body over the cap is too large" exact 1 \
    '{"valid":false,"error":"SMTPC_ERR_HTTP_TOO_LARGE"}' "$big" policy

# ---------------------------------------------------------------- match ----
expect_text "match: exact" 0 match '' match mx.example.com mx.example.com
expect_text "match: case-insensitive, one trailing dot" 0 match '' match MX.Example.com mx.EXAMPLE.com.
expect_text "match: wildcard, one label" 0 match '' match '*.example.com' mx1.example.com
expect_text "match: wildcard, not two labels" 1 no-match '' match '*.example.com' a.b.example.com
expect_text "match: wildcard, not the bare domain" 1 no-match '' match '*.example.com' example.com
expect_text "match: wildcard, label boundary" 1 no-match '' match '*.example.com' xexample.com
expect_text "match: exact does not cover subdomains" 1 no-match '' match example.com mx.example.com
expect_fail "match: two arguments needed" 2 "PATTERN HOST" '' match onlyone

# -------------------------------------------------------------- explain ----
# Times around T; the cached policy A1 was fetched 1000 s before T, max_age a day.
T=1700000000
CACHED_A1='{"id":"A1","fetched_at":'$((T - 1000))',"mode":"enforce","max_age":86400,"mx":["mx.example.com","*.mx.example.net"]}'
A1_AFTER='{"id":"A1","fetched_at":'$((T - 1000))',"expires_at":'$((T - 1000 + 86400))',"mode":"enforce","max_age":86400,"mx":["mx.example.com","*.mx.example.net"]}'
POL_B2='{"mode":"testing","max_age":3600,"mx":["mx2.example.com"]}'
FETCH_B2_OK='{"status":"ok","policy":'$POL_B2'}'
FETCH_ERR='{"status":"error","error":"SMTPC_ERR_HTTP_STATUS"}'

# scen NOW CACHED TXT [FETCH [HISTORY]]
scen() {
    local s='{"now":'$1',"domain":"example.com","cached":'$2',"txt":'$3
    [ -n "${4:-}" ] && s=$s',"fetch":'$4
    [ -n "${5:-}" ] && s=$s',"history":'$5
    printf '%s}' "$s"
}
REC_A1='{"records":["v=spf1 -all","v=STSv1; id=A1"]}'
REC_B2='{"records":["v=STSv1; id=B2"]}'

expect "explain: fresh cache, same id: cached, no fetch" exact 0 \
    '{"applied":"cached","fetch_attempted":false,"fetch_error":null,"policy":{"version":"STSv1","mode":"enforce","mx":["mx.example.com","*.mx.example.net"],"max_age":86400},"cache_after":'"$A1_AFTER"',"backoff_after":null}' \
    "$(scen $T "$CACHED_A1" "$REC_A1")" explain
expect "explain: id churn: the new policy is fetched and replaces the entry" exact 0 \
    '{"applied":"fetched","fetch_attempted":true,"fetch_error":null,"policy":{"version":"STSv1","mode":"testing","mx":["mx2.example.com"],"max_age":3600},"cache_after":{"id":"B2","fetched_at":'$T',"expires_at":'$((T + 3600))',"mode":"testing","max_age":3600,"mx":["mx2.example.com"]},"backoff_after":null}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" "$FETCH_B2_OK")" explain
expect "explain: id churn, failed fetch keeps the fresh cached policy and its id" exact 0 \
    '{"applied":"cached","fetch_attempted":true,"fetch_error":"SMTPC_ERR_HTTP_STATUS","policy":{"version":"STSv1","mode":"enforce","mx":["mx.example.com","*.mx.example.net"],"max_age":86400},"cache_after":'"$A1_AFTER"',"backoff_after":{"id":"B2","at":'$T'}}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" "$FETCH_ERR")" explain
expect "explain: id churn, an invalid policy is a failed fetch, not a replacement" sub 0 \
    '{"applied":"cached","fetch_attempted":true,"fetch_error":"SMTPC_ERR_STS_POLICY_INVALID","cache_after":{"id":"A1","mode":"enforce"}}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" '{"status":"ok","policy":{"mode":"Enforce","max_age":60,"mx":["mx.example.com"]}}')" explain
expect "explain: expired cache with an unchanged id must fetch (max_age counts from the last fetch)" sub 0 \
    '{"applied":"fetched","fetch_attempted":true,"cache_after":{"id":"A1","fetched_at":'$((T + 90000))',"mode":"testing"}}' \
    "$(scen $((T + 90000)) "$CACHED_A1" "$REC_A1" "$FETCH_B2_OK")" explain
expect "explain: expired cache, unchanged id, failed fetch: no policy applies, entry kept" sub 0 \
    '{"applied":"none","fetch_attempted":true,"policy":null,"cache_after":'"$A1_AFTER"',"backoff_after":{"id":"A1","at":'$((T + 90000))'}}' \
    "$(scen $((T + 90000)) "$CACHED_A1" "$REC_A1" "$FETCH_ERR")" explain
expect "explain: max_age boundary: exactly max_age after the fetch is still fresh" sub 0 \
    '{"applied":"cached","fetch_attempted":false}' \
    "$(scen $((T - 1000 + 86400)) "$CACHED_A1" "$REC_A1")" explain
expect "explain: max_age boundary: one second later it expired" sub 0 \
    '{"applied":"fetched","fetch_attempted":true}' \
    "$(scen $((T - 1000 + 86401)) "$CACHED_A1" "$REC_A1" "$FETCH_B2_OK")" explain
expect "explain: back-off: the same id failed 2 minutes ago, no fetch, cache applies" sub 0 \
    '{"applied":"cached","fetch_attempted":false,"cache_after":{"id":"A1"},"backoff_after":{"id":"B2","at":'$((T - 120))'}}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" "$FETCH_B2_OK" '[{"at":'$((T - 120))',"id":"B2","fetch":"error"}]')" explain
expect "explain: back-off: 4 min 59 s later still no fetch" sub 0 \
    '{"fetch_attempted":false}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" "$FETCH_B2_OK" '[{"at":'$((T - 299))',"id":"B2","fetch":"error"}]')" explain
expect "explain: back-off ends after 5 minutes" sub 0 \
    '{"applied":"fetched","fetch_attempted":true,"cache_after":{"id":"B2"},"backoff_after":null}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" "$FETCH_B2_OK" '[{"at":'$((T - 300))',"id":"B2","fetch":"error"}]')" explain
expect "explain: back-off is per id: a newer id is fetched at once" sub 0 \
    '{"applied":"fetched","fetch_attempted":true}' \
    "$(scen $T "$CACHED_A1" '{"records":["v=STSv1; id=C3"]}' "$FETCH_B2_OK" '[{"at":'$((T - 60))',"id":"B2","fetch":"error"}]')" explain
expect "explain: history in time order: a later success clears the back-off" sub 0 \
    '{"fetch_attempted":true}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" "$FETCH_B2_OK" '[{"at":'$((T - 30))',"id":"B2","fetch":"ok"},{"at":'$((T - 60))',"id":"B2","fetch":"error"}]')" explain
expect "explain: back-off without a cached policy: nothing applies" exact 0 \
    '{"applied":"none","fetch_attempted":false,"fetch_error":null,"policy":null,"cache_after":null,"backoff_after":{"id":"B2","at":'$((T - 10))'}}' \
    "$(scen $T null "$REC_B2" "$FETCH_B2_OK" '[{"at":'$((T - 10))',"id":"B2","fetch":"error"}]')" explain
for rcode in NXDOMAIN NODATA SERVFAIL TIMEOUT; do
    expect "explain: TXT $rcode keeps the fresh cached policy" sub 0 \
        '{"applied":"cached","fetch_attempted":false,"cache_after":'"$A1_AFTER"'}' \
        "$(scen $T "$CACHED_A1" '{"dns":"'$rcode'"}')" explain
done
expect "explain: several STS records keep the cached policy, no fetch" sub 0 \
    '{"applied":"cached","fetch_attempted":false,"cache_after":{"id":"A1"}}' \
    "$(scen $T "$CACHED_A1" '{"records":["v=STSv1; id=B2","v=STSv1; id=C3"]}')" explain
expect "explain: vanished record and expired cache: none applies, entry not removed" sub 0 \
    '{"applied":"none","fetch_attempted":false,"policy":null,"cache_after":'"$A1_AFTER"'}' \
    "$(scen $((T + 90000)) "$CACHED_A1" '{"records":[]}')" explain
expect "explain: a none policy replaces enforce (the opt-out)" sub 0 \
    '{"applied":"fetched","policy":{"mode":"none","mx":[]},"cache_after":{"id":"B2","mode":"none","fetched_at":'$T'}}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" '{"status":"ok","policy":{"mode":"none","max_age":86400}}')" explain
expect "explain: clock unknown: a cached policy stays in force" sub 0 \
    '{"applied":"cached","fetch_attempted":false,"cache_after":'"$A1_AFTER"'}' \
    "$(scen 0 "$CACHED_A1" "$REC_A1")" explain
expect "explain: clock unknown: a fetched policy applies once and is not stored" exact 0 \
    '{"applied":"fetched","fetch_attempted":true,"fetch_error":null,"policy":{"version":"STSv1","mode":"testing","mx":["mx2.example.com"],"max_age":3600},"cache_after":'"$A1_AFTER"',"backoff_after":null}' \
    "$(scen 0 "$CACHED_A1" "$REC_B2" "$FETCH_B2_OK")" explain
expect "explain: clock unknown: a failed fetch records no back-off" sub 0 \
    '{"applied":"cached","fetch_attempted":true,"backoff_after":null}' \
    "$(scen 0 "$CACHED_A1" "$REC_B2" "$FETCH_ERR")" explain
expect "explain: no cache, no record: no policy, nothing stored" exact 0 \
    '{"applied":"none","fetch_attempted":false,"fetch_error":null,"policy":null,"cache_after":null,"backoff_after":null}' \
    "$(scen $T null '{"dns":"NXDOMAIN"}')" explain
expect "explain: first contact: fetched and stored" sub 0 \
    '{"applied":"fetched","cache_after":{"id":"B2","fetched_at":'$T',"expires_at":'$((T + 3600))'}}' \
    "$(scen $T null "$REC_B2" "$FETCH_B2_OK")" explain
expect "explain: first contact, failed fetch: deliver as without MTA-STS" sub 0 \
    '{"applied":"none","fetch_attempted":true,"fetch_error":"SMTPC_ERR_TLS_CERT_HOSTNAME","cache_after":null,"backoff_after":{"id":"B2","at":'$T'}}' \
    "$(scen $T null "$REC_B2" '{"status":"error","error":"SMTPC_ERR_TLS_CERT_HOSTNAME"}')" explain
expect "explain: an unknown fetch error name is SMTPC_ERR_STS_FETCH" sub 0 \
    '{"fetch_error":"SMTPC_ERR_STS_FETCH"}' \
    "$(scen $T null "$REC_B2" '{"status":"error","error":"connection reset"}')" explain
expect "explain: an RR of several strings is joined" sub 0 \
    '{"applied":"fetched","cache_after":{"id":"J1"}}' \
    "$(scen $T null '{"records":[["v=STSv1; i","d=J1"]]}' "$FETCH_B2_OK")" explain
expect "explain: a fetched body given as text, over the cap" sub 0 \
    '{"applied":"cached","fetch_error":"SMTPC_ERR_HTTP_TOO_LARGE"}' \
    "$(scen $T "$CACHED_A1" "$REC_B2" '{"status":"ok","policy":"version: STSv1\nmode: none\nmax_age: 1\nx: '"$(printf '%070000d' 0)"'\n"}')" explain

# Malformed scenarios.
expect "explain: not JSON" sub 2 '{}' '{"now":' explain
run '{"now":' explain
[[ "$OUT" == '{"error":"bad scenario: '* ]] && ok || ko "explain: bad scenario message"
expect "explain: unknown key" exact 2 '{"error":"bad scenario: scenario: unknown key '"'"'histroy'"'"'"}' \
    '{"now":1,"domain":"example.com","txt":{"dns":"NODATA"},"histroy":[]}' explain
expect "explain: a needed fetch outcome is missing" exact 2 \
    '{"error":"bad scenario: fetch: missing, and the decision makes one"}' \
    "$(scen $T null "$REC_B2")" explain
expect "explain: now must be an integer" sub 2 '{}' \
    '{"now":1.5,"domain":"example.com","txt":{"dns":"NODATA"}}' explain
expect "explain: an invalid cached policy is refused" sub 2 '{}' \
    "$(scen $T '{"id":"A1","fetched_at":1,"mode":"Enforce","max_age":60,"mx":["a.example"]}' '{"dns":"NODATA"}')" explain
expect "explain: txt.dns must be a known name" sub 2 '{}' \
    "$(scen $T null '{"dns":"REFUSED?"}')" explain
expect "explain: a bad domain" sub 2 '{}' \
    '{"now":1,"domain":"a..b","txt":{"dns":"NODATA"}}' explain
expect "explain: a key given twice" sub 2 '{}' \
    '{"now":1,"now":2,"domain":"example.com","txt":{"dns":"NODATA"}}' explain
expect "explain: trailing data after the scenario" sub 2 '{}' \
    '{"now":1,"domain":"example.com","txt":{"dns":"NODATA"}} {}' explain

# ------------------------------------------------------------ the rest ----
run '' --help
[ "$RC" -eq 0 ] && [[ "$OUT" == usage:* ]] && ok || ko "--help"
run '' --version
[ "$RC" -eq 0 ] && [[ "$OUT" == "smtpc-mtasts "* ]] && ok || ko "--version"
expect_fail "unknown command" 2 "unknown command" '' frobnicate
expect_fail "no command" 2 "missing COMMAND" ''
# --cache / --cache-geometry: argument checks happen before any network use
# (a dead nameserver is given so nothing reads /etc/resolv.conf).
NODNS=(--dns 127.0.0.1:1)
for g in 1:4096:16 257:4096:16 4:4000:16 4:512:16 4:131072:16 4:4096:3 4:4096:1024 4:4096:0 \
         4:4096 4:4096:16:1 :4096:16 a:b:c 4:4096:16x -4:4096:16 ''; do
    expect_fail "check --cache-geometry '$g' is a usage error" 2 \
        "invalid value for --cache-geometry: $g" '' check example.com --cache "$TMP/c" --cache-geometry "$g" "${NODNS[@]}"
done
expect_fail "fetch --cache-geometry is checked too" 2 "invalid value for --cache-geometry: 4:4096:7" '' \
    fetch example.com --cache "$TMP/c" --cache-geometry 4:4096:7 "${NODNS[@]}"
expect_fail "--cache-geometry needs --cache" 2 "--cache-geometry goes with --cache" '' \
    check example.com --cache-geometry 4:4096:16 "${NODNS[@]}"
expect_fail "--cache needs a file name" 2 "invalid value for --cache:" '' check example.com --cache '' "${NODNS[@]}"
expect_fail "--cache without a value" 2 "missing value" '' check example.com --cache
[ ! -e "$TMP/c" ] && ok || ko "a refused --cache-geometry creates no file"
head -c 1000 /dev/zero > "$TMP/c1000"
expect_fail "--cache: a file of another size is refused (exit 1)" 1 \
    "the file has 1000 bytes but geometry 4:4096:16 needs 16384" '' check example.com --cache "$TMP/c1000" "${NODNS[@]}"
[ "$(stat -c %s "$TMP/c1000")" = 1000 ] && ok || ko "--cache: a refused file is left alone"
expect_fail "--cache: the size is checked against --cache-geometry" 1 \
    "the file has 1000 bytes but geometry 2:1024:1 needs 2048" '' \
    fetch example.com --cache "$TMP/c1000" --cache-geometry 2:1024:1 "${NODNS[@]}"
expect_fail "--cache: a directory is refused (exit 1)" 1 "--cache $TMP" '' check example.com --cache "$TMP" "${NODNS[@]}"
expect_fail "fetch: bad option value" 2 "invalid value for --timeout" '' fetch example.com --timeout 0
expect_fail "fetch: missing domain" 2 "missing DOMAIN" '' fetch

echo "cli: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
