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

/** Read a path that may be `$...`, `$$...` or a variable reference `$var.a.b`. Throws PathMissing. */
export const resolvePath = (path: string, scope: Scope): Json => {
  const p = path.trim();
  if (p.startsWith('$$')) return readPath(p, scope.data, scope.ctx);
  const m = VAR_RE.exec(p);
  if (m && p[1] !== '.' && p[1] !== '[') {
    const name = m[1]!;
    if (!Object.hasOwn(scope.vars, name)) throw new PathMissing(p);
    return readPath(`$${m[2]}`, scope.vars[name]!);
  }
  return readPath(p, scope.data);
};

export const isVariablePath = (p: string): boolean => VAR_RE.test(p.trim()) && !/^\$[.[]/.test(p.trim());

/** Evaluate a string value of a `.$` field: an intrinsic function or a path. */
export const evalDynamic = (expr: string, scope: Scope, field: string, errName: string): Json => {
  try {
    if (isIntrinsic(expr)) {
      return evalIntrinsic(expr, (p) => resolvePath(p, scope));
    }
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

/** Parameters / ResultSelector / ItemSelector / Assign (JSONPath) payload templates. */
export const evalTemplate = (
  tpl: unknown,
  scope: Scope,
  errName: string = ERR.ParameterPathFailure,
): Json => {
  if (Array.isArray(tpl)) return tpl.map((x) => evalTemplate(x, scope, errName));
  if (!isObject(tpl as Json)) return tpl as Json;
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(tpl as JsonObject)) {
    if (k.endsWith('.$') && typeof v === 'string') {
      out[k.slice(0, -2)] = evalDynamic(v, scope, k, errName);
    } else {
      out[k] = evalTemplate(v, scope, errName);
    }
  }
  return out;
};

/** InputPath / OutputPath: null means {}; a missing path is States.Runtime. */
export const applyPath = (path: unknown, data: Json, scope: Scope, field: string): Json => {
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
        `An error occurred while executing the state. Invalid path '${e.path}' : The ${field} '${path}' could not be found in the input '${JSON.stringify(data)}'`,
      );
    }
    throw e;
  }
};
