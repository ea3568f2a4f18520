import { createHash, randomUUID } from 'node:crypto';
import { ERR, StatesError } from './errors.ts';
import type { Json } from './types.ts';
import { deepEqual, isObject } from './types.ts';

/** States.Hash / $hash algorithm names → node:crypto names. */
export const HASH_ALGORITHMS: Readonly<Record<string, string>> = {
  MD5: 'md5',
  'SHA-1': 'sha1',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
};

/**
 * Parsed intrinsic argument. A string literal keeps, besides its value, its pieces around the
 * unescaped `{}` placeholders (what States.Format fills in): `\\{` is a brace, not a placeholder.
 */
type Arg =
  | { k: 'lit'; v: Json; pieces?: string[] }
  | { k: 'path'; p: string }
  | { k: 'call'; fn: string; args: Arg[] };

const cache = new Map<string, Arg>();
const CACHE_MAX = 10_000;

export const FUNCTIONS = [
  'States.Format',
  'States.StringToJson',
  'States.JsonToString',
  'States.Array',
  'States.ArrayPartition',
  'States.ArrayContains',
  'States.ArrayRange',
  'States.ArrayGetItem',
  'States.ArrayLength',
  'States.ArrayUnique',
  'States.Base64Encode',
  'States.Base64Decode',
  'States.Hash',
  'States.JsonMerge',
  'States.MathRandom',
  'States.MathAdd',
  'States.StringSplit',
  'States.UUID',
] as const;

export const isIntrinsic = (s: string): boolean => /^\s*States\.[A-Za-z0-9]+\s*\(/.test(s);

class Parser {
  i = 0;
  constructor(readonly s: string) {}
  ws() {
    while (this.i < this.s.length && /\s/.test(this.s[this.i]!)) this.i++;
  }
  fail(msg: string): never {
    throw new StatesError(ERR.IntrinsicFailure, `${msg} at position ${this.i} in ${this.s}`);
  }
  call(): Arg {
    this.ws();
    const m = /^States\.[A-Za-z0-9]+/.exec(this.s.slice(this.i));
    if (!m) this.fail('expected intrinsic function');
    const fn = m[0];
    if (!(FUNCTIONS as readonly string[]).includes(fn)) this.fail(`unknown intrinsic function ${fn}`);
    this.i += fn.length;
    this.ws();
    if (this.s[this.i] !== '(') this.fail('expected (');
    this.i++;
    const args: Arg[] = [];
    this.ws();
    if (this.s[this.i] === ')') {
      this.i++;
      return { k: 'call', fn, args };
    }
    for (;;) {
      args.push(this.arg());
      this.ws();
      const c = this.s[this.i];
      if (c === ',') {
        this.i++;
        continue;
      }
      if (c === ')') {
        this.i++;
        return { k: 'call', fn, args };
      }
      this.fail('expected , or )');
    }
  }
  arg(): Arg {
    this.ws();
    const rest = this.s.slice(this.i);
    const c = rest[0];
    if (c === "'") {
      // escapes: \' \{ \} \\ (anything else after a backslash is an error, as in AWS)
      const pieces: string[] = [];
      let cur = '';
      let j = this.i + 1;
      for (; j < this.s.length; j++) {
        const ch = this.s[j]!;
        if (ch === '\\') {
          const nx = this.s[j + 1];
          if (nx !== "'" && nx !== '{' && nx !== '}' && nx !== '\\') {
            this.i = j;
            this.fail("invalid escape sequence (only \\' \\{ \\} \\\\ are allowed)");
          }
          cur += nx;
          j++;
        } else if (ch === "'") break;
        else if (ch === '{' && this.s[j + 1] === '}') {
          pieces.push(cur);
          cur = '';
          j++;
        } else cur += ch;
      }
      if (j >= this.s.length) this.fail('unterminated string');
      pieces.push(cur);
      this.i = j + 1;
      return { k: 'lit', v: pieces.join('{}'), ...(pieces.length > 1 ? { pieces } : {}) };
    }
    if (rest.startsWith('States.')) return this.call();
    if (c === '$') {
      // path: read until a top-level , or )
      let depth = 0;
      let q: string | null = null;
      let j = this.i;
      for (; j < this.s.length; j++) {
        const ch = this.s[j]!;
        if (q) {
          if (ch === '\\') j++;
          else if (ch === q) q = null;
          continue;
        }
        if (ch === "'" || ch === '"') q = ch;
        else if (ch === '[' || ch === '(') depth++;
        else if ((ch === ']' || ch === ')') && depth > 0) depth--;
        else if (depth === 0 && (ch === ',' || ch === ')')) break;
      }
      const p = this.s.slice(this.i, j).trim();
      this.i = j;
      return { k: 'path', p };
    }
    const m = /^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null)/.exec(rest);
    if (!m) this.fail('bad argument');
    this.i += m[0].length;
    return { k: 'lit', v: JSON.parse(m[0]) as Json };
  }
}

