#!/usr/bin/env bash
# Test certificates for the arena probe, generated at build time (never
# committed): for each key type a root CA and a server leaf for
# mail.example.test signed by it.
#
#   tests/arena/gen.sh OUTDIR
#   -> OUTDIR/{ecdsa-p256,rsa-2048}/{ca.crt,leaf.crt,leaf.key}
#
# Existing files are kept, so rebuilding does not change the certificates.
set -euo pipefail

out=${1:?usage: gen.sh OUTDIR}
host=mail.example.test
days=3650

command -v openssl > /dev/null || { echo "gen.sh: openssl not found" >&2; exit 1; }

gen_key() { # type file
    case $1 in
        ecdsa-p256) openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
                        -pkeyopt ec_param_enc:named_curve -out "$2" 2> /dev/null ;;
        rsa-2048)   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 \
                        -out "$2" 2> /dev/null ;;
        *)          echo "gen.sh: unknown key type $1" >&2; exit 1 ;;
    esac
}

for type in ecdsa-p256 rsa-2048; do
    dir="$out/$type"
    if [ -s "$dir/ca.crt" ] && [ -s "$dir/leaf.crt" ] && [ -s "$dir/leaf.key" ]; then
        continue
    fi
    mkdir -p "$dir"
    tmp=$(mktemp -d "$dir/.gen.XXXXXX")
    trap 'rm -rf "$tmp"' EXIT

    # Root CA: self-signed, may only sign certificates.
    gen_key "$type" "$tmp/ca.key"
    openssl req -x509 -new -sha256 -days "$days" -key "$tmp/ca.key" \
        -subj "/O=smtpc test/CN=smtpc test root $type" \
        -addext "basicConstraints=critical,CA:TRUE" \
        -addext "keyUsage=critical,keyCertSign,cRLSign" \
        -addext "subjectKeyIdentifier=hash" \
        -out "$tmp/ca.crt"

    # Server leaf: the name the client checks, TLS server usage only.
    ku=digitalSignature
    [ "$type" = rsa-2048 ] && ku="digitalSignature,keyEncipherment"
    gen_key "$type" "$tmp/leaf.key"
    openssl req -new -sha256 -key "$tmp/leaf.key" -subj "/O=smtpc test/CN=$host" \
        -out "$tmp/leaf.csr"
    cat > "$tmp/leaf.ext" <<EXT
basicConstraints=critical,CA:FALSE
keyUsage=critical,$ku
extendedKeyUsage=serverAuth
subjectAltName=DNS:$host
authorityKeyIdentifier=keyid
EXT
    openssl x509 -req -sha256 -days "$days" -in "$tmp/leaf.csr" \
        -CA "$tmp/ca.crt" -CAkey "$tmp/ca.key" -set_serial "0x$(openssl rand -hex 8)" \
        -extfile "$tmp/leaf.ext" -out "$tmp/leaf.crt" 2> /dev/null

    mv "$tmp/ca.crt" "$tmp/leaf.crt" "$tmp/leaf.key" "$dir/"
    rm -rf "$tmp"
    trap - EXIT
done
