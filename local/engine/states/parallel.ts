/** Parallel: runs every branch on its input; the result is the array of branch outputs. */
import type { ParallelState } from '../asl.ts';
import { startParallel } from '../branches.ts';
import { evalJsonataTemplate } from '../jsonata.ts';
import { applyPath, evalTemplate } from '../payload.ts';
import type { StateRunner } from './common.ts';

export const parallel: StateRunner<ParallelState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const params = st.Parameters !== undefined ? evalTemplate(st.Parameters, c.scope(exec, frame, eff)) : eff;
    startParallel(c, tx, frame, st, params);
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const args =
      st.Arguments !== undefined
        ? await evalJsonataTemplate(st.Arguments, c.jscope(tx.exec, frame), 'Arguments')
        : frame.input;
    startParallel(c, tx, frame, st, args);
  },
};