export const parseIntrinsic = (s: string): Arg => {
  const hit = cache.get(s);
  if (hit) return hit;
  const p = new Parser(s);
  const r = p.call();
  p.ws();
  if (p.i !== s.length) p.fail('trailing characters');
  if (cache.size > CACHE_MAX) cache.clear();
  cache.set(s, r);
  return r;
};

const fail = (fn: string, msg: string): never => {
  throw new StatesError(ERR.IntrinsicFailure, `Invalid arguments in ${fn}: ${msg}`);
};

const MAX = 10000;

const typeName = (v: Json) => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);

const need = (fn: string, args: Json[], n: number | [number, number]) => {
  const [lo, hi] = typeof n === 'number' ? [n, n] : n;
  if (args.length < lo || args.length > hi) fail(fn, `expected ${lo === hi ? lo : `${lo}-${hi}`} arguments`);
};

const isInt = (v: Json): v is number => typeof v === 'number' && Number.isInteger(v);

const seeded = (seed: number) => {
  // mulberry32
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
};

/** States.Format: the template's pieces (split at its placeholders) joined by the values. */
export const formatPieces = (fn: string, pieces: readonly string[], values: Json[]): string => {
  if (values.length !== pieces.length - 1) {
    fail(fn, `the template has ${pieces.length - 1} placeholders but ${values.length} values were given`);
  }
  let out = pieces[0]!;
  for (let k = 0; k < values.length; k++) out += formatValue(values[k]!) + pieces[k + 1]!;
  return out;
};

/**
 * A States.Format value as AWS writes it: strings as they are, numbers and booleans as JSON, and
 * objects and arrays the way Java prints its maps and lists — `{Arg1=1, Arg2=[]}`, `[1, x]` —
 * with nested strings unquoted (recorded: LocalStack's AWS-validated snapshot test_generic
 * test_format_2, `{"Arg1": 1, "Arg2": []}` → `{Arg1=1, Arg2=[]}`; `$$.StateMachine` →
 * `{Id=arn:…, Name=…}`).
 */
export const formatValue = (v: Json): string => {
  if (v === null) return 'null';
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (typeof v === 'object')
    return `{${Object.entries(v)
      .map(([k, x]) => `${k}=${formatValue(x)}`)
      .join(', ')}}`;
  return String(v);
};

