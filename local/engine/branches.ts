/**
 * Parallel and Map at run time: child frames (one per branch, one per Map item, started up to
 * MaxConcurrency), joining their results in order, failure propagation (tolerated failures of a
 * Distributed Map), and stopping or dropping children when the state fails, retries or is caught.
 */
import type { Machine, MapState, ParallelState } from './asl.ts';
import type { Core, Exec, Tx } from './core.ts';
import { ERR, StatesError } from './errors.ts';
import type { Frame } from './model.ts';
import { resolvePath } from './payload.ts';
import { applyResult } from './states/common.ts';
import { itemSelector } from './states/map.ts';
import { endTask } from './tasks.ts';
import type { Json } from './types.ts';

const childId = (frame: Frame, seq: number, slot: number): string => `${frame.id}.${seq}.${slot}`;

const newFrame = (
  c: Core,
  parent: Frame,
  id: string,
  slot: number,
  path: (string | number)[],
  startAt: string,
  input: Json,
): Frame => ({
  id,
  parent: parent.id,
  slot,
  path,
  state: startAt,
  input,
  vars: { ...parent.vars },
  phase: { k: 'enter' },
  retries: [],
  retryCount: 0,
  enteredAt: c.clock.now(),
});

/** Start every branch of a Parallel state on the same (effective) input. */
export const startParallel = (c: Core, tx: Tx, frame: Frame, st: ParallelState, input: Json): void => {
  const { exec } = tx;
  const branches = st.Branches;
  const seq = exec.events.length + 1;
  c.emit(tx, 'ParallelStateStarted');
  frame.phase = {
    k: 'branches',
    kind: 'Parallel',
    seq,
    total: branches.length,
    done: 0,
    failed: 0,
    results: branches.map(() => null),
    input,
  };
  const base = [...frame.path, 'States', frame.state, 'Branches'];
  branches.forEach((b, i) => {
    // values are immutable: branches share the input
    const child = newFrame(c, frame, childId(frame, seq, i), i, [...base, i], b.StartAt, input);
    exec.frames.set(child.id, child);
    c.touch(tx, child);
    tx.after.push(() => c.scheduleFrame(exec, child));
  });
};

