/**
 * Map Runs: a Distributed Map's items run as child workflow executions of a Map Run. The engine runs
 * them as hidden frames of the parent (their events stay out of its history); this module keeps what
 * AWS shows of them (DescribeMapRun, ListMapRuns, ListExecutions on a Map Run, DescribeExecution and
 * GetExecutionHistory of a child): the run's record on the parent's meta (journaled when the run
 * starts and ends), its items' outcomes while it runs (from the Map's phase and frames), and each
 * child's dates, input and output in memory.
 */
import { createHash } from 'node:crypto';
import type { Core, Exec, Tx } from './core.ts';
import type { Frame, MapRunMeta } from './model.ts';
import type { Json } from './types.ts';

export type ChildStatus = 'PENDING' | 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';

/** A child execution's details kept in memory (not journaled). */
export interface ChildInfo {
  start: number;
  stop?: number;
  input: Json;
  output?: Json;
  error?: string;
  cause?: string;
}

/** A child execution of a Map Run as the API shows it. */
export interface ChildView {
  arn: string;
  name: string;
  index: number;
  status: ChildStatus;
  mapRunArn: string;
  stateMachineArn: string;
  start: number;
  stop?: number;
  info?: ChildInfo;
}

/** A Map Run as the API shows it. */
export interface MapRunView {
  run: MapRunMeta;
  executionArn: string;
  stateMachineArn: string;
  children: ChildView[];
}

const CODES: Record<string, ChildStatus> = {
  P: 'PENDING',
  R: 'RUNNING',
  S: 'SUCCEEDED',
  F: 'FAILED',
  A: 'ABORTED',
};

