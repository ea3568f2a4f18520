/** Fail: fails its frame with Error and Cause (static, from paths, or JSONata expressions). */
import type { FailState } from '../asl.ts';
import { ERR, StatesError } from '../errors.ts';
import { evalJsonataTemplate } from '../jsonata.ts';
import { evalDynamic } from '../payload.ts';
import type { StateRunner } from './common.ts';

export const fail: StateRunner<FailState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const error =
      st.ErrorPath !== undefined
        ? evalDynamic(st.ErrorPath, c.scope(exec, frame, input), 'ErrorPath', ERR.Runtime)
        : st.Error;
    const cause =
      st.CausePath !== undefined
        ? evalDynamic(st.CausePath, c.scope(exec, frame, input), 'CausePath', ERR.Runtime)
        : st.Cause;
    c.failFrame(tx, frame, new StatesError(String(error ?? ''), cause === undefined ? '' : String(cause)));
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const error = st.Error !== undefined ? await evalJsonataTemplate(st.Error, s, 'Error') : '';
    const cause = st.Cause !== undefined ? await evalJsonataTemplate(st.Cause, s, 'Cause') : '';
    c.failFrame(tx, frame, new StatesError(String(error), String(cause)));
  },
};
