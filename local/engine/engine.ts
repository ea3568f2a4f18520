import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { evalRule } from './choice.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { realClock } from './clock.ts';
import { ApiError, ERR, errorMatches, StatesError, toStatesError } from './errors.ts';
import type { JsonataScope } from './jsonata.ts';
import { evalExpr, evalJsonataTemplate, isJsonataExpr } from './jsonata.ts';
import { writePath } from './jsonpath.ts';
import type { ExecMeta, Frame, JournalRecord, StateMachineRecord, Store } from './model.ts';
import type { Scope } from './payload.ts';
import { applyPath, evalDynamic, evalTemplate, resolvePath } from './payload.ts';
import { MemoryStore } from './store.ts';
import type {
  ExecutionStatus,
  HistoryEvent,
  Json,
  JsonObject,
  MachineDef,
  QueryLanguage,
  StateDef,
} from './types.ts';
import { clone, isObject } from './types.ts';
import { formatProblems, validateDefinition } from './validate.ts';

export interface TaskContext {
  /** present for `.waitForTaskToken` resources */
  taskToken?: string;
  executionArn: string;
  /** ARN of the execution's state machine */
  stateMachineArn?: string;
  stateName: string;
  /** aborted when the task times out, the execution stops, or a sibling branch fails */
  signal: AbortSignal;
  /** stable across re-invocations after a crash (execution + frame + TaskScheduled event id) */
  idempotencyKey: string;
  /** extends the task's HeartbeatSeconds deadline */
  heartbeat(): void;
}

/** Runs a Task state's resource. Throw (e.g. TaskFailure) to fail the task with an error name. */
export type TaskHandler = (resource: string, input: Json, ctx: TaskContext) => Promise<unknown>;

export interface EngineOptions {
  store?: Store;
  clock?: Clock;
  taskHandler?: TaskHandler;
  region?: string;
  accountId?: string;
  /** compact the journal into a snapshot after this many records (default 20,000) */
  compactEvery?: number;
  /** random source for retry jitter (tests may pin it) */
  random?: () => number;
  /**
   * Called with each history event as its transition commits (for a runtime's output stream).
   * Must not throw or block: it runs on the engine's hot path.
   */
  onHistoryEvent?: (executionArn: string, event: HistoryEvent) => void;
}

interface Exec {
  meta: ExecMeta;
  def: MachineDef;
  inputJson: Json;
  frames: Map<string, Frame>;
  events: HistoryEvent[];
}

interface Tx {
  exec: Exec;
  frames: Set<Frame>;
  deleted: Set<string>;
  events: HistoryEvent[];
  meta: boolean;
  after: (() => void)[];
}

type Job = () => Promise<void> | void;

/** Aborts a running task; the AbortController behind `ctx.signal` is created only if a handler reads it. */
class Abort {
  aborted = false;
  private ac?: AbortController;
  get signal(): AbortSignal {
    if (!this.ac) {
      this.ac = new AbortController();
      if (this.aborted) this.ac.abort();
    }
    return this.ac.signal;
  }
  abort(): void {
    this.aborted = true;
    this.ac?.abort();
  }
}

const TERMINAL: ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS forbids control characters in names
const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;
const STATES_START = /^arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/;

const iso = (ms: number) => new Date(ms).toISOString();

/** A frame runs at most this many states per job before it yields to other jobs. */
const STATES_PER_JOB = 200;
/** The run queue yields to the event loop (I/O, timers, API callers) after this much busy time. */
const SLICE_MS = 5;

interface ResourceInfo {
  resourceType: string;
  resource: string;
  lambda: boolean;
  /** `states:startExecution[...]`, run by the engine itself */
  startsExecution: boolean;
}
const resourceInfos = new Map<string, ResourceInfo>();

/** resourceType/resource as Step Functions reports them in history events (parsed once per ARN) */
const describeResource = (resource: string): ResourceInfo => {
  let info = resourceInfos.get(resource);
  if (info) return info;
  const m = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:([^:]+):(.+)$/.exec(resource);
  const startsExecution = STATES_START.test(resource);
  if (m) info = { resourceType: m[1]!, resource: m[2]!, lambda: false, startsExecution };
  else if (/^arn:aws[a-z-]*:lambda:/.test(resource))
    info = { resourceType: 'lambda', resource, lambda: true, startsExecution };
  else info = { resourceType: 'unknown', resource, lambda: false, startsExecution };
  if (resourceInfos.size > 10_000) resourceInfos.clear();
  resourceInfos.set(resource, info);
  return info;
};

/**
 * A history field holding a JSON document as text (`input`, `output`, `parameters`, assigned
 * variables). The text is produced on first use — GetExecutionHistory, a journal record, a snapshot —
 * instead of on every transition. Safe because state values are never mutated in place: every step
 * builds new objects (templates, ResultPath copy-on-write) and handlers get a copy.
 */
class JsonText {
  private text?: string;
  constructor(private readonly value: unknown) {}
  toJSON(): string {
    if (this.text === undefined) this.text = JSON.stringify(this.value);
    return this.text;
  }
}

/** Expand the deferred fields of a history event (a copy; stored events are left as they are). */
const expandDetails = (v: unknown): unknown => {
  if (v instanceof JsonText) return v.toJSON();
  if (Array.isArray(v)) return v.map(expandDetails);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = expandDetails(x);
    return out;
  }
  return v;
};

/** Parsed definitions, shared by every execution of the same definition text (never mutated). */
const parsedDefs = new Map<string, MachineDef>();
const parseDefinition = (text: string): MachineDef => {
  let def = parsedDefs.get(text);
  if (!def) {
    def = JSON.parse(text) as MachineDef;
    if (parsedDefs.size > 1000) parsedDefs.clear();
    parsedDefs.set(text, def);
  }
  return def;
};

/** Effective QueryLanguage per state object (a state object sits at one place in one definition). */
const stateLanguages = new WeakMap<StateDef, QueryLanguage>();

const fieldOf = (st: StateDef, k: string): unknown => st[k];

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

export class Engine {
  readonly clock: Clock;
  readonly store: Store;
  readonly region: string;
  readonly accountId: string;
  private handler: TaskHandler;
  private readonly random: () => number;
  private readonly onHistoryEvent: EngineOptions['onHistoryEvent'];
  private readonly compactEvery: number;

  private machines = new Map<string, StateMachineRecord>();
  private execs = new Map<string, Exec>();
  private tokens = new Map<string, { exec: string; frame: string; seq: number }>();
  private timers = new Map<string, TimerHandle[]>();
  private aborts = new Map<string, Abort>();
  private closeWaiters = new Map<string, (() => void)[]>();

  private queue: (Job | undefined)[] = [];
  private head = 0;
  private pumping = false;
  private queued = new Set<string>();
  private inflight = 0;
  private idleWaiters: (() => void)[] = [];
  /** the compaction in progress; resolves (never rejects) with its error, if any */
  private compaction?: Promise<{ error: unknown } | undefined>;
  /** compact once the store has this many records since the last compaction (backs off on failure) */
  private compactAt: number;
  /** consecutive failed compactions */
  compactFailures = 0;
  private unsettle?: () => void;
  private closed = false;
  /** counts committed transitions (state exits), for benchmarks */
  transitions = 0;

  constructor(opts: EngineOptions = {}) {
    this.clock = opts.clock ?? realClock();
    this.store = opts.store ?? new MemoryStore();
    this.region = opts.region ?? 'us-east-1';
    this.accountId = opts.accountId ?? '123456789012';
    this.handler =
      opts.taskHandler ??
      (async (resource) => {
        throw new StatesError(ERR.Runtime, `No task handler for resource ${resource}`);
      });
    this.random = opts.random ?? Math.random;
    this.onHistoryEvent = opts.onHistoryEvent;
    this.compactEvery = opts.compactEvery ?? 20_000;
    this.compactAt = this.compactEvery;
    this.unsettle = this.clock.onSettle?.(() => this.idle());
  }

  setTaskHandler(h: TaskHandler): void {
    this.handler = h;
  }

  // ------------------------------------------------------------------ scheduling

  private schedule(job: Job): void {
    this.queue.push(job);
    if (!this.pumping) {
      this.pumping = true;
      queueMicrotask(() => void this.pump());
    }
  }

