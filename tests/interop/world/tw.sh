#!/usr/bin/env bash
# The smtpc interop world: a private, self-contained mail world for the
# real-peer tests of smtpc (submission, direct-to-MX delivery, MTA-STS
# RFC 8461, TLS-RPT RFC 8460).
#
#   tw.sh up        build PKI + configs from scratch and start everything
#                   (a world left over from an earlier run is torn down first)
#   tw.sh down      stop everything, delete the namespace ($TW_STATE is kept:
#                   logs, delivered mail and certificates stay for inspection)
#   tw.sh status    show listeners / processes in the namespace
#   tw.sh exec CMD  run CMD inside the namespace (own resolv.conf, TW_* env)
#   tw.sh env       print the TW_* variables (eval-able)
#
# Everything listens only inside a network namespace ($TW_NS, default
# "smtpc-tw") on addresses of RFC 5737 TEST-NET-2 (198.51.100.0/24, $TW_NET)
# bound to the namespace's own loopback device; nothing is bound in the host
# namespace and nothing talks to the outside world.  Inside the namespace
# /etc/resolv.conf is replaced (by `ip netns exec`) with
# /etc/netns/$TW_NS/resolv.conf -> the private DNS server.
#
# Knobs (environment):
#   TW_STATE    where generated configs, keys, logs and mail live
#               (default: tests/interop/state, git-ignored; a build directory
#               is a good place too).  Must not contain whitespace and every
#               parent directory must be world-searchable, because Postfix
#               daemons and the mail owner ($TW_MAIL_UID) must reach it.
#   TW_NS       namespace name (default smtpc-tw)
#   TW_NET      first three octets of the /24 used inside (default 198.51.100)
#   TW_KEYTYPE  ec (P-256, default) or rsa (2048)
#   TW_VETH=1   also route $TW_NET.0/24 from the host through a veth pair
#   TW_SASL_USER / TW_SASL_PASS   submission account (alice@good.test/secret)
#
# Needs root, iproute2, openssl, unbound, nginx-light, postfix, sasl2-bin,
# libsasl2-modules (Debian packages).  Nothing under /etc/postfix, /etc/nginx
# or /etc/unbound is read or changed except Postfix's read-only meta files
# (/etc/postfix/postfix-files etc.); /etc/netns/$TW_NS/ is created by `up`
# and removed by `down`.
set -eEuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
NS=${TW_NS:-smtpc-tw}
ST=${TW_STATE:-$(dirname "$HERE")/state}
# Written into every generated state directory: `up` only ever deletes a
# directory that carries it (or an empty / missing one), so a mistyped
# TW_STATE can never wipe anything else.
MARKER=.smtpc-interop-state
case $ST in /*) ;; *) ST=$PWD/$ST ;; esac   # configs need absolute paths
# RFC 5737 TEST-NET-2 by default.  (TEST-NET-1, 192.0.2.0/24, is the real
# host network of some sandboxes - harmless inside the namespace, but it
# would collide with the optional veth route.)
NET=${TW_NET:-198.51.100}
REV=$(echo "$NET" | awk -F. '{print $3"."$2"."$1".in-addr.arpa."}')
DNS_IP=$NET.53
WWW_IP=$NET.80
STS_ID=${TW_STS_ID:-20261122T000000}
KEYTYPE=${TW_KEYTYPE:-ec}          # ec (P-256) or rsa (2048)
SASL_USER=${TW_SASL_USER:-alice@good.test}
WELL_KNOWN_USERS="alice bob carol dave postmaster tlsrpt"
SASL_PASS=${TW_SASL_PASS:-secret}
MAIL_UID=${TW_MAIL_UID:-65534}     # owner of delivered mail (uid = gid), >= 100
VETH=${TW_VETH:-0}                 # 1: also reach $TW_NET.0/24 from the host (veth)

# host name -> last octet (all in $NET.0/24, all inside the namespace)
declare -A HOSTS=(
  [mx1.good.test]=11 [mx2.good.test]=12
  [mx.expired.test]=21 [mx.wronghost.test]=22 [mx.notls.test]=23
  [mx.untrusted.test]=24 [mx.wild.test]=25 [mx.evil.test]=31
)
# domains that have an MTA-STS policy host (mta-sts.<d> -> $WWW_IP)
POLICY_DOMAINS="good mismatch twosts badid notxt mixed split testing none
  redirect ctype notfound big slow badsyntax expired wronghost notls untrusted wild"
# every domain Postfix accepts mail for
MAIL_DOMAINS="$(for d in $POLICY_DOMAINS evil reports nosts ststimeout stsrefused stsservfail \
  nomx nullmx fallback cnamemx; do printf '%s.test ' "$d"; done)"
# an address inside the namespace where nothing listens (MX fallback tests)
DEAD_IP=$NET.98

log() { printf '[tw %s] %s\n' "$(date +%T)" "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
nsx() { ip netns exec "$NS" "$@"; }

# ---------------------------------------------------------------- PKI ----
newkey() {
  if [ "$KEYTYPE" = rsa ]; then
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$1" 2>/dev/null
  else
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1"
  fi
}
ts() { date -u -d "$1" +%Y%m%d%H%M%SZ; }

mkca() { # name "CN"
  newkey "$1.key"
  openssl req -x509 -new -config ca.cnf -extensions v3_ca -key "$1.key" \
    -subj "/CN=$2" -days 3650 -out "$1.crt"
}

leaf() { # file ca notBefore notAfter dnsname...
  local f=$1 ca=$2 nb=$3 na=$4; shift 4
  local san ku=digitalSignature
  san=$(printf 'DNS:%s,' "$@"); san=${san%,}
  [ "$KEYTYPE" = rsa ] && ku="digitalSignature,keyEncipherment"
  newkey "$f.key"
  openssl req -new -config ca.cnf -key "$f.key" -subj "/CN=$1" -out "$f.csr"
  cat > "$f.ext" <<EOF
basicConstraints = critical,CA:FALSE
keyUsage = critical,$ku
extendedKeyUsage = serverAuth
subjectAltName = $san
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
  openssl ca -batch -notext -config ca.cnf -cert "$ca.crt" -keyfile "$ca.key" \
    -startdate "$nb" -enddate "$na" -extfile "$f.ext" -in "$f.csr" -out "$f.crt" 2>/dev/null \
    || die "openssl ca failed for $f"
  cat "$f.crt" "$ca.crt" > "$f.fullchain.crt"
}

gen_pki() {
  local d=$ST/pki now past1 past2 future
  mkdir -p "$d/newcerts"
  cd "$d"
  : > index.txt; echo 1000 > serial
  cat > ca.cnf <<'EOF'
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
default_ca = tw
[ tw ]
dir = .
database = ./index.txt
new_certs_dir = ./newcerts
serial = ./serial
default_md = sha256
policy = pol
unique_subject = no
copy_extensions = none
email_in_dn = no
[ pol ]
commonName = supplied
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
EOF
  mkca ca "smtpc interop Root CA"               # the trusted test CA
  mkca rogue "smtpc interop Rogue CA"           # NOT trusted by anyone
  now=$(ts '-1 hour'); future=$(ts '+365 days')
  past1=$(ts '-400 days'); past2=$(ts '-30 days')
  leaf mx1.good.test     ca "$now" "$future" mx1.good.test
  leaf mx2.good.test     ca "$now" "$future" mx2.good.test
  leaf mx.evil.test      ca "$now" "$future" mx.evil.test
  leaf mx.wild.test      ca "$now" "$future" '*.wild.test'
  leaf reports.test      ca "$now" "$future" reports.test
  local p
  for p in $POLICY_DOMAINS; do
    case $p in expired|wronghost) continue ;; esac
    leaf "mta-sts.$p.test" ca "$now" "$future" "mta-sts.$p.test"
  done
  # broken ones
  leaf expired    ca    "$past1" "$past2"  mx.expired.test mta-sts.expired.test
  leaf wronghost  ca    "$now"   "$future" www.other.test
  leaf untrusted  rogue "$now"   "$future" mx.untrusted.test
  chmod 600 ./*.key
  rm -f ./*.csr
  cd - >/dev/null
}

# ---------------------------------------------------------------- DNS ----
gen_dns() {
  local c=$ST/dns/unbound.conf h d
  mkdir -p "$ST/dns"
  {
  cat <<EOF
# generated by tw.sh - unbound used as an authoritative-only server for .test
server:
    interface: $DNS_IP
    port: 53
    do-ip6: no
    access-control: 0.0.0.0/0 allow
    username: ""
    chroot: ""
    directory: "$ST/dns"
    pidfile: "$ST/run/unbound.pid"
    logfile: "$ST/log/unbound.log"
    use-syslog: no
    log-time-ascii: yes
    verbosity: 1
    log-queries: yes
    log-replies: yes
    num-threads: 1
    module-config: "iterator"
    do-not-query-localhost: no
    # all of .test is answered from local-data (NXDOMAIN / NODATA otherwise)
    local-zone: "test." static
    local-zone: "$REV" static
    # DNS failure modes
    local-zone: "timeout.test." deny        # query silently dropped
    local-zone: "refused.test." refuse      # rcode REFUSED
    local-zone: "servfail.test." transparent # goes to a dead stub -> SERVFAIL
    local-zone: "dnstimeout.test." deny     # MX delivery: query silently dropped

    local-data: 'mta-sts.timeout.test. 300 IN A $WWW_IP'
EOF
  for h in "${!HOSTS[@]}"; do
    echo "    local-data: '$h. 300 IN A $NET.${HOSTS[$h]}'"
    echo "    local-data-ptr: '$NET.${HOSTS[$h]} $h.'"
  done
  for d in $POLICY_DOMAINS; do
    echo "    local-data: 'mta-sts.$d.test. 300 IN A $WWW_IP'"
  done
  echo "    local-data-ptr: '$WWW_IP mta-sts.good.test.'"
  cat <<EOF
    # --- good.test: the reference domain
    local-data: 'good.test. 300 IN MX 10 mx1.good.test.'
    local-data: 'good.test. 300 IN MX 20 mx2.good.test.'
    local-data: '_mta-sts.good.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.good.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    # --- evil.test: valid cert, no MTA-STS
    local-data: 'evil.test. 300 IN MX 10 mx.evil.test.'
    # --- mismatch.test: policy says *.good.test but MX is mx.evil.test
    local-data: 'mismatch.test. 300 IN MX 10 mx.evil.test.'
    local-data: '_mta-sts.mismatch.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    # --- TXT record variants (MX is mx1.good.test, policy file is valid)
    local-data: 'twosts.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.twosts.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_mta-sts.twosts.test. 300 IN TXT "v=STSv1; id=20261122T000001;"'
    local-data: '_smtp._tls.twosts.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    local-data: '_smtp._tls.twosts.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:other@reports.test"'
    local-data: 'badid.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.badid.test. 300 IN TXT "v=STSv1; id=bad_id!;"'
    local-data: '_smtp._tls.badid.test. 300 IN TXT "v=TLSRPTv2; rua=mailto:tlsrpt@reports.test"'
    local-data: 'notxt.test. 300 IN MX 10 mx1.good.test.'
    local-data: 'mixed.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.mixed.test. 300 IN TXT "v=spf1 -all"'
    local-data: '_mta-sts.mixed.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: 'split.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.split.test. 300 IN TXT "v=STSv1; " "id=$STS_ID;"'
    local-data: '_smtp._tls.split.test. 300 IN TXT "v=TLSRPTv1; " "rua=mailto:tlsrpt@reports.test"'
    # --- policy-file variants (TXT valid, MX mx1.good.test)
    local-data: 'none.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.none.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: 'redirect.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.redirect.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.redirect.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    local-data: 'ctype.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.ctype.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: 'notfound.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.notfound.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: 'big.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.big.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: 'slow.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.slow.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: 'badsyntax.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_mta-sts.badsyntax.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.badsyntax.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    # --- testing mode, MX has an expired cert; TLSRPT with two rua URIs
    local-data: 'testing.test. 300 IN MX 10 mx.expired.test.'
    local-data: '_mta-sts.testing.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.testing.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test,https://reports.test/tlsrpt"'
    # --- bad TLS on the policy host and/or the MX
    local-data: 'expired.test. 300 IN MX 10 mx.expired.test.'
    local-data: '_mta-sts.expired.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.expired.test. 300 IN TXT "v=TLSRPTv1;rua=mailto:tlsrpt@reports.test"'
    local-data: 'wronghost.test. 300 IN MX 10 mx.wronghost.test.'
    local-data: '_mta-sts.wronghost.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.wronghost.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    local-data: 'notls.test. 300 IN MX 10 mx.notls.test.'
    local-data: '_mta-sts.notls.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.notls.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    local-data: 'untrusted.test. 300 IN MX 10 mx.untrusted.test.'
    local-data: '_mta-sts.untrusted.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    local-data: '_smtp._tls.untrusted.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    local-data: 'wild.test. 300 IN MX 10 mx.wild.test.'
    local-data: '_mta-sts.wild.test. 300 IN TXT "v=STSv1; id=$STS_ID;"'
    # --- no MTA-STS at all; report sink domain
    local-data: 'nosts.test. 300 IN MX 10 mx1.good.test.'
    local-data: '_smtp._tls.nosts.test. 300 IN TXT "v=TLSRPTv1; rua=mailto:tlsrpt@reports.test"'
    local-data: 'reports.test. 300 IN MX 10 mx1.good.test.'
    local-data: 'reports.test. 300 IN A $WWW_IP'
    # --- DNS failure variants: MX fine, only the _mta-sts TXT lookup fails
    local-data: 'ststimeout.test. 300 IN MX 10 mx1.good.test.'
    local-data: 'stsrefused.test. 300 IN MX 10 mx1.good.test.'
    local-data: 'stsservfail.test. 300 IN MX 10 mx1.good.test.'
    local-zone: "_mta-sts.ststimeout.test." deny
    local-zone: "_mta-sts.stsrefused.test." refuse
    local-zone: "_mta-sts.stsservfail.test." transparent
    # --- MX delivery variants (smtpc-send --mx); refused.test, servfail.test
    # and dnstimeout.test above fail the MX lookup itself, nosuch.test is NXDOMAIN
    local-data: 'nullmx.test. 300 IN MX 0 .'
    local-data: 'nomx.test. 300 IN A $NET.11'
    local-data: 'fallback.test. 300 IN MX 10 mx.dead.test.'
    local-data: 'fallback.test. 300 IN MX 20 mx1.good.test.'
    local-data: 'mx.dead.test. 300 IN A $DEAD_IP'
    # cnamemx.test: MX 10 alias.cnamemx.test, a CNAME of mx.cnamemx.test
    # (mx1's address). An auth-zone, because unbound does not follow a CNAME
    # given as local-data, and stub resolvers (getaddrinfo) do not either.
    local-zone: "cnamemx.test." transparent

auth-zone:
    name: "cnamemx.test."
    zonefile: "$ST/dns/cnamemx.test.zone"
    for-downstream: yes
    for-upstream: yes

stub-zone:
    name: "servfail.test."
    stub-addr: $NET.99      # nothing there -> SERVFAIL
    stub-no-cache: yes
stub-zone:
    name: "_mta-sts.stsservfail.test."
    stub-addr: $NET.99
    stub-no-cache: yes

remote-control:
    control-enable: no
EOF
  } > "$c"
  cat > "$ST/dns/cnamemx.test.zone" <<EOF
\$ORIGIN cnamemx.test.
@     300 IN SOA ns.cnamemx.test. hostmaster.cnamemx.test. 1 3600 600 86400 300
@     300 IN NS  ns.cnamemx.test.
ns    300 IN A   $DNS_IP
@     300 IN MX  10 alias.cnamemx.test.
alias 300 IN CNAME mx.cnamemx.test.
mx    300 IN A   $NET.11
EOF
  unbound-checkconf "$c" >/dev/null || die "unbound-checkconf failed"
}

# -------------------------------------------------------------- HTTPS ----
policy() { # domain mode mx...   (writes LF-terminated policy)
  local d=$1 mode=$2; shift 2
  mkdir -p "$ST/www/$d/.well-known"
  { echo "version: STSv1"; echo "mode: $mode"
    for m in "$@"; do echo "mx: $m"; done
    echo "max_age: 86400"; } > "$ST/www/$d/.well-known/mta-sts.txt"
}

gen_www() {
  local d p crt extra conf=$ST/nginx/nginx.conf
  mkdir -p "$ST/nginx/tmp" "$ST/www" "$ST/tlsrpt-https"
  # reference policy, CRLF line endings as in RFC 8461 examples
  mkdir -p "$ST/www/good/.well-known"
  printf 'version: STSv1\r\nmode: enforce\r\nmx: mx1.good.test\r\nmx: *.good.test\r\nmax_age: 86400\r\n' \
    > "$ST/www/good/.well-known/mta-sts.txt"
  policy mismatch enforce '*.good.test'
  for d in twosts badid notxt mixed split ctype slow; do policy $d enforce mx1.good.test; done
  policy none none mx1.good.test
  policy testing testing mx.expired.test
  policy expired enforce mx.expired.test
  policy wronghost enforce mx.wronghost.test
  policy notls enforce mx.notls.test
  policy untrusted enforce mx.untrusted.test
  policy wild enforce mx.wild.test
  policy badsyntax strict mx1.good.test           # invalid mode value
  mkdir -p "$ST/www/notfound" "$ST/www/redirect"  # no file -> 404 / redirect
  # > 64 KiB (the limit most implementations use) - otherwise valid
  mkdir -p "$ST/www/big/.well-known"
  { printf 'version: STSv1\nmode: enforce\nmx: mx1.good.test\nmax_age: 86400\n'
    for p in $(seq 1 3000); do printf 'mx: pad%05d.good.test\n' "$p"; done
  } > "$ST/www/big/.well-known/mta-sts.txt"

  {
  cat <<EOF
# generated by tw.sh
load_module /usr/lib/nginx/modules/ngx_http_echo_module.so;  # dependency of nginx-light
worker_processes 1;
pid $ST/run/nginx.pid;
error_log $ST/log/nginx-error.log info;
events { worker_connections 256; }
http {
    # combined, plus the Host header and the SNI (the MTA-STS checks need both)
    log_format tw '\$remote_addr - \$remote_user [\$time_local] "\$request" \$status '
                  '\$body_bytes_sent "\$http_referer" "\$http_user_agent" '
                  'host=\$host sni=\$ssl_server_name';
    access_log $ST/log/nginx-access.log tw;
    client_body_temp_path $ST/nginx/tmp/body;
    proxy_temp_path $ST/nginx/tmp/proxy;
    fastcgi_temp_path $ST/nginx/tmp/fastcgi;
    uwsgi_temp_path $ST/nginx/tmp/uwsgi;
    scgi_temp_path $ST/nginx/tmp/scgi;
    types { text/plain txt; }
    default_type application/octet-stream;
    server_tokens off;
    ssl_protocols TLSv1.2 TLSv1.3;
    # no/unknown SNI -> handshake rejected (MTA-STS clients must send SNI)
    server {
        listen $WWW_IP:443 ssl default_server;
        ssl_reject_handshake on;
    }
    # TLS-RPT https rua sink: every POST body is kept as a file in tlsrpt-https/
    server {
        listen $WWW_IP:443 ssl;
        server_name reports.test;
        ssl_certificate $ST/pki/reports.test.crt;
        ssl_certificate_key $ST/pki/reports.test.key;
        location = /tlsrpt {
            client_body_in_file_only on;
            client_body_temp_path $ST/tlsrpt-https;
            client_max_body_size 10m;
            echo_read_request_body;
            echo "ok";
        }
    }
    # plain http on :80 must never be used for policies; answer 403
    server {
        listen $WWW_IP:80 default_server;
        return 403;
    }
EOF
  for d in $POLICY_DOMAINS; do
    crt=mta-sts.$d.test; extra=""
    case $d in
      expired)   crt=expired ;;
      wronghost) crt=wronghost ;;
      redirect)  extra="location = /.well-known/mta-sts.txt { return 301 https://mta-sts.good.test/.well-known/mta-sts.txt; }" ;;
      ctype)     extra="location = /.well-known/mta-sts.txt { types { } default_type text/html; }" ;;
      slow)      extra="location = /.well-known/mta-sts.txt { limit_rate 4; }" ;;
    esac
    cat <<EOF
    server {
        listen $WWW_IP:443 ssl;
        server_name mta-sts.$d.test;
        ssl_certificate $ST/pki/$crt.crt;
        ssl_certificate_key $ST/pki/$crt.key;
        root $ST/www/$d;
        $extra
    }
EOF
  done
  echo "}"
  } > "$conf"
}

# ------------------------------------------------------------- Postfix ---
gen_postfix() {
  local e=$ST/postfix/etc s=$ST/postfix/etc/sasl ip
  mkdir -p "$e" "$s" "$ST/postfix/spool" "$ST/postfix/data" "$ST/mail"
  chown "$MAIL_UID:$MAIL_UID" "$ST/mail"
  chown postfix:postfix "$ST/postfix/data"   # Postfix does not fix ownership of an existing dir
  # Maildirs: <mail>/<domain>/<user>/ for a few well-known users, and a
  # per-domain catch-all <mail>/<domain>/catchall/ (virtual(8) refuses regexp
  # $n substitution in mailbox paths, so the table is spelled out).
  local d u
  for d in $MAIL_DOMAINS; do
    for u in $WELL_KNOWN_USERS; do printf '%s@%s %s/%s/\n' "$u" "$d" "$d" "$u"; done
    printf '@%s %s/catchall/\n' "$d" "$d"
  done > "$e/vmailbox"
  cat > "$e/main.cf" <<EOF
# generated by tw.sh - private Postfix instance (postfix -c $e)
compatibility_level = 3.6
queue_directory = $ST/postfix/spool
data_directory = $ST/postfix/data
mail_owner = postfix
setgid_group = postdrop
maillog_file = $ST/log/postfix.log
maillog_file_prefixes = $ST/log
myhostname = mx1.good.test
mydomain = good.test
myorigin = \$myhostname
mydestination =
inet_interfaces = all
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
alias_maps =
alias_database =
local_recipient_maps =
biff = no
append_dot_mydomain = no
smtputf8_enable = yes
smtpd_peername_lookup = no
smtpd_banner = \$myhostname ESMTP smtpc-interop
# accept mail for all test domains, store as Maildir under $ST/mail
virtual_mailbox_domains = $MAIL_DOMAINS
virtual_mailbox_base = $ST/mail
virtual_mailbox_maps = texthash:$e/vmailbox
virtual_uid_maps = static:$MAIL_UID
virtual_gid_maps = static:$MAIL_UID
virtual_minimum_uid = 100
# never try to deliver anywhere else (no outbound DNS / SMTP)
default_transport = error:outbound mail disabled in the interop world
relay_transport = error:outbound mail disabled in the interop world
local_transport = error:local delivery disabled in the interop world
smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination
# TLS (per-listener certificates are set in master.cf)
smtpd_tls_security_level = may
smtpd_tls_chain_files = $ST/pki/mx1.good.test.key, $ST/pki/mx1.good.test.crt
smtpd_tls_loglevel = 1
smtpd_tls_received_header = yes
tls_random_source = dev:/dev/urandom
# SASL: Cyrus libsasl2 + sasldb auxprop, no daemon.  Debian's Postfix looks for
# \$config_directory/sasl/smtpd.conf (it ignores cyrus_sasl_config_path).
smtpd_sasl_type = cyrus
smtpd_sasl_path = smtpd
cyrus_sasl_config_path = $s
smtpd_sasl_auth_enable = no
delay_warning_time = 0
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
EOF
  mx() { # ip hostname certfile [extra -o ...]
    local ip=$1 hn=$2 crt=$3; shift 3
    printf '%s:smtp inet n - n - - smtpd\n  -o myhostname=%s\n' "$ip" "$hn"
    [ -n "$crt" ] && printf '  -o smtpd_tls_chain_files=%s/pki/%s.key,%s/pki/%s.crt\n' "$ST" "$crt" "$ST" "$crt"
    for o in "$@"; do printf '  -o %s\n' "$o"; done
  }
  {
  echo "# generated by tw.sh - every daemon runs without chroot"
  mx "$NET.11" mx1.good.test     mx1.good.test
  mx "$NET.12" mx2.good.test     mx2.good.test
  mx "$NET.21" mx.expired.test   expired
  mx "$NET.22" mx.wronghost.test wronghost
  mx "$NET.23" mx.notls.test     "" smtpd_tls_security_level=none
  mx "$NET.24" mx.untrusted.test untrusted
  mx "$NET.25" mx.wild.test      mx.wild.test
  mx "$NET.31" mx.evil.test      mx.evil.test
  cat <<EOF
$NET.11:submission inet n - n - - smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_tls_auth_only=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
$NET.11:submissions inet n - n - - smtpd
  -o syslog_name=postfix/submissions
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
pickup     unix  n - n 60   1 pickup
cleanup    unix  n - n -    0 cleanup
qmgr       unix  n - n 300  1 qmgr
tlsmgr     unix  - - n 1000? 1 tlsmgr
rewrite    unix  - - n -    - trivial-rewrite
bounce     unix  - - n -    0 bounce
defer      unix  - - n -    0 bounce
trace      unix  - - n -    0 bounce
verify     unix  - - n -    1 verify
flush      unix  n - n 1000? 0 flush
proxymap   unix  - - n -    - proxymap
proxywrite unix  - - n -    1 proxymap
smtp       unix  - - n -    - smtp
relay      unix  - - n -    - smtp
showq      unix  n - n -    - showq
error      unix  - - n -    - error
retry      unix  - - n -    - error
discard    unix  - - n -    - discard
local      unix  - n n -    - local
virtual    unix  - n n -    - virtual
lmtp       unix  - - n -    - lmtp
anvil      unix  - - n -    1 anvil
scache     unix  - - n -    1 scache
postlog    unix-dgram n - n - 1 postlogd
EOF
  } > "$e/master.cf"
  cat > "$s/smtpd.conf" <<EOF
pwcheck_method: auxprop
auxprop_plugin: sasldb
mech_list: PLAIN LOGIN
sasldb_path: $s/sasldb2
EOF
  printf '%s' "$SASL_PASS" | saslpasswd2 -p -c -f "$s/sasldb2" -u "${SASL_USER#*@}" "${SASL_USER%@*}"
  chown root:postfix "$s/sasldb2"; chmod 640 "$s/sasldb2"
  postfix -c "$e" check 2>&1 | grep -v '^$' >&2 || true
}

# ------------------------------------------------------------ netns ------
ns_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qxF -- "$NS"; }

netns_up() {
  ip netns add "$NS"
  ip -n "$NS" link set lo up
  local h
  ip -n "$NS" addr add "$DNS_IP/32" dev lo
  ip -n "$NS" addr add "$WWW_IP/32" dev lo
  ip -n "$NS" addr add "$DEAD_IP/32" dev lo   # nothing listens: connections are refused
  for h in "${!HOSTS[@]}"; do ip -n "$NS" addr add "$NET.${HOSTS[$h]}/32" dev lo; done
  [ -d /etc/netns ] || touch "$ST/run/created-etc-netns"
  mkdir -p "/etc/netns/$NS"
  printf 'nameserver %s\noptions timeout:2 attempts:1\n' "$DNS_IP" > "/etc/netns/$NS/resolv.conf"
  # hosts file inside the namespace: only localhost, so everything goes to DNS
  printf '127.0.0.1 localhost\n::1 localhost\n' > "/etc/netns/$NS/hosts"
  if [ "$VETH" = 1 ]; then
    if ip route show | grep -q "^$NET\."; then die "host already routes $NET.0/24; pick another TW_NET"; fi
    ip link add "$NS-host" type veth peer name "$NS-ns" netns "$NS"
    ip addr add 10.253.0.1/30 dev "$NS-host"; ip link set "$NS-host" up
    ip -n "$NS" addr add 10.253.0.2/30 dev "$NS-ns"; ip -n "$NS" link set "$NS-ns" up
    ip route add "$NET.0/24" via 10.253.0.2 dev "$NS-host"
  fi
}

# Dump the end of every log, so a failed start explains itself.
show_logs() {
  local f
  for f in "$ST"/log/*.log; do
    [ -s "$f" ] || continue
    log "---- last lines of $f"
    tail -n 15 "$f" | sed 's/^/    /' >&2
  done
}

wait_tcp() { # what ip port  (up to 5 s)
  local i
  for i in $(seq 1 100); do
    nsx bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.05
  done
  show_logs
  die "$1: nothing listening on $2:$3 after 5 s"
}

wait_pidfile() { # what file  (up to 5 s): the daemon wrote its pid and lives
  local i
  for i in $(seq 1 100); do
    if [ -s "$2" ] && kill -0 "$(cat "$2")" 2>/dev/null; then return 0; fi
    sleep 0.05
  done
  show_logs
  die "$1 did not start (no live pid in $2)"
}

write_env() {
  local k
  {
    for k in TW_NS=$NS TW_NET=$NET TW_WWW=$WWW_IP TW_MX1=$NET.11 TW_STATE=$ST \
             TW_DNS=$DNS_IP TW_CA=$ST/pki/ca.crt TW_ROGUE_CA=$ST/pki/rogue.crt \
             TW_MAIL=$ST/mail TW_TLSRPT_HTTPS=$ST/tlsrpt-https \
             TW_SASL_USER=$SASL_USER TW_SASL_PASS=$SASL_PASS TW_STS_ID=$STS_ID \
             TW_LOG=$ST/log TW_DEAD=$DEAD_IP; do
      printf '%s=%q\n' "${k%%=*}" "${k#*=}"
    done
  } > "$ST/env"
}

need_root() {
  [ "$(id -u)" = 0 ] || die "must run as root (network namespaces, Postfix, binding port 25)"
}

check_tools() {
  local t missing=""
  for t in ip openssl unbound unbound-checkconf nginx postfix postconf saslpasswd2; do
    command -v "$t" >/dev/null 2>&1 || missing="$missing $t"
  done
  [ -z "$missing" ] || die "missing programs:$missing (Debian: apt-get install iproute2 openssl unbound nginx-light postfix sasl2-bin libsasl2-modules)"
  [ -f /usr/lib/nginx/modules/ngx_http_echo_module.so ] \
    || die "nginx echo module missing (Debian: apt-get install nginx-light, or libnginx-mod-http-echo)"
  ls /usr/lib/*/sasl2/libsasldb.so* >/dev/null 2>&1 || ls /usr/lib/sasl2/libsasldb.so* >/dev/null 2>&1 \
    || die "Cyrus SASL sasldb plugin missing (Debian: apt-get install libsasl2-modules)"
}

