import { ERR, StatesError } from './errors.ts';
import type { Json } from './types.ts';
import { deepEqual, isObject } from './types.ts';

/**
 * A JSONPath subset matching what Step Functions accepts (Jayway-style):
 * `$`, `.name`, `['name']`, `[n]` (negative allowed), `[*]`, `.*`, `[a,b]`, `[start:end:step]`,
 * `..name` (recursive descent), filters `[?(@.a <op> literal)]`, `[?(@.a)]`, and `.length()`.
 */
type Seg =
  | { k: 'name'; name: string }
  | { k: 'index'; i: number }
  | { k: 'wild' }
  | { k: 'union'; items: (string | number)[] }
  | { k: 'slice'; start?: number; end?: number; step?: number }
  | { k: 'desc'; seg: Seg }
  | { k: 'filter'; expr: string }
  | { k: 'length' };

interface Compiled {
  root: '$' | '$$';
  segs: Seg[];
  definite: boolean;
  /** only `.name` / `[n]` segments: read by a direct walk, no intermediate node lists */
  simple: boolean;
}

const cache = new Map<string, Compiled>();

const parseBracket = (body: string): Seg => {
  const t = body.trim();
  if (t === '*') return { k: 'wild' };
  if (t.startsWith('?')) {
    const m = /^\?\s*\((.*)\)$/s.exec(t);
    if (!m) throw new Error(`bad filter ${t}`);
    return { k: 'filter', expr: m[1]! };
  }
  if (/^-?\d*\s*:\s*-?\d*(\s*:\s*-?\d*)?$/.test(t)) {
    const [a, b, c] = t.split(':').map((x) => x.trim());
    const num = (x: string | undefined) => (x === undefined || x === '' ? undefined : Number(x));
    return { k: 'slice', start: num(a), end: num(b), step: num(c) };
  }
  const parts: (string | number)[] = [];
  const re = /\s*(?:'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"|(-?\d+))\s*(,|$)/y;
  let pos = 0;
  while (pos < t.length) {
    re.lastIndex = pos;
    const m = re.exec(t);
    if (!m) throw new Error(`bad bracket [${t}]`);
    if (m[3] !== undefined) parts.push(Number(m[3]));
    else parts.push((m[1] ?? m[2] ?? '').replace(/\\(.)/g, '$1'));
    pos = re.lastIndex;
    if (!m[4]) break;
  }
  if (parts.length === 1) {
    const p = parts[0]!;
    return typeof p === 'number' ? { k: 'index', i: p } : { k: 'name', name: p };
  }
  return { k: 'union', items: parts };
};

export const compilePath = (path: string): Compiled => {
  const hit = cache.get(path);
  if (hit) return hit;
  const p = path.trim();
  let root: '$' | '$$';
  let i: number;
  if (p.startsWith('$$')) {
    root = '$$';
    i = 2;
  } else if (p.startsWith('$')) {
    root = '$';
    i = 1;
  } else throw new Error(`path must start with $: ${path}`);
  const segs: Seg[] = [];
  while (i < p.length) {
    const c = p[i];
    if (c === '.') {
      let desc = false;
      if (p[i + 1] === '.') {
        desc = true;
        i++;
      }
      i++;
      let seg: Seg;
      if (p[i] === '[') {
        const end = findClose(p, i);
        seg = parseBracket(p.slice(i + 1, end));
        i = end + 1;
      } else if (p[i] === '*') {
        seg = { k: 'wild' };
        i++;
      } else {
        const m = /^[^.[\]]+/.exec(p.slice(i));
        if (!m) throw new Error(`bad path ${path}`);
        i += m[0].length;
        if (m[0] === 'length()' && !desc) {
          segs.push({ k: 'length' });
          continue;
        }
        seg = { k: 'name', name: m[0] };
      }
      segs.push(desc ? { k: 'desc', seg } : seg);
    } else if (c === '[') {
      const end = findClose(p, i);
      segs.push(parseBracket(p.slice(i + 1, end)));
      i = end + 1;
    } else throw new Error(`unexpected '${c}' in path ${path}`);
  }
  const definite = segs.every((s) => s.k === 'name' || s.k === 'index' || s.k === 'length');
  const simple = segs.every((s) => s.k === 'name' || s.k === 'index');
  const compiled = { root, segs, definite, simple };
  if (cache.size > 10_000) cache.clear();
  cache.set(path, compiled);
  return compiled;
};

const findClose = (p: string, open: number): number => {
  let depth = 0;
  let q: string | null = null;
  for (let j = open; j < p.length; j++) {
    const ch = p[j];
    if (q) {
      if (ch === '\\') j++;
      else if (ch === q) q = null;
      continue;
    }
    if (ch === "'" || ch === '"') q = ch;
    else if (ch === '[' || ch === '(') depth++;
    else if (ch === ']' || ch === ')') {
      depth--;
      if (depth === 0 && ch === ']') return j;
    }
  }
  throw new Error(`unclosed [ in ${p}`);
};

export const isValidPath = (path: string): boolean => {
  try {
    compilePath(path);
    return true;
  } catch {
    return false;
  }
};

export const isReferencePath = (path: string): boolean => {
  try {
    const c = compilePath(path);
    return c.segs.every((s) => s.k === 'name' || s.k === 'index');
  } catch {
    return false;
  }
};

const applySeg = (seg: Seg, nodes: Json[]): Json[] => {
  const out: Json[] = [];
  for (const n of nodes) {
    switch (seg.k) {
      case 'name':
        if (isObject(n) && Object.hasOwn(n, seg.name)) out.push(n[seg.name]!);
        break;
      case 'index':
        if (Array.isArray(n)) {
          const idx = seg.i < 0 ? n.length + seg.i : seg.i;
          if (idx >= 0 && idx < n.length) out.push(n[idx]!);
        }
        break;
      case 'wild':
        if (Array.isArray(n)) out.push(...n);
        else if (isObject(n)) out.push(...Object.values(n));
        break;
      case 'union':
        for (const it of seg.items)
          out.push(
            ...applySeg(typeof it === 'number' ? { k: 'index', i: it } : { k: 'name', name: it }, [n]),
          );
        break;
      case 'slice':
        if (Array.isArray(n)) {
          const len = n.length;
          const step = seg.step ?? 1;
          const norm = (x: number | undefined, d: number) =>
            x === undefined ? d : x < 0 ? Math.max(0, len + x) : Math.min(x, len);
          const s = norm(seg.start, 0);
          const e = norm(seg.end, len);
          for (let j = s; j < e; j += step > 0 ? step : 1) out.push(n[j]!);
        }
        break;
      case 'desc': {
        const walk = (x: Json) => {
          out.push(...applySeg(seg.seg, [x]));
          if (Array.isArray(x)) x.forEach(walk);
          else if (isObject(x)) Object.values(x).forEach(walk);
        };
        walk(n);
        break;
      }
      case 'filter': {
        const items = Array.isArray(n) ? n : isObject(n) ? Object.values(n) : [];
        for (const it of items) if (evalFilter(seg.expr, it)) out.push(it);
        break;
      }
      case 'length':
        if (Array.isArray(n)) out.push(n.length);
        else if (typeof n === 'string') out.push(n.length);
        else if (isObject(n)) out.push(Object.keys(n).length);
        break;
    }
  }
  return out;
};

const parseLiteral = (s: string): Json | undefined => {
  const t = s.trim();
  if (/^'.*'$/s.test(t)) return t.slice(1, -1).replace(/\\(.)/g, '$1');
  try {
    return JSON.parse(t) as Json;
  } catch {
    return undefined;
  }
};

const evalFilter = (expr: string, item: Json): boolean => {
  const ors = splitTop(expr, '||');
  if (ors.length > 1) return ors.some((e) => evalFilter(e, item));
  const ands = splitTop(expr, '&&');
  if (ands.length > 1) return ands.every((e) => evalFilter(e, item));
  const m = /^\s*(@[^<>=!\s]*)\s*(==|!=|<=|>=|<|>|=~)?\s*(.*?)\s*$/s.exec(expr);
  if (!m) return false;
  const sub = `$${m[1]!.slice(1)}`;
  const vals = query(sub, item);
  if (!m[2]) return vals.length > 0;
  if (vals.length === 0) return false;
  const left = vals[0];
  const right = m[3]!.startsWith('@') ? query(`$${m[3]!.slice(1)}`, item)[0] : parseLiteral(m[3]!);
  switch (m[2]) {
    case '==':
      return deepEqual(left, right);
    case '!=':
      return !deepEqual(left, right);
    case '<':
      return typeof left === typeof right && (left as number) < (right as number);
    case '<=':
      return typeof left === typeof right && (left as number) <= (right as number);
    case '>':
      return typeof left === typeof right && (left as number) > (right as number);
    case '>=':
      return typeof left === typeof right && (left as number) >= (right as number);
    case '=~': {
      const rm = /^\/(.*)\/([a-z]*)$/s.exec(m[3]!.trim());
      return !!rm && typeof left === 'string' && new RegExp(rm[1]!, rm[2]).test(left);
    }
  }
  return false;
};

const splitTop = (s: string, op: string): string[] => {
  const parts: string[] = [];
  let depth = 0;
  let q: string | null = null;
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (q) {
      if (c === '\\') i++;
      else if (c === q) q = null;
    } else if (c === "'" || c === '"') q = c;
    else if (c === '(' || c === '[') depth++;
    else if (c === ')' || c === ']') depth--;
    else if (depth === 0 && s.startsWith(op, i)) {
      parts.push(s.slice(last, i));
      last = i + op.length;
      i += op.length - 1;
    }
  }
  parts.push(s.slice(last));
  return parts;
};

