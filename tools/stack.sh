#!/usr/bin/env bash
# Stack report of the core: compile core/src with -fstack-usage and
# -fcallgraph-info=su, print the worst call chain below smtpc_client_step
# (and a few other entry points) with its total, and check that the call
# graph has no cycle (no recursion). Fails on recursion, on a frame of
# dynamic size, or when smtpc_client_step is missing.
#
#   tools/stack.sh [host|cortex-m4|riscv32...]    default: host and cortex-m4
#
# host: gcc -O2 on this machine; cortex-m4: arm-none-eabi-gcc -Os (skipped
# when not installed); riscv32: riscv64-unknown-elf-gcc -Os -march=rv32imac.
# Calls through function pointers (the port ops, user callbacks) are listed
# but not followed: their own stack comes on top. Third-party functions
# (libc, cJSON) count as 0 and are named. Output under build-stack/<target>/.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
OUT="${SMTPC_STACK_DIR:-$ROOT/build-stack}"
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(host cortex-m4)

mapfile -t SRCS < <(sed -nE 's|.*"\$\{SMTPC_ROOT\}/(core/src/[^"]+\.c)".*|\1|p' cmake/smtpc_sources.cmake)
status=0
for t in "${TARGETS[@]}"; do
    extra=()
    case "$t" in
        host) cc=gcc flags=(-O2) ;;
        cortex-m4) cc=arm-none-eabi-gcc flags=(-Os -mcpu=cortex-m4 -mthumb -mfloat-abi=soft) ;;
        riscv32) cc=riscv64-unknown-elf-gcc flags=(-Os -march=rv32imac -mabi=ilp32) ;;
        *) echo "stack: unknown target $t" >&2; exit 2 ;;
    esac
    if ! command -v "$cc" >/dev/null 2>&1; then
        echo "stack ($t): $cc not installed, skipped"
        continue
    fi
    # cJSON headers exist on the host only; cross builds leave TLS-RPT JSON out.
    if [ "$t" = host ] && [ -f /usr/include/cjson/cJSON.h ]; then
        extra=(-I/usr/include)
    else
        extra=(-DSMTPC_ENABLE_TLSRPT_JSON=0)
    fi
    d="$OUT/$t"
    rm -rf "$d"
    mkdir -p "$d"
    for s in "${SRCS[@]}"; do
        [ -f "$s" ] || continue
        "$cc" "${flags[@]}" "${extra[@]}" -std=c99 -fno-common -fstack-usage -fcallgraph-info=su \
            -I core/include -I boards/host -c "$s" -o "$d/$(basename "$s" .c).o" 2>"$d/cc.log" ||
            { cat "$d/cc.log"; exit 1; }
    done
    echo "==== stack ($t: $cc ${flags[*]}) ===="
    python3 - "$d" <<'PY' || status=1
