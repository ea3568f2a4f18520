/**
 * The state types, one module each (JSONPath and JSONata side by side). `runState` dispatches a
 * frame's current state to its runner in the state's query language.
 */
import type { State } from '../asl.ts';
import type { Core, Tx } from '../core.ts';
import type { Frame } from '../model.ts';
import { choice } from './choice.ts';
import { fail } from './fail.ts';
import { map } from './map.ts';
import { parallel } from './parallel.ts';
import { pass } from './pass.ts';
import { succeed } from './succeed.ts';
import { task } from './task.ts';
import { wait } from './wait.ts';

export const runState = (c: Core, tx: Tx, frame: Frame, st: State): Promise<void> | undefined => {
  if (st.lang === 'JSONata') {
    switch (st.Type) {
      case 'Pass':
        return pass.jsonata(c, tx, frame, st);
      case 'Task':
        return task.jsonata(c, tx, frame, st);
      case 'Choice':
        return choice.jsonata(c, tx, frame, st);
      case 'Wait':
        return wait.jsonata(c, tx, frame, st);
      case 'Succeed':
        return succeed.jsonata(c, tx, frame, st);
      case 'Fail':
        return fail.jsonata(c, tx, frame, st);
      case 'Parallel':
        return parallel.jsonata(c, tx, frame, st);
      case 'Map':
        return map.jsonata(c, tx, frame, st);
    }
  }
  switch (st.Type) {
    case 'Pass':
      return pass.jsonPath(c, tx, frame, st);
    case 'Task':
      return task.jsonPath(c, tx, frame, st);
    case 'Choice':
      return choice.jsonPath(c, tx, frame, st);
    case 'Wait':
      return wait.jsonPath(c, tx, frame, st);
    case 'Succeed':
      return succeed.jsonPath(c, tx, frame, st);
    case 'Fail':
      return fail.jsonPath(c, tx, frame, st);
    case 'Parallel':
      return parallel.jsonPath(c, tx, frame, st);
    case 'Map':
      return map.jsonPath(c, tx, frame, st);
  }
};