  private async pump(): Promise<void> {
    let sliceStart = performance.now();
    let jobs = 0;
    while (this.head < this.queue.length) {
      const job = this.queue[this.head]!;
      this.queue[this.head++] = undefined;
      if (this.head > 4096 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
      try {
        // most jobs complete synchronously (Pass/Choice/... chains): no await, no microtask hop
        const r = job();
        if (r) await r;
      } catch (e) {
        // an engine bug must not kill the loop
        console.error('[sfn-engine] internal error', e);
      }
      // fairness: let I/O, timers and API callers in while a long backlog is being worked off
      if ((++jobs & 31) === 0 && performance.now() - sliceStart > SLICE_MS) {
        await new Promise<void>((r) => setImmediate(r));
        sliceStart = performance.now();
      }
    }
    this.queue = [];
    this.head = 0;
    this.pumping = false;
    this.checkIdle();
  }

  private checkIdle(): void {
    if (this.pumping || this.inflight > 0 || this.idleWaiters.length === 0) return;
    const ws = this.idleWaiters;
    this.idleWaiters = [];
    void this.store
      .flush()
      .then(() => this.compaction)
      .then(() => {
        for (const w of ws) w();
      });
  }

  /**
   * Resolves when no step is queued and no task handler is running (everything blocked or done), the
   * journal is flushed and no snapshot is being written.
   */
  idle(): Promise<void> {
    return new Promise<void>((r) => {
      this.idleWaiters.push(r);
      this.checkIdle();
    });
  }

  private run<T>(fn: () => Promise<T> | T): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.schedule(() => {
        let r: Promise<T> | T;
        try {
          r = fn();
        } catch (e) {
          reject(e);
          return;
        }
        if (r instanceof Promise) return r.then(resolve, reject);
        resolve(r);
      });
    });
  }

  private key(exec: Exec | string, frameId: string): string {
    return `${typeof exec === 'string' ? exec : exec.meta.arn}|${frameId}`;
  }

  private scheduleFrame(exec: Exec, frame: Frame): void {
    const k = this.key(exec, frame.id);
    if (this.queued.has(k)) return;
    this.queued.add(k);
    this.schedule(() => {
      this.queued.delete(k);
      return this.driveJob(exec, frame.id);
    });
  }

  private driveJob(exec: Exec, frameId: string): Promise<void> | undefined {
    const frame = exec.frames.get(frameId);
    if (!frame || exec.meta.status !== 'RUNNING') return;
    const tx = this.tx(exec);
    const p = this.drive(tx, frame);
    if (p) return p.then(() => this.commit(tx));
    this.commit(tx);
  }

  private tx(exec: Exec): Tx {
    return { exec, frames: new Set(), deleted: new Set(), events: [], meta: false, after: [] };
  }

  private commit(tx: Tx): void {
    const { exec } = tx;
    if (
      !exec.meta.ephemeral &&
      this.store.recording !== false &&
      (tx.events.length || tx.frames.size || tx.deleted.size || tx.meta)
    ) {
      const rec: JournalRecord = { t: 'x', e: exec.meta.arn };
      if (tx.meta) rec.m = exec.meta;
      const f = [...tx.frames].filter((x) => !tx.deleted.has(x.id) && exec.frames.get(x.id) === x);
      if (f.length) rec.f = f;
      if (tx.deleted.size) rec.d = [...tx.deleted];
      if (tx.events.length) rec.h = tx.events;
      this.store.append(rec);
    }
    if (this.onHistoryEvent) for (const e of tx.events) this.onHistoryEvent(exec.meta.arn, e);
    for (const a of tx.after) a();
    this.maybeCompact();
  }

  private maybeCompact(): void {
    if (this.compaction || this.store.sinceCompact < this.compactAt) return;
    void this.startCompaction();
  }

  private startCompaction(): Promise<{ error: unknown } | undefined> {
    const run = this.store
      .compact(() => this.captureSnapshot())
      .then(
        () => {
          this.compactAt = this.compactEvery;
          this.compactFailures = 0;
          return undefined;
        },
        (error: unknown) => {
          // back off: the next attempt comes after another compactEvery records, not on every commit
          this.compactAt = this.store.sinceCompact + this.compactEvery;
          if (this.compactFailures++ === 0) {
            console.error(
              `[sfn-engine] compaction failed; retrying after ${this.compactEvery} more records (repeated failures are not logged)`,
              error,
            );
          }
          return { error };
        },
      )
      .finally(() => {
        this.compaction = undefined;
      });
    this.compaction = run;
    return run;
  }

  /**
   * Write a snapshot now, whatever `compactEvery` says (after a compaction already in progress), e.g.
   * before a planned shutdown. Rejects if it fails.
   */
  async compact(): Promise<void> {
    while (this.compaction) await this.compaction;
    const r = await this.startCompaction();
    if (r) throw r.error;
  }

  /**
   * Capture the whole state synchronously, at one instant, for a snapshot. The store serializes the
   * returned records lazily while the engine keeps running, so everything mutable is copied here:
   * execution metas and frames (phase counters, results, vars and retry counters change in place).
   * State values, history events and state machine records are never mutated and are shared; history
   * only grows, so its length at capture time is enough.
   */
  private captureSnapshot(): Iterable<JournalRecord> {
    const machines = [...this.machines.values()];
    const execs: CapturedExec[] = [];
    for (const x of this.execs.values()) {
      if (x.meta.ephemeral) continue;
      execs.push({
        meta: { ...x.meta },
        frames: Array.from(x.frames.values(), copyFrame),
        events: x.events,
        eventCount: x.events.length,
      });
    }
    return snapshotRecords(machines, execs);
  }

  private emit(tx: Tx, type: string, details?: Record<string, unknown>): HistoryEvent {
    const { exec } = tx;
    const id = exec.events.length + 1;
    const ev: HistoryEvent = { id, previousEventId: id - 1, timestamp: this.clock.now(), type };
    if (details) for (const k in details) ev[k] = details[k];
    exec.events.push(ev);
    tx.events.push(ev);
    return ev;
  }

  private touch(tx: Tx, frame: Frame): void {
    tx.frames.add(frame);
  }

  // ------------------------------------------------------------------ recovery

  /** Load state from the store and resume every open execution. */
  async recover(): Promise<void> {
    const { snapshot, records } = await this.store.open();
    for (const r of snapshot?.records ?? []) this.replay(r);
    for (const r of records) this.replay(r);
    for (const exec of this.execs.values()) {
      if (exec.meta.status !== 'RUNNING') continue;
      this.armExecTimeout(exec);
      for (const frame of exec.frames.values()) this.resumeFrame(exec, frame);
    }
  }

  private makeExec(meta: ExecMeta, events: HistoryEvent[], frames: Frame[]): Exec {
    return {
      meta,
      def: parseDefinition(meta.definition),
      inputJson: JSON.parse(meta.input) as Json,
      frames: new Map(frames.map((f) => [f.id, f])),
      events,
    };
  }

  private replay(r: JournalRecord): void {
    if (r.t === 'sm') {
      this.machines.set(r.sm.arn, r.sm);
      return;
    }
    if (r.t === 'smdel') {
      this.machines.delete(r.arn);
      return;
    }
    let exec = this.execs.get(r.e);
    if (!exec) {
      if (!r.m) return;
      exec = this.makeExec(r.m, [], []);
      this.execs.set(r.e, exec);
    } else if (r.m) exec.meta = r.m;
    for (const f of r.f ?? []) exec.frames.set(f.id, f);
    for (const d of r.d ?? []) exec.frames.delete(d);
    for (const ev of r.h ?? []) if (ev.id > exec.events.length) exec.events.push(ev);
  }

  private resumeFrame(exec: Exec, frame: Frame): void {
    const ph = frame.phase;
    switch (ph.k) {
      case 'enter':
      case 'run':
        this.scheduleFrame(exec, frame);
        break;
      case 'wait':
      case 'retry':
        this.armTimers(exec, frame);
        break;
      case 'task':
        if (ph.token) this.tokens.set(ph.token, { exec: exec.meta.arn, frame: frame.id, seq: ph.seq });
        this.armTimers(exec, frame);
        if (ph.child) {
          const child = this.execs.get(ph.child);
          if (child && TERMINAL.includes(child.meta.status)) this.notifyParent(child);
        } else if (!ph.submitted) {
          // scheduled but no committed result: invoke again with the same idempotency key
          this.invoke(exec, frame);
        }
        break;
      default:
        break;
    }
  }

  // ------------------------------------------------------------------ timers

  private clearTimers(exec: Exec, frameId: string): void {
    const k = this.key(exec, frameId);
    const ts = this.timers.get(k);
    if (ts) for (const t of ts) t.cancel();
    this.timers.delete(k);
  }

  private addTimer(exec: Exec, frameId: string, due: number, job: Job): void {
    const k = this.key(exec, frameId);
    const h = this.clock.at(due, () => this.schedule(job));
    const list = this.timers.get(k);
    if (list) list.push(h);
    else this.timers.set(k, [h]);
  }

  private armTimers(exec: Exec, frame: Frame): void {
    this.clearTimers(exec, frame.id);
    const ph = frame.phase;
    if (ph.k === 'wait') {
      const due = ph.due;
      this.addTimer(exec, frame.id, due, () => this.onWaitDone(exec, frame.id, due));
    } else if (ph.k === 'retry') {
      const due = ph.due;
      this.addTimer(exec, frame.id, due, () => this.onRetryDue(exec, frame.id, due));
    } else if (ph.k === 'task') {
      const seq = ph.seq;
      if (ph.timeoutAt !== undefined) {
        this.addTimer(exec, frame.id, ph.timeoutAt, () =>
          this.onTaskTimeout(exec, frame.id, seq, ERR.Timeout, 'The task timed out (TimeoutSeconds).'),
        );
      }
      if (ph.heartbeatAt !== undefined) {
        const at = ph.heartbeatAt;
        this.addTimer(exec, frame.id, at, () => {
          const f = exec.frames.get(frame.id);
          if (f?.phase.k === 'task' && f.phase.seq === seq && f.phase.heartbeatAt === at) {
            return this.onTaskTimeout(
              exec,
              frame.id,
              seq,
              ERR.HeartbeatTimeout,
              'The task did not send a heartbeat in time.',
            );
          }
        });
      }
    }
  }

  private armExecTimeout(exec: Exec): void {
    const t = exec.def.TimeoutSeconds;
    if (!t) return;
    const h = this.clock.at(exec.meta.startDate + t * 1000, () =>
      this.schedule(() => {
        if (exec.meta.status !== 'RUNNING') return;
        const tx = this.tx(exec);
        this.closeExecution(tx, 'TIMED_OUT', {
          error: ERR.Timeout,
          cause: 'The execution timed out (TimeoutSeconds).',
        });
        this.commit(tx);
      }),
    );
    const list = this.timers.get(this.key(exec, '#exec'));
    if (list) list.push(h);
    else this.timers.set(this.key(exec, '#exec'), [h]);
  }

  private onWaitDone(exec: Exec, frameId: string, due: number): Promise<void> | undefined {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'wait' || frame.phase.due !== due || exec.meta.status !== 'RUNNING') return;
    const ph = frame.phase;
    const tx = this.tx(exec);
    const st = this.stateDef(exec, frame);
    this.finishState(tx, frame, st, ph.out, ph.assign);
    return this.driveAndCommit(tx, frame);
  }

  private onRetryDue(exec: Exec, frameId: string, due: number): Promise<void> | undefined {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'retry' || frame.phase.due !== due || exec.meta.status !== 'RUNNING') return;
    frame.phase = { k: 'run' };
    const tx = this.tx(exec);
    this.touch(tx, frame);
    return this.driveAndCommit(tx, frame);
  }

  private async onTaskTimeout(
    exec: Exec,
    frameId: string,
    seq: number,
    error: string,
    cause: string,
  ): Promise<void> {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || exec.meta.status !== 'RUNNING') return;
    const ph = frame.phase;
    const tx = this.tx(exec);
    this.endTask(exec, frame);
    const d = describeResource(ph.resource);
    if (d.lambda)
      this.emit(tx, 'LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error, cause } });
    else
      this.emit(tx, 'TaskTimedOut', {
        taskTimedOutEventDetails: { resourceType: d.resourceType, resource: d.resource, error, cause },
      });
    if (ph.child) {
      const child = this.execs.get(ph.child);
      if (child && child.meta.status === 'RUNNING')
        this.schedule(() => this.stopNow(child, 'States.Timeout', 'Parent task timed out'));
    }
    await this.stateError(tx, frame, new StatesError(error, cause));
    await this.drive(tx, frame);
    this.commit(tx);
  }

  // ------------------------------------------------------------------ the interpreter

  private stateDef(exec: Exec, frame: Frame): StateDef {
    const m = this.machineAt(exec, frame.path);
    const st = m.States[frame.state];
    if (!st) throw new StatesError(ERR.Runtime, `State ${frame.state} does not exist`);
    return st;
  }

  private machineAt(exec: Exec, path: (string | number)[]): MachineDef & { QueryLanguage?: QueryLanguage } {
    let cur: unknown = exec.def;
    for (const p of path) cur = (cur as Record<string | number, unknown>)[p];
    return cur as MachineDef;
  }

  private queryLanguage(exec: Exec, frame: Frame, st: StateDef): QueryLanguage {
    if (st.QueryLanguage) return st.QueryLanguage as QueryLanguage;
    let ql = stateLanguages.get(st);
    if (!ql) {
      ql = this.inheritedLanguage(exec, frame);
      stateLanguages.set(st, ql);
    }
    return ql;
  }

  private inheritedLanguage(exec: Exec, frame: Frame): QueryLanguage {
    // inherit along the path: nearest enclosing state/branch with a QueryLanguage
    let ql: QueryLanguage = exec.def.QueryLanguage ?? 'JSONPath';
    let cur: unknown = exec.def;
    for (const p of frame.path) {
      cur = (cur as Record<string | number, unknown>)[p];
      const q = (cur as { QueryLanguage?: QueryLanguage } | undefined)?.QueryLanguage;
      if (q) ql = q;
    }
    return ql;
  }

  private context(exec: Exec, frame: Frame, token?: string): JsonObject {
    const m = exec.meta;
    const ctx: JsonObject = {
      Execution: {
        Id: m.arn,
        Input: exec.inputJson,
        Name: m.name,
        RoleArn: this.machines.get(m.smArn)?.roleArn ?? '',
        StartTime: iso(m.startDate),
        RedriveCount: m.redriveCount,
      },
      State: { EnteredTime: iso(frame.enteredAt), Name: frame.state, RetryCount: frame.retryCount },
      StateMachine: { Id: m.smArn, Name: m.smName },
    };
    if (m.redriveDate !== undefined) (ctx.Execution as JsonObject).RedriveTime = iso(m.redriveDate);
    if (token) ctx.Task = { Token: token };
    if (frame.item) ctx.Map = { Item: { Index: frame.item.index, Value: frame.item.value } };
    return ctx;
  }

  private scope(exec: Exec, frame: Frame, data: Json, token?: string): Scope {
    return new LazyScope(this, exec, frame, data, token);
  }

  /** @internal the `$$` context object of a frame (LazyScope builds it on first read) */
  contextOf(exec: Exec, frame: Frame, token?: string): JsonObject {
    return this.context(exec, frame, token);
  }

  private jscope(exec: Exec, frame: Frame, extra: JsonObject = {}, token?: string): JsonataScope {
    return {
      states: { input: frame.input, context: this.context(exec, frame, token), ...extra },
      vars: frame.vars,
    };
  }

  /**
   * Run a frame's states while it can make progress without waiting. States that complete
   * synchronously (JSONPath Pass/Choice/Succeed/Fail, starting a Task/Wait, ...) run in a plain loop;
   * only a state that really awaits (JSONata, Map item selection) returns a promise, and the loop
   * continues after it. At most STATES_PER_JOB states per job, then the frame is re-queued.
   */
  private drive(tx: Tx, frame: Frame, ran = 0): Promise<void> | undefined {
    const { exec } = tx;
    let n = ran;
    while ((frame.phase.k === 'enter' || frame.phase.k === 'run') && exec.meta.status === 'RUNNING') {
      if (exec.frames.get(frame.id) !== frame) return;
      if (++n > STATES_PER_JOB) {
        // be fair to other executions: continue later
        this.scheduleFrame(exec, frame);
        return;
      }
      this.touch(tx, frame);
      const p = this.runState(tx, frame);
      if (p) {
        const done = n;
        return p.then(() => this.drive(tx, frame, done));
      }
    }
  }

  private runState(tx: Tx, frame: Frame): Promise<void> | undefined {
    const { exec } = tx;
    let st: StateDef;
    try {
      st = this.stateDef(exec, frame);
    } catch (e) {
      this.failFrame(tx, frame, toStatesError(e));
      return;
    }
    if (frame.phase.k === 'enter') {
      frame.enteredAt = this.clock.now();
      frame.retries = [];
      frame.retryCount = 0;
      this.emit(tx, `${st.Type}StateEntered`, {
        stateEnteredEventDetails: {
          name: frame.state,
          input: new JsonText(frame.input),
          inputDetails: { truncated: false },
        },
      });
    }
    const ql = this.queryLanguage(exec, frame, st);
    try {
      const p = ql === 'JSONata' ? this.runJsonata(tx, frame, st) : this.runJsonPath(tx, frame, st);
      if (p) return p.catch((e: unknown) => this.stateThrew(tx, frame, e));
    } catch (e) {
      return this.stateThrew(tx, frame, e);
    }
  }

  private stateThrew(tx: Tx, frame: Frame, e: unknown): Promise<void> | undefined {
    const err =
      e instanceof StatesError ? e : new StatesError(ERR.Runtime, (e as Error)?.message ?? String(e));
    return this.stateError(tx, frame, err);
  }

  private runJsonPath(tx: Tx, frame: Frame, st: StateDef): Promise<void> | undefined {
    const { exec } = tx;
    const input = frame.input;
    const eff = applyPath(st.InputPath, input, this.scope(exec, frame, input), 'InputPath');
    switch (st.Type) {
      case 'Pass': {
        let result: Json = eff;
        if ('Result' in st) result = st.Result as Json;
        else if (st.Parameters !== undefined)
          result = evalTemplate(st.Parameters, this.scope(exec, frame, eff));
        const assign =
          st.Assign !== undefined
            ? (evalTemplate(st.Assign, this.scope(exec, frame, input), ERR.Runtime) as JsonObject)
            : undefined;
        const out = this.resultPath(exec, frame, st, input, result);
        this.finishState(tx, frame, st, out, assign);
        return;
      }
      case 'Succeed': {
        const out = applyPath(st.OutputPath, eff, this.scope(exec, frame, eff), 'OutputPath');
        this.finishState(tx, frame, st, out, undefined, null);
        return;
      }
      case 'Fail': {
        const error =
          st.ErrorPath !== undefined
            ? evalDynamic(st.ErrorPath as string, this.scope(exec, frame, input), 'ErrorPath', ERR.Runtime)
            : st.Error;
        const cause =
          st.CausePath !== undefined
            ? evalDynamic(st.CausePath as string, this.scope(exec, frame, input), 'CausePath', ERR.Runtime)
            : st.Cause;
        this.failState(tx, frame, String(error ?? ''), cause === undefined ? '' : String(cause));
        return;
      }
      case 'Choice': {
        const s = this.scope(exec, frame, eff);
        for (const rule of st.Choices as Record<string, unknown>[]) {
          if (evalRule(rule, s)) {
            const assign =
              rule.Assign !== undefined
                ? (evalTemplate(rule.Assign, s, ERR.Runtime) as JsonObject)
                : undefined;
            const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
            this.finishState(tx, frame, st, out, assign, rule.Next as string);
            return;
          }
        }
        if (typeof st.Default === 'string') {
          const assign =
            st.Assign !== undefined ? (evalTemplate(st.Assign, s, ERR.Runtime) as JsonObject) : undefined;
          const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
          this.finishState(tx, frame, st, out, assign, st.Default);
          return;
        }
        throw new StatesError(
          ERR.NoChoiceMatched,
          `No Choice Rules matched and no Default was specified in state ${frame.state}`,
        );
      }
      case 'Wait': {
        const s = this.scope(exec, frame, eff);
        let due: number;
        if (st.Seconds !== undefined) due = this.clock.now() + (st.Seconds as number) * 1000;
        else if (st.Timestamp !== undefined) due = this.parseTs(st.Timestamp);
        else if (st.SecondsPath !== undefined) {
          const v = this.readRuntimePath(st.SecondsPath as string, s, 'SecondsPath');
          if (typeof v !== 'number' || v < 0)
            throw new StatesError(
              ERR.Runtime,
              `The SecondsPath parameter does not reference a valid non-negative number: ${JSON.stringify(v)}`,
            );
          due = this.clock.now() + v * 1000;
        } else {
          const v = this.readRuntimePath(st.TimestampPath as string, s, 'TimestampPath');
          due = this.parseTs(v);
        }
        const assign =
          st.Assign !== undefined
            ? (evalTemplate(st.Assign, this.scope(exec, frame, input), ERR.Runtime) as JsonObject)
            : undefined;
        const out = applyPath(st.OutputPath, eff, s, 'OutputPath');
        this.startWait(tx, frame, st, due, out, assign);
        return;
      }
      case 'Task': {
        const token = this.isCallback(st.Resource as string) ? this.newToken() : undefined;
        const params =
          st.Parameters !== undefined
            ? evalTemplate(st.Parameters, this.scope(exec, frame, eff, token))
            : eff;
        const timeout = this.numberField(st, 'TimeoutSeconds', this.scope(exec, frame, eff));
        const hb = this.numberField(st, 'HeartbeatSeconds', this.scope(exec, frame, eff));
        this.startTask(tx, frame, st.Resource as string, params, timeout, hb, token);
        return;
      }
      case 'Parallel': {
        const params =
          st.Parameters !== undefined ? evalTemplate(st.Parameters, this.scope(exec, frame, eff)) : eff;
        this.startParallel(tx, frame, st, params);
        return;
      }
      case 'Map': {
        let items: Json = eff;
        if (st.ItemsPath !== undefined)
          items = this.readRuntimePath(st.ItemsPath as string, this.scope(exec, frame, eff), 'ItemsPath');
        if (!Array.isArray(items)) {
          throw new StatesError(
            ERR.Runtime,
            `Map state ${frame.state}: the items value is not an array: ${JSON.stringify(items)}`,
          );
        }
        const mc = this.numberField(st, 'MaxConcurrency', this.scope(exec, frame, eff)) ?? 0;
        return this.startMap(tx, frame, st, items, eff, mc);
      }
    }
    throw new StatesError(ERR.Runtime, `Unsupported state type ${st.Type}`);
  }

  private async runJsonata(tx: Tx, frame: Frame, st: StateDef): Promise<void> {
    const { exec } = tx;
    const input = frame.input;
    const js = (extra?: JsonObject, token?: string) => this.jscope(exec, frame, extra, token);
    const assignOf = async (tpl: unknown, scope: JsonataScope) =>
      tpl === undefined ? undefined : ((await evalJsonataTemplate(tpl, scope, 'Assign')) as JsonObject);
    switch (st.Type) {
      case 'Pass': {
        const s = js();
        const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : input;
        const assign = await assignOf(st.Assign, s);
        this.finishState(tx, frame, st, out, assign);
        return;
      }
      case 'Succeed': {
        const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, js(), 'Output') : input;
        this.finishState(tx, frame, st, out, undefined, null);
        return;
      }
      case 'Fail': {
        const s = js();
        const error = st.Error !== undefined ? await evalJsonataTemplate(st.Error, s, 'Error') : '';
        const cause = st.Cause !== undefined ? await evalJsonataTemplate(st.Cause, s, 'Cause') : '';
        this.failState(tx, frame, String(error), String(cause));
        return;
      }
      case 'Choice': {
        const s = js();
        for (const rule of st.Choices as Record<string, unknown>[]) {
          const c = await evalExpr(rule.Condition as string, s, 'Condition');
          if (typeof c !== 'boolean') {
            throw new StatesError(
              ERR.QueryEvaluationError,
              `The Condition '${String(rule.Condition)}' returned a non-boolean value`,
            );
          }
          if (c) {
            const out =
              rule.Output !== undefined ? await evalJsonataTemplate(rule.Output, s, 'Output') : input;
            this.finishState(tx, frame, st, out, await assignOf(rule.Assign, s), rule.Next as string);
            return;
          }
        }
        if (typeof st.Default === 'string') {
          const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : input;
          this.finishState(tx, frame, st, out, await assignOf(st.Assign, s), st.Default);
          return;
        }
        throw new StatesError(
          ERR.NoChoiceMatched,
          `No Choice Rules matched and no Default was specified in state ${frame.state}`,
        );
      }
      case 'Wait': {
        const s = js();
        let due: number;
        if (st.Seconds !== undefined) {
          const v = await evalJsonataTemplate(st.Seconds, s, 'Seconds');
          if (typeof v !== 'number' || v < 0)
            throw new StatesError(ERR.QueryEvaluationError, 'Seconds must be a non-negative number');
          due = this.clock.now() + v * 1000;
        } else {
          due = this.parseTs(await evalJsonataTemplate(st.Timestamp, s, 'Timestamp'));
        }
        const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : input;
        this.startWait(tx, frame, st, due, out, await assignOf(st.Assign, s));
        return;
      }
      case 'Task': {
        const token = this.isCallback(st.Resource as string) ? this.newToken() : undefined;
        const s = js({}, token);
        const args =
          st.Arguments !== undefined ? await evalJsonataTemplate(st.Arguments, s, 'Arguments') : input;
        const timeout = await this.jsonataNumber(st.TimeoutSeconds, s, 'TimeoutSeconds');
        const hb = await this.jsonataNumber(st.HeartbeatSeconds, s, 'HeartbeatSeconds');
        this.startTask(tx, frame, st.Resource as string, args, timeout, hb, token);
        return;
      }
      case 'Parallel': {
        const args =
          st.Arguments !== undefined ? await evalJsonataTemplate(st.Arguments, js(), 'Arguments') : input;
        this.startParallel(tx, frame, st, args);
        return;
      }
      case 'Map': {
        const s = js();
        const items = st.Items !== undefined ? await evalJsonataTemplate(st.Items, s, 'Items') : input;
        if (!Array.isArray(items)) {
          throw new StatesError(
            ERR.QueryEvaluationError,
            `Map state ${frame.state}: Items did not evaluate to an array`,
          );
        }
        const mc = (await this.jsonataNumber(st.MaxConcurrency, s, 'MaxConcurrency')) ?? 0;
        await this.startMap(tx, frame, st, items, input, mc);
        return;
      }
    }
    throw new StatesError(ERR.Runtime, `Unsupported state type ${st.Type}`);
  }

  private async jsonataNumber(v: unknown, s: JsonataScope, field: string): Promise<number | undefined> {
    if (v === undefined) return undefined;
    const n = isJsonataExpr(v) ? await evalExpr(v, s, field) : v;
    if (typeof n !== 'number')
      throw new StatesError(ERR.QueryEvaluationError, `${field} must evaluate to a number`);
    return n;
  }

  private numberField(st: StateDef, f: string, s: Scope): number | undefined {
    if (typeof st[f] === 'number') return st[f] as number;
    const p = st[`${f}Path`];
    if (typeof p !== 'string') return undefined;
    const v = this.readRuntimePath(p, s, `${f}Path`);
    if (typeof v !== 'number' || v < 0)
      throw new StatesError(ERR.Runtime, `${f}Path '${p}' does not reference a non-negative number`);
    return v;
  }

  private readRuntimePath(path: string, s: Scope, field: string): Json {
    return applyPath(path, s.data, s, field);
  }

  private parseTs(v: unknown): number {
    const t = typeof v === 'string' ? Date.parse(v) : Number.NaN;
    if (Number.isNaN(t)) throw new StatesError(ERR.Runtime, `Invalid timestamp: ${JSON.stringify(v)}`);
    return t;
  }

  private isCallback(resource: string): boolean {
    return resource.endsWith('.waitForTaskToken');
  }

  private newToken(): string {
    return randomBytes(48).toString('base64url');
  }

  private resultPath(exec: Exec, frame: Frame, st: StateDef, input: Json, result: Json): Json {
    let out: Json;
    if (st.ResultPath === null) out = input;
    else if (st.ResultPath === undefined) out = result;
    else out = writePath(st.ResultPath as string, input, result);
    if (st.OutputPath === undefined) return out;
    return applyPath(st.OutputPath, out, this.scope(exec, frame, out), 'OutputPath');
  }

  /**
   * Leave the current state: emit StateExited, apply Assign, go to `next` (default: st.Next) or end
   * the frame (`null` or End).
   */
  private finishState(
    tx: Tx,
    frame: Frame,
    st: StateDef,
    output: Json,
    assign: JsonObject | undefined,
    next?: string | null,
  ): void {
    const details: Record<string, unknown> = {
      name: frame.state,
      output: new JsonText(output),
      outputDetails: { truncated: false },
    };
    if (assign && Object.keys(assign).length) {
      const av: Record<string, JsonText> = {};
      for (const [k, v] of Object.entries(assign)) {
        frame.vars[k] = v;
        av[k] = new JsonText(v);
      }
      details.assignedVariables = av;
      details.assignedVariablesDetails = { truncated: false };
    }
    this.emit(tx, `${st.Type}StateExited`, { stateExitedEventDetails: details });
    this.transitions++;
    this.touch(tx, frame);
    const target = next === undefined ? (st.End === true ? null : (st.Next as string)) : next;
    if (target === null || target === undefined) {
      this.endFrame(tx, frame, output);
      return;
    }
    frame.state = target;
    frame.input = output;
    frame.phase = { k: 'enter' };
  }

  private startWait(tx: Tx, frame: Frame, st: StateDef, due: number, out: Json, assign?: JsonObject): void {
    if (due <= this.clock.now()) {
      this.finishState(tx, frame, st, out, assign);
      return;
    }
    frame.phase = assign ? { k: 'wait', due, out, assign } : { k: 'wait', due, out };
    const exec = tx.exec;
    tx.after.push(() => this.armTimers(exec, frame));
  }

  private failState(tx: Tx, frame: Frame, error: string, cause: string): void {
    this.failFrame(tx, frame, new StatesError(error, cause));
  }

  // ------------------------------------------------------------------ tasks

  private startTask(
    tx: Tx,
    frame: Frame,
    resource: string,
    params: Json,
    timeout: number | undefined,
    heartbeat: number | undefined,
    token: string | undefined,
  ): void {
    const { exec } = tx;
    const d = describeResource(resource);
    const now = this.clock.now();
    const seq = exec.events.length + 1;
    if (d.lambda) {
      this.emit(tx, 'LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: new JsonText(params),
          inputDetails: { truncated: false },
          ...(timeout ? { timeoutInSeconds: timeout } : {}),
        },
      });
      this.emit(tx, 'LambdaFunctionStarted');
    } else {
      this.emit(tx, 'TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: d.resourceType,
          resource: d.resource,
          region: this.region,
          parameters: new JsonText(params),
          ...(timeout ? { timeoutInSeconds: timeout } : {}),
          ...(heartbeat ? { heartbeatInSeconds: heartbeat } : {}),
        },
      });
      this.emit(tx, 'TaskStarted', {
        taskStartedEventDetails: { resourceType: d.resourceType, resource: d.resource },
      });
    }
    frame.phase = {
      k: 'task',
      seq,
      resource,
      params,
      ...(token ? { token } : {}),
      ...(timeout ? { timeoutAt: now + timeout * 1000 } : {}),
      ...(heartbeat ? { heartbeatSeconds: heartbeat, heartbeatAt: now + heartbeat * 1000 } : {}),
    };
    if (token) this.tokens.set(token, { exec: exec.meta.arn, frame: frame.id, seq });
    tx.after.push(() => {
      this.armTimers(exec, frame);
      this.invoke(exec, frame);
    });
  }

  private endTask(exec: Exec, frame: Frame): void {
    const ph = frame.phase;
    if (ph.k !== 'task') return;
    this.clearTimers(exec, frame.id);
    if (ph.token) this.tokens.delete(ph.token);
    const k = this.key(exec, frame.id);
    this.aborts.get(k)?.abort();
    this.aborts.delete(k);
  }

  /** Call the task handler once the TaskScheduled record is durable. */
  private invoke(exec: Exec, frame: Frame): void {
    const ph = frame.phase;
    if (ph.k !== 'task') return;
    const k = this.key(exec, frame.id);
    const ac = new Abort();
    this.aborts.set(k, ac);
    this.inflight++;
    this.callHandler(exec, frame, ph, ac).then(
      () => this.invoked(k, ac),
      (e) => {
        console.error('[sfn-engine] task invocation failed', e);
        this.invoked(k, ac);
      },
    );
  }

  private invoked(k: string, ac: Abort): void {
    this.inflight--;
    if (this.aborts.get(k) === ac) this.aborts.delete(k);
    this.checkIdle();
  }

  private async callHandler(
    exec: Exec,
    frame: Frame,
    ph: Extract<Frame['phase'], { k: 'task' }>,
    ac: Abort,
  ): Promise<void> {
    const seq = ph.seq;
    if (this.store.durable) await this.store.flush();
    const f = exec.frames.get(frame.id);
    if (f?.phase.k !== 'task' || f.phase.seq !== seq || exec.meta.status !== 'RUNNING') return;
    if (ac.aborted) return;
    if (describeResource(ph.resource).startsExecution) {
      await this.run(() => this.startChildTask(exec, frame.id, seq));
      return;
    }
    const ctx: TaskContext = {
      ...(ph.token ? { taskToken: ph.token } : {}),
      executionArn: exec.meta.arn,
      stateMachineArn: exec.meta.smArn,
      stateName: frame.state,
      get signal() {
        return ac.signal;
      },
      idempotencyKey: `${exec.meta.arn}#${frame.id}#${seq}`,
      heartbeat: this.heartbeater(exec, frame.id, seq),
    };
    let result: unknown;
    try {
      result = await this.handler(ph.resource, clone(ph.params), ctx);
    } catch (e) {
      const err = toStatesError(e);
      this.schedule(() => this.onTaskFailed(exec, frame.id, seq, err));
      return;
    }
    if (ph.token) this.schedule(() => this.onTaskSubmitted(exec, frame.id, seq, result));
    else this.schedule(() => this.onTaskSucceeded(exec, frame.id, seq, result));
  }

  private heartbeater(exec: Exec, frameId: string, seq: number): () => void {
    return () => this.schedule(() => this.heartbeatNow(exec, frameId, seq));
  }

  private heartbeatNow(exec: Exec, frameId: string, seq: number): void {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || !frame.phase.heartbeatSeconds) return;
    frame.phase.heartbeatAt = this.clock.now() + frame.phase.heartbeatSeconds * 1000;
    const tx = this.tx(exec);
    this.touch(tx, frame);
    tx.after.push(() => this.armTimers(exec, frame));
    this.commit(tx);
  }

  private onTaskSubmitted(exec: Exec, frameId: string, seq: number, result: unknown): void {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || exec.meta.status !== 'RUNNING') return;
    frame.phase.submitted = true;
    const d = describeResource(frame.phase.resource);
    const tx = this.tx(exec);
    this.touch(tx, frame);
    this.emit(tx, 'TaskSubmitted', {
      taskSubmittedEventDetails: {
        resourceType: d.resourceType,
        resource: d.resource,
        output: JSON.stringify(result ?? null),
        outputDetails: { truncated: false },
      },
    });
    this.commit(tx);
  }

  /** Drive the frame on, then commit the transaction (synchronously when nothing awaits). */
  private driveAndCommit(tx: Tx, frame: Frame): Promise<void> | undefined {
    const p = this.drive(tx, frame);
    if (p) return p.then(() => this.commit(tx));
    this.commit(tx);
  }

  private onTaskSucceeded(
    exec: Exec,
    frameId: string,
    seq: number,
    result: unknown,
  ): Promise<void> | undefined {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || exec.meta.status !== 'RUNNING') return;
    const d = describeResource(frame.phase.resource);
    const text = result === undefined ? 'null' : JSON.stringify(result);
    const out = JSON.parse(text) as Json;
    const tx = this.tx(exec);
    this.endTask(exec, frame);
    if (d.lambda) {
      this.emit(tx, 'LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: { output: text, outputDetails: { truncated: false } },
      });
    } else {
      this.emit(tx, 'TaskSucceeded', {
        taskSucceededEventDetails: {
          resourceType: d.resourceType,
          resource: d.resource,
          output: text,
          outputDetails: { truncated: false },
        },
      });
    }
    frame.phase = { k: 'run' };
    const p = this.applyResult(tx, frame, out);
    if (p) return p.then(() => this.driveAndCommit(tx, frame));
    return this.driveAndCommit(tx, frame);
  }

  private onTaskFailed(
    exec: Exec,
    frameId: string,
    seq: number,
    err: StatesError,
  ): Promise<void> | undefined {
    const frame = exec.frames.get(frameId);
    if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || exec.meta.status !== 'RUNNING') return;
    const d = describeResource(frame.phase.resource);
    const tx = this.tx(exec);
    this.endTask(exec, frame);
    if (d.lambda)
      this.emit(tx, 'LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: err.error, cause: err.cause },
      });
    else {
      this.emit(tx, 'TaskFailed', {
        taskFailedEventDetails: {
          resourceType: d.resourceType,
          resource: d.resource,
          error: err.error,
          cause: err.cause,
        },
      });
    }
    frame.phase = { k: 'run' };
    const p = this.stateError(tx, frame, err);
    if (p) return p.then(() => this.driveAndCommit(tx, frame));
    return this.driveAndCommit(tx, frame);
  }

  /** Task/Parallel/Map result processing, then leave the state. Errors go to Retry/Catch. */
  private applyResult(tx: Tx, frame: Frame, result: Json): Promise<void> | undefined {
    const { exec } = tx;
    const st = this.stateDef(exec, frame);
    if (this.queryLanguage(exec, frame, st) === 'JSONata') {
      return (async () => {
        try {
          const s = this.jscope(exec, frame, { result });
          const out = st.Output !== undefined ? await evalJsonataTemplate(st.Output, s, 'Output') : result;
          const assign =
            st.Assign !== undefined
              ? ((await evalJsonataTemplate(st.Assign, s, 'Assign')) as JsonObject)
              : undefined;
          this.finishState(tx, frame, st, out, assign);
        } catch (e) {
          await this.resultFailed(tx, frame, e);
        }
      })();
    }
    try {
      const selected =
        st.ResultSelector !== undefined
          ? evalTemplate(st.ResultSelector, this.scope(exec, frame, result))
          : result;
      const assign =
        st.Assign !== undefined
          ? (evalTemplate(st.Assign, this.scope(exec, frame, selected), ERR.Runtime) as JsonObject)
          : undefined;
      const out = this.resultPath(exec, frame, st, frame.input, selected);
      this.finishState(tx, frame, st, out, assign);
    } catch (e) {
      return this.resultFailed(tx, frame, e);
    }
  }

  private resultFailed(tx: Tx, frame: Frame, e: unknown): Promise<void> | undefined {
    return this.stateError(tx, frame, e instanceof StatesError ? e : new StatesError(ERR.Runtime, String(e)));
  }

  /** Retry / Catch / fail for an error raised in the frame's current state. */
  private stateError(tx: Tx, frame: Frame, err: StatesError): Promise<void> | undefined {
    const { exec } = tx;
    const st = this.stateDef(exec, frame);
    this.touch(tx, frame);
    if (st.Type === 'Task' || st.Type === 'Parallel' || st.Type === 'Map') {
      const retriers = (st.Retry as Record<string, unknown>[] | undefined) ?? [];
      for (let i = 0; i < retriers.length; i++) {
        const r = retriers[i]!;
        if (!errorMatches(r.ErrorEquals as string[], err.error)) continue;
        const attempts = frame.retries[i] ?? 0;
        const max = (r.MaxAttempts as number | undefined) ?? 3;
        if (attempts < max) {
          const interval = (r.IntervalSeconds as number | undefined) ?? 1;
          const rate = (r.BackoffRate as number | undefined) ?? 2;
          let delay = interval * rate ** attempts;
          if (typeof r.MaxDelaySeconds === 'number') delay = Math.min(delay, r.MaxDelaySeconds);
          if (r.JitterStrategy === 'FULL') delay = this.random() * delay;
          frame.retries[i] = attempts + 1;
          frame.retryCount++;
          this.dropChildren(tx, frame);
          const due = this.clock.now() + Math.round(delay * 1000);
          frame.phase = { k: 'retry', due };
          tx.after.push(() => this.armTimers(exec, frame));
          return;
        }
        break;
      }
      const catchers = (st.Catch as Record<string, unknown>[] | undefined) ?? [];
      for (const c of catchers) {
        if (!errorMatches(c.ErrorEquals as string[], err.error)) continue;
        this.dropChildren(tx, frame);
        const errorOutput: JsonObject = { Error: err.error, Cause: err.cause };
        const caught = (e: unknown) =>
          this.failFrame(tx, frame, e instanceof StatesError ? e : new StatesError(ERR.Runtime, String(e)));
        if (this.queryLanguage(exec, frame, st) === 'JSONata') {
          return (async () => {
            try {
              const s = this.jscope(exec, frame, { errorOutput });
              const out =
                c.Output !== undefined ? await evalJsonataTemplate(c.Output, s, 'Output') : errorOutput;
              const assign =
                c.Assign !== undefined
                  ? ((await evalJsonataTemplate(c.Assign, s, 'Assign')) as JsonObject)
                  : undefined;
              this.finishState(tx, frame, st, out, assign, c.Next as string);
            } catch (e) {
              caught(e);
            }
          })();
        }
        try {
          const s = this.scope(exec, frame, errorOutput);
          const assign =
            c.Assign !== undefined ? (evalTemplate(c.Assign, s, ERR.Runtime) as JsonObject) : undefined;
          const out =
            c.ResultPath === null
              ? frame.input
              : c.ResultPath === undefined
                ? errorOutput
                : writePath(c.ResultPath as string, frame.input, errorOutput);
          this.finishState(tx, frame, st, out, assign, c.Next as string);
        } catch (e) {
          caught(e);
        }
        return;
      }
    }
    this.failFrame(tx, frame, err);
  }

  // ------------------------------------------------------------------ Parallel / Map

  private childId(frame: Frame, seq: number, slot: number): string {
    return `${frame.id}.${seq}.${slot}`;
  }

  private newFrame(
    parent: Frame,
    id: string,
    slot: number,
    path: (string | number)[],
    startAt: string,
    input: Json,
  ): Frame {
    return {
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
      enteredAt: this.clock.now(),
    };
  }

  private startParallel(tx: Tx, frame: Frame, st: StateDef, input: Json): void {
    const { exec } = tx;
    const branches = st.Branches as MachineDef[];
    const seq = exec.events.length + 1;
    this.emit(tx, 'ParallelStateStarted');
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
      const child = this.newFrame(
        frame,
        this.childId(frame, seq, i),
        i,
        [...base, i],
        b.StartAt,
        input, // values are immutable: branches share the input
      );
      exec.frames.set(child.id, child);
      this.touch(tx, child);
      tx.after.push(() => this.scheduleFrame(exec, child));
    });
  }

  private startMap(
    tx: Tx,
    frame: Frame,
    _st: StateDef,
    items: Json[],
    input: Json,
    maxConcurrency: number,
  ): Promise<void> | undefined {
    const { exec } = tx;
    const seq = exec.events.length + 1;
    this.emit(tx, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
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
    void maxConcurrency;
    if (items.length === 0) return this.completeBranches(tx, frame);
    return this.startItems(tx, frame);
  }

  private mapMaxConcurrency(exec: Exec, frame: Frame, st: StateDef): number {
    if (typeof st.MaxConcurrency === 'number') return st.MaxConcurrency;
    if (typeof st.MaxConcurrencyPath === 'string' && frame.phase.k === 'branches') {
      try {
        const v = resolvePath(st.MaxConcurrencyPath, this.scope(exec, frame, frame.phase.input));
        if (typeof v === 'number') return v;
      } catch {
        return 0;
      }
    }
    return 0;
  }

  /** Start Map iterations up to MaxConcurrency (asynchronous only for a JSONata ItemSelector). */
  private startItems(tx: Tx, frame: Frame): Promise<void> | undefined {
    const { exec } = tx;
    const ph = frame.phase;
    if (ph.k !== 'branches' || ph.kind !== 'Map' || !ph.items) return;
    const st = this.stateDef(exec, frame);
    const ql = this.queryLanguage(exec, frame, st);
    const selector = st.ItemSelector ?? st.Parameters;
    const select =
      selector === undefined
        ? undefined
        : ql === 'JSONata'
          ? (probe: Frame) => evalJsonataTemplate(selector, this.jscope(exec, probe), 'ItemSelector')
          : (probe: Frame) => evalTemplate(selector, this.scope(exec, probe, ph.input));
    return this.startItemsWith(tx, frame, st, select);
  }

  private startItemsWith(
    tx: Tx,
    frame: Frame,
    st: StateDef,
    select: ((probe: Frame) => Json | Promise<Json>) | undefined,
  ): Promise<void> | undefined {
    const { exec } = tx;
    const ph = frame.phase;
    if (ph.k !== 'branches' || ph.kind !== 'Map' || !ph.items) return;
    const items = ph.items;
    const max = this.mapMaxConcurrency(exec, frame, st);
    const proc = (st.ItemProcessor ?? st.Iterator) as MachineDef;
    const procKey = st.ItemProcessor ? 'ItemProcessor' : 'Iterator';
    const next = (): Promise<void> | undefined => {
      while ((ph.next ?? 0) < ph.total && (max <= 0 || (ph.running ?? 0) < max)) {
        const i = ph.next ?? 0;
        ph.next = i + 1;
        ph.running = (ph.running ?? 0) + 1;
        const value = items[i]!;
        if (!select) {
          this.spawnItem(tx, frame, i, value, value, proc, procKey);
          continue;
        }
        const selected = select({ ...frame, item: { index: i, value } });
        if (selected instanceof Promise) {
          return selected.then((itemInput) => {
            this.spawnItem(tx, frame, i, value, itemInput, proc, procKey);
            return next();
          });
        }
        this.spawnItem(tx, frame, i, value, selected, proc, procKey);
      }
    };
    return next();
  }

  private spawnItem(
    tx: Tx,
    frame: Frame,
    i: number,
    value: Json,
    itemInput: Json,
    proc: MachineDef,
    procKey: string,
  ): void {
    const { exec } = tx;
    const ph = frame.phase;
    if (ph.k !== 'branches') return;
    const child = this.newFrame(
      frame,
      this.childId(frame, ph.seq, i),
      i,
      [...frame.path, 'States', frame.state, procKey],
      proc.StartAt,
      itemInput,
    );
    child.item = { index: i, value };
    exec.frames.set(child.id, child);
    this.touch(tx, child);
    this.emit(tx, 'MapIterationStarted', {
      mapIterationStartedEventDetails: { name: frame.state, index: i },
    });
    tx.after.push(() => this.scheduleFrame(exec, child));
  }

  private completeBranches(tx: Tx, frame: Frame): Promise<void> | undefined {
    const ph = frame.phase;
    if (ph.k !== 'branches') return;
    this.emit(tx, ph.kind === 'Parallel' ? 'ParallelStateSucceeded' : 'MapStateSucceeded');
    const results = ph.results as Json[];
    frame.phase = { k: 'run' };
    const p = this.applyResult(tx, frame, results);
    if (p) return p.then(() => this.continueAfterBranches(tx, frame));
    this.continueAfterBranches(tx, frame);
  }

  private continueAfterBranches(tx: Tx, frame: Frame): void {
    if (frame.phase.k === 'enter') tx.after.push(() => this.scheduleFrame(tx.exec, frame));
  }

  /** Remove every descendant frame (the state is being retried, caught or abandoned). */
  private dropChildren(tx: Tx, frame: Frame): void {
    const { exec } = tx;
    for (const f of [...exec.frames.values()]) {
      if (f.parent === frame.id) {
        this.dropChildren(tx, f);
        this.endTask(exec, f);
        this.clearTimers(exec, f.id);
        exec.frames.delete(f.id);
        tx.deleted.add(f.id);
      }
    }
  }

  /** Stop the in-flight work of all descendants, keeping the frames (for redrive). */
  private parkChildren(tx: Tx, frame: Frame, except?: string): void {
    const { exec } = tx;
    for (const f of exec.frames.values()) {
      if (f.parent === frame.id && f.id !== except) {
        this.parkChildren(tx, f);
        this.park(tx, f);
      }
    }
  }

  private park(tx: Tx, f: Frame): void {
    const { exec } = tx;
    if (f.phase.k === 'branches' || f.phase.k === 'parked') return;
    if (f.phase.k === 'task' && f.phase.child) {
      const child = this.execs.get(f.phase.child);
      if (child?.meta.status === 'RUNNING')
        this.schedule(() => this.stopNow(child, 'States.Aborted', 'Parent stopped'));
    }
    this.endTask(exec, f);
    this.clearTimers(exec, f.id);
    f.phase = { k: 'parked' };
    this.touch(tx, f);
  }

  /** The frame finished its last state. */
  private endFrame(tx: Tx, frame: Frame, output: Json): void {
    const { exec } = tx;
    if (frame.parent === undefined) {
      this.closeExecution(tx, 'SUCCEEDED', { output });
      return;
    }
    const parent = exec.frames.get(frame.parent);
    exec.frames.delete(frame.id);
    tx.deleted.add(frame.id);
    if (parent?.phase.k !== 'branches') return;
    const ph = parent.phase;
    ph.results[frame.slot ?? 0] = output;
    ph.done++;
    this.touch(tx, parent);
    if (ph.kind === 'Map') {
      ph.running = Math.max(0, (ph.running ?? 1) - 1);
      this.emit(tx, 'MapIterationSucceeded', {
        mapIterationSucceededEventDetails: { name: parent.state, index: frame.slot },
      });
    }
    frame.phase = { k: 'parked' };
    tx.after.push(() => this.schedule(() => this.branchProgress(exec, parent.id)));
  }

  /** After a child finished: start more Map items or complete the Parallel/Map state. */
  private branchProgress(exec: Exec, parentId: string): Promise<void> | undefined {
    const parent = exec.frames.get(parentId);
    if (parent?.phase.k !== 'branches' || parent.phase.failure || exec.meta.status !== 'RUNNING') return;
    const ph = parent.phase;
    const tx = this.tx(exec);
    let p: Promise<void> | undefined;
    if (ph.done + ph.failed >= ph.total) p = this.completeBranches(tx, parent);
    else if (ph.kind === 'Map') p = this.startItems(tx, parent);
    if (p) return p.then(() => this.commit(tx));
    this.commit(tx);
  }

  /** An unhandled error in a frame: propagate to the parent state, or fail the execution. */
  private failFrame(tx: Tx, frame: Frame, err: StatesError): void {
    const { exec } = tx;
    this.touch(tx, frame);
    if (frame.phase.k !== 'branches') {
      this.endTask(exec, frame);
      this.clearTimers(exec, frame.id);
      frame.phase = { k: 'parked', error: err.error, cause: err.cause };
    }
    if (frame.parent === undefined) {
      this.closeExecution(tx, 'FAILED', { error: err.error, cause: err.cause });
      return;
    }
    const parent = exec.frames.get(frame.parent);
    if (parent?.phase.k !== 'branches') return;
    const ph = parent.phase;
    const st = this.stateDef(exec, parent);
    if (ph.kind === 'Map') {
      this.emit(tx, 'MapIterationFailed', {
        mapIterationFailedEventDetails: { name: parent.state, index: frame.slot },
      });
      // distributed-mode tolerance
      const pct =
        typeof st.ToleratedFailurePercentage === 'number' ? st.ToleratedFailurePercentage : undefined;
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
          tx.after.push(() => this.schedule(() => this.branchProgress(exec, parent.id)));
          return;
        }
        err = new StatesError(
          ERR.ExceedToleratedFailureThreshold,
          `The specified tolerated failure threshold was exceeded (${ph.failed} of ${ph.total} items failed)`,
        );
      }
    }
    this.parkChildren(tx, parent, frame.id);
    this.emit(tx, ph.kind === 'Parallel' ? 'ParallelStateFailed' : 'MapStateFailed');
    ph.failure = { error: err.error, cause: err.cause };
    this.touch(tx, parent);
    // the Parallel/Map state itself may retry or catch; stateError is async only for JSONata catchers
    tx.after.push(() => {
      this.schedule(async () => {
        const p = exec.frames.get(parent.id);
        if (p?.phase.k !== 'branches' || exec.meta.status !== 'RUNNING') return;
        const t2 = this.tx(exec);
        await this.stateError(t2, p, err);
        await this.drive(t2, p);
        this.commit(t2);
      });
    });
  }

  // ------------------------------------------------------------------ execution lifecycle

  private closeExecution(
    tx: Tx,
    status: ExecutionStatus,
    r: { output?: Json; error?: string; cause?: string },
  ): void {
    const { exec } = tx;
    const m = exec.meta;
    if (m.status !== 'RUNNING') return;
    m.status = status;
    m.stopDate = this.clock.now();
    tx.meta = true;
    if (status === 'SUCCEEDED') {
      m.output = JSON.stringify(r.output ?? null);
      delete m.error;
      delete m.cause;
      this.emit(tx, 'ExecutionSucceeded', {
        executionSucceededEventDetails: { output: m.output, outputDetails: { truncated: false } },
      });
      for (const f of exec.frames.values()) {
        this.endTask(exec, f);
        this.clearTimers(exec, f.id);
        tx.deleted.add(f.id);
      }
      exec.frames.clear();
    } else {
      m.error = r.error;
      m.cause = r.cause;
      const type =
        status === 'FAILED'
          ? 'ExecutionFailed'
          : status === 'ABORTED'
            ? 'ExecutionAborted'
            : 'ExecutionTimedOut';
      const key =
        status === 'FAILED'
          ? 'executionFailedEventDetails'
          : status === 'ABORTED'
            ? 'executionAbortedEventDetails'
            : 'executionTimedOutEventDetails';
      this.emit(tx, type, {
        [key]: {
          ...(r.error !== undefined ? { error: r.error } : {}),
          ...(r.cause !== undefined ? { cause: r.cause } : {}),
        },
      });
      for (const f of exec.frames.values()) this.park(tx, f);
    }
    this.clearTimers(exec, '#exec');
    tx.after.push(() => {
      const ws = this.closeWaiters.get(m.arn);
      this.closeWaiters.delete(m.arn);
      if (ws) for (const w of ws) w();
      if (m.parent) this.notifyParent(exec);
    });
  }

  private notifyParent(child: Exec): void {
    const p = child.meta.parent;
    if (!p || p.sync === 0) return;
    const parent = this.execs.get(p.exec);
    if (!parent) return;
    this.schedule(async () => {
      const f = parent.frames.get(p.frame);
      if (f?.phase.k !== 'task' || f.phase.seq !== p.seq) return;
      const desc = this.describeExecutionNow(child);
      if (child.meta.status === 'SUCCEEDED') {
        const out: JsonObject = {
          ExecutionArn: desc.executionArn,
          Input: p.sync === 2 ? (JSON.parse(child.meta.input) as Json) : child.meta.input,
          InputDetails: { Included: true },
          Name: child.meta.name,
          Output:
            p.sync === 2 ? (JSON.parse(child.meta.output ?? 'null') as Json) : (child.meta.output ?? 'null'),
          OutputDetails: { Included: true },
          StartDate: child.meta.startDate,
          StateMachineArn: child.meta.smArn,
          Status: 'SUCCEEDED',
          StopDate: child.meta.stopDate ?? null,
        };
        await this.onTaskSucceeded(parent, p.frame, p.seq, out);
      } else {
        const cause = JSON.stringify({
          ExecutionArn: child.meta.arn,
          Status: child.meta.status,
          Error: child.meta.error,
          Cause: child.meta.cause,
        });
        await this.onTaskFailed(parent, p.frame, p.seq, new StatesError(ERR.TaskFailed, cause));
      }
    });
  }

  /** `arn:aws:states:::states:startExecution[.sync[:2]|.waitForTaskToken]`, run by the engine itself. */
  private async startChildTask(parent: Exec, frameId: string, seq: number): Promise<void> {
    const frame = parent.frames.get(frameId);
    if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || parent.meta.status !== 'RUNNING') return;
    const ph = frame.phase;
    const p = (isObject(ph.params) ? ph.params : {}) as JsonObject;
    const sync = ph.resource.endsWith('.sync:2') ? 2 : ph.resource.endsWith('.sync') ? 1 : 0;
    const name =
      typeof p.Name === 'string'
        ? p.Name
        : createHash('sha256').update(`${parent.meta.arn}#${frameId}#${seq}`).digest('hex').slice(0, 32);
    const input =
      p.Input === undefined ? '{}' : typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
    const smArn = String(p.StateMachineArn ?? '');
    let childArn: string;
    try {
      const sm = this.machines.get(smArn);
      const existing = sm ? this.execs.get(this.executionArn(sm, name)) : undefined;
      if (
        existing?.meta.parent &&
        existing.meta.parent.exec === parent.meta.arn &&
        existing.meta.parent.seq === seq
      ) {
        childArn = existing.meta.arn; // re-invocation after a crash: same child
      } else {
        const r = this.startNow(smArn, name, input, { exec: parent.meta.arn, frame: frameId, seq, sync });
        childArn = r.arn;
      }
    } catch (e) {
      const err =
        e instanceof ApiError
          ? new StatesError(`StepFunctions.${e.code}Exception`, e.message)
          : toStatesError(e);
      await this.onTaskFailed(parent, frameId, seq, err);
      return;
    }
    const child = this.execs.get(childArn)!;
    if (sync) {
      ph.child = childArn;
      const tx = this.tx(parent);
      this.touch(tx, frame);
      this.commit(tx);
      if (TERMINAL.includes(child.meta.status)) this.notifyParent(child);
      return;
    }
    const result = { ExecutionArn: childArn, StartDate: child.meta.startDate };
    if (ph.token) this.onTaskSubmitted(parent, frameId, seq, result);
    else await this.onTaskSucceeded(parent, frameId, seq, result);
  }

  // ------------------------------------------------------------------ public API (AWS-shaped)

  private smArn(name: string, type: 'STANDARD' | 'EXPRESS'): string {
    void type;
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  private executionArn(sm: StateMachineRecord, name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${name}`;
  }

  private getMachine(arn: unknown): StateMachineRecord {
    if (typeof arn !== 'string' || !arn.startsWith('arn:'))
      throw new ApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const sm = this.machines.get(arn);
    if (!sm) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  private getExec(arn: unknown): Exec {
    if (typeof arn !== 'string' || !arn.startsWith('arn:'))
      throw new ApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const x = this.execs.get(arn);
    if (!x) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return x;
  }

  private async durable(): Promise<void> {
    if (this.store.durable) await this.store.flush();
  }

  async createStateMachine(req: {
    name: string;
    definition: string;
    roleArn?: string;
    type?: 'STANDARD' | 'EXPRESS';
    description?: string;
  }): Promise<{ stateMachineArn: string; creationDate: Date }> {
    const r = await this.run(() => {
      if (typeof req.name !== 'string' || !NAME_RE.test(req.name))
        throw new ApiError('InvalidName', `Invalid Name: '${req.name}'`);
      const type = req.type ?? 'STANDARD';
      const { problems } = validateDefinition(req.definition);
      if (problems.length) throw new ApiError('InvalidDefinition', formatProblems(problems));
      const arn = this.smArn(req.name, type);
      const existing = this.machines.get(arn);
      if (existing) {
        if (
          existing.definition === req.definition &&
          existing.roleArn === (req.roleArn ?? existing.roleArn) &&
          existing.type === type
        ) {
          return existing;
        }
        throw new ApiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
      }
      const sm: StateMachineRecord = {
        arn,
        name: req.name,
        definition: req.definition,
        roleArn: req.roleArn ?? `arn:aws:iam::${this.accountId}:role/local-sfn`,
        type,
        creationDate: this.clock.now(),
        revisionId: randomUUID(),
        ...(req.description ? { description: req.description } : {}),
      };
      this.machines.set(arn, sm);
      this.store.append({ t: 'sm', sm });
      return sm;
    });
    await this.durable();
    return { stateMachineArn: r.arn, creationDate: new Date(r.creationDate) };
  }

  async updateStateMachine(req: {
    stateMachineArn: string;
    definition?: string;
    roleArn?: string;
  }): Promise<{ updateDate: Date; revisionId: string }> {
    const r = await this.run(() => {
      const sm = this.getMachine(req.stateMachineArn);
      if (req.definition !== undefined) {
        const { problems } = validateDefinition(req.definition);
        if (problems.length) throw new ApiError('InvalidDefinition', formatProblems(problems));
      }
      const next: StateMachineRecord = {
        ...sm,
        ...(req.definition !== undefined ? { definition: req.definition } : {}),
        ...(req.roleArn !== undefined ? { roleArn: req.roleArn } : {}),
        updateDate: this.clock.now(),
        revisionId: randomUUID(),
      };
      this.machines.set(sm.arn, next);
      this.store.append({ t: 'sm', sm: next });
      return next;
    });
    await this.durable();
    return { updateDate: new Date(r.updateDate!), revisionId: r.revisionId };
  }

  async describeStateMachine(req: { stateMachineArn: string }) {
    const sm = this.getMachine(req.stateMachineArn);
    return {
      stateMachineArn: sm.arn,
      name: sm.name,
      status: 'ACTIVE',
      definition: sm.definition,
      roleArn: sm.roleArn,
      type: sm.type,
      creationDate: new Date(sm.creationDate),
      revisionId: sm.revisionId,
      ...(sm.description ? { description: sm.description } : {}),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  }

  async listStateMachines(req: { maxResults?: number; nextToken?: string } = {}) {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(all, req.maxResults, req.nextToken);
    return {
      stateMachines: page.map((sm) => ({
        stateMachineArn: sm.arn,
        name: sm.name,
        type: sm.type,
        creationDate: new Date(sm.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async deleteStateMachine(req: { stateMachineArn: string }): Promise<Record<string, never>> {
    await this.run(() => {
      if (typeof req.stateMachineArn !== 'string' || !req.stateMachineArn.startsWith('arn:')) {
        throw new ApiError('InvalidArn', `Invalid Arn: '${req.stateMachineArn}'`);
      }
      if (this.machines.delete(req.stateMachineArn))
        this.store.append({ t: 'smdel', arn: req.stateMachineArn });
    });
    await this.durable();
    return {};
  }

  /** Synchronous part of StartExecution (runs inside a job). */
  private startNow(
    smArn: string,
    name: string | undefined,
    input: string | undefined,
    parent?: ExecMeta['parent'],
    opts: { ephemeral?: boolean } = {},
  ): { arn: string; startDate: number; reused: boolean } {
    const sm = this.getMachine(smArn);
    const execName = name ?? randomUUID();
    if (!NAME_RE.test(execName)) throw new ApiError('InvalidName', `Invalid Name: '${execName}'`);
    const inputText = input ?? '{}';
    let inputJson: Json;
    try {
      inputJson = JSON.parse(inputText) as Json;
    } catch {
      throw new ApiError(
        'InvalidExecutionInput',
        `Invalid State Machine Execution Input: 'Unexpected character'`,
      );
    }
    const arn = opts.ephemeral
      ? `arn:aws:states:${this.region}:${this.accountId}:express:${sm.name}:${execName}:${randomUUID()}`
      : this.executionArn(sm, execName);
    const existing = this.execs.get(arn);
    if (existing) {
      if (existing.meta.status === 'RUNNING' && existing.meta.input === inputText) {
        return { arn, startDate: existing.meta.startDate, reused: true };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const def = parseDefinition(sm.definition);
    const meta: ExecMeta = {
      arn,
      name: execName,
      smArn: sm.arn,
      smName: sm.name,
      definition: sm.definition,
      input: inputText,
      status: 'RUNNING',
      type: sm.type,
      startDate: this.clock.now(),
      redriveCount: 0,
      ...(parent ? { parent } : {}),
      ...(opts.ephemeral ? { ephemeral: true } : {}),
    };
    const exec: Exec = { meta, def, inputJson, frames: new Map(), events: [] };
    this.execs.set(arn, exec);
    const root: Frame = {
      id: 'r',
      path: [],
      state: def.StartAt,
      input: inputJson,
      vars: {},
      phase: { k: 'enter' },
      retries: [],
      retryCount: 0,
      enteredAt: meta.startDate,
    };
    exec.frames.set(root.id, root);
    const tx = this.tx(exec);
    tx.meta = true;
    this.touch(tx, root);
    this.emit(tx, 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: inputText,
        inputDetails: { truncated: false },
        roleArn: sm.roleArn,
      },
    });
    tx.after.push(() => {
      this.armExecTimeout(exec);
      this.scheduleFrame(exec, root);
    });
    this.commit(tx);
    return { arn, startDate: meta.startDate, reused: false };
  }

  async startExecution(req: {
    stateMachineArn: string;
    name?: string;
    input?: string;
    traceHeader?: string;
  }) {
    const r = await this.run(() => this.startNow(req.stateMachineArn, req.name, req.input));
    await this.durable();
    return { executionArn: r.arn, startDate: new Date(r.startDate) };
  }

  /** Express-style: run to completion and return the result (not journaled). */
  async startSyncExecution(req: { stateMachineArn: string; name?: string; input?: string }) {
    const r = await this.run(() => {
      const sm = this.getMachine(req.stateMachineArn);
      if (sm.type !== 'EXPRESS')
        throw new ApiError(
          'StateMachineTypeNotSupported',
          'This operation is only supported by EXPRESS state machines',
        );
      return this.startNow(req.stateMachineArn, req.name, req.input, undefined, { ephemeral: true });
    });
    await this.waitForExecution(r.arn);
    const d = await this.describeExecution({ executionArn: r.arn });
    return {
      executionArn: d.executionArn,
      stateMachineArn: d.stateMachineArn,
      name: d.name,
      startDate: d.startDate,
      stopDate: d.stopDate,
      status: d.status,
      input: d.input,
      inputDetails: { included: true },
      ...(d.output !== undefined ? { output: d.output, outputDetails: { included: true } } : {}),
      ...(d.error !== undefined ? { error: d.error } : {}),
      ...(d.cause !== undefined ? { cause: d.cause } : {}),
      billingDetails: { billedMemoryUsedInMB: 64, billedDurationInMilliseconds: 100 },
    };
  }

  /** Resolves once the execution is closed (SUCCEEDED/FAILED/TIMED_OUT/ABORTED). */
  waitForExecution(arn: string): Promise<void> {
    const x = this.getExec(arn);
    if (x.meta.status !== 'RUNNING') return Promise.resolve();
    return new Promise((r) => {
      const list = this.closeWaiters.get(arn);
      if (list) list.push(r);
      else this.closeWaiters.set(arn, [r]);
    });
  }

  private describeExecutionNow(x: Exec) {
    const m = x.meta;
    return {
      executionArn: m.arn,
      stateMachineArn: m.smArn,
      name: m.name,
      status: m.status,
      startDate: new Date(m.startDate),
      ...(m.stopDate !== undefined && m.status !== 'RUNNING' ? { stopDate: new Date(m.stopDate) } : {}),
      input: m.input,
      inputDetails: { included: true },
      ...(m.output !== undefined && m.status === 'SUCCEEDED'
        ? { output: m.output, outputDetails: { included: true } }
        : {}),
      ...(m.error !== undefined && m.status !== 'RUNNING' && m.status !== 'SUCCEEDED'
        ? { error: m.error }
        : {}),
      ...(m.cause !== undefined && m.status !== 'RUNNING' && m.status !== 'SUCCEEDED'
        ? { cause: m.cause }
        : {}),
      redriveCount: m.redriveCount,
      ...(m.redriveDate !== undefined ? { redriveDate: new Date(m.redriveDate) } : {}),
      redriveStatus: this.redriveStatus(x),
    };
  }

  /*
   * Reads answer only once what they show is durable (a flush of the records already appended;
   * a no-op when nothing is pending), so a caller never sees a state a crash would take back.
   */
  async describeExecution(req: { executionArn: string }) {
    const r = this.describeExecutionNow(this.getExec(req.executionArn));
    await this.durable();
    return r;
  }

  private redriveStatus(x: Exec): 'REDRIVABLE' | 'NOT_REDRIVABLE' | 'REDRIVABLE_BY_MAP_RUN' {
    const s = x.meta.status;
    return (s === 'FAILED' || s === 'ABORTED' || s === 'TIMED_OUT') && !x.meta.ephemeral
      ? 'REDRIVABLE'
      : 'NOT_REDRIVABLE';
  }

  async listExecutions(req: {
    stateMachineArn: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  }) {
    const sm = this.getMachine(req.stateMachineArn);
    const all = [...this.execs.values()]
      .filter(
        (x) =>
          x.meta.smArn === sm.arn &&
          !x.meta.ephemeral &&
          (!req.statusFilter || x.meta.status === req.statusFilter),
      )
      .sort((a, b) => b.meta.startDate - a.meta.startDate);
    const { page, nextToken } = paginate(all, req.maxResults, req.nextToken);
    await this.durable();
    return {
      executions: page.map((x) => ({
        executionArn: x.meta.arn,
        stateMachineArn: x.meta.smArn,
        name: x.meta.name,
        status: x.meta.status,
        startDate: new Date(x.meta.startDate),
        ...(x.meta.stopDate !== undefined && x.meta.status !== 'RUNNING'
          ? { stopDate: new Date(x.meta.stopDate) }
          : {}),
        redriveCount: x.meta.redriveCount,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async getExecutionHistory(req: {
    executionArn: string;
    maxResults?: number;
    reverseOrder?: boolean;
    nextToken?: string;
    includeExecutionData?: boolean;
  }) {
    const x = this.getExec(req.executionArn);
    let events = x.events.map((e) => ({
      ...(expandDetails(e) as HistoryEvent),
      timestamp: new Date(e.timestamp),
    }));
    if (req.reverseOrder) events = events.reverse();
    if (req.includeExecutionData === false) events = events.map(stripData);
    const { page, nextToken } = paginate(events, req.maxResults, req.nextToken);
    await this.durable();
    return { events: page, ...(nextToken ? { nextToken } : {}) };
  }

  private stopNow(exec: Exec, error?: string, cause?: string): void {
    if (exec.meta.status !== 'RUNNING') return;
    const tx = this.tx(exec);
    this.closeExecution(tx, 'ABORTED', {
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    this.commit(tx);
  }

  async stopExecution(req: { executionArn: string; error?: string; cause?: string }) {
    const stopDate = await this.run(() => {
      const x = this.getExec(req.executionArn);
      if (x.meta.status === 'RUNNING') this.stopNow(x, req.error, req.cause);
      else if (x.meta.status !== 'ABORTED') {
        throw new ApiError(
          'ValidationException',
          `Execution '${x.meta.arn}' is not running (status ${x.meta.status})`,
        );
      }
      return x.meta.stopDate ?? this.clock.now();
    });
    await this.durable();
    return { stopDate: new Date(stopDate) };
  }

  private taskByToken(token: unknown): { exec: Exec; frame: Frame; seq: number } {
    if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
      throw new ApiError('InvalidToken', 'Invalid Token');
    }
    const t = this.tokens.get(token);
    const exec = t ? this.execs.get(t.exec) : undefined;
    const frame = t && exec ? exec.frames.get(t.frame) : undefined;
    if (
      !t ||
      !exec ||
      !frame ||
      frame.phase.k !== 'task' ||
      frame.phase.seq !== t.seq ||
      exec.meta.status !== 'RUNNING'
    ) {
      throw new ApiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    }
    return { exec, frame, seq: t.seq };
  }

  async sendTaskSuccess(req: { taskToken: string; output: string }): Promise<Record<string, never>> {
    await this.run(async () => {
      const { exec, frame, seq } = this.taskByToken(req.taskToken);
      let out: Json;
      try {
        out = JSON.parse(req.output) as Json;
      } catch {
        throw new ApiError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
      }
      await this.onTaskSucceeded(exec, frame.id, seq, out);
    });
    await this.durable();
    return {};
  }

  async sendTaskFailure(req: {
    taskToken: string;
    error?: string;
    cause?: string;
  }): Promise<Record<string, never>> {
    await this.run(async () => {
      const { exec, frame, seq } = this.taskByToken(req.taskToken);
      await this.onTaskFailed(exec, frame.id, seq, new StatesError(req.error ?? '', req.cause ?? ''));
    });
    await this.durable();
    return {};
  }

  async sendTaskHeartbeat(req: { taskToken: string }): Promise<Record<string, never>> {
    await this.run(() => {
      const { exec, frame, seq } = this.taskByToken(req.taskToken);
      this.heartbeatNow(exec, frame.id, seq);
    });
    await this.durable();
    return {};
  }

  async redriveExecution(req: {
    executionArn: string;
    clientToken?: string;
  }): Promise<{ redriveDate: Date }> {
    const d = await this.run(async () => {
      const x = this.getExec(req.executionArn);
      if (this.redriveStatus(x) !== 'REDRIVABLE') {
        throw new ApiError(
          'ExecutionNotRedrivable',
          `Execution '${x.meta.arn}' cannot be redriven (status ${x.meta.status})`,
        );
      }
      const m = x.meta;
      m.status = 'RUNNING';
      m.redriveCount++;
      m.redriveDate = this.clock.now();
      delete m.error;
      delete m.cause;
      delete m.stopDate;
      const tx = this.tx(x);
      tx.meta = true;
      this.emit(tx, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: m.redriveCount } });
      const toStart: Frame[] = [];
      const mapsToTop: Frame[] = [];
      for (const f of x.frames.values()) {
        this.touch(tx, f);
        if (f.phase.k === 'parked') {
          f.phase = { k: 'enter' };
          toStart.push(f);
        } else if (f.phase.k === 'branches') {
          delete f.phase.failure;
          if (f.phase.kind === 'Map') {
            const id = f.id;
            f.phase.running = [...x.frames.values()].filter((c) => c.parent === id).length;
            mapsToTop.push(f);
          }
        }
      }
      tx.after.push(() => {
        this.armExecTimeout(x);
        for (const f of toStart) this.scheduleFrame(x, f);
        for (const f of mapsToTop) this.schedule(() => this.branchProgress(x, f.id));
      });
      this.commit(tx);
      return m.redriveDate;
    });
    await this.durable();
    return { redriveDate: new Date(d) };
  }

  /** Stop timers and close the store (executions stay as they are on disk). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const ts of this.timers.values()) for (const t of ts) t.cancel();
    this.timers.clear();
    for (const a of this.aborts.values()) a.abort();
    this.unsettle?.();
    await this.store.close();
  }

  /** Test/diagnostic view of the open frames of an execution. */
  framesOf(arn: string): Frame[] {
    return [...this.getExec(arn).frames.values()].map((f) => clone(f));
  }

  /** Number of executions per status (diagnostics). */
  stats(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const x of this.execs.values()) out[x.meta.status] = (out[x.meta.status] ?? 0) + 1;
    return out;
  }

  /** Drop a field helper for typed access (kept for handlers). */
  static field = fieldOf;
}

/** A JSONPath scope whose context object (`$$`) is built only when a path actually reads it. */
class LazyScope implements Scope {
  private context?: Json;
  readonly vars: Record<string, Json>;
  constructor(
    private readonly engine: Engine,
    private readonly exec: Exec,
    private readonly frame: Frame,
    readonly data: Json,
    private readonly token?: string,
  ) {
    this.vars = frame.vars;
  }
  get ctx(): Json {
    if (this.context === undefined) this.context = this.engine.contextOf(this.exec, this.frame, this.token);
    return this.context;
  }
}

const stripData = <T extends Record<string, unknown>>(e: T): T => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (isObject(v as Json)) {
      const d = { ...(v as Record<string, unknown>) };
      delete d.input;
      delete d.output;
      delete d.parameters;
      out[k] = d;
    } else out[k] = v;
  }
  return out as T;
};

const paginate = <T>(
  all: T[],
  maxResults?: number,
  nextToken?: string,
): { page: T[]; nextToken?: string } => {
  let start = 0;
  if (nextToken) {
    const n = Number(Buffer.from(nextToken, 'base64url').toString('utf8'));
    if (!Number.isInteger(n) || n < 0) throw new ApiError('InvalidToken', 'Invalid nextToken');
    start = n;
  }
  const size = maxResults && maxResults > 0 ? Math.min(maxResults, 1000) : 100;
  const page = all.slice(start, start + size);
  const end = start + page.length;
  return end < all.length ? { page, nextToken: Buffer.from(String(end)).toString('base64url') } : { page };
};

/** Create an engine and recover whatever its store holds. */
export const createEngine = async (opts: EngineOptions = {}): Promise<Engine> => {
  const e = new Engine(opts);
  await e.recover();
  return e;
};
