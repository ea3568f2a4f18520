import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { ERR, StatesError } from './errors.ts';
import { HASH_ALGORITHMS } from './intrinsics.ts';
import type { Json, JsonObject } from './types.ts';
import { isObject } from './types.ts';

const EXPR_RE = /^\{%(.*)%\}$/s;
export const isJsonataExpr = (v: unknown): v is string => typeof v === 'string' && EXPR_RE.test(v);

type Compiled = ReturnType<typeof jsonata>;
const cache = new Map<string, Compiled>();

const fail = (msg: string): never => {
  throw new StatesError(ERR.QueryEvaluationError, msg);
};

const register = (e: Compiled) => {
  e.registerFunction(
    'partition',
    (arr: unknown, size: unknown) => {
      if (!Array.isArray(arr) || typeof size !== 'number' || size <= 0)
        fail('$partition expects (array, size)');
      const a = arr as unknown[];
      const out: unknown[][] = [];
      for (let i = 0; i < a.length; i += size as number) out.push(a.slice(i, i + (size as number)));
      return out;
    },
    '<an:a>',
  );
  e.registerFunction(
    'range',
    (start: number, end: number, step: number) => {
      if (!step) fail('$range step must be non-zero');
      const out: number[] = [];
      for (let x = start; step > 0 ? x <= end : x >= end; x += step) {
        out.push(x);
        if (out.length > 1000) fail('$range result exceeds 1000 items');
      }
      return out;
    },
    '<nnn:a>',
  );
  e.registerFunction(
    'hash',
    (data: unknown, alg: string) => {
      const algs = HASH_ALGORITHMS;
      const a = algs[alg];
      if (!a) return fail(`$hash: unsupported algorithm ${alg}`);
      return createHash(a)
        .update(typeof data === 'string' ? data : JSON.stringify(data))
        .digest('hex');
    },
    '<xs:s>',
  );
  e.registerFunction('random', (seed?: number) => {
    if (seed === undefined) return Math.random();
    let t = (seed + 0x6d2b79f5) >>> 0;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  });
  e.registerFunction('uuid', () => randomUUID(), '<:s>');
  e.registerFunction(
    'parse',
    (s: string) => {
      try {
        return JSON.parse(s) as unknown;
      } catch {
        return fail('$parse: invalid JSON string');
      }
    },
    '<s:x>',
  );
};

export const compileJsonata = (src: string): Compiled => {
  let c = cache.get(src);
  if (!c) {
    try {
      c = jsonata(src);
    } catch (e) {
      throw new StatesError(
        ERR.QueryEvaluationError,
        `Invalid JSONata expression '${src}': ${(e as Error).message}`,
      );
    }
    register(c);
    cache.set(src, c);
  }
  return c;
};

export const checkJsonata = (v: string): string | null => {
  const m = EXPR_RE.exec(v);
  if (!m) return 'not a {% %} expression';
  try {
    jsonata(m[1]!);
    return null;
  } catch (e) {
    return (e as Error).message;
  }
};

export interface JsonataScope {
  states: JsonObject;
  vars: Record<string, Json>;
}

const normalize = (v: unknown): Json | undefined => {
  if (v === undefined) return undefined;
  if (typeof v === 'function') return fail('JSONata expression returned a function');
  if (typeof v === 'number' && !Number.isFinite(v))
    return fail('JSONata expression returned a non-finite number');
  return JSON.parse(JSON.stringify(v)) as Json;
};

/** Evaluate one `{% expr %}` string. `field` names the location for error messages. */
export const evalExpr = async (src: string, scope: JsonataScope, field: string): Promise<Json> => {
  const m = EXPR_RE.exec(src);
  const expr = compileJsonata(m ? m[1]! : src);
  let r: unknown;
  try {
    r = await expr.evaluate({}, { ...scope.vars, states: scope.states });
  } catch (e) {
    if (e instanceof StatesError) throw e;
    const err = e as { message?: string; code?: string };
    throw new StatesError(
      ERR.QueryEvaluationError,
      `An error occurred while evaluating the field '${field}': ${err.message ?? String(e)}`,
    );
  }
  const out = normalize(r);
  if (out === undefined) {
    throw new StatesError(
      ERR.QueryEvaluationError,
      `The JSONata expression '${src}' specified for the field '${field}' returned nothing (undefined).`,
    );
  }
  return out;
};

/** Evaluate a JSONata template value: nested objects/arrays whose strings may be `{% %}` expressions. */
export const evalJsonataTemplate = async (
  tpl: unknown,
  scope: JsonataScope,
  field: string,
): Promise<Json> => {
  if (typeof tpl === 'string') return isJsonataExpr(tpl) ? evalExpr(tpl, scope, field) : tpl;
  if (Array.isArray(tpl)) {
    const out: Json[] = [];
    for (let i = 0; i < tpl.length; i++) out.push(await evalJsonataTemplate(tpl[i], scope, `${field}[${i}]`));
    return out;
  }
  if (isObject(tpl as Json)) {
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(tpl as JsonObject))
      out[k] = await evalJsonataTemplate(v, scope, `${field}.${k}`);
    return out;
  }
  return tpl as Json;
};

/** A JSONata `Assign` block: an object whose values may be `{% %}` expressions. */
export const evalJsonataAssign = async (
  tpl: unknown,
  scope: JsonataScope,
): Promise<JsonObject | undefined> => {
  if (tpl === undefined) return undefined;
  const v = await evalJsonataTemplate(tpl, scope, 'Assign');
  return isObject(v) ? v : {};
};