import glob, os, re, sys
d = sys.argv[1]
frame, kind, calls, where = {}, {}, {}, {}
node_re = re.compile(r'node: \{ title: "([^"]+)" label: "([^"]*)"')
edge_re = re.compile(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"')
for ci in glob.glob(os.path.join(d, "*.ci")):
    for line in open(ci):
        m = node_re.match(line)
        if m:
            title, label = m.groups()
            b = re.search(r'\\n(\d+) bytes \(([a-z,]+)\)', label)
            if b:
                frame[title] = int(b.group(1))
                kind[title] = b.group(2)
                where[title] = label.split("\\n")[1] if "\\n" in label else ""
            continue
        m = edge_re.match(line)
        if m:
            calls.setdefault(m.group(1), set()).add(m.group(2))

def name(t):
    return t.split(":")[-1]

bad = 0
# "dynamic,bounded" (a frame that varies but has a known bound, e.g. around
# calls at -O2) is counted at its bound; only an unbounded frame fails.
dyn = [t for t, k in kind.items() if k == "dynamic"]
for t in sorted(dyn):
    print("  dynamic stack frame: %s (%s, %s)" % (name(t), where[t], kind[t]))
    bad = 1

# Recursion: any cycle among the functions defined in core.
WHITE, GREY, BLACK = 0, 1, 2
color = {t: WHITE for t in frame}
cycles = []
def dfs(u, path):
    color[u] = GREY
    path.append(u)
    for v in sorted(calls.get(u, ())):
        if v not in frame:
            continue
        if color[v] == GREY:
            cycles.append(path[path.index(v):] + [v])
        elif color[v] == WHITE:
            dfs(v, path)
    path.pop()
    color[u] = BLACK
sys.setrecursionlimit(100000)
for t in sorted(frame):
    if color[t] == WHITE:
        dfs(t, [])
for c in cycles:
    print("  RECURSION: " + " -> ".join("%s (%d)" % (name(t), frame[t]) for t in c) +
          "  [%s]" % where[c[0]])
    bad = 1
print("  call graph: %d functions, %d with calls, recursion: %s" %
      (len(frame), len(calls), "FOUND" if cycles else "none"))

# Worst chain. With recursion, each cycle is counted once (its edge back is
# not followed), so the figure is a lower bound until the cycle is removed.
memo = {}
onpath = set()
def worst(u):
    if u in memo:
        return memo[u]
    onpath.add(u)
    best, chain = 0, []
    for v in sorted(calls.get(u, ())):
        if v in frame and v not in onpath:
            s, c = worst(v)
            if s > best:
                best, chain = s, c
    onpath.discard(u)
    memo[u] = (frame[u] + best, [u] + chain)
    return memo[u]

def report(entry):
    ts = [t for t in frame if name(t) == entry]
    if not ts:
        return False
    total, chain = worst(ts[0])
    print("  worst chain from %s: %d bytes%s" % (entry, total,
          " (each cycle counted once)" if cycles else ""))
    for t in chain:
        ind = " (+ indirect call)" if "__indirect_call" in calls.get(t, ()) else ""
        ext = sorted(name(v) for v in calls.get(t, ()) if v not in frame and v != "__indirect_call")
        print("    %6d  %-36s %s%s" % (frame[t], name(t), where[t], ind))
    ind = sorted({name(t) for t in chain if "__indirect_call" in calls.get(t, ())})
    if ind:
        print("    calls through pointers on this chain (port ops, callbacks): " + ", ".join(ind))
    return True

# Indirect calls can also land in core: the policy store ops (flash cache or
# RAM store), the engines' callbacks, the floor clock, the TLS-RPT hook. For
# the bound, a call through a pointer in a file may reach these core
# functions (all other pointers are port ops or user callbacks).
INDIRECT = {
    "smtpc_sts.c": ["cache_get", "cache_put", "cache_iter", "ram_get", "ram_put", "ram_iter",
                    "floor_now_ms", "floor_utc_s"],
    "smtpc_httpparse.c": ["sts_body_sink"],
    "smtpc_dnswire.c": ["client_mx_cb", "sts_txt_cb", "client_rpt_cb", "dns_answer_cb"],
    "smtpc_dns.c": ["client_mx_cb", "sts_txt_cb", "client_rpt_cb", "floor_now_ms", "floor_utc_s"],
    "smtpc_client.c": ["smtpc_tlsrpt_hook", "floor_now_ms", "floor_utc_s", "cache_get",
                       "cache_put", "cache_iter", "ram_get", "ram_put", "ram_iter"],
}
def with_indirect():
    byname = {}
    for t in frame:
        byname.setdefault(name(t), []).append(t)
    for u in list(calls):
        if "__indirect_call" not in calls[u]:
            continue
        if re.search(r"trace|note", name(u)):
            continue  # these only call the transcript hook (a user callback)
        f = os.path.basename(where.get(u, "").split(":")[0])
        for n in INDIRECT.get(f, []):
            calls[u] = set(calls[u]) | set(byname.get(n, []))
targets = sorted({n for v in INDIRECT.values() for n in v if any(name(t) == n for t in frame)})

if True:
    if not report("smtpc_client_step"):
        print("  smtpc_client_step not found")
        bad = 1
    for e in ("smtpc_sts_step", "smtpc_dns_step", "smtpc_kvs_mount", "smtpc_tlsrpt_render",
              "smtpc_tlsrpt_log_record"):
        report(e)
    with_indirect()
    memo.clear()
    total, chain = worst([t for t in frame if name(t) == "smtpc_client_step"][0])
    print("  with calls through pointers into core followed (%s): %d bytes" %
          (", ".join(targets), total))
    print("    " + " -> ".join("%s %d" % (name(t), frame[t]) for t in chain))
    top = sorted(frame.items(), key=lambda kv: -kv[1])[:5]
    print("  largest frames: " + ", ".join("%s %d" % (name(t), n) for t, n in top))
    ext = sorted({name(v) for vs in calls.values() for v in vs
                  if v not in frame and v != "__indirect_call"})
    print("  external functions (counted as 0): " + " ".join(ext))
sys.exit(bad)
PY
done
exit "$status"
