#!/usr/bin/env bash
# Fetch and unpack Debian source packages of smtpc's third-party dependencies.
#
#   tools/fetch-sources.sh OUTDIR [PACKAGE[=VERSION]...]     (default: mbedtls lwip cjson)
#
# Result:
#   OUTDIR/archives/   the .dsc, .orig.tar.* and .debian.tar.* files (the download cache)
#   OUTDIR/src/<pkg>/  the unpacked tree with the Debian patches applied (dpkg-source -x)
#   stdout             one line per package: the absolute source directory
#
# The system's apt configuration is never modified. A private sources list, lists
# folder and cache live in OUTDIR/.apt; its deb-src lines reuse the mirror URIs and
# suites (release, -updates, -security) the machine's own apt sources already use,
# so the versions match the installed -dev packages. A second run with the files in
# place downloads nothing and prints only the directories. Meant to run as root
# (Debian 12 containers and CI); dpkg-dev is installed with apt-get if missing.
set -euo pipefail

prog=${0##*/}
usage() { echo "usage: $prog OUTDIR [PACKAGE[=VERSION]...]" >&2; exit 2; }
die() { echo "$prog: $*" >&2; exit 1; }

[ $# -ge 1 ] || usage
out=$1; shift
[ $# -gt 0 ] || set -- mbedtls lwip cjson
mkdir -p "$out"
out=$(cd "$out" && pwd)
archives="$out/archives"
srcroot="$out/src"
state="$out/.apt"
mkdir -p "$archives" "$srcroot" "$state"

# ------------------------------------------------------------ helpers -----

# Newest .dsc of a source package in the cache, or nothing.
cached_dsc() {
    local pkg=$1 ver=${2:-} f
    local -a found=()
    if [ -n "$ver" ]; then
        f="$archives/${pkg}_${ver#*:}.dsc"      # file names carry no epoch
        [ -f "$f" ] && echo "$f"
        return 0
    fi
    for f in "$archives/${pkg}"_*.dsc; do
        [ -f "$f" ] && found+=("$f")
    done
    [ ${#found[@]} -gt 0 ] || return 0
    printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# True when the .dsc and every file it lists (Files: section) are present.
dsc_complete() {
    local dsc=$1 f
    [ -f "$dsc" ] || return 1
    while read -r f; do
        [ -f "$archives/$f" ] || return 1
    done < <(awk '/^Files:/{in_files=1; next} /^[^ ]/{in_files=0} in_files && NF==3 {print $3}' "$dsc")
}

# deb-src lines built from the system's apt sources (deb822 and one-line
# formats). Only the distribution's own suites are kept: third-party
# repositories rarely publish sources and would make the update fail.
system_deb_src_lines() {
    local codename=$1
    local default_key=/usr/share/keyrings/debian-archive-keyring.gpg
    local f
    for f in /etc/apt/sources.list.d/*.sources; do
        [ -f "$f" ] || continue
        awk -v code="$codename" -v defkey="$default_key" '
            function flush(   n, u, s, i, j, us, ss, key) {
                if (types ~ /(^| )deb( |$)/ && enabled != "no" && uris != "" && suites != "") {
                    key = (signed ~ /^\//) ? signed : defkey
                    n = split(uris, us, " "); m = split(suites, ss, " ")
                    for (i = 1; i <= n; i++)
                        for (j = 1; j <= m; j++)
                            if (ss[j] ~ ("^" code "(-updates|-security)?$"))
                                printf "deb-src [signed-by=%s] %s %s %s\n", key, us[i], ss[j], comps
                }
                types = uris = suites = comps = signed = enabled = ""
            }
            /^#/ { next }
            /^[ \t]*$/ { flush(); next }
            /^[ \t]/ { next }                       # continuation (inline key block)
            {
                field = tolower($1); sub(/:$/, "", field)
                val = $0; sub(/^[^:]*:[ \t]*/, "", val)
                if (field == "types") types = val
                else if (field == "uris") uris = val
                else if (field == "suites") suites = val
                else if (field == "components") comps = val
                else if (field == "signed-by") signed = val
                else if (field == "enabled") enabled = tolower(val)
            }
            END { flush() }' "$f"
    done
    for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
        [ -f "$f" ] || continue
        awk -v code="$codename" -v defkey="$default_key" '
            $1 != "deb" { next }
            {
                line = $0; key = defkey; opts = ""
                sub(/^deb[ \t]+/, "", line)
                if (line ~ /^\[/) {
                    opts = line; sub(/\].*$/, "", opts)
                    sub(/^\[[^]]*\][ \t]*/, "", line)
                    if (match(opts, /signed-by=[^ \]]+/))
                        key = substr(opts, RSTART + 10, RLENGTH - 10)
                }
                n = split(line, w, /[ \t]+/)
                if (n < 3 || w[2] !~ ("^" code "(-updates|-security)?$")) next
                comps = w[3]; for (i = 4; i <= n; i++) comps = comps " " w[i]
                printf "deb-src [signed-by=%s] %s %s %s\n", key, w[1], w[2], comps
            }' "$f"
    done
}

apt_opts=()
apt_ready=0
# Private apt state: sources list, lists and cache under OUTDIR/.apt.
apt_prepare() {
    [ "$apt_ready" = 1 ] && return 0
    local codename list
    # shellcheck disable=SC1091
    codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
    [ -n "$codename" ] || die "cannot read VERSION_CODENAME from /etc/os-release"
    mkdir -p "$state/lists/partial" "$state/cache/archives/partial" "$state/parts"
    list="$state/sources.list"
    system_deb_src_lines "$codename" | sort -u > "$list"
    [ -s "$list" ] || die "no $codename mirror found in /etc/apt/sources.list{,.d}"
    apt_opts=(-o "Dir::Etc::SourceList=$list"
              -o "Dir::Etc::SourceParts=$state/parts"
              -o "Dir::State::Lists=$state/lists"
              -o "Dir::Cache=$state/cache"
              -o "Debug::NoLocking=1"
              -o "APT::Sandbox::User=root")
    if ! apt-get "${apt_opts[@]}" -qq update > "$state/update.log" 2>&1; then
        cat "$state/update.log" >&2
        die "apt-get update on the private source list failed"
    fi
    apt_ready=1
}

# dpkg-source comes with dpkg-dev; install it through the system's apt if missing.
need_dpkg_source() {
    command -v dpkg-source > /dev/null && return 0
    [ "$(id -u)" = 0 ] || die "dpkg-source missing: install dpkg-dev (needs root)"
    echo "$prog: installing dpkg-dev" >&2
    DEBIAN_FRONTEND=noninteractive apt-get -qq update > /dev/null
    DEBIAN_FRONTEND=noninteractive apt-get -qq install -y --no-install-recommends dpkg-dev > /dev/null
}

# ---------------------------------------------------------------- main ----

for spec in "$@"; do
    pkg=${spec%%=*}
    ver=
    [ "$spec" = "$pkg" ] || ver=${spec#*=}

    # 1. Download, unless the cache already holds a complete source package.
    dsc=$(cached_dsc "$pkg" "$ver")
    if [ -z "$dsc" ] || ! dsc_complete "$dsc"; then
        apt_prepare
        if ! (cd "$archives" && apt-get "${apt_opts[@]}" -q source --download-only "$spec") \
            > "$state/source-$pkg.log" 2>&1; then
            cat "$state/source-$pkg.log" >&2
            die "apt-get source $spec failed"
        fi
        dsc=$(cached_dsc "$pkg" "$ver")
        if [ -z "$dsc" ] || ! dsc_complete "$dsc"; then
            die "$spec: download incomplete in $archives"
        fi
    fi

    # 2. Unpack with the Debian patches applied, unless this .dsc is unpacked already.
    # A stamp names the .dsc, so a new version is unpacked again; the tree is
    # unpacked beside its final place and renamed, so an interrupted run never
    # leaves a half tree that looks complete.
    dest="$srcroot/$pkg"
    stamp="$srcroot/.$pkg.dsc"
    if [ ! -d "$dest" ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "${dsc##*/}" ]; then
        need_dpkg_source
        tmp="$srcroot/.$pkg.tmp"
        rm -rf "$tmp" "$dest" "$stamp"
        # --no-copy: the orig tarball stays in archives/ only.
        # --no-check: the files were checked by apt against the signed Release
        # hashes when downloaded; a second signature check would need the
        # maintainers' keyring and only adds noise.
        if ! dpkg-source --no-check --no-copy -x "$dsc" "$tmp" > "$state/unpack-$pkg.log" 2>&1; then
            cat "$state/unpack-$pkg.log" >&2
            rm -rf "$tmp"
            die "dpkg-source -x ${dsc##*/} failed"
        fi
        mv "$tmp" "$dest"
        echo "${dsc##*/}" > "$stamp"
    fi
    echo "$dest"
done
