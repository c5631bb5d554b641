#!/bin/sh
# Generate the private test PKI used by the TLS tests of smtpc.
#
# Usage: gen.sh OUTDIR
#
# Everything is created fresh in OUTDIR (validity dates are relative to now, so
# the set is regenerated for every test run rather than checked in). Only the
# Debian openssl command line is needed. EC P-256 keys keep it fast; a single
# RSA-2048 chain exists for the TLS arena measurements.
#
# Files (each <name>.crt is the chain a server presents, leaf first, and
# <name>.key is the leaf's private key):
#   ca.crt / ca.key                 trusted root "smtpc Test Root" (the only trust anchor)
#   int.crt / int.key               intermediate CA issued by the root
#   good.crt / good.key             mail.example.test via the intermediate (leaf + int)
#   expired.crt / expired.key       mail.example.test, notAfter in the past
#   notyet.crt / notyet.key         mail.example.test, notBefore in the future
#   wronghost.crt / wronghost.key   SAN other.example.test only
#   wildcard.crt / wildcard.key     SAN *.example.test (valid for a.example.test,
#                                   not for a.b.example.test)
#   untrusted.crt / untrusted.key   mail.example.test issued by an untrusted root
#   untrusted_int.crt / .key        mail.example.test via an intermediate that an
#                                   untrusted root issued (leaf + rogue int)
#   leafca.crt / leafca.key         mail.example.test issued by notca, a leaf
#                                   without CA:TRUE (leaf + notca + int)
#   selfsigned.crt / selfsigned.key mail.example.test, self-signed
#   rsa.crt / rsa.key               mail.example.test, RSA-2048 leaf under an
#                                   RSA-2048 intermediate issued by the root
#   rogue.crt, rogue_int.crt, notca.crt, rsa_int.crt: the other issuers
# MTA-STS (the simulator's policy host and MX hosts, leaf + int):
#   sts.crt / sts.key               mta-sts.example.test (the policy host)
#   sts_wronghost.crt / .key        SAN www.example.test only (not the policy host)
#   sts_expired.crt / .key          mta-sts.example.test, notAfter in the past
#   mx1.crt / mx1.key               mx1.example.test
#   mx2.crt / mx2.key               mx2.example.test
#
# The OpenSSL state (database, serial, csr) is kept in OUTDIR/.ca and deleted
# at the end.
set -eu

