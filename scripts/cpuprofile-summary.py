#!/usr/bin/env python3
"""Self and inclusive time of V8 .cpuprofile files (node --cpu-prof), by function and by module.

usage: cpuprofile-summary.py [--last SECONDS] [--windows FILE] [--top N] FILE...
  --last S  only the samples of each profile's last S seconds (a probe that ends the process right
            after its load, e.g. bench/quote-probe.ts, puts the load there)
  --windows F  only the samples inside the [start, end] windows (µs, the profile's monotonic clock)
            listed as JSON in F, e.g. the acknowledgements bench/big-order-probe.ts writes with
            PROBE_WINDOWS=F
Bundles: in an unminified esbuild bundle (its `// node_modules/pkg/file.js` comments), a frame's
module is the comment above its line; otherwise the file. Idle, program and GC are shown apart.
"""
import bisect, collections, json, os, re, sys

args = sys.argv[1:]
last = top = windows = None
while args and args[0].startswith('--'):
    flag = args.pop(0)
    if flag == '--last': last = float(args.pop(0))
    elif flag == '--windows': windows = sorted(json.load(open(args.pop(0))))
    elif flag == '--top': top = int(args.pop(0))
top = top or 40
module_maps = {}

def in_windows(ts):
    if windows is None: return True
    k = bisect.bisect_right([w[0] for w in windows], ts) - 1
    return k >= 0 and ts <= windows[k][1]

def module_map(url):
    """Line number → the module an esbuild bundle says the line came from."""
    if url in module_maps: return module_maps[url]
    starts, names = [], []
    path = url[len('file://'):] if url.startswith('file://') else None
    if path and os.path.exists(path) and path.endswith(('.mjs', '.js')) and '/asset.' in path:
        with open(path, encoding='utf8', errors='replace') as f:
            for i, line in enumerate(f):
                m = re.match(r'^// (\S+\.(?:[cm]?js|ts|json))$', line.strip())
                if m: starts.append(i); names.append(m.group(1))
    module_maps[url] = (starts, names)
    return module_maps[url]

def module_of(cf):
    url = cf['url']
    starts, names = module_map(url)
    if starts:
        k = bisect.bisect_right(starts, cf['lineNumber']) - 1
        name = names[k] if k >= 0 else '(bundle head)'
    else:
        name = url
    name = re.sub(r'^.*node_modules/', '', name)
    m = re.match(r'^(@[^/]+/[^/]+|[^/]+)', name) if 'node_modules' in url or starts else None
    return name, (m.group(1) if m and not name.startswith(('functions/', 'domain/', 'adapters/', 'local/')) else name.split('/')[0] + '/' + (name.split('/')[1] if '/' in name else ''))

for path in args:
    d = json.load(open(path))
    nodes = {n['id']: n for n in d['nodes']}
    parent = {c: n['id'] for n in d['nodes'] for c in n.get('children', [])}
    t = d['startTime']; stamps = []
    for dt in d['timeDeltas']: t += dt; stamps.append(t)
    lo = d['endTime'] - last * 1e6 if last else -1
    dt_by = collections.Counter()
    prev = d['startTime']
    for s, ts in zip(d['samples'], stamps):
        if ts >= lo and in_windows(ts): dt_by[s] += ts - prev
        prev = ts
    total = sum(dt_by.values()) or 1
    special = {'(idle)', '(program)', '(garbage collector)', '(root)'}
    busy = sum(v for k, v in dt_by.items() if nodes[k]['callFrame']['functionName'] not in ('(idle)',))
    self_fn, incl_fn, self_mod, self_pkg = (collections.Counter() for _ in range(4))
    for nid, v in dt_by.items():
        cf = nodes[nid]['callFrame']
        fn = cf['functionName'] or '(anonymous)'
        mod, pkg = module_of(cf) if fn not in special else (fn, fn)
        key = f'{fn} [{mod}:{cf["lineNumber"]}]' if fn not in special else fn
        self_fn[key] += v; self_mod[mod] += v; self_pkg[pkg] += v
        seen = set(); x = nid
        while x is not None:
            c = nodes[x]['callFrame']; f = c['functionName'] or '(anonymous)'
            k = f'{f} [{module_of(c)[0] if f not in special else ""}:{c["lineNumber"]}]'
            if k not in seen: incl_fn[k] += v; seen.add(k)
            x = parent.get(x)
    print(f'===== {os.path.basename(path)}: {total/1000:.0f} ms sampled, {busy/1000:.0f} ms busy')
    for title, counter, n in (('self by package', self_pkg, 25), ('self by module', self_mod, top),
                              ('self by function', self_fn, top), ('inclusive by function', incl_fn, top * 2)):
        print(f'-- {title} (ms, % of busy)')
        for k, v in counter.most_common(n):
            if k in ('(idle)', '(root) [:-1]', '(root)'): continue
            print(f'{v/1000:9.1f} {100*v/busy:5.1f}%  {k}')
