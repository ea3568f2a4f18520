/**
 * Parallel and Map at run time: child frames (one per branch, one per Map item, started up to
 * MaxConcurrency), joining their results in order, failure propagation (tolerated failures of a
 * Distributed Map), and stopping or dropping children when the state fails, retries or is caught.
 */
import { randomUUID } from 'node:crypto';
import type { Machine, MapState, ParallelState } from './asl.ts';
import { machineAt } from './asl.ts';
import type { Core, Exec, Tx } from './core.ts';
import { ERR, StatesError } from './errors.ts';
import { inputTooLarge, overPayloadLimit } from './limits.ts';
import { childEnded, childStarted, closeMapRun, openMapRun } from './map-runs.ts';
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
  hidden: boolean,
): Frame => {
  const f: Frame = {
    id,
    parent: parent.id,
    slot,
    path,
    state: startAt,
    input,
    // a Distributed Map's item is a child workflow: it does not see the outer variables
    vars: hidden ? {} : { ...parent.vars },
    phase: { k: 'enter' },
    retries: [],
    retryCount: 0,
    enteredAt: c.clock.now(),
    // its history chain starts where the parent's stands now
    src: parent.src ?? 0,
  };
  if (hidden || parent.hidden !== undefined) f.hidden = 1;
  return f;
};

/** Start every branch of a Parallel state on the same (effective) input. */
export const startParallel = (c: Core, tx: Tx, frame: Frame, st: ParallelState, input: Json): void => {
  const { exec } = tx;
  // the effective input (after Parameters) over 256 KiB: States.DataLimitExceeded
  if (input !== frame.input && overPayloadLimit(input)) throw inputTooLarge(frame.state);
  const branches = st.Branches;
  const seq = c.nextSeq(tx, frame);
  c.emit(tx, 'ParallelStateStarted', undefined, frame);
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
    const child = newFrame(c, frame, childId(frame, seq, i), i, [...base, i], b.StartAt, input, false);
    exec.frames.set(child.id, child);
    c.touch(tx, child);
    tx.after.push(() => c.scheduleFrame(exec, child));
  });
};

/**
 * Start a Map state over `items` (its effective input is `input`). A Distributed Map starts a Map
 * Run: its items run as child executions, so their events stay out of this history.
 */
export const startMap = (
  c: Core,
  tx: Tx,
  frame: Frame,
  st: MapState,
  items: Json[],
  input: Json,
  max?: number,
  tolerance?: () => { count: number | undefined; pct: number | undefined },
  /** the number of items when `items` are batches of them (ItemBatcher) */
  length: number = items.length,
): Promise<void> | undefined => {
  const { exec } = tx;
  const seq = c.nextSeq(tx, frame);
  c.emit(tx, 'MapStateStarted', { mapStateStartedEventDetails: { length } }, frame);
  const { count, pct } = tolerance?.() ?? { count: undefined, pct: undefined };
  const opts = { tolerated: failureThreshold(count, pct, items.length), max, count, pct };
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
    ...(opts.tolerated !== undefined ? { tolerated: opts.tolerated } : {}),
    ...(opts.max !== undefined ? { max: opts.max } : {}),
  };
  if (st.distributed) {
    const label = st.Label ?? randomUUID();
    const mapRun = `arn:aws:states:${c.region}:${c.accountId}:mapRun:${exec.meta.smName}/${label}:${randomUUID()}`;
    frame.phase.mapRun = mapRun;
    // batches (ItemBatcher): DescribeMapRun counts their items apart from the child executions
    const sizes =
      length !== items.length || st.ItemBatcher !== undefined
        ? items.map((b) => ((b as { Items?: Json[] }).Items ?? []).length)
        : undefined;
    openMapRun(tx, mapRun, label, frame.state, c.clock.now(), items.length, opts, sizes);
    c.emit(tx, 'MapRunStarted', { mapRunStartedEventDetails: { mapRunArn: mapRun } }, frame);
  }
  if (items.length === 0) return completeBranches(c, tx, frame);
  return startItems(c, tx, frame);
};

