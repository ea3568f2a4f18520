#!/usr/bin/env python3
"""Groups the live malloc blocks an LD_PRELOAD of scripts/bigalloc.c dumped by the call stack that
allocated them, symbolized with addr2line (binutils), biggest first, one table a dump.

    python3 scripts/bigalloc-summary.py [--frames N] [--top N] <dir>/bigalloc-<pid>-1.txt <dir>/bigalloc-<pid>-3.txt
"""
import argparse
import collections
import re
import subprocess

MAPS = re.compile(r'M ([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \S+\s*(.*)')


def load(path):
    blocks, maps = [], []
    with open(path) as f:
        for line in f:
            if line.startswith('B '):
                fields = line.split()
                blocks.append((int(fields[1]), [int(a, 16) for a in fields[2:]]))
            elif line.startswith('M '):
                m = MAPS.match(line)
                if m and m[4].startswith('/'):
                    maps.append((int(m[1], 16), int(m[2], 16), int(m[3], 16), m[4].strip()))
    return blocks, maps


def position_independent(path, known={}):
    """Whether an ELF file is loaded at an offset (a library, a PIE executable: e_type ET_DYN)."""
    if path not in known:
        with open(path, 'rb') as f:
            header = f.read(18)
        known[path] = len(header) == 18 and int.from_bytes(header[16:18], 'little') == 3
    return known[path]


def symbolize(addresses, maps):
    """Address -> 'function [file]': a file loaded at an offset by its offset, else as it is."""
    names, wanted = {}, collections.defaultdict(dict)
    for a in addresses:
        for start, end, offset, path in maps:
            if start <= a < end:
                wanted[path][a] = a - start + offset if position_independent(path) else a
                break
        else:
            names[a] = hex(a)
    for path, offsets in wanted.items():
        order = sorted(set(offsets.values()))
        out = subprocess.run(['addr2line', '-f', '-C', '-e', path] + [hex(o) for o in order],
                             capture_output=True, text=True).stdout.split('\n')
        found = {o: out[2 * i] if 2 * i < len(out) else '??' for i, o in enumerate(order)}
        for a, o in offsets.items():
            names[a] = f"{found[o][:100]} [{path.rsplit('/', 1)[-1]}]"
    return names


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--frames', type=int, default=5, help='frames of the stack that group blocks')
    parser.add_argument('--top', type=int, default=15)
    parser.add_argument('dumps', nargs='+')
    args = parser.parse_args()
    for path in args.dumps:
        blocks, maps = load(path)
        names = symbolize({a for _, stack in blocks for a in stack}, maps)
        groups = collections.defaultdict(lambda: [0, 0])
        for size, stack in blocks:
            frames = [names[a] for a in stack if not re.search(r'\[bigalloc[^\]]*\.so\]$', names[a])]
            key = ' <- '.join(frames[:args.frames])
            groups[key][0] += size
            groups[key][1] += 1
        print(f'== {path}: {sum(s for s, _ in blocks) / 1048576:.2f} MiB in {len(blocks)} blocks')
        for key, (size, count) in sorted(groups.items(), key=lambda kv: -kv[1][0])[:args.top]:
            print(f'{size / 1048576:8.2f} MiB {count:5d}  {key}')


if __name__ == '__main__':
    main()