/** The child execution's name: a UUID derived from the Map Run and the item index. */
export const childName = (mapRunArn: string, index: number): string => {
  const h = createHash('sha256').update(`${mapRunArn}#${index}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
};

/** `…:mapRun:<machine>/<label>:<id>` → the Map Run's state machine and its children's ARN prefix. */
const runParts = (mapRunArn: string): { stateMachineArn: string; childPrefix: string } => {
  const m = /^(arn:[^:]+:states:[^:]*:[^:]*):mapRun:([^:]+):[^:]+$/.exec(mapRunArn);
  const base = m?.[1] ?? '';
  const path = m?.[2] ?? '';
  return { stateMachineArn: `${base}:stateMachine:${path}`, childPrefix: `${base}:execution:${path}:` };
};

/** Start recording a Map Run (inside the transaction that starts it). */
export const openMapRun = (
  tx: Tx,
  arn: string,
  label: string,
  state: string,
  start: number,
  total: number,
  cfg: { max?: number | undefined; count?: number | undefined; pct?: number | undefined },
  sizes?: number[],
): void => {
  const m = tx.exec.meta;
  const run: MapRunMeta = {
    arn,
    label,
    state,
    start,
    status: 'RUNNING',
    total,
    max: cfg.max ?? 0,
    ...(cfg.count !== undefined ? { count: cfg.count } : {}),
    ...(cfg.pct !== undefined ? { pct: cfg.pct } : {}),
    ...(sizes !== undefined ? { sizes } : {}),
  };
  m.mapRuns = [...(m.mapRuns ?? []), run];
  tx.meta = true;
};

/** An item started (its child execution). */
export const childStarted = (c: Core, mapRunArn: string, index: number, input: Json): void => {
  c.mapRunChildren.set(childKey(mapRunArn, index), { start: c.clock.now(), input });
};

/** An item's child execution ended. */
export const childEnded = (
  c: Core,
  mapRunArn: string,
  index: number,
  r: { output?: Json; error?: string; cause?: string },
): void => {
  const info = c.mapRunChildren.get(childKey(mapRunArn, index));
  if (!info) return;
  info.stop = c.clock.now();
  if ('output' in r) info.output = r.output;
  if (r.error !== undefined) info.error = r.error;
  if (r.cause !== undefined) info.cause = r.cause;
};

const childKey = (mapRunArn: string, index: number) => `${mapRunArn}#${index}`;

/** The item outcomes of a running Map Run, one code each (P, R, S, F, A), from the Map's frame. */
const liveCodes = (exec: Exec, frame: Frame, closing: boolean): string => {
  const ph = frame.phase;
  if (ph.k !== 'branches') return '';
  const failed = new Set(ph.failedItems ?? []);
  const redo = new Set(ph.redo ?? []);
  let out = '';
  for (let i = 0; i < ph.total; i++) {
    if (failed.has(i)) out += 'F';
    else if (redo.has(i)) out += 'P';
    else if (exec.frames.has(`${frame.id}.${ph.seq}.${i}`)) out += closing ? 'A' : 'R';
    else if (i >= (ph.next ?? 0)) out += 'P';
    else out += 'S';
  }
  return out;
};

/**
 * The Map Run of `frame` ends (SUCCEEDED, FAILED, or ABORTED when the execution or an enclosing
 * state stops it): its record gets its stop date and its items' outcomes (a new record object: the
 * meta is shared with a snapshot being written).
 */
export const closeMapRun = (
  c: Core,
  tx: Tx,
  frame: Frame,
  status: 'SUCCEEDED' | 'FAILED' | 'ABORTED',
): void => {
  const ph = frame.phase;
  if (ph.k !== 'branches' || ph.mapRun === undefined) return;
  const m = tx.exec.meta;
  const arn = ph.mapRun;
  const run = m.mapRuns?.find((r) => r.arn === arn);
  if (run?.status !== 'RUNNING') return;
  const items = liveCodes(tx.exec, frame, true);
  const now = c.clock.now();
  for (let i = 0; i < items.length; i++) if (items[i] === 'A') childEnded(c, arn, i, {});
  m.mapRuns = m.mapRuns!.map((r) => (r.arn === arn ? { ...r, status, stop: now, items } : r));
  tx.meta = true;
};

/**
 * The execution is redriven and the Map of `frame` carries on: its Map Run runs again (RUNNING, its
 * redrive counted, `MapRunRedriven`), its failed items first ("Redriving Map Runs": the unsuccessful
 * child workflow executions are restarted), then those never started.
 */
export const reopenMapRun = (c: Core, tx: Tx, frame: Frame): void => {
  const ph = frame.phase;
  if (ph.k !== 'branches' || ph.mapRun === undefined) return;
  const m = tx.exec.meta;
  const arn = ph.mapRun;
  const failed = ph.failedItems ?? [];
  if (failed.length) {
    ph.redo = [...(ph.redo ?? []), ...failed];
    ph.failed = Math.max(0, ph.failed - failed.length);
    ph.results = ph.results.map((r, i) => (failed.includes(i) ? null : r));
    delete ph.failedItems;
    for (const i of failed) c.mapRunChildren.delete(childKey(arn, i));
  }
  let count = 0;
  m.mapRuns = m.mapRuns?.map((r) => {
    if (r.arn !== arn || r.status === 'RUNNING') return r;
    const { stop: _stop, items: _items, ...rest } = r;
    count = (r.redriveCount ?? 0) + 1;
    return { ...rest, status: 'RUNNING', redriveCount: count, redriveDate: c.clock.now() };
  });
  tx.meta = true;
  if (count) {
    c.emit(
      tx,
      'MapRunRedriven',
      { mapRunRedrivenEventDetails: { mapRunArn: arn, redriveCount: count } },
      frame,
    );
  }
};

/** Find a Map Run by ARN: its execution and record. */
export const findMapRun = (c: Core, arn: string): { exec: Exec; run: MapRunMeta } | undefined => {
  for (const exec of c.execs.values()) {
    const run = exec.meta.mapRuns?.find((r) => r.arn === arn);
    if (run) return { exec, run };
  }
  return undefined;
};

/** A Map Run with its children, as of now. */
export const mapRunView = (c: Core, exec: Exec, run: MapRunMeta): MapRunView => {
  let codes = run.items;
  if (codes === undefined) {
    const frame = [...exec.frames.values()].find(
      (f) => f.phase.k === 'branches' && f.phase.mapRun === run.arn,
    );
    codes = frame ? liveCodes(exec, frame, false) : 'P'.repeat(run.total);
  }
  const { stateMachineArn, childPrefix } = runParts(run.arn);
  const children: ChildView[] = [];
  for (let i = 0; i < codes.length; i++) {
    const status = CODES[codes[i]!]!;
    if (status === 'PENDING') continue;
    const name = childName(run.arn, i);
    const info = c.mapRunChildren.get(childKey(run.arn, i));
    const stop = info?.stop ?? (status === 'RUNNING' ? undefined : run.stop);
    children.push({
      arn: `${childPrefix}${name}`,
      name,
      index: i,
      status,
      mapRunArn: run.arn,
      stateMachineArn,
      start: info?.start ?? run.start,
      ...(stop !== undefined ? { stop } : {}),
      ...(info ? { info } : {}),
    });
  }
  return { run: { ...run, items: codes }, executionArn: exec.meta.arn, stateMachineArn, children };
};

/** Find a Map Run's child execution by its ARN (`…:execution:<machine>/<label>:<name>`). */
export const findChild = (c: Core, arn: string): ChildView | undefined => {
  const m = /^(arn:[^:]+:states:[^:]*:[^:]*):execution:([^:/]+)\/([^:]+):([^:]+)$/.exec(arn);
  if (!m) return undefined;
  const runPrefix = `${m[1]}:mapRun:${m[2]}/${m[3]}:`;
  for (const exec of c.execs.values()) {
    for (const run of exec.meta.mapRuns ?? []) {
      if (!run.arn.startsWith(runPrefix)) continue;
      for (let i = 0; i < run.total; i++) {
        if (childName(run.arn, i) !== m[4]) continue;
        return mapRunView(c, exec, run).children.find((x) => x.index === i);
      }
    }
  }
  return undefined;
};
