/** Fail: fails its frame with Error and Cause (static, from paths, or JSONata expressions). */
import type { FailState } from '../asl.ts';
import { ERR, StatesError } from '../errors.ts';
import { evalJsonataTemplate } from '../jsonata.ts';
import { evalDynamic } from '../payload.ts';
import type { StateRunner } from './common.ts';

const text = (v: unknown): string | undefined =>
  v === undefined ? undefined : typeof v === 'string' ? v : JSON.stringify(v);

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
    // no Error / no Cause: the execution reports neither field (not empty strings)
    c.failFrame(tx, frame, new StatesError(text(error), text(cause)));
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const error = st.Error !== undefined ? await evalJsonataTemplate(st.Error, s, 'Error') : undefined;
    const cause = st.Cause !== undefined ? await evalJsonataTemplate(st.Cause, s, 'Cause') : undefined;
    c.failFrame(tx, frame, new StatesError(text(error), text(cause)));
  },
};