/** Start a Map state over `items` (its effective input is `input`). */
export const startMap = (
  c: Core,
  tx: Tx,
  frame: Frame,
  items: Json[],
  input: Json,
): Promise<void> | undefined => {
  const { exec } = tx;
  const seq = exec.events.length + 1;
  c.emit(tx, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
  frame.phase = {
    k: 'branches',
    kind: 'Map',
    seq,
    total: items.length,
    done: 0,
    failed: 0,
    results: items.map(() => null),
    items,
    next: 0,
    running: 0,
    input,
  };
  if (items.length === 0) return completeBranches(c, tx, frame);
  return startItems(c, tx, frame);
};

const mapMaxConcurrency = (c: Core, exec: Exec, frame: Frame, st: MapState): number => {
  if (typeof st.MaxConcurrency === 'number') return st.MaxConcurrency;
  if (typeof st.MaxConcurrencyPath === 'string' && frame.phase.k === 'branches') {
    try {
      const v = resolvePath(st.MaxConcurrencyPath, c.scope(exec, frame, frame.phase.input));
      if (typeof v === 'number') return v;
    } catch {
      return 0;
    }
  }
  return 0;
};

/** Start Map iterations up to MaxConcurrency (asynchronous only for a JSONata ItemSelector). */
const startItems = (c: Core, tx: Tx, frame: Frame): Promise<void> | undefined => {
  const { exec } = tx;
  const ph = frame.phase;
  if (ph.k !== 'branches' || ph.kind !== 'Map' || !ph.items) return;
  const st = c.stateDef(exec, frame);
  if (st.Type !== 'Map') return;
  const select = itemSelector(c, exec, st, ph.input);
  const items = ph.items;
  const max = mapMaxConcurrency(c, exec, frame, st);
  const next = (): Promise<void> | undefined => {
    while ((ph.next ?? 0) < ph.total && (max <= 0 || (ph.running ?? 0) < max)) {
      const i = ph.next ?? 0;
      ph.next = i + 1;
      ph.running = (ph.running ?? 0) + 1;
      const value = items[i]!;
      if (!select) {
        spawnItem(c, tx, frame, st.processor, st.processorKey, i, value, value);
        continue;
      }
      const selected = select({ ...frame, item: { index: i, value } });
      if (selected instanceof Promise) {
        return selected.then((itemInput) => {
          spawnItem(c, tx, frame, st.processor, st.processorKey, i, value, itemInput);
          return next();
        });
      }
      spawnItem(c, tx, frame, st.processor, st.processorKey, i, value, selected);
    }
  };
  return next();
};

const spawnItem = (
  c: Core,
  tx: Tx,
  frame: Frame,
  proc: Machine,
  procKey: string,
  i: number,
  value: Json,
  itemInput: Json,
): void => {
  const { exec } = tx;
  const ph = frame.phase;
  if (ph.k !== 'branches') return;
  const child = newFrame(
    c,
    frame,
    childId(frame, ph.seq, i),
    i,
    [...frame.path, 'States', frame.state, procKey],
    proc.StartAt,
    itemInput,
  );
  child.item = { index: i, value };
  exec.frames.set(child.id, child);
  c.touch(tx, child);
  c.emit(tx, 'MapIterationStarted', {
    mapIterationStartedEventDetails: { name: frame.state, index: i },
  });
  tx.after.push(() => c.scheduleFrame(exec, child));
};

/** Every child is done: the Parallel/Map state's result is the array of their outputs. */
const completeBranches = (c: Core, tx: Tx, frame: Frame): Promise<void> | undefined => {
  const ph = frame.phase;
  if (ph.k !== 'branches') return;
  c.emit(tx, ph.kind === 'Parallel' ? 'ParallelStateSucceeded' : 'MapStateSucceeded');
  const results = ph.results;
  frame.phase = { k: 'run' };
  const p = applyResult(c, tx, frame, results);
  if (p) return p.then(() => continueAfterBranches(c, tx, frame));
  continueAfterBranches(c, tx, frame);
};

const continueAfterBranches = (c: Core, tx: Tx, frame: Frame): void => {
  if (frame.phase.k === 'enter') tx.after.push(() => c.scheduleFrame(tx.exec, frame));
};

/** A child frame finished its last state: record its output in the parent. */
export const onChildSucceeded = (c: Core, tx: Tx, frame: Frame, output: Json): void => {
  const { exec } = tx;
  const parent = exec.frames.get(frame.parent!);
  exec.frames.delete(frame.id);
  tx.deleted.add(frame.id);
  if (parent?.phase.k !== 'branches') return;
  const ph = parent.phase;
  ph.results[frame.slot ?? 0] = output;
  ph.done++;
  c.touch(tx, parent);
  if (ph.kind === 'Map') {
    ph.running = Math.max(0, (ph.running ?? 1) - 1);
    c.emit(tx, 'MapIterationSucceeded', {
      mapIterationSucceededEventDetails: { name: parent.state, index: frame.slot },
    });
  }
  frame.phase = { k: 'parked' };
  tx.after.push(() => c.schedule(() => branchProgress(c, exec, parent.id)));
};

/** After a child finished: start more Map items or complete the Parallel/Map state. */
export const branchProgress = (c: Core, exec: Exec, parentId: string): Promise<void> | undefined => {
  const parent = exec.frames.get(parentId);
  if (parent?.phase.k !== 'branches' || parent.phase.failure || exec.meta.status !== 'RUNNING') return;
  const ph = parent.phase;
  const tx = c.tx(exec);
  let p: Promise<void> | undefined;
  if (ph.done + ph.failed >= ph.total) p = completeBranches(c, tx, parent);
  else if (ph.kind === 'Map') p = startItems(c, tx, parent);
  if (p) return p.then(() => c.commit(tx));
  c.commit(tx);
};

/** A child frame failed (unhandled): a tolerated Map failure, or the parent state fails. */
export const onChildFailed = (c: Core, tx: Tx, frame: Frame, error: StatesError): void => {
  const { exec } = tx;
  let err = error;
  const parent = exec.frames.get(frame.parent!);
  if (parent?.phase.k !== 'branches') return;
  const ph = parent.phase;
  const st = c.stateDef(exec, parent);
  if (ph.kind === 'Map' && st.Type === 'Map') {
    c.emit(tx, 'MapIterationFailed', {
      mapIterationFailedEventDetails: { name: parent.state, index: frame.slot },
    });
    // distributed-mode tolerance
    const pct = typeof st.ToleratedFailurePercentage === 'number' ? st.ToleratedFailurePercentage : undefined;
    const cnt = typeof st.ToleratedFailureCount === 'number' ? st.ToleratedFailureCount : undefined;
    if (pct !== undefined || cnt !== undefined) {
      ph.failed++;
      ph.running = Math.max(0, (ph.running ?? 1) - 1);
      ph.results[frame.slot ?? 0] = { Error: err.error, Cause: err.cause };
      exec.frames.delete(frame.id);
      tx.deleted.add(frame.id);
      const over =
        (cnt !== undefined && ph.failed > cnt) || (pct !== undefined && (ph.failed * 100) / ph.total > pct);
      if (!over) {
        tx.after.push(() => c.schedule(() => branchProgress(c, exec, parent.id)));
        return;
      }
      err = new StatesError(
        ERR.ExceedToleratedFailureThreshold,
        `The specified tolerated failure threshold was exceeded (${ph.failed} of ${ph.total} items failed)`,
      );
    }
  }
  parkChildren(c, tx, parent, frame.id);
  c.emit(tx, ph.kind === 'Parallel' ? 'ParallelStateFailed' : 'MapStateFailed');
  ph.failure = { error: err.error, cause: err.cause };
  c.touch(tx, parent);
  // the Parallel/Map state itself may retry or catch; stateError is async only for JSONata catchers
  tx.after.push(() => {
    c.schedule(async () => {
      const p = exec.frames.get(parent.id);
      if (p?.phase.k !== 'branches' || exec.meta.status !== 'RUNNING') return;
      const t2 = c.tx(exec);
      await c.stateError(t2, p, err);
      await c.drive(t2, p);
      c.commit(t2);
    });
  });
};

/** Remove every descendant frame (the state is being retried, caught or abandoned). */
export const dropChildren = (c: Core, tx: Tx, frame: Frame): void => {
  const { exec } = tx;
  for (const f of [...exec.frames.values()]) {
    if (f.parent === frame.id) {
      dropChildren(c, tx, f);
      endTask(c, exec, f);
      c.timers.clear(c.key(exec, f.id));
      exec.frames.delete(f.id);
      tx.deleted.add(f.id);
    }
  }
};

/** Stop the in-flight work of all descendants, keeping the frames (for redrive). */
const parkChildren = (c: Core, tx: Tx, frame: Frame, except?: string): void => {
  const { exec } = tx;
  for (const f of exec.frames.values()) {
    if (f.parent === frame.id && f.id !== except) {
      parkChildren(c, tx, f);
      park(c, tx, f);
    }
  }
};

/** Stop a frame's in-flight work (task, timers, child execution) and keep it for redrive. */
export const park = (c: Core, tx: Tx, f: Frame): void => {
  const { exec } = tx;
  if (f.phase.k === 'branches' || f.phase.k === 'parked') return;
  if (f.phase.k === 'task' && f.phase.child) {
    const child = c.execs.get(f.phase.child);
    if (child?.meta.status === 'RUNNING')
      c.schedule(() => c.stopNow(child, 'States.Aborted', 'Parent stopped'));
  }
  endTask(c, exec, f);
  c.timers.clear(c.key(exec, f.id));
  f.phase = { k: 'parked' };
  c.touch(tx, f);
};