const mapMaxConcurrency = (c: Core, exec: Exec, frame: Frame, st: MapState): number => {
  if (frame.phase.k === 'branches' && frame.phase.max !== undefined) return frame.phase.max;
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
    while ((ph.redo?.length || (ph.next ?? 0) < ph.total) && (max <= 0 || (ph.running ?? 0) < max)) {
      // items of a redriven Map Run that failed run again first (the list is replaced, not changed:
      // a snapshot may share it)
      let i: number;
      if (ph.redo?.length) {
        i = ph.redo[0]!;
        ph.redo = ph.redo.slice(1);
      } else {
        i = ph.next ?? 0;
        ph.next = i + 1;
      }
      ph.running = (ph.running ?? 0) + 1;
      // journal the Map's progress with the item: after a restart it must not start an item twice
      c.touch(tx, frame);
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
  const mapRun = ph.mapRun !== undefined;
  const child = newFrame(
    c,
    frame,
    childId(frame, ph.seq, i),
    i,
    [...frame.path, 'States', frame.state, procKey],
    proc.StartAt,
    itemInput,
    mapRun,
  );
  child.item = { index: i, value };
  if (ph.mapRun !== undefined) childStarted(c, ph.mapRun, i, itemInput);
  exec.frames.set(child.id, child);
  c.touch(tx, child);
  if (!mapRun) {
    // the iteration's first event, on its own chain
    c.emit(
      tx,
      'MapIterationStarted',
      { mapIterationStartedEventDetails: { name: frame.state, index: i } },
      child,
    );
  }
  tx.after.push(() => c.scheduleFrame(exec, child));
};

/** Every child is done: the Parallel/Map state's result is the array of their outputs. */
const completeBranches = (c: Core, tx: Tx, frame: Frame): Promise<void> | undefined => {
  const ph = frame.phase;
  if (ph.k !== 'branches') return;
  if (ph.mapRun !== undefined) {
    closeMapRun(c, tx, frame, 'SUCCEEDED');
    c.emit(tx, 'MapRunSucceeded', undefined, frame, true);
  }
  c.emit(tx, ph.kind === 'Parallel' ? 'ParallelStateSucceeded' : 'MapStateSucceeded', undefined, frame, true);
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
  if (ph.mapRun !== undefined) childEnded(c, ph.mapRun, frame.slot ?? 0, { output });
  if (ph.kind === 'Map') {
    ph.running = Math.max(0, (ph.running ?? 1) - 1);
    if (ph.mapRun === undefined) {
      c.emit(
        tx,
        'MapIterationSucceeded',
        { mapIterationSucceededEventDetails: { name: parent.state, index: frame.slot } },
        frame,
        true,
      );
    }
  }
  joinChain(parent, frame);
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

/**
 * A child frame failed (unhandled). In an inline Map: `MapIterationFailed`; a Task that ends its
 * branch or iteration records `TaskStateAborted`; the siblings still running are aborted
 * (`MapIterationAborted` and their state's `…StateAborted`); then the Parallel/Map state itself takes
 * the error (Retry/Catch, its Failed event when final). In a Map Run, a failed item counts against
 * the tolerated failures (none by default): beyond them the run fails with
 * States.ExceedToleratedFailureThreshold (`MapRunFailed`).
 */
export const onChildFailed = (c: Core, tx: Tx, frame: Frame, error: StatesError): void => {
  const { exec } = tx;
  let err = error;
  const parent = exec.frames.get(frame.parent!);
  if (parent?.phase.k !== 'branches') return;
  const ph = parent.phase;
  const st = c.stateDef(exec, parent);
  if (ph.kind === 'Map' && st.Type === 'Map') {
    if (ph.mapRun === undefined) {
      c.emit(
        tx,
        'MapIterationFailed',
        { mapIterationFailedEventDetails: { name: parent.state, index: frame.slot } },
        frame,
        true,
      );
    }
    const tolerance = toleratedFailures(st, ph);
    if (ph.mapRun !== undefined) {
      ph.failedItems = [...(ph.failedItems ?? []), frame.slot ?? 0];
      childEnded(c, ph.mapRun, frame.slot ?? 0, err.details());
    }
    if (tolerance) {
      ph.failed++;
      ph.running = Math.max(0, (ph.running ?? 1) - 1);
      ph.results[frame.slot ?? 0] = err.output();
      exec.frames.delete(frame.id);
      tx.deleted.add(frame.id);
      if (ph.failed <= tolerance.threshold) {
        tx.after.push(() => c.schedule(() => branchProgress(c, exec, parent.id)));
        return;
      }
      err = new StatesError(
        ERR.ExceedToleratedFailureThreshold,
        'The specified tolerated failure threshold was exceeded',
      );
    }
  }
  if (frame.phase.k === 'parked' && exec.frames.has(frame.id) && c.stateDef(exec, frame).Type === 'Task') {
    c.emit(tx, 'TaskStateAborted', undefined, frame, true);
  }
  joinChain(parent, frame);
  abortChildren(c, tx, parent, frame.id);
  if (ph.mapRun !== undefined) {
    closeMapRun(c, tx, parent, 'FAILED');
    c.emit(tx, 'MapRunFailed', { mapRunFailedEventDetails: err.details() }, parent);
  }
  ph.failure = err.details();
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

/**
 * The failures a Map tolerates before it fails: what the state resolved when it started (counts and
 * percentages from paths or expressions included), else its static fields; a Distributed Map
 * tolerates none by default. Undefined for an inline Map without them: its first failure fails it.
 */
const toleratedFailures = (
  st: MapState,
  ph: Extract<Frame['phase'], { k: 'branches' }>,
): { threshold: number } | undefined => {
  if (ph.tolerated !== undefined) return { threshold: ph.tolerated };
  const count = typeof st.ToleratedFailureCount === 'number' ? st.ToleratedFailureCount : undefined;
  const pct = typeof st.ToleratedFailurePercentage === 'number' ? st.ToleratedFailurePercentage : undefined;
  const threshold = failureThreshold(count, pct, ph.total);
  if (threshold === undefined) return st.distributed ? { threshold: 0 } : undefined;
  return { threshold };
};

/** The number of failed items a Map absorbs: the stricter of a count and a percentage of `total`. */
export const failureThreshold = (
  count: number | undefined,
  percentage: number | undefined,
  total: number,
): number | undefined => {
  if (count === undefined && percentage === undefined) return undefined;
  let threshold = Number.POSITIVE_INFINITY;
  if (count !== undefined) threshold = Math.min(threshold, count);
  if (percentage !== undefined) threshold = Math.min(threshold, Math.floor((total * percentage) / 100));
  return threshold;
};

/** A child is done: its parent's history chain continues from the latest of its children's. */
const joinChain = (parent: Frame, child: Frame): void => {
  if ((child.src ?? 0) > (parent.src ?? 0)) parent.src = child.src;
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

/**
 * A sibling branch or iteration failed: stop every other child still running, recording what AWS
 * records for them (`MapIterationAborted` for an inline Map's iteration, then `<Type>StateAborted`
 * for the state it was in).
 */
const abortChildren = (c: Core, tx: Tx, frame: Frame, except?: string): void => {
  const { exec } = tx;
  const ph = frame.phase;
  const inlineMap = ph.k === 'branches' && ph.kind === 'Map' && ph.mapRun === undefined;
  for (const f of [...exec.frames.values()]) {
    if (f.parent !== frame.id || f.id === except || f.phase.k === 'parked') continue;
    if (inlineMap) {
      c.emit(
        tx,
        'MapIterationAborted',
        { mapIterationAbortedEventDetails: { name: frame.state, index: f.slot } },
        f,
        true,
      );
    }
    if (f.phase.k === 'branches') {
      abortChildren(c, tx, f);
      if (f.phase.mapRun !== undefined) closeMapRun(c, tx, f, 'ABORTED');
    }
    const st = machineAt(exec.def, f.path)?.States[f.state];
    if (st) c.emit(tx, `${st.Type}StateAborted`, undefined, f, true);
    if (f.phase.k === 'branches') {
      c.touch(tx, f);
    } else park(c, tx, f);
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
