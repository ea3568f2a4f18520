import { createHash, randomUUID } from 'node:crypto';
import jsonata from 'jsonata';
import { ERR, StatesError } from './errors.ts';
import { HASH_ALGORITHMS } from './intrinsics.ts';
import type { Json, JsonObject } from './types.ts';
import { isObject } from './types.ts';

const EXPR_RE = /^\{%(.*)%\}$/s;
export const isJsonataExpr = (v: unknown): v is string => typeof v === 'string' && EXPR_RE.test(v);

/** The expression inside `{% … %}`, trimmed, as AWS quotes it in causes. */
export const expressionText = (src: string): string => {
  const m = EXPR_RE.exec(src);
  return (m ? m[1]! : src).trim();
};

/** A value's type as JSONata's `$type` names it (`array`, `object`, `string`, `null`, …). */
export const jsonataTypeOf = (v: Json | undefined): string =>
  v === undefined ? 'undefined' : v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;

type Compiled = ReturnType<typeof jsonata>;
const cache = new Map<string, Compiled>();

/** A result JSON cannot hold (a function): AWS names it an unsupported result type. */
class UnsupportedResult extends Error {}

const fail = (msg: string): never => {
  throw new StatesError(ERR.QueryEvaluationError, msg);
};

/** Step Functions rounds non-integer arguments of its functions towards zero. */
const trunc = (n: number): number => Math.trunc(n);

/**
 * The functions Step Functions adds to JSONata. Arguments that make no sense (a chunk size of zero, a
 * `$range` step of zero or of the wrong sign, too few arguments) give undefined rather than an
 * error: the field that holds the expression then fails with "returned nothing (undefined)".
 */
const register = (e: Compiled) => {
  e.registerFunction(
    'partition',
    (arr: unknown, size: unknown) => {
      if (!Array.isArray(arr) || typeof size !== 'number') return undefined;
      const n = trunc(size);
      if (n <= 0 || arr.length === 0) return undefined;
      const out: unknown[][] = [];
      for (let i = 0; i < arr.length; i += n) out.push(arr.slice(i, i + n));
      return out;
    },
    '<an?:x>',
  );
  e.registerFunction(
    'range',
    (start?: number, end?: number, step?: number) => {
      if (start === undefined || end === undefined || step === undefined) return undefined;
      const [a, b, s] = [trunc(start), trunc(end), trunc(step)];
      if (s === 0 || (s > 0 && a > b) || (s < 0 && a < b)) return undefined;
      const count = Math.floor(Math.abs(b - a) / Math.abs(s)) + 1;
      if (count > 360_145) fail('Expression evaluation memory limit exceeded');
      // a single value is a value, not a one-element array (JSONata sequence semantics)
      if (count === 1) return a;
      const out: number[] = new Array(count);
      for (let i = 0; i < count; i++) out[i] = a + i * s;
      return out;
    },
    '<n?n?n?:x>',
  );
  e.registerFunction(
    'hash',
    (data: unknown, alg?: string) => {
      if (alg === undefined) return undefined;
      const a = HASH_ALGORITHMS[alg];
      if (!a) return fail(`$hash: unsupported algorithm ${alg}`);
      return createHash(a)
        .update(typeof data === 'string' ? data : JSON.stringify(data))
        .digest('hex');
    },
    '<xs?:s>',
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
    if (cache.size > 10_000) cache.clear();
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

/**
 * A JSONata result as JSON. Non-finite numbers are written as the strings JavaScript names them
 * (`"Infinity"`, `"NaN"`), as AWS does; functions cannot be a result. Data with cycles (a JSONata
 * object that refers to itself) is not JSON: the evaluation fails.
 */
/** A JSONata function value (a lambda `function($x){…}` or a native function like `$sum`). */
const isJsonataFunction = (v: unknown): boolean =>
  typeof v === 'function' ||
  (typeof v === 'object' &&
    v !== null &&
    ((v as { _jsonata_lambda?: unknown })._jsonata_lambda === true ||
      (v as { _jsonata_function?: unknown })._jsonata_function === true));

const normalize = (v: unknown): Json | undefined => {
  if (v === undefined) return undefined;
  if (isJsonataFunction(v)) throw new UnsupportedResult();
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  try {
    return JSON.parse(
      JSON.stringify(v, (_k, x: unknown) => (typeof x === 'number' && !Number.isFinite(x) ? String(x) : x)),
    ) as Json;
  } catch (e) {
    return fail(`JSONata expression returned a value that is not JSON: ${(e as Error).message}`);
  }
};

/**
 * Evaluate one `{% expr %}` string. `field` is the location AWS names (`Output`, `Output/a/b[0]`,
 * `Arguments/MessageBody`, `Items`, …): in causes and in EvaluationFailed events.
 */
export const evalExpr = async (src: string, scope: JsonataScope, field: string): Promise<Json> => {
  const text = expressionText(src);
  const expr = compileJsonata(text);
  let r: unknown;
  try {
    r = await expr.evaluate({}, { ...scope.vars, states: scope.states });
  } catch (e) {
    const err = e as { message?: string; code?: string };
    const detail = e instanceof StatesError ? (e.cause ?? '') : (err.message ?? String(e));
    throw new StatesError(
      ERR.QueryEvaluationError,
      `The JSONata expression '${text}' specified for the field '${field}' threw an error during evaluation. ${err.code ? `${err.code}: ` : ''}${detail}`,
      field,
    );
  }
  let out: Json | undefined;
  try {
    out = normalize(r);
  } catch (e) {
    // recorded (AWS-validated, test_map_state_items_eval_jsonata_fail[function]): a function result
    if (e instanceof UnsupportedResult)
      throw new StatesError(
        ERR.QueryEvaluationError,
        `The JSONata expression '${text}' specified for the field '${field}' returned an unsupported result type.`,
        field,
      );
    if (e instanceof StatesError) e.location = field;
    throw e;
  }
  if (out === undefined) {
    throw new StatesError(
      ERR.QueryEvaluationError,
      `The JSONata expression '${text}' specified for the field '${field}' returned nothing (undefined).`,
      field,
    );
  }
  return out;
};

/**
 * Evaluate a JSONata template value: nested objects/arrays whose strings may be `{% %}` expressions.
 * Locations name object keys after `/` and array elements as `[i]`: `Output/a/b[0]`.
 */
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
      out[k] = await evalJsonataTemplate(v, scope, `${field}/${k}`);
    return out;
  }
  return tpl as Json;
};

/** A JSONata `Assign` block: an object whose values may be `{% %}` expressions. */
export const evalJsonataAssign = async (
  tpl: unknown,
  scope: JsonataScope,
  field = 'Assign',
): Promise<JsonObject | undefined> => {
  if (tpl === undefined) return undefined;
  const v = await evalJsonataTemplate(tpl, scope, field);
  return isObject(v) ? v : {};
};
