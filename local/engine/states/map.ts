/** Map: runs its ItemProcessor once per item (ItemsPath / Items), up to MaxConcurrency at a time. */
import type { MapState } from '../asl.ts';
import { startMap } from '../branches.ts';
import type { Core, Exec } from '../core.ts';
import { ERR, StatesError } from '../errors.ts';
import type { JsonataScope } from '../jsonata.ts';
import { evalExpr, evalJsonataTemplate, expressionText, isJsonataExpr, jsonataTypeOf } from '../jsonata.ts';
import type { Frame } from '../model.ts';
import type { Scope } from '../payload.ts';
import { applyPath, evalTemplate } from '../payload.ts';
import type { Json } from '../types.ts';
import type { StateRunner } from './common.ts';
import { batchItems, batchLimitsJsonata, batchLimitsJsonPath, notAnInteger } from './item-batcher.ts';

/** A value as AWS quotes it in a cause: strings as they are, anything else as JSON. */
const shown = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

/** A digit string counts as its integer, as AWS reads these paths (`"3"` is 3). */
const asInteger = (v: Json): Json => (typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : v);

/**
 * MaxConcurrencyPath / ToleratedFailureCountPath (JSONPath): an integer. AWS's wording (recorded):
 * `The MaxConcurrencyPath field refers to value "x" which is not a valid integer: $.path`, then
 * `Expected non-negative integer for MaxConcurrency, got '-1' instead.` /
 * `ToleratedFailureCount cannot be negative.`
 */
const integerPath = (
  value: unknown,
  path: string | undefined,
  field: 'MaxConcurrency' | 'ToleratedFailureCount',
  scope: Scope,
): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof path !== 'string') return undefined;
  const v = asInteger(applyPath(path, scope.data, scope, `${field}Path`));
  if (typeof v !== 'number' || !Number.isInteger(v)) {
    throw new StatesError(
      ERR.Runtime,
      `The ${field}Path field refers to value "${shown(v)}" which is not a valid integer: ${path}`,
    );
  }
  if (v < 0) {
    throw new StatesError(
      ERR.Runtime,
      field === 'MaxConcurrency'
        ? `Expected non-negative integer for MaxConcurrency, got '${v}' instead.`
        : 'ToleratedFailureCount cannot be negative.',
    );
  }
  return v;
};

/**
 * ToleratedFailurePercentagePath (JSONPath): a number from 0 to 100, fractions allowed ("Map state":
 * ToleratedFailurePercentage is a number between zero and 100). AWS's wording (recorded):
 * `The ToleratedFailurePercentagePath field refers to value "x" which is not a valid float: $.path`,
 * `ToleratedFailurePercentage must be between 0 and 100.`
 */
const percentagePath = (value: unknown, path: string | undefined, scope: Scope): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof path !== 'string') return undefined;
  const v = asInteger(applyPath(path, scope.data, scope, 'ToleratedFailurePercentagePath'));
  if (typeof v !== 'number') {
    throw new StatesError(
      ERR.Runtime,
      `The ToleratedFailurePercentagePath field refers to value "${shown(v)}" which is not a valid float: ${path}`,
    );
  }
  if (v < 0 || v > 100)
    throw new StatesError(ERR.Runtime, 'ToleratedFailurePercentage must be between 0 and 100.');
  return v;
};

/** An integer field of a JSONata Map: a number or an expression. */
const integerExpr = async (
  v: unknown,
  s: JsonataScope,
  field: string,
  max?: number,
  fraction = false,
): Promise<number | undefined> => {
  if (v === undefined) return undefined;
  const n = isJsonataExpr(v) ? await evalExpr(v, s, field) : v;
  if (
    typeof n !== 'number' ||
    !(fraction || Number.isInteger(n)) ||
    n < 0 ||
    (max !== undefined && n > max)
  ) {
    throw notAnInteger(v, field, n);
  }
  return n;
};

