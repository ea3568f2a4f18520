/** Succeed: ends its frame (the execution, a branch or an iteration) with its output. */
import type { SucceedState } from '../asl.ts';
import { evalJsonataTemplate } from '../jsonata.ts';
import { applyPath } from '../payload.ts';
import type { StateRunner } from './common.ts';

export const succeed: StateRunner<SucceedState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const out = applyPath(st.OutputPath, eff, c.scope(exec, frame, eff), 'OutputPath');
    c.finishState(tx, frame, st, out, undefined, null);
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const out =
      st.Output !== undefined
        ? await evalJsonataTemplate(st.Output, c.jscope(tx.exec, frame), 'Output')
        : frame.input;
    c.finishState(tx, frame, st, out, undefined, null);
  },
};
