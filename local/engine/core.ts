/**
 * The engine's core: executions and their frames, the run queue every mutation goes through,
 * transactions (one journal record and one batch of history events each), and the transitions shared
 * by every state type (enter, leave, fail, end a frame, close an execution, Retry/Catch). State types
 * live in states/, tasks in tasks.ts, Parallel/Map fan-out in branches.ts, timers in timers.ts,
 * durability (journal, snapshot, recovery) in durability.ts; the AWS-shaped API in api.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Machine, RetryableState, State } from './asl.ts';
import { definitionOf, isRetryable, machineAt } from './asl.ts';
import { branchProgress, dropChildren, onChildFailed, onChildSucceeded, park } from './branches.ts';
import type { Clock } from './clock.ts';
import { realClock } from './clock.ts';
import { Compactor } from './durability.ts';
import { ApiError, ERR, StatesError, toStatesError } from './errors.ts';
import { JsonText } from './history.ts';
import type { JsonataScope } from './jsonata.ts';
import {
  checkLength,
  HISTORY_LIMIT_CAUSE,
  MAX_HISTORY_EVENTS,
  MAX_PAYLOAD_BYTES,
  overPayloadLimit,
  resultTooLarge,
} from './limits.ts';
import type { ChildInfo, ChildView, MapRunView } from './map-runs.ts';
import { closeMapRun, findChild, findMapRun, mapRunView, reopenMapRun } from './map-runs.ts';
import type { MockConfig } from './mocks.ts';
import type { ExecMeta, Frame, JournalRecord, StateMachineRecord, Store } from './model.ts';
import type { Scope } from './payload.ts';
import type { Job } from './queue.ts';
import { RunQueue } from './queue.ts';
import { decideRetry, findCatcher } from './retry.ts';
import { catcherOutput } from './states/common.ts';
import { runState } from './states/index.ts';
import { MemoryStore } from './store.ts';
import type { Abort, TaskHandler } from './tasks.ts';
import { endTask, heartbeatNow, notifyParent, onTaskFailed, onTaskSucceeded, taskOfToken } from './tasks.ts';
import { armExecTimeout, armFrameTimers, Timers } from './timers.ts';
import type { ExecutionStatus, HistoryEvent, Json, JsonObject } from './types.ts';

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
  /**
   * Mocked integrations (Step Functions Local's mock configuration): executions started on
   * `<stateMachineArn>#<test case>` answer the test case's Task states with mocked responses.
   */
  mockConfig?: MockConfig;
}

/** An execution in memory: its record, parsed definition, open frames and history. */
export interface Exec {
  meta: ExecMeta;
  def: Machine;
  inputJson: Json;
  frames: Map<string, Frame>;
  events: HistoryEvent[];
}

/** The changes of one job on one execution: committed as one journal record. */
export interface Tx {
  exec: Exec;
  frames: Set<Frame>;
  deleted: Set<string>;
  events: HistoryEvent[];
  meta: boolean;
  /** run after the commit (timers, scheduling follow-up jobs, notifying waiters) */
  after: (() => void)[];
}

/** RedriveExecution: "executions that didn't complete successfully in the last 14 days". */
export const REDRIVABLE_PERIOD_MS = 14 * 86_400_000;

export const TERMINAL: readonly ExecutionStatus[] = ['SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'];
/** The events that close an execution (the only ones a full history still takes). */
const TERMINAL_EVENTS = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionAborted',
  'ExecutionTimedOut',
]);
// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS forbids control characters in names
export const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

const iso = (ms: number) => new Date(ms).toISOString();

/** A frame runs at most this many states per job before it yields to other jobs. */
const STATES_PER_JOB = 200;

/** A JSONPath scope whose context object (`$$`) is built only when a path actually reads it. */
class LazyScope implements Scope {
  private context?: Json;
  readonly vars: Record<string, Json>;
  constructor(
    private readonly core: Core,
    private readonly exec: Exec,
    private readonly frame: Frame,
    readonly data: Json,
    private readonly token?: string,
  ) {
    this.vars = frame.vars;
  }
  get ctx(): Json {
    if (this.context === undefined) this.context = this.core.context(this.exec, this.frame, this.token);
    return this.context;
  }
}

