/**
 * Durability: capturing the engine's state for a snapshot, compaction (snapshot + fresh journal),
 * and recovery (replaying snapshot and journal records, then resuming every open execution).
 * Journal records are written by Core.commit (one per transaction).
 */
import { definitionOf } from './asl.ts';
import type { Core, Exec } from './core.ts';
import { TERMINAL } from './core.ts';
import type { ExecMeta, Frame, JournalRecord, StateMachineRecord } from './model.ts';
import { invoke, notifyParent } from './tasks.ts';
import { armExecTimeout, armFrameTimers } from './timers.ts';
import type { HistoryEvent, Json } from './types.ts';

/** Frames and history events per snapshot record (bounds the length of one snapshot line). */
const SNAPSHOT_BATCH = 256;

interface CapturedExec {
  meta: ExecMeta;
  frames: Frame[];
  /** the live (append-only) history and its length at capture time */
  events: HistoryEvent[];
  eventCount: number;
}

/** A frame as of now: its mutable parts copied (values inside are immutable and shared). */
const copyFrame = (f: Frame): Frame => {
  const ph = f.phase;
  return {
    ...f,
    vars: { ...f.vars },
    retries: [...f.retries],
    phase: ph.k === 'branches' ? { ...ph, results: [...ph.results] } : { ...ph },
  };
};

/**
 * Snapshot records, produced lazily: every state machine, then per execution its meta with the first
 * frames, further frame batches, and its history in batches — the journal's record shapes, so
 * recovery replays a snapshot like a journal.
 */
function* snapshotRecords(machines: StateMachineRecord[], execs: CapturedExec[]): Generator<JournalRecord> {
  for (const sm of machines) yield { t: 'sm', sm };
  for (const x of execs) {
    const e = x.meta.arn;
    const first: JournalRecord = { t: 'x', e, m: x.meta };
    if (x.frames.length) first.f = x.frames.slice(0, SNAPSHOT_BATCH);
    yield first;
    for (let i = SNAPSHOT_BATCH; i < x.frames.length; i += SNAPSHOT_BATCH) {
      yield { t: 'x', e, f: x.frames.slice(i, i + SNAPSHOT_BATCH) };
    }
    for (let i = 0; i < x.eventCount; i += SNAPSHOT_BATCH) {
      yield { t: 'x', e, h: x.events.slice(i, Math.min(i + SNAPSHOT_BATCH, x.eventCount)) };
    }
  }
}

/**
 * Capture the whole state synchronously, at one instant, for a snapshot. The store serializes the
 * returned records lazily while the engine keeps running, so everything mutable is copied here:
 * execution metas and frames (phase counters, results, vars and retry counters change in place).
 * State values, history events and state machine records are never mutated and are shared; history
 * only grows, so its length at capture time is enough.
 */
const captureSnapshot = (c: Core): Iterable<JournalRecord> => {
  const machines = [...c.machines.values()];
  const execs: CapturedExec[] = [];
  for (const x of c.execs.values()) {
    if (x.meta.ephemeral) continue;
    execs.push({
      meta: { ...x.meta },
      frames: Array.from(x.frames.values(), copyFrame),
      events: x.events,
      eventCount: x.events.length,
    });
  }
  return snapshotRecords(machines, execs);
};

/** Compacts the journal into a snapshot every `every` records (backing off after a failure). */
export class Compactor {
  /** the compaction in progress; resolves (never rejects) with its error, if any */
  private running?: Promise<{ error: unknown } | undefined>;
  /** compact once the store has this many records since the last compaction */
  private at: number;
  /** consecutive failed compactions */
  failures = 0;

  constructor(
    private readonly core: Core,
    private readonly every: number,
  ) {
    this.at = every;
  }

  /** Resolves once no compaction is running. */
  settled(): Promise<unknown> | undefined {
    return this.running;
  }

  maybeCompact(): void {
    if (this.running || this.core.store.sinceCompact < this.at) return;
    void this.start();
  }

  private start(): Promise<{ error: unknown } | undefined> {
    const c = this.core;
    const run = c.store
      .compact(() => captureSnapshot(c))
      .then(
        () => {
          this.at = this.every;
          this.failures = 0;
          return undefined;
        },
        (error: unknown) => {
          // back off: the next attempt comes after another `every` records, not on every commit
          this.at = c.store.sinceCompact + this.every;
          if (this.failures++ === 0) {
            console.error(
              `[sfn-engine] compaction failed; retrying after ${this.every} more records (repeated failures are not logged)`,
              error,
            );
          }
          return { error };
        },
      )
      .finally(() => {
        this.running = undefined;
      });
    this.running = run;
    return run;
  }

  /** Write a snapshot now (after a compaction already in progress). Rejects if it fails. */
  async compact(): Promise<void> {
    while (this.running) await this.running;
    const r = await this.start();
    if (r) throw r.error;
  }
}

// ------------------------------------------------------------------ recovery

const makeExec = (meta: ExecMeta): Exec => ({
  meta,
  def: definitionOf(meta.definition),
  inputJson: JSON.parse(meta.input) as Json,
  frames: new Map(),
  events: [],
});

/** Apply one journal/snapshot record (idempotent: records carry whole frames and numbered events). */
const replay = (c: Core, r: JournalRecord): void => {
  if (r.t === 'sm') {
    c.machines.set(r.sm.arn, r.sm);
    return;
  }
  if (r.t === 'smdel') {
    c.machines.delete(r.arn);
    return;
  }
  let exec = c.execs.get(r.e);
  if (!exec) {
    if (!r.m) return;
    exec = makeExec(r.m);
    c.execs.set(r.e, exec);
  } else if (r.m) exec.meta = r.m;
  for (const f of r.f ?? []) exec.frames.set(f.id, f);
  for (const d of r.d ?? []) exec.frames.delete(d);
  for (const ev of r.h ?? []) if (ev.id > exec.events.length) exec.events.push(ev);
};

const resumeFrame = (c: Core, exec: Exec, frame: Frame): void => {
  const ph = frame.phase;
  switch (ph.k) {
    case 'enter':
    case 'run':
      c.scheduleFrame(exec, frame);
      break;
    case 'wait':
    case 'retry':
      armFrameTimers(c, exec, frame);
      break;
    case 'task':
      if (ph.token) c.tokens.set(ph.token, { exec: exec.meta.arn, frame: frame.id, seq: ph.seq });
      armFrameTimers(c, exec, frame);
      if (ph.child) {
        const child = c.execs.get(ph.child);
        if (child && TERMINAL.includes(child.meta.status)) notifyParent(c, child);
      } else if (!ph.submitted) {
        // scheduled but no committed result: invoke again with the same idempotency key
        invoke(c, exec, frame);
      }
      break;
    default:
      break;
  }
};

/** Load state from the store and resume every open execution. */
export const recover = async (c: Core): Promise<void> => {
  const { snapshot, records } = await c.store.open();
  for (const r of snapshot?.records ?? []) replay(c, r);
  for (const r of records) replay(c, r);
  for (const exec of c.execs.values()) {
    if (exec.meta.status !== 'RUNNING') continue;
    armExecTimeout(c, exec);
    for (const frame of exec.frames.values()) resumeFrame(c, exec, frame);
  }
};