export const map: StateRunner<MapState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const s = c.scope(exec, frame, eff);
    const max = integerPath(st.MaxConcurrency, st.MaxConcurrencyPath, 'MaxConcurrency', s);
    let items: Json = eff;
    if (st.ItemsPath !== undefined) items = applyPath(st.ItemsPath, eff, s, 'ItemsPath');
    if (!Array.isArray(items)) {
      throw new StatesError(
        ERR.Runtime,
        `Map state input must be an array but was: ${jsonataTypeOf(items)} (${st.ItemsPath ?? '$'} == ${JSON.stringify(items)})`,
      );
    }
    const batcher = batched(st);
    let runs: Json[] = items;
    if (batcher) {
      // each item goes through ItemSelector, then into its batch
      const limits = batchLimitsJsonPath(batcher, s);
      const select = selectorOf(c, tx.exec, st, eff);
      runs = batchItems(
        select ? items.map((v, i) => select({ ...frame, item: { index: i, value: v } }) as Json) : items,
        limits,
      );
    }
    // AWS reads the tolerance fields after MapStateStarted (recorded: a bad ToleratedFailure*Path
    // fails the execution after that event), MaxConcurrency before it.
    return startMap(
      c,
      tx,
      frame,
      st,
      runs,
      eff,
      max,
      () => ({
        count: integerPath(
          st.ToleratedFailureCount,
          st.ToleratedFailureCountPath,
          'ToleratedFailureCount',
          s,
        ),
        pct: percentagePath(st.ToleratedFailurePercentage, st.ToleratedFailurePercentagePath, s),
      }),
      items.length,
    );
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const max = await integerExpr(st.MaxConcurrency, s, 'MaxConcurrency');
    const items = st.Items !== undefined ? await evalJsonataTemplate(st.Items, s, 'Items') : frame.input;
    // recorded (AWS-validated, test_map_state_items_input_types): without Items the state input
    // itself must be an array; the EvaluationFailed event then names no location
    if (st.Items === undefined && !Array.isArray(items))
      throw new StatesError(
        ERR.QueryEvaluationError,
        `Map state input must be an array but was: ${JSON.stringify(items)}`,
      );
    if (!Array.isArray(items)) {
      const expr = typeof st.Items === 'string' ? expressionText(st.Items) : JSON.stringify(st.Items);
      throw new StatesError(
        ERR.QueryEvaluationError,
        `The JSONata expression '${expr}' specified for the field 'Items' returned an unexpected result type. Expected 'array', but was '${jsonataTypeOf(items)}' for value: ${JSON.stringify(items)}`,
        'Items',
      );
    }
    // evaluated now (asynchronous), thrown after MapStateStarted as in JSONPath
    const tolerance = await Promise.all([
      integerExpr(st.ToleratedFailureCount, s, 'ToleratedFailureCount'),
      integerExpr(st.ToleratedFailurePercentage, s, 'ToleratedFailurePercentage', 100, true),
    ]).then(
      ([count, pct]) =>
        () => ({ count, pct }),
      (e: unknown) => () => {
        throw e;
      },
    );
    const batcher = batched(st);
    let runs: Json[] = items;
    if (batcher) {
      const limits = await batchLimitsJsonata(batcher, s);
      const select = selectorOf(c, tx.exec, st, frame.input);
      const selected: Json[] = [];
      for (let i = 0; i < items.length; i++)
        selected.push(select ? await select({ ...frame, item: { index: i, value: items[i]! } }) : items[i]!);
      runs = batchItems(selected, limits);
    }
    await startMap(c, tx, frame, st, runs, frame.input, max, tolerance, items.length);
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
): ((probe: Frame) => Json | Promise<Json>) | undefined =>
  // a batched Map applied its ItemSelector to each item before batching
  batched(st) ? undefined : selectorOf(c, exec, st, input);

/** The ItemBatcher of a Distributed Map (an INLINE Map has none: the definition is refused). */
const batched = (st: MapState) => (st.distributed ? st.ItemBatcher : undefined);

const selectorOf = (
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