/** Hooks of a TestState run (test-state.ts): one state, no real retries. */
export interface TestHooks {
  /** a retrier matched: record it; true = do not retry (the run ends there, RETRIABLE) */
  onRetry(frame: Frame, index: number, delayMs: number, err: StatesError): boolean;
  /** a catcher matched (catcher index) */
  onCatch(frame: Frame, index: number, err: StatesError): void;
  /** overrides of the context object's top-level fields (TestState's `context`) */
  context?: JsonObject;
  /** attempts already used by every retrier (TestState's `stateConfiguration.retrierRetryCount`) */
  retried?: number;
}

/** @internal shared by the engine's modules; the public surface is Engine (engine.ts). */
export class Core {
  readonly clock: Clock;
  readonly store: Store;
  readonly region: string;
  readonly accountId: string;
  handler: TaskHandler;
  mocks: MockConfig | undefined;
  readonly random: () => number;
  private readonly onHistoryEvent: EngineOptions['onHistoryEvent'];

  readonly machines = new Map<string, StateMachineRecord>();
  readonly execs = new Map<string, Exec>();
  /** task tokens of running callback tasks */
  readonly tokens = new Map<string, { exec: string; frame: string; seq: number }>();
  readonly timers: Timers;
  /** a Map Run's child executions: dates, input and output, by `<mapRunArn>#<index>` (not journaled) */
  readonly mapRunChildren = new Map<string, ChildInfo>();
  /** in-flight task invocations, by frame key */
  readonly aborts = new Map<string, Abort>();
  private readonly closeWaiters = new Map<string, (() => void)[]>();
  readonly compactor: Compactor;

