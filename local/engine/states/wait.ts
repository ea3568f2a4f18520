/** Wait: for Seconds, until a Timestamp (or from the input by SecondsPath / TimestampPath). */
import type { State, WaitState } from '../asl.ts';
import { isTimestamp } from '../choice.ts';
import type { Core, Tx } from '../core.ts';
import { ERR, StatesError } from '../errors.ts';
import { evalJsonataAssign, evalJsonataTemplate, expressionText, jsonataTypeOf } from '../jsonata.ts';
import type { Frame } from '../model.ts';
import { applyPath, evalAssign } from '../payload.ts';
import { armFrameTimers } from '../timers.ts';
import type { Json, JsonObject } from '../types.ts';
import type { StateRunner } from './common.ts';

/** A Wait timestamp: RFC 3339 with the `T` and a zone (`Z` or `±hh:mm`), else undefined. */
const parseTs = (v: unknown): number | undefined => (isTimestamp(v) ? Date.parse(v) : undefined);

/** A value as AWS quotes it in a cause: strings as they are, anything else as JSON. */
const shown = (v: Json): string => (typeof v === 'string' ? v : JSON.stringify(v));

const jsonataTypeError = (src: unknown, field: string, expected: string, v: Json) =>
  new StatesError(
    ERR.QueryEvaluationError,
    `The JSONata expression '${typeof src === 'string' ? expressionText(src) : JSON.stringify(src)}' specified for the field '${field}' returned an unexpected result type. Expected '${expected}', but was '${jsonataTypeOf(v)}' for value: ${JSON.stringify(v)}`,
    field,
  );

/** Wait until `due` (leave at once if it is past), then leave with `out`. */
const startWait = (
  c: Core,
  tx: Tx,
  frame: Frame,
  st: State,
  due: number,
  out: Json,
  assign?: JsonObject,
): void => {
  if (due <= c.clock.now()) {
    c.finishState(tx, frame, st, out, assign);
    return;
  }
  frame.phase = assign ? { k: 'wait', due, out, assign } : { k: 'wait', due, out };
  const exec = tx.exec;
  tx.after.push(() => armFrameTimers(c, exec, frame));
};

export const wait: StateRunner<WaitState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const s = c.scope(exec, frame, eff);
    let due: number;
    if (typeof st.Seconds === 'number') due = c.clock.now() + st.Seconds * 1000;
    else if (st.Timestamp !== undefined) due = parseTs(st.Timestamp) ?? c.clock.now();
    else if (st.SecondsPath !== undefined) {
      const path = st.SecondsPath;
      let v: Json;
      try {
        v = applyPath(path, eff, s, 'SecondsPath');
      } catch {
        throw new StatesError(
          ERR.Runtime,
          `The SecondsPath parameter does not reference an input value: ${path}`,
        );
      }
      if (typeof v !== 'number' || !Number.isInteger(v))
        throw new StatesError(
          ERR.Runtime,
          `The SecondsPath parameter cannot be parsed as a long value: ${path} == ${shown(v)}`,
        );
      if (v < 0)
        throw new StatesError(
          ERR.Runtime,
          `The SecondsPath parameter references a negative value: ${path} == ${v}`,
        );
      due = c.clock.now() + v * 1000;
    } else {
      const path = st.TimestampPath!;
      let v: Json;
      try {
        v = applyPath(path, eff, s, 'TimestampPath');
      } catch {
        throw new StatesError(
          ERR.Runtime,
          `The TimestampPath parameter does not reference an input value: ${path}`,
        );
      }
      const t = parseTs(v);
      if (t === undefined)
        throw new StatesError(
          ERR.Runtime,
          `The TimestampPath parameter does not reference a valid ISO-8601 extended offset date-time format string: ${path} == ${shown(v)}`,
        );
      due = t;
    }
    const assign = st.Assign === undefined ? undefined : evalAssign(st.Assign, c.scope(exec, frame, input));
    const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
    startWait(c, tx, frame, st, due, out, assign);
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    let due: number;
    if (st.Seconds !== undefined) {
      const v = await evalJsonataTemplate(st.Seconds, s, 'Seconds');
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0)
        throw jsonataTypeError(st.Seconds, 'Seconds', 'integer', v);
      due = c.clock.now() + v * 1000;
    } else {
      const v = await evalJsonataTemplate(st.Timestamp, s, 'Timestamp');
      const t = parseTs(v);
      // recorded (AWS-validated, test_wait_timestamp_jsonata): a string that is not RFC 3339 is
      // named by its value; any other type is an unexpected result type
      if (t === undefined && typeof v === 'string')
        throw new StatesError(
          ERR.QueryEvaluationError,
          `The Timestamp field cannot be parsed as an ISO-8601 extended offset date-time format string: ${v}`,
          'Timestamp',
        );
      if (t === undefined) throw jsonataTypeError(st.Timestamp, 'Timestamp', 'timestamp', v);
      due = t;
    }
    const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : frame.input;
    startWait(c, tx, frame, st, due, out, await evalJsonataAssign(st.Assign, s));
  },
};
