/** Choice: the first matching rule's Next (JSONPath rules or JSONata Conditions), else Default. */
import type { ChoiceState } from '../asl.ts';
import { evalRule } from '../choice.ts';
import { ERR, StatesError } from '../errors.ts';
import {
  evalExpr,
  evalJsonataAssign,
  evalJsonataTemplate,
  expressionText,
  jsonataTypeOf,
} from '../jsonata.ts';
import { applyPath, evalAssign } from '../payload.ts';
import type { StateRunner } from './common.ts';

/** AWS fails a Choice state that matches no rule and has no Default with States.Runtime. */
const noMatch = () =>
  new StatesError(
    ERR.Runtime,
    'Failed to transition out of the state. The state does not point to a next state.',
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
    throw noMatch();
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const input = frame.input;
    for (const [i, rule] of st.Choices.entries()) {
      const where = `Choices[${i}]`;
      // a literal boolean is a valid Condition
      const ok =
        typeof rule.Condition === 'boolean'
          ? rule.Condition
          : await evalExpr(String(rule.Condition), s, `${where}/Condition`);
      if (typeof ok !== 'boolean') {
        throw new StatesError(
          ERR.QueryEvaluationError,
          `The JSONata expression '${expressionText(String(rule.Condition))}' specified for the field '${where}/Condition' returned an unexpected result type. Expected 'boolean', but was '${jsonataTypeOf(ok)}' for value: ${JSON.stringify(ok)}`,
          `${where}/Condition`,
        );
      }
      if (ok) {
        const out =
          rule.Output !== undefined ? await evalJsonataTemplate(rule.Output, s, `${where}/Output`) : input;
        const assign = await evalJsonataAssign(rule.Assign, s, `${where}/Assign`);
        c.finishState(tx, frame, st, out, assign, rule.Next);
        return;
      }
    }
    if (typeof st.Default === 'string') {
      const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : input;
      c.finishState(tx, frame, st, out, await evalJsonataAssign(st.Assign, s), st.Default);
      return;
    }
    throw noMatch();
  },
};