  readonly queue: RunQueue;
  /** frames with a drive job queued */
  private readonly queued = new Set<string>();
  private unsettle?: () => void;
  private closed = false;
  /** counts committed transitions (state exits), for benchmarks */
  transitions = 0;
  /** set on the private core of a TestState run */
  testing?: TestHooks;

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
    this.mocks = opts.mockConfig;
    this.onHistoryEvent = opts.onHistoryEvent;
    this.queue = new RunQueue(() => this.store.flush().then(() => this.compactor.settled()));
    this.timers = new Timers(this.clock, (job) => this.schedule(job));
    this.compactor = new Compactor(this, opts.compactEvery ?? 20_000);
    this.unsettle = this.clock.onSettle?.(() => this.idle());
  }

  // ------------------------------------------------------------------ the run queue

  schedule(job: Job): void {
    this.queue.schedule(job);
  }

  /**
   * Resolves when no step is queued and no task handler is running (everything blocked or done), the
   * journal is flushed and no snapshot is being written.
   */
  idle(): Promise<void> {
    return this.queue.idle();
  }

  /** Run `fn` as a job on the queue (serialised with every transition); resolves with its result. */
  run<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.queue.run(fn);
  }

  /** Resolves once every record appended so far is durable (a no-op on a non-durable store). */
  async durable(): Promise<void> {
    if (this.store.durable) await this.store.flush();
  }

  /** The key of a frame (timers, in-flight tasks, queued jobs). */
  key(exec: Exec | string, frameId: string): string {
    return `${typeof exec === 'string' ? exec : exec.meta.arn}|${frameId}`;
  }

  scheduleFrame(exec: Exec, frame: Frame): void {
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
    return this.driveAndCommit(tx, frame);
  }

  // ------------------------------------------------------------------ transactions

  tx(exec: Exec): Tx {
    return { exec, frames: new Set(), deleted: new Set(), events: [], meta: false, after: [] };
  }

  commit(tx: Tx): void {
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
    this.compactor.maybeCompact();
  }

  /**
   * Append a history event to the execution (and the transaction). Events of a hidden frame (an item
   * of a Distributed Map: a child execution) are not part of this history: nothing is recorded.
   *
   * `previousEventId` is chained as AWS chains it: a frame's event points at the frame's previous
   * event (`frame.src`), so each Parallel branch and Map iteration has its own chain. An `aside`
   * event (`…StateSucceeded`, `MapRunSucceeded`, `MapIterationSucceeded`/`Failed`, aborts) points
   * there too but does not become the chain's last event. Events of no frame (the execution's own)
   * point at the event before them, ExecutionTimedOut at 0.
   *
   * A Standard execution's history holds at most 25,000 events: the 25,000th is ExecutionSucceeded,
   * another terminal event, or else the ExecutionFailed that ends the execution (`States.Runtime`).
   */
  emit(tx: Tx, type: string, details?: Record<string, unknown>, frame?: Frame, aside = false): HistoryEvent {
    const { exec } = tx;
    const id = exec.events.length + 1;
    if (frame?.hidden !== undefined) return { id: 0, previousEventId: 0, timestamp: this.clock.now(), type };
    if (id >= MAX_HISTORY_EVENTS && exec.meta.type === 'STANDARD' && !TERMINAL_EVENTS.has(type)) {
      if (exec.meta.status === 'RUNNING') {
        this.closeExecution(tx, 'FAILED', { error: ERR.Runtime, cause: HISTORY_LIMIT_CAUSE });
      }
      return { id: 0, previousEventId: 0, timestamp: this.clock.now(), type };
    }
    let prev: number;
    if (frame) {
      prev = frame.src ?? 0;
      if (!aside) frame.src = id;
    } else prev = type === 'ExecutionTimedOut' ? 0 : id - 1;
    const ev: HistoryEvent = { id, previousEventId: prev, timestamp: this.clock.now(), type };
    if (details) for (const k in details) ev[k] = details[k];
    exec.events.push(ev);
    tx.events.push(ev);
    return ev;
  }

  /**
   * A sequence number for something the frame starts now (a task, a Parallel/Map run): the id the
   * next event will get; for a hidden frame, a negative number of its own.
   */
  nextSeq(tx: Tx, frame: Frame): number {
    if (frame.hidden !== undefined) return -frame.hidden++;
    return tx.exec.events.length + 1;
  }

  /** The frame changed: journal it with the transaction. */
  touch(tx: Tx, frame: Frame): void {
    tx.frames.add(frame);
  }

  // ------------------------------------------------------------------ the interpreter

  stateDef(exec: Exec, frame: Frame): State {
    const st = machineAt(exec.def, frame.path)?.States[frame.state];
    if (!st) throw new StatesError(ERR.Runtime, `State ${frame.state} does not exist`);
    return st;
  }

  /**
   * The `$$` context object of a frame. `State.RetryCount` is there for Task states only and
   * `Execution.RedriveCount` for Standard executions only, as on AWS.
   */
  context(exec: Exec, frame: Frame, token?: string): JsonObject {
    const m = exec.meta;
    const execution: JsonObject = {
      Id: m.arn,
      Input: exec.inputJson,
      Name: m.name,
      RoleArn: this.machines.get(m.smArn)?.roleArn ?? '',
      StartTime: iso(m.startDate),
    };
    if (m.type !== 'EXPRESS') execution.RedriveCount = m.redriveCount;
    if (m.redriveDate !== undefined) execution.RedriveTime = iso(m.redriveDate);
    const state: JsonObject = { EnteredTime: iso(frame.enteredAt), Name: frame.state };
    if (machineAt(exec.def, frame.path)?.States[frame.state]?.Type === 'Task')
      state.RetryCount = frame.retryCount;
    const ctx: JsonObject = {
      Execution: execution,
      State: state,
      StateMachine: { Id: m.smArn, Name: m.smName },
    };
    if (token) ctx.Task = { Token: token };
    if (frame.item) ctx.Map = { Item: { Index: frame.item.index, Value: frame.item.value } };
    if (this.testing?.context) return { ...ctx, ...this.testing.context };
    return ctx;
  }

  /** What a JSONPath expression of the frame sees, with `data` as `$`. */
  scope(exec: Exec, frame: Frame, data: Json, token?: string): Scope {
    return new LazyScope(this, exec, frame, data, token);
  }

  /** What a JSONata expression of the frame sees: `$states` (input, context, `extra`) and variables. */
  jscope(exec: Exec, frame: Frame, extra: JsonObject = {}, token?: string): JsonataScope {
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
  drive(tx: Tx, frame: Frame, ran = 0): Promise<void> | undefined {
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
      const p = this.step(tx, frame);
      if (p) {
        const done = n;
        return p.then(() => this.drive(tx, frame, done));
      }
    }
  }

  /** Drive the frame on, then commit the transaction (synchronously when nothing awaits). */
  driveAndCommit(tx: Tx, frame: Frame): Promise<void> | undefined {
    const p = this.drive(tx, frame);
    if (p) return p.then(() => this.commit(tx));
    this.commit(tx);
  }

  /** Enter (or re-run, after a retry back-off) the frame's current state. */
  private step(tx: Tx, frame: Frame): Promise<void> | undefined {
    const { exec } = tx;
    let st: State;
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
      const ev = this.emit(
        tx,
        `${st.Type}StateEntered`,
        {
          stateEnteredEventDetails: {
            name: frame.state,
            input: new JsonText(frame.input),
            inputDetails: { truncated: false },
          },
        },
        frame,
      );
      if (frame.hidden === undefined) frame.entered = ev.id;
      else delete frame.entered;
    }
    try {
      const p = runState(this, tx, frame, st);
      if (p) return p.catch((e: unknown) => this.stateThrew(tx, frame, e));
    } catch (e) {
      return this.stateThrew(tx, frame, e);
    }
  }

  /**
   * An error raised while evaluating the frame's current state (paths, templates, expressions; not a
   * task's answer nor a Fail state): its cause names the state and the event that entered it, and a
   * JSONata evaluation failure is recorded as an EvaluationFailed event, once per attempt, before
   * Retry and Catch.
   */
  stateThrew(tx: Tx, frame: Frame, e: unknown): Promise<void> | undefined {
    const raw =
      e instanceof StatesError ? e : new StatesError(ERR.Runtime, (e as Error)?.message ?? String(e));
    const err = raw.inState(frame.state, frame.entered);
    this.evaluationFailed(tx, frame, err);
    return this.stateError(tx, frame, err);
  }

  private evaluationFailed(tx: Tx, frame: Frame, err: StatesError): void {
    if (err.error !== ERR.QueryEvaluationError) return;
    // Right after the state's Entered event, AWS's EvaluationFailed points where that event points
    // (recorded: `…StateEntered` #6 with previousEventId 5, then EvaluationFailed #7 with 5).
    const entered =
      frame.entered !== undefined && frame.src === frame.entered
        ? tx.exec.events[frame.entered - 1]
        : undefined;
    const ev = this.emit(
      tx,
      'EvaluationFailed',
      {
        evaluationFailedEventDetails: {
          ...err.details(),
          ...(err.location !== undefined ? { location: err.location } : {}),
          state: frame.state,
        },
      },
      frame,
    );
    if (entered !== undefined && entered.id === frame.entered && ev.id !== 0)
      ev.previousEventId = entered.previousEventId;
  }

  /**
   * Leave the current state: emit StateExited, apply Assign, go to `next` (default: the state's
   * Next) or end the frame (`null`, or End).
   */
  finishState(
    tx: Tx,
    frame: Frame,
    st: State,
    output: Json,
    assign: JsonObject | undefined,
    next?: string | null,
  ): void {
    // a state's output over 256 KiB: States.DataLimitExceeded (thrown to the state's error handling);
    // an output that is the state's own input was measured when it was produced
    if (output !== frame.input && overPayloadLimit(output)) throw resultTooLarge(frame.state, 'state');
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
    this.emit(tx, `${st.Type}StateExited`, { stateExitedEventDetails: details }, frame);
    this.transitions++;
    this.touch(tx, frame);
    const target = next !== undefined ? next : transitionOf(st);
    if (target === null || target === undefined) {
      this.endFrame(tx, frame, output);
      return;
    }
    frame.state = target;
    frame.input = output;
    frame.phase = { k: 'enter' };
  }

  /**
   * Retry / Catch / fail for an error raised in the frame's current state. A Parallel or Map state
   * records its Failed event only when the failure is final (caught or not), never before a retry.
   */
  stateError(tx: Tx, frame: Frame, err: StatesError): Promise<void> | undefined {
    const { exec } = tx;
    const st = this.stateDef(exec, frame);
    this.touch(tx, frame);
    if (isRetryable(st)) {
      const retried = this.testing?.retried;
      const attempts = retried === undefined ? frame.retries : (st.Retry ?? []).map(() => retried);
      const retry = decideRetry(st.Retry, err.error, attempts, this.random, err.terminal);
      if (retry && this.testing?.onRetry(frame, retry.index, retry.delayMs, err)) {
        this.closeExecution(tx, 'FAILED', err.details());
        return;
      }
      if (retry) {
        frame.retries[retry.index] = (frame.retries[retry.index] ?? 0) + 1;
        frame.retryCount++;
        dropChildren(this, tx, frame);
        frame.phase = { k: 'retry', due: this.clock.now() + retry.delayMs };
        tx.after.push(() => armFrameTimers(this, exec, frame));
        return;
      }
      this.branchStateFailed(tx, frame, st, err);
      const catcher = findCatcher(st.Catch, err.error, err.terminal);
      if (catcher) {
        this.testing?.onCatch(frame, st.Catch!.indexOf(catcher), err);
        dropChildren(this, tx, frame);
        return this.caught(tx, frame, st, catcher, err);
      }
    }
    this.failFrame(tx, frame, err);
  }

  /** `ParallelStateFailed` / `MapStateFailed` (none for States.Runtime, which fails the execution). */
  private branchStateFailed(tx: Tx, frame: Frame, st: State, err: StatesError): void {
    if ((st.Type === 'Parallel' || st.Type === 'Map') && err.error !== ERR.Runtime) {
      this.emit(tx, `${st.Type}StateFailed`, undefined, frame);
    }
  }

  private caught(
    tx: Tx,
    frame: Frame,
    st: RetryableState,
    catcher: NonNullable<RetryableState['Catch']>[number],
    err: StatesError,
  ): Promise<void> | undefined {
    // a catcher's own Output/Assign failing: recorded, then the state fails (no later catcher runs)
    const failed = (e: unknown) => {
      const raw = e instanceof StatesError ? e : new StatesError(ERR.Runtime, String(e));
      const index = st.Catch?.indexOf(catcher) ?? 0;
      if (raw.location !== undefined) raw.location = `Catch[${index}]/${raw.location}`;
      const cause = raw.cause?.replace(
        /specified for the field '([^']*)'/,
        `specified for the field 'Catch[${index}]/$1'`,
      );
      const located = raw.prefixed
        ? raw
        : new StatesError(raw.error, cause, raw.location).inState(frame.state, frame.entered);
      this.evaluationFailed(tx, frame, located);
      this.branchStateFailed(tx, frame, st, located);
      this.failFrame(tx, frame, located);
    };
    let r: ReturnType<typeof catcherOutput>;
    try {
      r = catcherOutput(this, tx.exec, frame, st, catcher, err.output());
    } catch (e) {
      failed(e);
      return;
    }
    if (r instanceof Promise) {
      return r
        .then(({ out, assign }) => this.finishState(tx, frame, st, out, assign, catcher.Next))
        .catch(failed);
    }
    try {
      this.finishState(tx, frame, st, r.out, r.assign, catcher.Next);
    } catch (e) {
      failed(e);
    }
  }

  /** The frame finished its last state. */
  endFrame(tx: Tx, frame: Frame, output: Json): void {
    if (frame.parent === undefined) {
      this.closeExecution(tx, 'SUCCEEDED', { output });
      return;
    }
    onChildSucceeded(this, tx, frame, output);
  }

  /**
   * An unhandled error in a frame: propagate to the parent state, or fail the execution. States.Runtime
   * cannot be caught anywhere, so it fails the execution at once (no Parallel/Map events), or, inside
   * a Distributed Map's item, that item's child execution.
   */
  failFrame(tx: Tx, frame: Frame, err: StatesError): void {
    const { exec } = tx;
    this.touch(tx, frame);
    if (frame.phase.k !== 'branches') {
      endTask(this, exec, frame);
      this.timers.clear(this.key(exec, frame.id));
      frame.phase = { k: 'parked', ...err.details() };
    }
    if (frame.parent === undefined) {
      this.closeExecution(tx, 'FAILED', err.details());
      return;
    }
    if (err.error === ERR.Runtime) {
      // the nearest Distributed Map item this frame runs in, if any
      let item: Frame | undefined;
      for (let f: Frame | undefined = frame; f?.parent !== undefined; f = exec.frames.get(f.parent)) {
        const p = exec.frames.get(f.parent);
        if (p?.phase.k === 'branches' && p.phase.mapRun !== undefined) {
          item = f;
          break;
        }
      }
      if (!item) {
        this.closeExecution(tx, 'FAILED', err.details());
        return;
      }
      if (item !== frame) {
        this.touch(tx, item);
        if (item.phase.k !== 'branches') item.phase = { k: 'parked', ...err.details() };
      }
      onChildFailed(this, tx, item, err);
      return;
    }
    onChildFailed(this, tx, frame, err);
  }

  // ------------------------------------------------------------------ execution lifecycle

  closeExecution(
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
        endTask(this, exec, f);
        this.timers.clear(this.key(exec, f.id));
        tx.deleted.add(f.id);
      }
      exec.frames.clear();
    } else {
      // a timed-out execution reports no error and no cause (only its ExecutionTimedOut event does)
      if (status !== 'TIMED_OUT' && r.error !== undefined) m.error = r.error;
      else delete m.error;
      if (status !== 'TIMED_OUT' && r.cause !== undefined) m.cause = r.cause;
      else delete m.cause;
      const [type, key] =
        status === 'FAILED'
          ? ['ExecutionFailed', 'executionFailedEventDetails']
          : status === 'ABORTED'
            ? ['ExecutionAborted', 'executionAbortedEventDetails']
            : ['ExecutionTimedOut', 'executionTimedOutEventDetails'];
      this.emit(tx, type, {
        [key]: {
          ...(r.error !== undefined ? { error: r.error } : {}),
          ...(r.cause !== undefined ? { cause: r.cause } : {}),
        },
      });
      for (const f of exec.frames.values()) {
        if (f.phase.k === 'branches' && f.phase.mapRun !== undefined) closeMapRun(this, tx, f, 'ABORTED');
        park(this, tx, f);
      }
    }
    this.timers.clear(this.key(exec, '#exec'));
    tx.after.push(() => {
      const ws = this.closeWaiters.get(m.arn);
      this.closeWaiters.delete(m.arn);
      if (ws) for (const w of ws) w();
      if (m.parent) notifyParent(this, exec);
    });
  }

  /** Resolves once the execution is closed (SUCCEEDED/FAILED/TIMED_OUT/ABORTED). */
  waitForClose(exec: Exec): Promise<void> {
    if (exec.meta.status !== 'RUNNING') return Promise.resolve();
    return new Promise((r) => {
      const list = this.closeWaiters.get(exec.meta.arn);
      if (list) list.push(r);
      else this.closeWaiters.set(exec.meta.arn, [r]);
    });
  }

  getMachine(arn: unknown): StateMachineRecord {
    if (typeof arn !== 'string' || !arn.startsWith('arn:'))
      throw new ApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const sm = this.machines.get(arn);
    if (!sm) throw new ApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return sm;
  }

  /** A Map Run and its children, as of now. */
  mapRun(arn: string): MapRunView | undefined {
    const found = findMapRun(this, arn);
    return found ? mapRunView(this, found.exec, found.run) : undefined;
  }

  /** The Map Runs an execution started. */
  mapRunsOf(exec: Exec): MapRunView[] {
    return (exec.meta.mapRuns ?? []).map((r) => mapRunView(this, exec, r));
  }

  /** A Map Run's child execution. */
  mapRunChild(arn: string): ChildView | undefined {
    return findChild(this, arn);
  }

  getExec(arn: unknown): Exec {
    if (typeof arn !== 'string' || !arn.startsWith('arn:'))
      throw new ApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
    const x = this.execs.get(arn);
    if (!x) throw new ApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return x;
  }

  executionArn(sm: StateMachineRecord, name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:execution:${sm.name}:${name}`;
  }

  /** Start an execution (inside a job): its meta, root frame and ExecutionStarted event. */
  startNow(
    sm: StateMachineRecord,
    name: string | undefined,
    input: string | undefined,
    parent?: ExecMeta['parent'],
    opts: { ephemeral?: boolean; testCase?: string } = {},
  ): { exec: Exec; reused: boolean } {
    const execName = name ?? randomUUID();
    if (!NAME_RE.test(execName)) throw new ApiError('InvalidName', `Invalid Name: '${execName}'`);
    const inputText = input ?? '{}';
    checkLength('input', inputText, MAX_PAYLOAD_BYTES, true);
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
        return { exec: existing, reused: true };
      }
      throw new ApiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const def = definitionOf(sm.definition);
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
      ...(opts.testCase !== undefined ? { testCase: opts.testCase } : {}),
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
      armExecTimeout(this, exec);
      this.scheduleFrame(exec, root);
    });
    this.commit(tx);
    return { exec, reused: false };
  }

  /** Abort a running execution (inside a job). */
  stopNow(exec: Exec, error?: string, cause?: string): void {
    if (exec.meta.status !== 'RUNNING') return;
    const tx = this.tx(exec);
    this.closeExecution(tx, 'ABORTED', {
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    });
    this.commit(tx);
  }

  redriveStatus(x: Exec): 'REDRIVABLE' | 'NOT_REDRIVABLE' {
    return this.redriveStatusReason(x) === undefined ? 'REDRIVABLE' : 'NOT_REDRIVABLE';
  }

  /**
   * Why an execution cannot be redriven, in AWS's words (DescribeExecution's redriveStatusReason),
   * or undefined when it can: only a FAILED, ABORTED or TIMED_OUT Standard execution that stopped
   * within the last 14 days, and (ours) one that did not fail on the history's event limit.
   */
  redriveStatusReason(x: Exec): string | undefined {
    const s = x.meta.status;
    if (x.meta.ephemeral) return 'Execution is EXPRESS and cannot be redriven.';
    if (s === 'RUNNING' || s === 'SUCCEEDED') return `Execution is ${s} and cannot be redriven.`;
    if (x.meta.stopDate !== undefined && this.clock.now() - x.meta.stopDate > REDRIVABLE_PERIOD_MS) {
      return 'Execution redrivable period exceeded.';
    }
    if (x.events.length >= MAX_HISTORY_EVENTS) {
      return `Execution reached the maximum number of history events (${MAX_HISTORY_EVENTS}).`;
    }
    return undefined;
  }

  /** Redrive a closed execution (inside a job): parked frames restart at their failed state. */
  redriveNow(x: Exec): number {
    const m = x.meta;
    m.status = 'RUNNING';
    m.redriveCount++;
    m.redriveDate = this.clock.now();
    delete m.error;
    delete m.cause;
    delete m.stopDate;
    const tx = this.tx(x);
    tx.meta = true;
    const redriven = this.emit(tx, 'ExecutionRedriven', {
      executionRedrivenEventDetails: { redriveCount: m.redriveCount },
    });
    const toStart: Frame[] = [];
    const mapsToTop: Frame[] = [];
    for (const f of x.frames.values()) {
      this.touch(tx, f);
      if (f.phase.k === 'parked') {
        f.phase = { k: 'enter' };
        f.src = redriven.id;
        toStart.push(f);
      } else if (f.phase.k === 'branches') {
        delete f.phase.failure;
        reopenMapRun(this, tx, f);
        if (f.phase.kind === 'Map') {
          const id = f.id;
          f.phase.running = [...x.frames.values()].filter((c) => c.parent === id).length;
          mapsToTop.push(f);
        }
      }
    }
    tx.after.push(() => {
      armExecTimeout(this, x);
      for (const f of toStart) this.scheduleFrame(x, f);
      for (const f of mapsToTop) this.schedule(() => branchProgress(this, x, f.id));
    });
    this.commit(tx);
    return m.redriveDate;
  }

  saveMachine(sm: StateMachineRecord): void {
    this.machines.set(sm.arn, sm);
    this.store.append({ t: 'sm', sm });
  }

  deleteMachine(arn: string): void {
    if (this.machines.delete(arn)) this.store.append({ t: 'smdel', arn });
  }

  taskSucceeded(token: unknown, output: string): Promise<void> | undefined {
    const { exec, frame, seq } = taskOfToken(this, token);
    let out: Json;
    try {
      out = JSON.parse(output) as Json;
    } catch {
      throw new ApiError('InvalidOutput', 'Invalid Output: the output is not valid JSON');
    }
    return onTaskSucceeded(this, exec, frame.id, seq, out);
  }

  taskFailed(token: unknown, error: string, cause: string): Promise<void> | undefined {
    const { exec, frame, seq } = taskOfToken(this, token);
    return onTaskFailed(this, exec, frame.id, seq, new StatesError(error, cause));
  }

  taskHeartbeat(token: unknown): void {
    const { exec, frame, seq } = taskOfToken(this, token);
    heartbeatNow(this, exec, frame.id, seq);
  }

  /** Stop timers and close the store (executions stay as they are on disk). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.timers.cancelAll();
    for (const a of this.aborts.values()) a.abort();
    this.unsettle?.();
    await this.store.close();
  }
}

/** Where a state goes when it completes: its Next, or null for End. */
const transitionOf = (st: State): string | null | undefined =>
  'End' in st && st.End === true ? null : 'Next' in st ? st.Next : undefined;
