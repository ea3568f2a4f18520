/** Map: runs its ItemProcessor once per item (ItemsPath / Items), up to MaxConcurrency at a time. */
import type { MapState } from '../asl.ts';
import { startMap } from '../branches.ts';
import type { Core, Exec } from '../core.ts';
import { ERR, StatesError } from '../errors.ts';
import { evalJsonataTemplate } from '../jsonata.ts';
import type { Frame } from '../model.ts';
import { applyPath, evalTemplate } from '../payload.ts';
import type { Json } from '../types.ts';
import type { StateRunner } from './common.ts';
import { jsonataNumber, numberField } from './common.ts';

export const map: StateRunner<MapState> = {
  jsonPath(c, tx, frame, st) {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, c.scope(exec, frame, input), 'InputPath');
    let items: Json = eff;
    if (st.ItemsPath !== undefined)
      items = applyPath(st.ItemsPath, eff, c.scope(exec, frame, eff), 'ItemsPath');
    if (!Array.isArray(items)) {
      throw new StatesError(
        ERR.Runtime,
        `Map state ${frame.state}: the items value is not an array: ${JSON.stringify(items)}`,
      );
    }
    numberField(st.MaxConcurrency, st.MaxConcurrencyPath, 'MaxConcurrency', c.scope(exec, frame, eff));
    return startMap(c, tx, frame, items, eff);
  },
  async jsonata(c, tx, frame, st) {
    const s = c.jscope(tx.exec, frame);
    const items = st.Items !== undefined ? await evalJsonataTemplate(st.Items, s, 'Items') : frame.input;
    if (!Array.isArray(items)) {
      throw new StatesError(
        ERR.QueryEvaluationError,
        `Map state ${frame.state}: Items did not evaluate to an array`,
      );
    }
    await jsonataNumber(st.MaxConcurrency, s, 'MaxConcurrency');
    await startMap(c, tx, frame, items, frame.input);
  },
};

/**
 * The ItemSelector (or legacy Parameters) of a Map state as a function of the iteration's probe frame
 * (`$$.Map.Item` / `$states.context.Map.Item`); undefined when items pass as they are.
 */
export const itemSelector = (
  c: Core,
  exec: Exec,
  st: MapState,
  input: Json,
): ((probe: Frame) => Json | Promise<Json>) | undefined => {
  const selector = st.selector;
  if (selector === undefined) return undefined;
  if (st.lang === 'JSONata')
    return (probe) => evalJsonataTemplate(selector, c.jscope(exec, probe), 'ItemSelector');
  return (probe) => evalTemplate(selector, c.scope(exec, probe, input));
};
