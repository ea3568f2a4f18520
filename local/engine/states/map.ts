/** Map: runs its ItemProcessor once per item (ItemsPath / Items), up to MaxConcurrency at a time. */
import type { MapState } from '../asl.ts';
import { failureThreshold, startMap } from '../branches.ts';
import type { Core, Exec } from '../core.ts';
import { ERR, StatesError } from '../errors.ts';
import type { JsonataScope } from '../jsonata.ts';
import { evalExpr, evalJsonataTemplate, expressionText, isJsonataExpr, jsonataTypeOf } from '../jsonata.ts';
import type { Frame } from '../model.ts';
import type { Scope } from '../payload.ts';
import { applyPath, evalTemplate } from '../payload.ts';
import type { Json } from '../types.ts';
import type { StateRunner } from './common.ts';

/** A value as AWS quotes it in a cause: strings as they are, anything else as JSON. */
const shown = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

/**
 * An integer field of a Map given as a number or read by `<field>Path` (JSONPath). AWS's wording:
 * `The MaxConcurrencyPath field refers to value "x" which is not a valid integer: $.path`.
 */
const integerPath = (
  value: unknown,
  path: string | undefined,
  field: string,
  scope: Scope,
  max?: number,
): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof path !== 'string') return undefined;
  const v = applyPath(path, scope.data, scope, `${field}Path`);
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new StatesError(
      ERR.Runtime,
      `The ${field}Path field refers to value "${shown(v)}" which is not a valid integer: ${path}`,
    );
  }
  if (v < 0 || (max !== undefined && v > max)) {
    throw new StatesError(ERR.Runtime, `Expected non-negative integer for ${field}, got '${v}' instead.`);
  }
  return v;
};

/** An integer field of a JSONata Map: a number or an expression. */
const integerExpr = async (
  v: unknown,
  s: JsonataScope,
  field: string,
  max?: number,
): Promise<number | undefined> => {
  if (v === undefined) return undefined;
  const n = isJsonataExpr(v) ? await evalExpr(v, s, field) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || (max !== undefined && n > max)) {
    const expr = typeof v === 'string' ? expressionText(v) : JSON.stringify(v);
    throw new StatesError(
      ERR.QueryEvaluationError,
      `The JSONata expression '${expr}' specified for the field '${field}' returned an unexpected result type. Expected 'integer', but was '${jsonataTypeOf(n as Json)}' for value: ${JSON.stringify(n)}`,
      field,
    );
  }
  return n;
};

export const map: StateRunner<MapState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const s = c.scope(exec, frame, eff);
    let items: Json = eff;
    if (st.ItemsPath !== undefined) items = applyPath(st.ItemsPath, eff, s, 'ItemsPath');
    if (!Array.isArray(items)) {
      throw new StatesError(
        ERR.Runtime,
        `Map state input must be an array but was: ${jsonataTypeOf(items)} (${st.ItemsPath ?? '$'} == ${JSON.stringify(items)})`,
      );
    }
    const max = integerPath(st.MaxConcurrency, st.MaxConcurrencyPath, 'MaxConcurrency', s);
    const count = integerPath(
      st.ToleratedFailureCount,
      st.ToleratedFailureCountPath,
      'ToleratedFailureCount',
      s,
    );
    const pct = integerPath(
      st.ToleratedFailurePercentage,
      st.ToleratedFailurePercentagePath,
      'ToleratedFailurePercentage',
      s,
      100,
    );
    return startMap(c, tx, frame, st, items, eff, {
      tolerated: failureThreshold(count, pct, items.length),
      max,
      count,
      pct,
    });
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const items = st.Items !== undefined ? await evalJsonataTemplate(st.Items, s, 'Items') : frame.input;
    if (!Array.isArray(items)) {
      const expr = typeof st.Items === 'string' ? expressionText(st.Items) : JSON.stringify(st.Items);
      throw new StatesError(
        ERR.QueryEvaluationError,
        `The JSONata expression '${expr}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonataTypeOf(items)}' for value: ${JSON.stringify(items)}`,
        'Items',
      );
    }
    const max = await integerExpr(st.MaxConcurrency, s, 'MaxConcurrency');
    const count = await integerExpr(st.ToleratedFailureCount, s, 'ToleratedFailureCount');
    const pct = await integerExpr(st.ToleratedFailurePercentage, s, 'ToleratedFailurePercentage', 100);
    await startMap(c, tx, frame, st, items, frame.input, {
      tolerated: failureThreshold(count, pct, items.length),
      max,
      count,
      pct,
    });
  },
};

/**
 * The ItemSelector (or legacy Parameters) of a Map state as a function of the iteration's probe frame
 * (`$$.Map.Item` / `$states.context.Map.Item`); undefined when items pass as they are.
 */
export const itemSelector = (
  c: Core,
  exec: Exec,
  st: MapState,
  input: Json,
): ((probe: Frame) => Json | Promise<Json>) | undefined => {
  const selector = st.selector;
  if (selector === undefined) return undefined;
  if (st.lang === 'JSONata')
    return (probe) => evalJsonataTemplate(selector, c.jscope(exec, probe), 'ItemSelector');
  return (probe) => evalTemplate(selector, c.scope(exec, probe, input));
};
