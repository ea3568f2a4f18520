import { ERR, StatesError } from './errors.ts';
import { evalIntrinsic, isIntrinsic } from './intrinsics.ts';
import { PathMissing, readPath } from './jsonpath.ts';
import type { Json, JsonObject } from './types.ts';
import { isObject } from './types.ts';

/** What a JSONPath expression can see: `$` (data), `$$` (context) and `$name` (variables). */
export interface Scope {
  data: Json;
  ctx: Json;
  vars: Record<string, Json>;
}

const VAR_RE = /^\$([A-Za-z_][A-Za-z0-9_]*)(.*)$/s;

/** A path classified once: context (`$$`), variable (`$name...`) or data (`$...`). */
type Resolver =
  | { k: 'ctx'; p: string }
  | { k: 'var'; p: string; name: string; rest: string }
  | { k: 'data'; p: string };
const resolvers = new Map<string, Resolver>();

const resolverOf = (path: string): Resolver => {
  let r = resolvers.get(path);
  if (r) return r;
  const p = path.trim();
  const m = VAR_RE.exec(p);
  if (p.startsWith('$$')) r = { k: 'ctx', p };
  else if (m && p[1] !== '.' && p[1] !== '[') r = { k: 'var', p, name: m[1]!, rest: `$${m[2]}` };
  else r = { k: 'data', p };
  if (resolvers.size > 50_000) resolvers.clear();
  resolvers.set(path, r);
  return r;
};

/** Read a path that may be `$...`, `$$...` or a variable reference `$var.a.b`. Throws PathMissing. */
export const resolvePath = (path: string, scope: Scope): Json => {
  const r = resolverOf(path);
  if (r.k === 'ctx') return readPath(r.p, scope.data, scope.ctx);
  if (r.k === 'var') {
    if (!Object.hasOwn(scope.vars, r.name)) throw new PathMissing(r.p);
    return readPath(r.rest, scope.vars[r.name]!);
  }
  return readPath(r.p, scope.data);
};

export const isVariablePath = (p: string): boolean => VAR_RE.test(p.trim()) && !/^\$[.[]/.test(p.trim());

/** Evaluate a string value of a `.$` field: an intrinsic function or a path. */
const intrinsicCache = new Map<string, boolean>();
const isIntrinsicCached = (expr: string): boolean => {
  let v = intrinsicCache.get(expr);
  if (v === undefined) {
    v = isIntrinsic(expr);
    if (intrinsicCache.size > 50_000) intrinsicCache.clear();
    intrinsicCache.set(expr, v);
  }
  return v;
};

export const evalDynamic = (expr: string, scope: Scope, field: string, errName: string): Json => {
  if (isIntrinsicCached(expr)) {
    try {
      return evalIntrinsic(expr, (p) => resolvePath(p, scope));
    } catch (e) {
      if (e instanceof PathMissing) {
        throw new StatesError(
          ERR.Runtime,
          `The function '${expr}' had the following error: The JsonPath argument for the field '${e.path}' could not be found in the input '${JSON.stringify(scope.data)}'`,
        );
      }
      throw e;
    }
  }
  // a path into the state's input when that input is null (AWS-recorded wording, with the state
  // prefix: a Task's `"Input.$": "$"` after a state that output null)
  if (scope.data === null && resolverOf(expr).k === 'data') {
    throw new StatesError(ERR.Runtime, 'Unable to apply Path transformation to null or empty input.');
  }
  try {
    return resolvePath(expr, scope);
  } catch (e) {
    if (e instanceof PathMissing) {
      throw new StatesError(
        errName,
        `The JSONPath '${e.path}' specified for the field '${field}' could not be found in the input '${JSON.stringify(scope.data)}'`,
      );
    }
    throw e;
  }
};

/**
 * A payload template object, analysed once (definitions are immutable and shared): for each key, in
 * order, the output key and either the dynamic expression (`key.$`) or the nested template.
 */
type TplEntry = { out: string; key: string; expr?: string; sub?: unknown };
const compiledTemplates = new WeakMap<object, TplEntry[]>();

const templateEntries = (tpl: JsonObject): TplEntry[] => {
  let entries = compiledTemplates.get(tpl);
  if (entries) return entries;
  entries = [];
  for (const [k, v] of Object.entries(tpl)) {
    if (k.endsWith('.$') && typeof v === 'string') entries.push({ out: k.slice(0, -2), key: k, expr: v });
    else entries.push({ out: k, key: k, sub: v });
  }
  compiledTemplates.set(tpl, entries);
  return entries;
};

/** Parameters / ResultSelector / ItemSelector / Assign (JSONPath) payload templates. */
export const evalTemplate = (tpl: unknown, scope: Scope, errName: string = ERR.Runtime): Json => {
  if (Array.isArray(tpl)) return tpl.map((x) => evalTemplate(x, scope, errName));
  if (!isObject(tpl as Json)) return tpl as Json;
  const out: JsonObject = {};
  for (const e of templateEntries(tpl as JsonObject)) {
    out[e.out] =
      e.expr !== undefined ? evalDynamic(e.expr, scope, e.key, errName) : evalTemplate(e.sub, scope, errName);
  }
  return out;
};

/** A path in the normalized form AWS's JSONPath library reports it: `$['a'][0]['b']`. */
export const normalizedPath = (path: string): string => {
  let out = '$';
  const re =
    /\.([A-Za-z_$][\w$-]*)|\[\s*(-?\d+)\s*\]|\[\s*'((?:[^'\\]|\\.)*)'\s*\]|\[\s*"((?:[^"\\]|\\.)*)"\s*\]/gy;
  re.lastIndex = path.startsWith('$') ? 1 : 0;
  for (let m = re.exec(path); m; m = re.exec(path)) {
    if (m[1] !== undefined) out += `['${m[1]}']`;
    else if (m[2] !== undefined) out += `[${m[2]}]`;
    else out += `['${m[3] ?? m[4]}']`;
    if (re.lastIndex >= path.length) break;
  }
  return out;
};

/**
 * InputPath / OutputPath / ItemsPath / other reference paths: null means {}; a path that matches
 * nothing is States.Runtime, worded as AWS words it:
 * `Invalid path '$.a' : No results for path: $['a']`.
 */
export const applyPath = (path: unknown, data: Json, scope: Scope, _field: string): Json => {
  if (path === undefined) return data;
  if (path === null) return {};
  try {
    return resolvePath(path as string, {
      data,
      vars: scope.vars,
      get ctx() {
        return scope.ctx;
      },
    });
  } catch (e) {
    if (e instanceof PathMissing) {
      throw new StatesError(
        ERR.Runtime,
        `Invalid path '${path}' : No results for path: ${normalizedPath(String(path))}`,
      );
    }
    throw e;
  }
};

/** A JSONPath `Assign` block: an object template whose `.$` fields are read in `scope`. */
export const evalAssign = (tpl: unknown, scope: Scope): JsonObject | undefined => {
  if (tpl === undefined) return undefined;
  const v = evalTemplate(tpl, scope, ERR.Runtime);
  return isObject(v) ? v : {};
};