# The state directory is rebuilt from scratch by `up`.  Refuse anything that
# does not look like ours, and paths Postfix / virtual(8) could not use.
check_state_dir() {
  local d
  case $ST in
    /|/etc|/etc/*|/usr|/usr/*|/bin|/sbin|/lib|/lib/*|/var|/root|/home|/tmp|/run|/proc/*|/sys/*|/dev/*)
      die "refusing TW_STATE=$ST" ;;
    *[[:space:]]*) die "TW_STATE must not contain whitespace: '$ST'" ;;
  esac
  if [ -d "$ST" ] && [ -n "$(ls -A "$ST")" ] && [ ! -e "$ST/$MARKER" ]; then
    die "TW_STATE=$ST exists, is not empty and was not made by tw.sh; refusing to delete it"
  fi
  # The Postfix daemons (user postfix) and the mail owner need to search
  # every parent directory; a 0700 home directory would make delivery fail
  # in a much less obvious way later on.
  d=$(dirname "$ST")
  while :; do
    if [ -d "$d" ] && [ "$(( 0$(stat -c %a "$d") & 01 ))" = 0 ]; then
      die "directory $d is not searchable by other users (mode $(stat -c %a "$d")); put TW_STATE elsewhere (e.g. TW_STATE=/var/tmp/smtpc-interop)"
    fi
    [ "$d" = / ] && break
    d=$(dirname "$d")
  done
}

cmd_up() {
  need_root
  check_tools
  ip netns list >/dev/null 2>&1 || die "'ip netns' does not work here"
  check_state_dir
  # Idempotent: a world left behind by an interrupted run is removed first.
  if ns_exists || [ -e "$ST/postfix/spool/pid/master.pid" ] || [ -e "$ST/run/nginx.pid" ] || [ -e "$ST/run/unbound.pid" ]; then
    log "tearing down a leftover world first"
    cmd_down
  fi
  local t0=$SECONDS
  UP_DONE=0
  # Any failure (or Ctrl-C) after this point leaves nothing running behind.
  trap '[ "$UP_DONE" = 1 ] || { log "up failed - tearing down"; cmd_down; }' EXIT
  trap 'exit 130' INT TERM
  rm -rf "$ST"; mkdir -p "$ST/log" "$ST/run"
  touch "$ST/$MARKER"
  log "PKI";     gen_pki
  log "DNS";     gen_dns
  log "HTTPS";   gen_www
  log "Postfix"; gen_postfix
  write_env
  log "netns $NS"; netns_up
  log "start unbound"; nsx unbound -c "$ST/dns/unbound.conf"
  wait_pidfile unbound "$ST/run/unbound.pid"
  log "start nginx";   nsx nginx -e "$ST/log/nginx-error.log" -p "$ST/nginx/" -c "$ST/nginx/nginx.conf"
  wait_pidfile nginx "$ST/run/nginx.pid"
  log "start postfix"; nsx postfix -c "$ST/postfix/etc" start 2>&1 | sed 's/^/  /' >&2
  wait_pidfile postfix "$ST/postfix/spool/pid/master.pid"
  wait_tcp unbound "$DNS_IP" 53
  wait_tcp nginx "$WWW_IP" 443
  wait_tcp nginx "$WWW_IP" 80
  local h
  for h in "${!HOSTS[@]}"; do wait_tcp "postfix ($h)" "$NET.${HOSTS[$h]}" 25; done
  wait_tcp "postfix submission" "$NET.11" 587
  wait_tcp "postfix submissions" "$NET.11" 465
  # DNS answers (not just a listening socket): the first query after start
  # is what every test does first.
  local i
  for i in $(seq 1 50); do
    nsx bash -c "getent hosts mx1.good.test" >/dev/null 2>&1 && break
    [ "$i" = 50 ] && { show_logs; die "unbound does not resolve mx1.good.test"; }
    sleep 0.1
  done
  UP_DONE=1
  trap - EXIT INT TERM
  log "up in $((SECONDS - t0))s  (namespace $NS, state $ST)"
}

cmd_down() {
  local p pids="" left="" i
  need_root
  if ns_exists; then
    # everything running inside the namespace was started by us
    pids=$(ip netns pids "$NS" 2>/dev/null | xargs || true)
  fi
  if [ -f "$ST/postfix/spool/pid/master.pid" ] && [ -f "$ST/postfix/etc/main.cf" ]; then
    postfix -c "$ST/postfix/etc" stop 2>/dev/null || true
  fi
  for p in nginx unbound; do
    if [ -s "$ST/run/$p.pid" ]; then kill "$(cat "$ST/run/$p.pid")" 2>/dev/null || true; fi
  done
  # Processes leave the namespace early in exit(), so `ip netns pids` turns
  # empty before they are gone: wait for the recorded PIDs themselves.
  for i in $(seq 1 100); do
    left=""
    for p in $pids; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
    [ -z "$left" ] && break
    # shellcheck disable=SC2086
    [ "$i" = 50 ] && kill -TERM $left 2>/dev/null
    # shellcheck disable=SC2086
    [ "$i" = 80 ] && kill -KILL $left 2>/dev/null
    sleep 0.1
  done
  [ -n "$left" ] && log "WARNING: still running:$left"
  if ns_exists; then
    ip link del "$NS-host" 2>/dev/null || true   # veth (if any); its route goes with it
    ip netns del "$NS"
  fi
  rm -rf "/etc/netns/$NS"
  if [ -f "$ST/run/created-etc-netns" ]; then rmdir /etc/netns 2>/dev/null || true; fi
  rm -f "$ST/run/nginx.pid" "$ST/run/unbound.pid" "$ST/run/created-etc-netns" 2>/dev/null || true
  log "down"
}

cmd_status() {
  ns_exists || { echo "namespace $NS: absent"; return 1; }
  nsx ss -ltnup
  echo "processes: $(ip netns pids "$NS" | xargs echo)"
}

cmd_exec() {
  [ -f "$ST/env" ] && ns_exists || die "the world is not up (namespace $NS, state $ST): run tw.sh up first"
  set -a; . "$ST/env"; set +a
  exec ip netns exec "$NS" env SSL_CERT_FILE="$ST/pki/ca.crt" "$@"
}

case ${1:-} in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  env) [ -f "$ST/env" ] || die "no $ST/env: run tw.sh up first"; sed 's/^/export /' "$ST/env" ;;
  exec) shift; [ $# -gt 0 ] || die "usage: $0 exec CMD [ARGS...]"; cmd_exec "$@" ;;
  *) echo "usage: $0 up|down|status|env|exec CMD..." >&2; exit 2 ;;
esac