/** All matches of `path` against `data` (the root is `$`; `$$` paths must be passed the context). */
export const query = (path: string, data: Json): Json[] => {
  const c = compilePath(path);
  let nodes: Json[] = [data];
  for (const s of c.segs) nodes = applySeg(s, nodes);
  return nodes;
};

/**
 * Evaluate a path as Step Functions does: a definite path yields the single value (throws when it
 * does not exist); an indefinite path (wildcards, filters, slices, descent) yields an array.
 */
export const readPath = (path: string, data: Json, ctx?: Json): Json => {
  const c = compilePath(path);
  const root = c.root === '$$' ? (ctx ?? null) : data;
  if (c.simple) {
    let cur: Json = root;
    for (const s of c.segs) {
      if (s.k === 'name') {
        if (!isObject(cur) || !Object.hasOwn(cur, s.name)) throw new PathMissing(path);
        cur = cur[s.name]!;
      } else if (s.k === 'index') {
        if (!Array.isArray(cur)) throw new PathMissing(path);
        const idx: number = s.i < 0 ? cur.length + s.i : s.i;
        if (idx < 0 || idx >= cur.length) throw new PathMissing(path);
        cur = cur[idx]!;
      }
    }
    return cur;
  }
  let nodes: Json[] = [root];
  for (const s of c.segs) {
    nodes = applySeg(s, nodes);
  }
  if (c.definite) {
    if (nodes.length === 0) throw new PathMissing(path);
    return nodes[0]!;
  }
  return nodes;
};

