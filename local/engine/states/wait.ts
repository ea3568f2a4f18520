/** Wait: for Seconds, until a Timestamp (or from the input by SecondsPath / TimestampPath). */
import type { State, WaitState } from '../asl.ts';
import type { Core, Tx } from '../core.ts';
import { ERR, StatesError } from '../errors.ts';
import { evalJsonataAssign, evalJsonataTemplate } from '../jsonata.ts';
import type { Frame } from '../model.ts';
import { applyPath, evalAssign } from '../payload.ts';
import { armFrameTimers } from '../timers.ts';
import type { Json, JsonObject } from '../types.ts';
import type { StateRunner } from './common.ts';

const parseTs = (v: unknown): number => {
  const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
  if (Number.isNaN(t)) throw new StatesError(ERR.Runtime, `Invalid timestamp: ${JSON.stringify(v)}`);
  return t;
};

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
    else if (st.Timestamp !== undefined) due = parseTs(st.Timestamp);
    else if (st.SecondsPath !== undefined) {
      const v = applyPath(st.SecondsPath, eff, s, 'SecondsPath');
      if (typeof v !== 'number' || v < 0)
        throw new StatesError(
          ERR.Runtime,
          `The SecondsPath parameter does not reference a valid non-negative number: ${JSON.stringify(v)}`,
        );
      due = c.clock.now() + v * 1000;
    } else {
      due = parseTs(applyPath(st.TimestampPath, eff, s, 'TimestampPath'));
    }
    const assign = evalAssign(st.Assign, c.scope(exec, frame, input));
    const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
    startWait(c, tx, frame, st, due, out, assign);
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    let due: number;
    if (st.Seconds !== undefined) {
      const v = await evalJsonataTemplate(st.Seconds, s, 'Seconds');
      if (typeof v !== 'number' || v < 0)
        throw new StatesError(ERR.QueryEvaluationError, 'Seconds must be a non-negative number');
      due = c.clock.now() + v * 1000;
    } else {
      due = parseTs(await evalJsonataTemplate(st.Timestamp, s, 'Timestamp'));
    }
    const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : frame.input;
    startWait(c, tx, frame, st, due, out, await evalJsonataAssign(st.Assign, s));
  },
};
