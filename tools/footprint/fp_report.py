#!/usr/bin/env python3
"""Footprint figures from a cross build (used by tools/footprint.sh).

  fp_report.py map IMAGE.map            text/data/bss per component of a linked image
  fp_report.py objs NM SIZE OBJ...      text/data/bss per object file (unlinked)
  fp_report.py sizes NM OBJ             fp_sizeof_* symbol sizes (sizeof on the target)
  fp_report.py stack ROOT CI...         worst stack path from ROOT over -fcallgraph-info=su
                                        files (indirect calls listed, not followed)
Output is tab-separated, one record per line; footprint.sh formats it.
"""
import os
import re
import subprocess
import sys


def kind_of(section):
    if section.startswith(('.text', '.rodata', '.glue', '.ARM.ex', '.isr_vector', '.vfp11', '.v4_bx',
                           '.srodata', '.init', '.fini')):
        return 'text'
    if section.startswith(('.data', '.sdata')):
        return 'data'
    if section.startswith(('.bss', '.sbss', 'COMMON', '.stack')):
        return 'bss'
    return None


def component(path):
    """(group, name) of an input file named in a map file."""
    base = os.path.basename(path)
    m = re.match(r'(lib[^(]*\.a)\((.*)\)$', base)
    lib, member = (m.group(1), m.group(2)) if m else (None, base)
    member = re.sub(r'\.(c\.)?(obj|o)$', '', member)
    if lib is None:
        return ('board+app', member)
    if lib.startswith('libsmtpc_core') or lib.startswith('libsmtpc_fp_core'):
        return ('smtpc', member)
    if lib.startswith('libsmtpc_port_'):
        return ('port_' + lib[len('libsmtpc_port_'):-2], member)
    if lib.startswith('libsmtpc_dep_mbed'):
        return ('mbedtls', member)
    if lib.startswith('libsmtpc_dep_lwip'):
        return ('lwip', member)
    if lib.startswith(('libsmtpc_dep_cjson', 'libsmtpc_board_cjson')):
        return ('cjson', member)
    if lib.startswith('libsmtpc_board'):
        return ('board+app', member)
    if lib.startswith('libgcc'):
        return ('libgcc', member)
    if lib.startswith(('libc', 'libg', 'libm', 'libnosys')):
        return ('libc', member)
    return ('other', member)


def parse_map(path):
    sizes = {}
    with open(path, encoding='utf-8', errors='replace') as f:
        lines = f.read().split('\n')
    try:
        start = lines.index('Linker script and memory map')
    except ValueError:
        start = 0
    pending = None
    for line in lines[start:]:
        if line.startswith('/DISCARD/'):
            break
        m = re.match(r'^ (\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$', line)
        if m is None and pending is not None:
            m2 = re.match(r'^\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+(\S.*)$', line)
            if m2:
                m = (pending, m2.group(1), m2.group(2), m2.group(3))
            pending = None
        elif m is not None:
            m = m.groups()
            pending = None
        if m is None:
            m3 = re.match(r'^ (\.\S+|COMMON)\s*$', line)
            pending = m3.group(1) if m3 else None
            continue
        section, addr, size, fname = m
        kind = kind_of(section)
        if kind is None or int(addr, 16) == 0 and kind != 'bss':
            continue
        if fname.startswith('load address') or '*fill*' in section:
            continue
        key = component(fname.strip())
        rec = sizes.setdefault(key, {'text': 0, 'data': 0, 'bss': 0})
        rec[kind] += int(size, 16)
        if kind == 'data':
            rec['text'] += 0  # data's load image is counted under data
    for (group, name), rec in sorted(sizes.items()):
        print('\t'.join([group, name, str(rec['text']), str(rec['data']), str(rec['bss'])]))


