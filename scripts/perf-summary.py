#!/usr/bin/env python3
"""On-CPU time of a Node process by thread, and of one thread by the nearest JavaScript frame.

A V8 .cpuprofile samples a thread on the wall clock: while it waits for a core (preempted, or
woken behind another thread), its samples land on whatever frame it was in, so on a loaded machine
a thread's profile overstates its native frames (postMessage, write, fdatasync). `perf record -e
cpu-clock` samples only threads on a CPU. This script reads `perf script` output (with call chains;
JavaScript frames are named when node ran with `--perf-basic-prof`) and prints:

- the share of samples of each thread (tid), busiest first;
- for one thread (`--tid`, default the busiest), its samples by where their stack enters native
  code from JavaScript: the nearest JavaScript frame's module and function (a sample in V8's JSON
  parser called from `journal.ts` counts for `journal.ts`), and by binary (node, kernel, libc, JIT).

usage:
  node --perf-basic-prof … &          # e.g. BENCH_NODE_FLAGS=--perf-basic-prof for the bench runtime
  perf record -e cpu-clock -F 1999 -g -p PID -o perf.data -- sleep 10
  perf script -i perf.data -F tid,ip,sym,dso > perf.txt
  scripts/perf-summary.py [--tid TID] [--top N] perf.txt
"""
import collections
import re
import sys

args = sys.argv[1:]
tid = None
top = 40
while args and args[0].startswith('--'):
    flag = args.pop(0)
    if flag == '--tid': tid = args.pop(0)
    elif flag == '--top': top = int(args.pop(0))
    else: sys.exit(f'unknown option {flag}')
if len(args) != 1: sys.exit(__doc__)

TID = re.compile(r'^\s*\d+\s*$')
FRAME = re.compile(r'^\s*[0-9a-f]+\s+(.*?)\s+\((.*)\)\s*$')
JS = re.compile(r'JS:[*~^]?(\S*) (\S+)')
MODULE = re.compile(r'(node_modules/(?:@[^/]+/)?[^/]+/[^/ :]+|local/[a-z]+/[\w.-]+|[\w-]+/[\w.-]+\.ts|node:[\w/]+)')


def samples(path):
    """(tid, [frames leaf first]) for each sample of a `perf script -F tid,ip,sym,dso` output."""
    current = None
    with open(path, encoding='utf8', errors='replace') as f:
        for line in f:
            if not line.strip():
                if current: yield current
                current = None
            elif not line[0].isspace() or TID.match(line):
                # the sample's header: its tid (some perf versions indent it)
                if current: yield current
                current = (line.split()[0], [])
            elif current is not None:
                m = FRAME.match(line)
                if m: current[1].append((m.group(1), m.group(2)))
    if current: yield current


stacks = collections.defaultdict(list)
for t, frames in samples(args[0]):
    stacks[t].append(frames)
by_thread = collections.Counter({t: len(s) for t, s in stacks.items()})
total = sum(by_thread.values())
if not total: sys.exit('no samples')
print(f'===== {total} samples')
print('-- by thread (% of all samples)')
for t, n in by_thread.most_common(top):
    print(f'{100 * n / total:6.1f}%  tid {t}')

tid = tid or by_thread.most_common(1)[0][0]
mine = stacks.get(tid, [])
if not mine: sys.exit(f'no samples for tid {tid}')
n = len(mine)
binary, module, function = collections.Counter(), collections.Counter(), collections.Counter()
for frames in mine:
    sym, dso = frames[0] if frames else ('?', '?')
    binary['kernel' if 'kernel' in dso else 'JIT' if 'JIT' in dso or 'perf-' in dso else dso.rsplit('/', 1)[-1]] += 1
    where = '(no JavaScript frame: the event loop, GC, the kernel)'
    for s, _ in frames:
        m = JS.search(s)
        if m:
            where = f'{m.group(1) or "(anonymous)"} {re.sub(r"^file://", "", m.group(2))}'
            break
    function[where] += 1
    m = MODULE.search(where)
    module[m.group(1) if m else where] += 1
for title, counter in (('binary of the leaf frame', binary), ('module of the nearest JavaScript frame', module),
                       ('nearest JavaScript frame', function)):
    print(f'-- tid {tid}, {n} samples, by {title} (% of its samples)')
    for k, v in counter.most_common(top):
        print(f'{100 * v / n:6.1f}%  {k[:150]}')
