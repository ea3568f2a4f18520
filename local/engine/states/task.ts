/** Task: calls its resource with Parameters / Arguments; the result comes back in tasks.ts. */
import type { TaskState } from '../asl.ts';
import { evalJsonataTemplate } from '../jsonata.ts';
import { applyPath, evalTemplate } from '../payload.ts';
import { newTaskToken, startTask } from '../tasks.ts';
import type { StateRunner } from './common.ts';
import { jsonataNumber, numberField } from './common.ts';

export const task: StateRunner<TaskState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const token = newTaskToken(st.Resource);
    const params =
      st.Parameters !== undefined ? evalTemplate(st.Parameters, c.scope(exec, frame, eff, token)) : eff;
    const timeout = numberField(
      st.TimeoutSeconds,
      st.TimeoutSecondsPath,
      'TimeoutSeconds',
      c.scope(exec, frame, eff),
    );
    const hb = numberField(
      st.HeartbeatSeconds,
      st.HeartbeatSecondsPath,
      'HeartbeatSeconds',
      c.scope(exec, frame, eff),
    );
    startTask(c, tx, frame, st.Resource, params, timeout, hb, token);
    return undefined;
  },
  async jsonata(c, tx, frame, st) {
    const token = newTaskToken(st.Resource);
    const s = c.jscope(tx.exec, frame, {}, token);
    const args =
      st.Arguments !== undefined ? await evalJsonataTemplate(st.Arguments, s, 'Arguments') : frame.input;
    const timeout = await jsonataNumber(st.TimeoutSeconds, s, 'TimeoutSeconds');
    const hb = await jsonataNumber(st.HeartbeatSeconds, s, 'HeartbeatSeconds');
    startTask(c, tx, frame, st.Resource, args, timeout, hb, token);
  },
};