def objs(nm, size_tool, files):
    out = subprocess.run([size_tool, '-A'] + files, capture_output=True, text=True, check=True).stdout
    cur = None
    rec = None
    recs = []
    for line in out.split('\n'):
        m = re.match(r'^(\S+)\s+:$', line)
        if m:
            cur = re.sub(r'\.(c\.)?(obj|o)$', '', os.path.basename(m.group(1)))
            rec = {'text': 0, 'data': 0, 'bss': 0}
            recs.append((cur, rec))
            continue
        m = re.match(r'^(\S+)\s+(\d+)\s+\d+', line)
        if m and rec is not None:
            kind = kind_of(m.group(1))
            if kind:
                rec[kind] += int(m.group(2))
    for name, rec in recs:
        print('\t'.join([name, str(rec['text']), str(rec['data']), str(rec['bss'])]))


def sizes(nm, obj):
    out = subprocess.run([nm, '-S', obj], capture_output=True, text=True, check=True).stdout
    for line in out.split('\n'):
        parts = line.split()
        if len(parts) == 4 and parts[3].startswith('fp_sizeof_'):
            print('\t'.join([parts[3][len('fp_sizeof_'):], str(int(parts[1], 16))]))


def stack(root, files):
    frame = {}
    edges = {}
    label_name = {}
    for path in files:
        with open(path, encoding='utf-8', errors='replace') as f:
            text = f.read()
        for m in re.finditer(r'node: \{ title: "([^"]+)" label: "([^"]*)"', text):
            title, label = m.group(1), m.group(2)
            parts = label.split('\\n')
            label_name.setdefault(parts[0], set()).add(title)
            if len(parts) >= 3:
                sm = re.match(r'(\d+) bytes \((\w+)', parts[2])
                if sm:
                    frame[title] = (int(sm.group(1)), sm.group(2))
        for m in re.finditer(r'edge: \{ sourcename: "([^"]+)" targetname: "([^"]+)"', text):
            edges.setdefault(m.group(1), set()).add(m.group(2))

    def resolve(t):
        if t in frame or t == '__indirect_call':
            return t
        # a global callee defined in another file is named without the file
        cands = [x for x in label_name.get(t, ()) if x in frame]
        return cands[0] if len(cands) == 1 else t

    memo = {}
    onpath = set()
    recursion = []
    indirect = set()
    unknown = set()
    dynamic = set()

    def worst(t):
        t = resolve(t)
        if t == '__indirect_call':
            return 0, [t]
        if t in memo:
            return memo[t]
        if t in onpath:
            recursion.append(t)
            return 0, [t + ' (recursion)']
        if t not in frame:
            unknown.add(t)
            return 0, [t + ' (no stack info)']
        onpath.add(t)
        best = (0, [])
        for c in edges.get(t, ()):
            if resolve(c) == '__indirect_call':
                indirect.add(t)
            w = worst(c)
            if w[0] > best[0]:
                best = w
        onpath.discard(t)
        size, qual = frame[t]
        if qual != 'static':
            dynamic.add(t)
        memo[t] = (size + best[0], [t] + best[1])
        return memo[t]

    r = resolve(root)
    total, path = worst(r)
    short = lambda t: t.rsplit(':', 1)[-1] if ':' in t else t
    print('\t'.join(['worst', str(total)]))
    print('\t'.join(['path', ' > '.join('%s(%d)' % (short(p), frame.get(p, (0,))[0]) for p in path)]))
    print('\t'.join(['recursion', ' '.join(sorted(set(short(x) for x in recursion))) or 'none']))
    print('\t'.join(['indirect_callers', ' '.join(sorted(short(x) for x in indirect)) or 'none']))
    print('\t'.join(['dynamic_frames', ' '.join(sorted(short(x) for x in dynamic)) or 'none']))
    print('\t'.join(['unknown', ' '.join(sorted(short(x) for x in unknown)) or 'none']))


def main():
    cmd = sys.argv[1]
    if cmd == 'map':
        parse_map(sys.argv[2])
    elif cmd == 'objs':
        objs(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif cmd == 'sizes':
        sizes(sys.argv[2], sys.argv[3])
    elif cmd == 'stack':
        stack(sys.argv[2], sys.argv[3:])
    else:
        sys.exit('usage: fp_report.py map|objs|sizes|stack ...')


if __name__ == '__main__':
    main()