export class PathMissing extends Error {
  constructor(readonly path: string) {
    super(`path ${path} not found`);
  }
}

/** Set an own property (also for a key named `__proto__`, which plain assignment would not create). */
const setOwn = (o: Record<string, Json>, k: string, v: Json): void => {
  if (k === '__proto__')
    Object.defineProperty(o, k, { value: v, writable: true, enumerable: true, configurable: true });
  else o[k] = v;
};

/** A ResultPath step that cannot be written (module level: no closure per write on the hot path). */
const conflict = (s: Seg, path: string, data: Json): StatesError =>
  StatesError.bare(
    ERR.ReferencePathConflict,
    s.k === 'name'
      ? `Unable to apply step "${s.name}" to input ${JSON.stringify(data)}`
      : `Unable to apply ResultPath "${path}" to input ${JSON.stringify(data)}`,
  );

/**
 * Write `value` at reference path `path` into a copy of `data` (ResultPath semantics).
 *
 * A path that cannot be written is `States.ReferencePathConflict`, its cause without the state
 * prefix, worded as AWS's recorded executions word it: an input that is not an object or array
 * gives `Unable to apply ReferencePath $.x to input "text"` (the input as JSON), a field step on an
 * array or on a scalar inside the input gives `Unable to apply step "x" to input {…}` (the state's
 * whole input as JSON). An index step that cannot be written has no recorded wording (ours).
 */
export const writePath = (path: string, data: Json, value: Json): Json => {
  const c = compilePath(path);
  if (c.root !== '$' || !c.segs.every((s) => s.k === 'name' || s.k === 'index')) {
    throw StatesError.bare(ERR.ReferencePathConflict, `Invalid ResultPath ${path}`);
  }
  if (c.segs.length === 0) return value;
  const rootCopy: Json = isObject(data) ? { ...data } : Array.isArray(data) ? [...data] : data;
  if (!isObject(rootCopy) && !Array.isArray(rootCopy)) {
    throw StatesError.bare(
      ERR.ReferencePathConflict,
      `Unable to apply ReferencePath ${path} to input ${JSON.stringify(data)}`,
    );
  }
  let cur: Json = rootCopy;
  for (let i = 0; i < c.segs.length; i++) {
    const s: Seg = c.segs[i]!;
    const last = i === c.segs.length - 1;
    if (s.k === 'name' && isObject(cur)) {
      if (last) setOwn(cur, s.name, value);
      else {
        const nxt: Json | undefined = cur[s.name];
        if (nxt !== undefined && !isObject(nxt) && !Array.isArray(nxt))
          throw conflict(c.segs[i + 1]!, path, data);
        const copy: Json = isObject(nxt) ? { ...nxt } : Array.isArray(nxt) ? [...nxt] : {};
        setOwn(cur, s.name, copy);
        cur = copy;
      }
    } else if (s.k === 'index' && Array.isArray(cur) && s.i >= -cur.length && s.i < cur.length) {
      // an existing element only (negative counts from the end, as when reading)
      const idx: number = s.i < 0 ? cur.length + s.i : s.i;
      if (last) cur[idx] = value;
      else {
        const nxt: Json = cur[idx]!;
        if (!isObject(nxt) && !Array.isArray(nxt)) throw conflict(c.segs[i + 1]!, path, data);
        const copy: Json = isObject(nxt) ? { ...nxt } : [...nxt];
        cur[idx] = copy;
        cur = copy;
      }
    } else {
      throw conflict(s, path, data);
    }
  }
  return rootCopy;
};
