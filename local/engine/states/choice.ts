/** Choice: the first matching rule's Next (JSONPath rules or JSONata Conditions), else Default. */
import type { ChoiceState } from '../asl.ts';
import { evalRule } from '../choice.ts';
import { ERR, StatesError } from '../errors.ts';
import { evalExpr, evalJsonataAssign, evalJsonataTemplate } from '../jsonata.ts';
import { applyPath, evalAssign } from '../payload.ts';
import type { StateRunner } from './common.ts';

const noMatch = (state: string) =>
  new StatesError(
    ERR.NoChoiceMatched,
    `No Choice Rules matched and no Default was specified in state ${state}`,
  );

export const choice: StateRunner<ChoiceState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    const s = c.scope(exec, frame, eff);
    for (const rule of st.Choices) {
      if (evalRule(rule, s)) {
        const assign = evalAssign(rule.Assign, s);
        const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
        c.finishState(tx, frame, st, out, assign, rule.Next);
        return undefined;
      }
    }
    if (typeof st.Default === 'string') {
      const assign = evalAssign(st.Assign, s);
      const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
      c.finishState(tx, frame, st, out, assign, st.Default);
      return undefined;
    }
    throw noMatch(frame.state);
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const input = frame.input;
    for (const rule of st.Choices) {
      const ok = await evalExpr(String(rule.Condition), s, 'Condition');
      if (typeof ok !== 'boolean') {
        throw new StatesError(
          ERR.QueryEvaluationError,
          `The Condition '${String(rule.Condition)}' returned a non-boolean value`,
        );
      }
      if (ok) {
        const out = rule.Output !== undefined ? await evalJsonataTemplate(rule.Output, s, 'Output') : input;
        c.finishState(tx, frame, st, out, await evalJsonataAssign(rule.Assign, s), rule.Next);
        return;
      }
    }
    if (typeof st.Default === 'string') {
      const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : input;
      c.finishState(tx, frame, st, out, await evalJsonataAssign(st.Assign, s), st.Default);
      return;
    }
    throw noMatch(frame.state);
  },
};
