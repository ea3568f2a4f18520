#!/usr/bin/env python3
"""Compares /proc/<pid>/smaps dumps (the webhooks bench writes them with BENCH_SMAPS_DIR) by kind of
mapping: the resident memory of glibc's per-thread arenas, the main arena ([heap]), V8's heap pages
(anonymous, < 1 MiB each), the node binary, LevelDB's mapped tables and so on, one column a dump.

    python3 scripts/smaps-summary.py /tmp/smaps/smaps-2.txt /tmp/smaps/smaps-4.txt
"""
import collections
import re
import sys

HEADER = re.compile(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$')


def mappings(path):
    found, current = [], None
    with open(path) as f:
        for line in f:
            m = HEADER.match(line)
            if m:
                current = {'start': int(m[1], 16), 'end': int(m[2], 16), 'perm': m[3], 'path': m[4].strip(), 'rss': 0}
                found.append(current)
            elif line.startswith('Rss:') and current is not None:
                current['rss'] = int(line.split()[1])
    return found


def kind(m):
    path, size_kib = m['path'], (m['end'] - m['start']) >> 10
    if path.startswith('/'):
        name = path.rsplit('/', 1)[-1]
        return 'file *.ldb (LevelDB tables)' if name.endswith('.ldb') else f'file {name[:30]}'
    if path:
        return path
    # glibc's non-main arenas live in heaps aligned on 64 MiB
    if m['start'] % (64 << 20) == 0 and m['perm'].startswith('rw'):
        return 'anon glibc arena heaps'
    if size_kib < 1024:
        return 'anon < 1 MiB (V8 heap pages, ...)'
    return 'anon >= 1 MiB'


def main(paths):
    sums = []
    for p in paths:
        rss, count = collections.Counter(), collections.Counter()
        for m in mappings(p):
            rss[kind(m)] += m['rss']
            count[kind(m)] += 1
        sums.append((rss, count))
    kinds = sorted(set().union(*(s[0] for s in sums)), key=lambda k: -max(s[0][k] for s in sums))
    for k in kinds[:20]:
        print(f'{k:40}', '  '.join(f'{s[0][k] / 1024:8.1f} MiB ({s[1][k]:4})' for s in sums))
    print(f'{"total":40}', '  '.join(f'{sum(s[0].values()) / 1024:8.1f} MiB       ' for s in sums))


if __name__ == '__main__':
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    main(sys.argv[1:])