export const callIntrinsic = (fn: string, a: Json[]): Json => {
  switch (fn) {
    case 'States.Format': {
      // a template value (read from a path) has no escapes: every {} is a placeholder
      if (a.length < 1 || typeof a[0] !== 'string') fail(fn, 'first argument must be a string');
      return formatPieces(fn, (a[0] as string).split('{}'), a.slice(1));
    }
    case 'States.StringToJson': {
      need(fn, a, 1);
      if (typeof a[0] !== 'string') fail(fn, 'expected a string');
      // AWS: the empty string is null
      if ((a[0] as string).trim() === '') return null;
      try {
        return JSON.parse(a[0] as string) as Json;
      } catch {
        return fail(fn, 'string is not valid JSON');
      }
    }
    case 'States.JsonToString':
      need(fn, a, 1);
      return JSON.stringify(a[0]);
    case 'States.Array':
      return a;
    case 'States.ArrayPartition': {
      need(fn, a, 2);
      const [arr, size] = a;
      if (!Array.isArray(arr) || !isInt(size!) || size <= 0) fail(fn, 'expected (array, positive integer)');
      const out: Json[] = [];
      for (let i = 0; i < (arr as Json[]).length; i += size as number)
        out.push((arr as Json[]).slice(i, i + (size as number)));
      return out;
    }
    case 'States.ArrayContains': {
      need(fn, a, 2);
      if (!Array.isArray(a[0])) fail(fn, 'first argument must be an array');
      return (a[0] as Json[]).some((x) => deepEqual(x, a[1]));
    }
    case 'States.ArrayRange': {
      need(fn, a, 3);
      const [s, e, st] = a;
      if (!isInt(s!) || !isInt(e!) || !isInt(st!) || st === 0)
        fail(fn, 'expected integers and a non-zero step');
      const out: number[] = [];
      const S = s as number;
      const E = e as number;
      const T = st as number;
      for (let x = S; T > 0 ? x <= E : x >= E; x += T) {
        out.push(x);
        if (out.length > 1000) fail(fn, 'result exceeds 1000 items');
      }
      return out;
    }
    case 'States.ArrayGetItem': {
      need(fn, a, 2);
      const [arr, i] = a;
      if (!Array.isArray(arr) || !isInt(i!) || i < 0) fail(fn, 'expected (array, non-negative integer)');
      const v = (arr as Json[])[i as number];
      if (v === undefined) fail(fn, 'index out of bounds');
      return v as Json;
    }
    case 'States.ArrayLength':
      need(fn, a, 1);
      if (!Array.isArray(a[0])) fail(fn, 'expected an array');
      return (a[0] as Json[]).length;
    case 'States.ArrayUnique': {
      need(fn, a, 1);
      if (!Array.isArray(a[0])) fail(fn, 'expected an array');
      const out: Json[] = [];
      for (const x of a[0] as Json[]) if (!out.some((y) => deepEqual(x, y))) out.push(x);
      return out;
    }
    case 'States.Base64Encode':
      need(fn, a, 1);
      if (typeof a[0] !== 'string' || a[0].length > MAX)
        fail(fn, 'expected a string of at most 10000 characters');
      return Buffer.from(a[0] as string, 'utf8').toString('base64');
    case 'States.Base64Decode':
      need(fn, a, 1);
      if (typeof a[0] !== 'string' || a[0].length > MAX)
        fail(fn, 'expected a string of at most 10000 characters');
      return Buffer.from(a[0] as string, 'base64').toString('utf8');
    case 'States.Hash': {
      need(fn, a, 2);
      const [data, alg] = a;
      const algs = HASH_ALGORITHMS;
      if (typeof alg !== 'string' || !algs[alg]) fail(fn, `unsupported algorithm ${String(alg)}`);
      if (data === null || data === undefined) fail(fn, 'data must not be null');
      const str = typeof data === 'string' ? data : JSON.stringify(data);
      if (str.length > MAX) fail(fn, 'data exceeds 10000 characters');
      return createHash(algs[alg as string]!)
        .update(str)
        .digest('hex');
    }
    case 'States.JsonMerge': {
      need(fn, a, 3);
      const [x, y, deep] = a;
      if (!isObject(x) || !isObject(y)) fail(fn, 'expected two JSON objects');
      if (deep !== false) fail(fn, 'deep merge is not supported; the third argument must be false');
      return { ...(x as object), ...(y as object) } as Json;
    }
    case 'States.MathRandom': {
      need(fn, a, [2, 3]);
      const [s0, e0, seed] = a;
      if (typeof s0 !== 'number' || typeof e0 !== 'number') fail(fn, 'expected numbers start < end');
      // AWS rounds non-integer start/end values to the nearest integer
      const s = Math.round(s0 as number);
      const e = Math.round(e0 as number);
      if (s >= e) fail(fn, 'expected start < end');
      if (seed !== undefined && !isInt(seed)) fail(fn, 'seed must be an integer');
      const r = seed === undefined ? Math.random() : seeded(seed as number)();
      return s + Math.floor(r * (e - s));
    }
    case 'States.MathAdd': {
      need(fn, a, 2);
      const [x, y] = a;
      if (typeof x !== 'number' || typeof y !== 'number') fail(fn, 'expected two numbers');
      // AWS rounds non-integer arguments to the nearest integer (Java Math.round: half up)
      return Math.round(x as number) + Math.round(y as number) || 0;
    }
    case 'States.StringSplit': {
      need(fn, a, 2);
      const [s, d] = a;
      if (typeof s !== 'string' || typeof d !== 'string') fail(fn, 'expected two strings');
      const out: string[] = [];
      let cur = '';
      for (const ch of s as string) {
        if ((d as string).includes(ch)) {
          if (cur) out.push(cur);
          cur = '';
        } else cur += ch;
      }
      if (cur) out.push(cur);
      return out;
    }
    case 'States.UUID':
      need(fn, a, 0);
      return randomUUID();
  }
  return fail(fn, 'unknown function');
};

/** Evaluate an intrinsic-function string; `resolve` reads `$...`/`$$...`/`$var` paths. */
export const evalIntrinsic = (expr: string, resolve: (path: string) => Json): Json => {
  const run = (a: Arg): Json => {
    if (a.k === 'lit') return a.v;
    if (a.k === 'path') return resolve(a.p);
    const args = a.args.map(run);
    const tpl = a.args[0];
    if (a.fn === 'States.Format' && tpl?.k === 'lit' && typeof tpl.v === 'string') {
      // a literal template: its escaped braces are text, its unescaped {} placeholders
      return formatPieces(a.fn, tpl.pieces ?? [tpl.v], args.slice(1));
    }
    return callIntrinsic(a.fn, args);
  };
  return run(parseIntrinsic(expr));
};

export const checkIntrinsic = (expr: string): string | null => {
  try {
    parseIntrinsic(expr);
    return null;
  } catch (e) {
    return e instanceof StatesError ? (e.cause ?? e.error) : String(e);
  }
};

export const typeOf = typeName;
