/**
 * Input/output processing shared by several state types: ResultPath + OutputPath (JSONPath), the
 * result of Task/Parallel/Map (ResultSelector, ResultPath, OutputPath, Assign — or JSONata Output and
 * Assign), and a catcher's output.
 */
import type { Catcher, RetryableState, State } from '../asl.ts';
import { isRetryable } from '../asl.ts';
import type { Core, Exec, Tx } from '../core.ts';
import { ERR, StatesError } from '../errors.ts';
import type { JsonataScope } from '../jsonata.ts';
import {
  evalExpr,
  evalJsonataAssign,
  evalJsonataTemplate,
  expressionText,
  isJsonataExpr,
  jsonataTypeOf,
} from '../jsonata.ts';
import { writePath } from '../jsonpath.ts';
import type { Frame } from '../model.ts';
import type { Scope } from '../payload.ts';
import { applyPath, evalAssign, evalTemplate } from '../payload.ts';
import type { Json, JsonObject } from '../types.ts';

/** JSONPath: place `result` into `input` by ResultPath, then select with OutputPath. */
export const resultPath = (
  c: Core,
  exec: Exec,
  frame: Frame,
  st: { ResultPath?: string | null; OutputPath?: string | null },
  input: Json,
  result: Json,
): Json => {
  let out: Json;
  if (st.ResultPath === null) out = input;
  else if (st.ResultPath === undefined) out = result;
  else out = writePath(st.ResultPath, input, result);
  if (st.OutputPath === undefined) return out;
  return applyPath(st.OutputPath, out, c.scope(exec, frame, out), 'OutputPath');
};

/** Task/Parallel/Map result processing, then leave the state. Errors go to Retry/Catch. */
export const applyResult = (c: Core, tx: Tx, frame: Frame, result: Json): Promise<void> | undefined => {
  const { exec } = tx;
  const st = c.stateDef(exec, frame);
  if (!isRetryable(st)) return;
  if (st.lang === 'JSONata') {
    return (async () => {
      try {
        const s = c.jscope(exec, frame, { result });
        const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : result;
        const assign = await evalJsonataAssign(st.Assign, s);
        c.finishState(tx, frame, st, out, assign);
      } catch (e) {
        await resultFailed(c, tx, frame, e);
      }
    })();
  }
  try {
    const selected =
      st.ResultSelector !== undefined
        ? evalTemplate(st.ResultSelector, c.scope(exec, frame, result))
        : result;
    const assign =
      st.Assign === undefined ? undefined : evalAssign(st.Assign, c.scope(exec, frame, selected));
    const out = resultPath(c, exec, frame, st, frame.input, selected);
    c.finishState(tx, frame, st, out, assign);
  } catch (e) {
    return resultFailed(c, tx, frame, e);
  }
};

const resultFailed = (c: Core, tx: Tx, frame: Frame, e: unknown): Promise<void> | undefined =>
  c.stateThrew(tx, frame, e);

/** A catcher's output and assignments, from the error output `{Error, Cause}`. */
export const catcherOutput = (
  c: Core,
  exec: Exec,
  frame: Frame,
  st: RetryableState,
  catcher: Catcher,
  errorOutput: JsonObject,
): { out: Json; assign: JsonObject | undefined } | Promise<{ out: Json; assign: JsonObject | undefined }> => {
  if (st.lang === 'JSONata') {
    return (async () => {
      const s = c.jscope(exec, frame, { errorOutput });
      const out =
        catcher.Output !== undefined ? await evalJsonataTemplate(catcher.Output, s, 'Output') : errorOutput;
      return { out, assign: await evalJsonataAssign(catcher.Assign, s) };
    })();
  }
  const assign =
    catcher.Assign === undefined ? undefined : evalAssign(catcher.Assign, c.scope(exec, frame, errorOutput));
  const out =
    catcher.ResultPath === null
      ? frame.input
      : catcher.ResultPath === undefined
        ? errorOutput
        : writePath(catcher.ResultPath, frame.input, errorOutput);
  return { out, assign };
};

/**
 * How a state type runs, once in each query language. JSONPath runs synchronously unless the state
 * really waits; JSONata always returns a promise (expressions evaluate asynchronously).
 */
export interface StateRunner<S extends State> {
  jsonPath(c: Core, tx: Tx, frame: Frame, st: S): Promise<void> | undefined;
  jsonata(c: Core, tx: Tx, frame: Frame, st: S): Promise<void>;
}

/** A numeric field given as a number or, with `<field>Path`, read from the input (JSONPath). */
export const numberField = (
  value: unknown,
  path: string | undefined,
  field: string,
  scope: Scope,
): number | undefined => {
  if (typeof value === 'number') return value;
  if (typeof path !== 'string') return undefined;
  const n = applyPath(path, scope.data, scope, `${field}Path`);
  if (typeof n !== 'number' || n < 0)
    throw new StatesError(ERR.Runtime, `${field}Path '${path}' does not reference a non-negative number`);
  return n;
};

/** A numeric field (TimeoutSeconds, HeartbeatSeconds) given as a number or a JSONata expression. */
export const jsonataNumber = async (
  v: unknown,
  s: JsonataScope,
  field: string,
): Promise<number | undefined> => {
  if (v === undefined) return undefined;
  const n = isJsonataExpr(v) ? await evalExpr(v, s, field) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n <= 0)
    throw new StatesError(
      ERR.QueryEvaluationError,
      `The JSONata expression '${typeof v === 'string' ? expressionText(v) : JSON.stringify(v)}' specified for the field '${field}' returned an unexpected result type. Expected 'integer', but was '${jsonataTypeOf(n as Json)}' for value: ${JSON.stringify(n)}`,
      field,
    );
  return n;
};
