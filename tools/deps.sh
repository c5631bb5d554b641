#!/usr/bin/env bash
# Install the Debian packages smtpc needs, and only those missing.
#
#   tools/deps.sh build          compilers, CMake, mbed TLS, cJSON, cmocka, valgrind, clang,
#                                cppcheck, clang-tidy, clang-format, gcc-multilib (-m32)
#   tools/deps.sh world          the interop peers: Postfix, unbound, nginx, OpenSSL, swaks,
#                                mta-sts-query (postfix-mta-sts-resolver)...
#   tools/deps.sh build world    both
#   tools/deps.sh cross          cross toolchains for boards/cortex-m4 and boards/riscv32
#
# Silent when everything is present. Needs root (or sudo) only to install.
set -euo pipefail

readonly BUILD_PKGS=(build-essential cmake pkg-config libmbedtls-dev libcjson-dev libcmocka-dev
                     valgrind clang llvm zlib1g-dev
                     cppcheck clang-tidy clang-format gcc-multilib python3)
readonly WORLD_PKGS=(postfix unbound nginx-light openssl iproute2 sasl2-bin libsasl2-modules
                     dnsutils swaks libnet-ssleay-perl libio-socket-ssl-perl libnet-dns-perl
                     curl msmtp postfix-mta-sts-resolver python3-dkim)
# arm-none-eabi-gcc + newlib(-nano); riscv64-unknown-elf-gcc (no libc: the
# riscv32 board is freestanding); dpkg-dev for tools/fetch-sources.sh.
readonly CROSS_PKGS=(gcc-arm-none-eabi binutils-arm-none-eabi libnewlib-arm-none-eabi
                     gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf dpkg-dev)
# The distro services of these would bind the ports the interop world uses.
readonly WORLD_SERVICES=(postfix unbound nginx)

usage() {
    echo "usage: $0 build|world|cross [build|world|cross ...]" >&2
    exit 2
}

is_installed() {
    dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

as_root() {
    if [ "$(id -u)" -eq 0 ]; then
        "$@"
    elif command -v sudo >/dev/null 2>&1; then
        sudo "$@"
    else
        echo "deps: need root to run: $*" >&2
        return 1
    fi
}

# apt-get waits for nobody: retry while another dpkg/apt run holds the lock.
apt_retry() {
    local try
    for try in 1 2 3 4 5 6; do
        if as_root env DEBIAN_FRONTEND=noninteractive "$@"; then
            return 0
        fi
        echo "deps: '$*' failed (attempt $try), retrying in 10 s" >&2
        sleep 10
    done
    return 1
}

missing=()
want_world=0
[ $# -gt 0 ] || usage
for group in "$@"; do
    case "$group" in
        build) pkgs=("${BUILD_PKGS[@]}") ;;
        world) pkgs=("${WORLD_PKGS[@]}"); want_world=1 ;;
        cross) pkgs=("${CROSS_PKGS[@]}") ;;
        *) usage ;;
    esac
    for p in "${pkgs[@]}"; do
        if ! is_installed "$p"; then
            missing+=("$p")
        fi
    done
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "deps: installing ${missing[*]}"
for p in "${missing[@]}"; do
    if [ "$p" = postfix ]; then
        # Without this, postfix's installer asks which kind of mail setup to write.
        echo "postfix postfix/main_mailer_type select No configuration" |
            as_root debconf-set-selections
    fi
done
apt_retry apt-get update -q
apt_retry apt-get -o DPkg::Lock::Timeout=60 install -y -q --no-install-recommends "${missing[@]}"

if [ "$want_world" -eq 1 ] && [ -d /run/systemd/system ]; then
    for s in "${WORLD_SERVICES[@]}"; do
        as_root systemctl disable --now "$s" >/dev/null 2>&1 || true
    done
fi
