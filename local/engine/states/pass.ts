/** Pass: passes its input (or `Result` / `Parameters`, or JSONata `Output`) on. */
import type { PassState } from '../asl.ts';
import { evalJsonataAssign, evalJsonataTemplate } from '../jsonata.ts';
import { applyPath, evalAssign, evalTemplate } from '../payload.ts';
import type { Json } from '../types.ts';
import type { StateRunner } from './common.ts';
import { resultPath } from './common.ts';

export const pass: StateRunner<PassState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    let result: Json = eff;
    if (st.Result !== undefined) result = st.Result;
    else if (st.Parameters !== undefined) result = evalTemplate(st.Parameters, c.scope(exec, frame, eff));
    // Assign sees the state's result as `$` when the Pass state produces one (Result/Parameters)
    // (no scope is built when there is no Assign: this is the hot path of Pass chains)
    const produced = st.Result !== undefined || st.Parameters !== undefined;
    const assign =
      st.Assign === undefined
        ? undefined
        : evalAssign(st.Assign, c.scope(exec, frame, produced ? result : input));
    const out = resultPath(c, exec, frame, st, input, result);
    c.finishState(tx, frame, st, out, assign);
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : frame.input;
    const assign = await evalJsonataAssign(st.Assign, s);
    c.finishState(tx, frame, st, out, assign);
  },
};