if [ $# -ne 1 ]; then
    echo "usage: $0 OUTDIR" >&2
    exit 2
fi
OUT=$1
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
ST=$OUT/.ca
rm -rf "$ST"
mkdir -p "$ST/new"
: >"$ST/index.txt"
echo 1000 >"$ST/serial"

# openssl ca takes its dates as UTCTime / GeneralizedTime strings.
when() {
    date -u -d "$1" +%Y%m%d%H%M%SZ
}
NOW=$(when '-1 hour')
YEAR=$(when '+365 days')
PAST1=$(when '-400 days')
PAST2=$(when '-30 days')
FUT1=$(when '+30 days')
FUT2=$(when '+400 days')

# One throwaway configuration for every signature: `openssl ca` is used even
# for roots (-selfsign) because it is the OpenSSL 3.0 command that accepts
# explicit start and end dates. The subjectAltName comes from the environment.
CNF=$ST/ca.cnf
cat >"$CNF" <<EOF
[ ca ]
default_ca = testca
[ testca ]
dir = $ST
database = $ST/index.txt
new_certs_dir = $ST/new
serial = $ST/serial
default_md = sha256
policy = pol_any
unique_subject = no
copy_extensions = none
email_in_dn = no
[ pol_any ]
commonName = supplied
organizationName = optional
[ req ]
distinguished_name = req_dn
prompt = no
[ req_dn ]
CN = placeholder
[ ext_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ ext_leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth
subjectAltName = \$ENV::SAN
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
EOF
export SAN=DNS:unused.example.test

key_ec() {
    openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$OUT/$1.key" 2>/dev/null
}
key_rsa() {
    openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$OUT/$1.key" 2>/dev/null
}
csr() { # name cn
    openssl req -new -config "$CNF" -key "$OUT/$1.key" -subj "/O=smtpc tests/CN=$2" \
        -out "$ST/$1.csr"
}
# sign name issuer ext start end: issue OUT/name.pem (the single certificate)
sign() {
    if [ "$2" = self ]; then
        set -- "$1" "$1" "$3" "$4" "$5" -selfsign
    else
        set -- "$1" "$2" "$3" "$4" "$5" -cert "$OUT/$2.pem"
    fi
    n=$1 iss=$2 ext=$3 start=$4 end=$5
    shift 5
    openssl ca -batch -notext -config "$CNF" -keyfile "$OUT/$iss.key" "$@" \
        -extensions "$ext" -startdate "$start" -enddate "$end" \
        -in "$ST/$n.csr" -out "$OUT/$n.pem" 2>/dev/null
}
mkroot() { # name cn
    key_ec "$1"
    csr "$1" "$2"
    sign "$1" self ext_ca "$NOW" "$(when '+3650 days')"
}
mkint() { # name cn issuer [rsa]
    if [ "${4:-}" = rsa ]; then key_rsa "$1"; else key_ec "$1"; fi
    csr "$1" "$2"
    sign "$1" "$3" ext_ca "$NOW" "$(when '+1825 days')"
}
# leaf name issuer san start end [rsa]
mkleaf() {
    if [ "${6:-}" = rsa ]; then key_rsa "$1"; else key_ec "$1"; fi
    csr "$1" "${3#DNS:}"
    SAN=$3 sign "$1" "$2" ext_leaf "$4" "$5"
}
# chain name pem...: the chain a server presents, leaf first
chain() {
    n=$1
    shift
    : >"$OUT/$n.crt"
    for p in "$@"; do cat "$OUT/$p.pem" >>"$OUT/$n.crt"; done
}

mkroot ca "smtpc Test Root"
mkroot rogue "smtpc Rogue Root"
mkint int "smtpc Test Intermediate" ca
mkint rogue_int "smtpc Rogue Intermediate" rogue
mkint rsa_int "smtpc Test RSA Intermediate" ca rsa

MAIL=DNS:mail.example.test
mkleaf good int "$MAIL" "$NOW" "$YEAR"
mkleaf expired int "$MAIL" "$PAST1" "$PAST2"
mkleaf notyet int "$MAIL" "$FUT1" "$FUT2"
mkleaf wronghost int DNS:other.example.test "$NOW" "$YEAR"
mkleaf wildcard int 'DNS:*.example.test' "$NOW" "$YEAR"
mkleaf untrusted rogue "$MAIL" "$NOW" "$YEAR"
mkleaf untrusted_int rogue_int "$MAIL" "$NOW" "$YEAR"
mkleaf notca int DNS:notca.example.test "$NOW" "$YEAR"
mkleaf leafca notca "$MAIL" "$NOW" "$YEAR"
mkleaf rsa rsa_int "$MAIL" "$NOW" "$YEAR" rsa

key_ec selfsigned
csr selfsigned mail.example.test
SAN=$MAIL sign selfsigned self ext_leaf "$NOW" "$YEAR"

STS=DNS:mta-sts.example.test
mkleaf sts int "$STS" "$NOW" "$YEAR"
mkleaf sts_wronghost int DNS:www.example.test "$NOW" "$YEAR"
mkleaf sts_expired int "$STS" "$PAST1" "$PAST2"
mkleaf mx1 int DNS:mx1.example.test "$NOW" "$YEAR"
mkleaf mx2 int DNS:mx2.example.test "$NOW" "$YEAR"

cp "$OUT/ca.pem" "$OUT/ca.crt"
chain int int
chain good good int
chain expired expired int
chain notyet notyet int
chain wronghost wronghost int
chain wildcard wildcard int
chain untrusted untrusted
chain rogue rogue
chain untrusted_int untrusted_int rogue_int
chain rogue_int rogue_int
chain notca notca int
chain leafca leafca notca int
chain selfsigned selfsigned
chain rsa_int rsa_int
chain rsa rsa rsa_int
chain sts sts int
chain sts_wronghost sts_wronghost int
chain sts_expired sts_expired int
chain mx1 mx1 int
chain mx2 mx2 int

rm -f "$OUT"/*.pem
rm -rf "$ST"
chmod 600 "$OUT"/*.key
