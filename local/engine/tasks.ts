/**
 * Task states at run time: scheduling (TaskScheduled/LambdaFunctionScheduled), calling the task
 * handler once the schedule is durable, callbacks (`.waitForTaskToken`, SendTask*), heartbeats and
 * timeouts, and `states:startExecution[.sync[:2]]` child executions, which the engine runs itself.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import * as api from './api.ts';
import type { Core, Exec, Tx } from './core.ts';
import { TERMINAL } from './core.ts';
import { ApiError, ERR, StatesError, toStatesError } from './errors.ts';
import { describeResource, JsonText } from './history.ts';
import { inputTooLarge, overPayloadLimit, resultTooLarge, textOverPayloadLimit } from './limits.ts';
import type { Frame, Phase } from './model.ts';
import { applyResult } from './states/common.ts';
import { armFrameTimers } from './timers.ts';
import type { Json, JsonObject } from './types.ts';
import { clone, isObject } from './types.ts';

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
  /**
   * Waits for `work` without holding the engine busy: with a virtual clock, time may advance (and the
   * task's TimeoutSeconds fire) while the handler waits on something slow outside the engine.
   */
  idleWhile<T>(work: Promise<T>): Promise<T>;
  /** The engine's clock (virtual in tests and `storeflow dev --clock virtual`), epoch ms. */
  now(): number;
}

/** Runs a Task state's resource. Throw (e.g. TaskFailure) to fail the task with an error name. */
export type TaskHandler = (resource: string, input: Json, ctx: TaskContext) => Promise<unknown>;

type TaskPhase = Extract<Phase, { k: 'task' }>;

/** Aborts a running task; the AbortController behind `ctx.signal` is created only if a handler reads it. */
export class Abort {
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

/** A task token for a `.waitForTaskToken` resource, else undefined. */
export const newTaskToken = (resource: string): string | undefined =>
  describeResource(resource).callback ? randomBytes(48).toString('base64url') : undefined;

/** The frame's task, if it is still the one scheduled at event `seq` of a running execution. */
const runningTask = (
  exec: Exec,
  frameId: string,
  seq: number,
): { frame: Frame; ph: TaskPhase } | undefined => {
  const frame = exec.frames.get(frameId);
  if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || exec.meta.status !== 'RUNNING') return;
  return { frame, ph: frame.phase };
};

/** Schedule the task: history events, the task phase, then (after the commit) timers and the handler. */
export const startTask = (
  c: Core,
  tx: Tx,
  frame: Frame,
  resource: string,
  params: Json,
  timeout: number | undefined,
  heartbeat: number | undefined,
  token: string | undefined,
): void => {
  const { exec } = tx;
  // the effective input (after Parameters/Arguments) over 256 KiB: States.DataLimitExceeded
  if (overPayloadLimit(params)) throw inputTooLarge(frame.state);
  const d = describeResource(resource);
  // lambda:invoke sends its Payload as the request body: a number is refused before the task starts
  // (AWS-recorded wording, with the state prefix: stackoverflow.com/questions/76373088)
  if (
    d.resourceType === 'lambda' &&
    d.resource.startsWith('invoke') &&
    isObject(params) &&
    typeof params.Payload === 'number'
  ) {
    throw new StatesError(
      ERR.Runtime,
      `The Parameters '${JSON.stringify(params)}' could not be used to start the Task: [The value for the field 'Payload' must be a STRING]`,
    );
  }
  const now = c.clock.now();
  const seq = c.nextSeq(tx, frame);
  if (d.lambda) {
    c.emit(
      tx,
      'LambdaFunctionScheduled',
      {
        lambdaFunctionScheduledEventDetails: {
          resource,
          input: new JsonText(params),
          inputDetails: { truncated: false },
          ...(timeout ? { timeoutInSeconds: timeout } : {}),
        },
      },
      frame,
    );
    c.emit(tx, 'LambdaFunctionStarted', undefined, frame);
  } else {
    c.emit(
      tx,
      'TaskScheduled',
      {
        taskScheduledEventDetails: {
          resourceType: d.resourceType,
          resource: d.resource,
          region: c.region,
          parameters: new JsonText(params),
          ...(timeout ? { timeoutInSeconds: timeout } : {}),
          ...(heartbeat ? { heartbeatInSeconds: heartbeat } : {}),
        },
      },
      frame,
    );
    c.emit(
      tx,
      'TaskStarted',
      { taskStartedEventDetails: { resourceType: d.resourceType, resource: d.resource } },
      frame,
    );
  }
  const mock = mockAttempt(c, tx, frame);
  frame.phase = {
    k: 'task',
    seq,
    resource,
    params,
    ...(mock !== undefined ? { mock } : {}),
    ...(token ? { token } : {}),
    ...(timeout ? { timeoutAt: now + timeout * 1000 } : {}),
    ...(heartbeat ? { heartbeatSeconds: heartbeat, heartbeatAt: now + heartbeat * 1000 } : {}),
  };
  if (token && mock === undefined) c.tokens.set(token, { exec: exec.meta.arn, frame: frame.id, seq });
  tx.after.push(() => {
    armFrameTimers(c, exec, frame);
    invoke(c, exec, frame);
  });
};

/**
 * For an execution running a test case that mocks this Task state: the invocation number (counted
 * per state in the execution, journaled with it) that picks the mocked response; else undefined.
 */
const mockAttempt = (c: Core, tx: Tx, frame: Frame): number | undefined => {
  const m = tx.exec.meta;
  if (m.testCase === undefined || !c.mocks) return undefined;
  if (c.mocks.answer(m.smName, m.testCase, frame.state, 0) === undefined) return undefined;
  const calls = m.mockCalls ?? {};
  const attempt = calls[frame.state] ?? 0;
  m.mockCalls = { ...calls, [frame.state]: attempt + 1 };
  tx.meta = true;
  return attempt;
};

/** The task is over (result, failure, timeout, abort): its timers, token and invocation go. */
export const endTask = (c: Core, exec: Exec, frame: Frame): void => {
  const ph = frame.phase;
  if (ph.k !== 'task') return;
  const k = c.key(exec, frame.id);
  c.timers.clear(k);
  if (ph.token) c.tokens.delete(ph.token);
  c.aborts.get(k)?.abort();
  c.aborts.delete(k);
};

/** Call the task handler once the TaskScheduled record is durable. */
export const invoke = (c: Core, exec: Exec, frame: Frame): void => {
  const ph = frame.phase;
  if (ph.k !== 'task') return;
  const k = c.key(exec, frame.id);
  const ac = new Abort();
  c.aborts.set(k, ac);
  c.queue.taskStarted();
  // (no named closures on this path: tsx's keepNames would wrap each one per call)
  callHandler(c, exec, frame, ph, ac).then(
    () => invoked(c, k, ac),
    (e) => {
      console.error('[sfn-engine] task invocation failed', e);
      invoked(c, k, ac);
    },
  );
};

const invoked = (c: Core, k: string, ac: Abort): void => {
  if (c.aborts.get(k) === ac) c.aborts.delete(k);
  c.queue.taskFinished();
};

/** `ctx.heartbeat` of a task: extends its HeartbeatSeconds deadline. */
const heartbeater = (c: Core, exec: Exec, frameId: string, seq: number) => () =>
  c.schedule(() => heartbeatNow(c, exec, frameId, seq));

const callHandler = async (c: Core, exec: Exec, frame: Frame, ph: TaskPhase, ac: Abort): Promise<void> => {
  const seq = ph.seq;
  if (c.store.durable) await c.store.flush();
  if (!runningTask(exec, frame.id, seq) || ac.aborted) return;
  if (ph.mock !== undefined) {
    // a mocked task never calls its integration (nor waits for a task token)
    const m = exec.meta;
    const step = c.mocks?.answer(m.smName, m.testCase ?? '', frame.state, ph.mock);
    if (step && 'Return' in step) c.schedule(() => onTaskSucceeded(c, exec, frame.id, seq, step.Return));
    else {
      const err = step
        ? new StatesError(step.Throw.Error, step.Throw.Cause)
        : new StatesError(
            ERR.Runtime,
            `No mocked response defined for attempt ${ph.mock} of state '${frame.state}' in test case '${m.testCase}'`,
          );
      c.schedule(() => onTaskFailed(c, exec, frame.id, seq, err));
    }
    return;
  }
  if (describeResource(ph.resource).startsExecution) {
    await c.run(() => startChildTask(c, exec, frame.id, seq));
    return;
  }
  const sfnAction = SFN_SDK.exec(ph.resource)?.[1];
  if (sfnAction !== undefined) {
    let result: unknown;
    try {
      result = await sfnSdkCall(c, sfnAction, ph.params, `${exec.meta.arn}#${frame.id}#${seq}`);
    } catch (e) {
      const err = toStatesError(e);
      c.schedule(() => onTaskFailed(c, exec, frame.id, seq, err));
      return;
    }
    c.schedule(() => onTaskSucceeded(c, exec, frame.id, seq, result));
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
    heartbeat: heartbeater(c, exec, frame.id, seq),
    now: () => c.clock.now(),
    idleWhile: async (work) => {
      c.queue.taskFinished();
      try {
        return await work;
      } finally {
        c.queue.taskStarted();
      }
    },
  };
  let result: unknown;
  try {
    result = await c.handler(ph.resource, clone(ph.params), ctx);
  } catch (e) {
    const err = toStatesError(e);
    c.schedule(() => onTaskFailed(c, exec, frame.id, seq, err));
    return;
  }
  if (ph.token) c.schedule(() => onTaskSubmitted(c, exec, frame.id, seq, result));
  else c.schedule(() => onTaskSucceeded(c, exec, frame.id, seq, result));
};

/** A heartbeat (SendTaskHeartbeat, or `ctx.heartbeat()`): the heartbeat deadline moves on. */
export const heartbeatNow = (c: Core, exec: Exec, frameId: string, seq: number): void => {
  const frame = exec.frames.get(frameId);
  if (frame?.phase.k !== 'task' || frame.phase.seq !== seq || !frame.phase.heartbeatSeconds) return;
  frame.phase.heartbeatAt = c.clock.now() + frame.phase.heartbeatSeconds * 1000;
  const tx = c.tx(exec);
  c.touch(tx, frame);
  tx.after.push(() => armFrameTimers(c, exec, frame));
  c.commit(tx);
};

/** A callback task's handler returned: the task now waits for SendTask*. */
const onTaskSubmitted = (c: Core, exec: Exec, frameId: string, seq: number, result: unknown): void => {
  const t = runningTask(exec, frameId, seq);
  if (!t) return;
  t.ph.submitted = true;
  const d = describeResource(t.ph.resource);
  const tx = c.tx(exec);
  c.touch(tx, t.frame);
  c.emit(
    tx,
    'TaskSubmitted',
    {
      taskSubmittedEventDetails: {
        resourceType: d.resourceType,
        resource: d.resource,
        output: JSON.stringify(result ?? null),
        outputDetails: { truncated: false },
      },
    },
    t.frame,
  );
  c.commit(tx);
};

export const onTaskSucceeded = (
  c: Core,
  exec: Exec,
  frameId: string,
  seq: number,
  result: unknown,
): Promise<void> | undefined => {
  const t = runningTask(exec, frameId, seq);
  if (!t) return;
  const { frame } = t;
  const d = describeResource(t.ph.resource);
  const text = result === undefined ? 'null' : JSON.stringify(result);
  // (UTF-8 takes at most 3 bytes per UTF-16 unit: most results need no byte count)
  if (textOverPayloadLimit(text)) {
    // AWS: the task fails, naming the function ARN or the integration's service
    return onTaskFailed(
      c,
      exec,
      frameId,
      seq,
      resultTooLarge(d.lambda ? t.ph.resource : d.resourceType, 'task'),
    );
  }
  const out = JSON.parse(text) as Json;
  const tx = c.tx(exec);
  endTask(c, exec, frame);
  if (d.lambda) {
    c.emit(
      tx,
      'LambdaFunctionSucceeded',
      { lambdaFunctionSucceededEventDetails: { output: text, outputDetails: { truncated: false } } },
      frame,
    );
  } else {
    c.emit(
      tx,
      'TaskSucceeded',
      {
        taskSucceededEventDetails: {
          resourceType: d.resourceType,
          resource: d.resource,
          output: text,
          outputDetails: { truncated: false },
        },
      },
      frame,
    );
  }
  frame.phase = { k: 'run' };
  const p = applyResult(c, tx, frame, out);
  if (p) return p.then(() => c.driveAndCommit(tx, frame));
  return c.driveAndCommit(tx, frame);
};

export const onTaskFailed = (
  c: Core,
  exec: Exec,
  frameId: string,
  seq: number,
  err: StatesError,
): Promise<void> | undefined => {
  const t = runningTask(exec, frameId, seq);
  if (!t) return;
  const { frame } = t;
  const d = describeResource(t.ph.resource);
  const tx = c.tx(exec);
  endTask(c, exec, frame);
  if (d.lambda) {
    c.emit(tx, 'LambdaFunctionFailed', { lambdaFunctionFailedEventDetails: err.details() }, frame);
  } else {
    c.emit(
      tx,
      'TaskFailed',
      {
        taskFailedEventDetails: { resourceType: d.resourceType, resource: d.resource, ...err.details() },
      },
      frame,
    );
  }
  frame.phase = { k: 'run' };
  const p = c.stateError(tx, frame, err);
  if (p) return p.then(() => c.driveAndCommit(tx, frame));
  return c.driveAndCommit(tx, frame);
};

/** TimeoutSeconds or HeartbeatSeconds ran out: `States.Timeout` / `States.HeartbeatTimeout`, no cause. */
export const onTaskTimeout = async (
  c: Core,
  exec: Exec,
  frameId: string,
  seq: number,
  error: string,
): Promise<void> => {
  const t = runningTask(exec, frameId, seq);
  if (!t) return;
  const { frame, ph } = t;
  const tx = c.tx(exec);
  endTask(c, exec, frame);
  const d = describeResource(ph.resource);
  if (d.lambda)
    c.emit(tx, 'LambdaFunctionTimedOut', { lambdaFunctionTimedOutEventDetails: { error } }, frame);
  else
    c.emit(
      tx,
      'TaskTimedOut',
      { taskTimedOutEventDetails: { resourceType: d.resourceType, resource: d.resource, error } },
      frame,
    );
  if (ph.child) {
    const child = c.execs.get(ph.child);
    if (child && child.meta.status === 'RUNNING')
      c.schedule(() => c.stopNow(child, 'States.Timeout', 'Parent task timed out'));
  }
  const e = new StatesError(error);
  if (error === ERR.Timeout) e.catchCause = '';
  await c.stateError(tx, frame, e);
  await c.drive(tx, frame);
  c.commit(tx);
};

/** The running task a task token names (SendTask*), or the API error AWS answers. */
export const taskOfToken = (c: Core, token: unknown): { exec: Exec; frame: Frame; seq: number } => {
  if (typeof token !== 'string' || token.length === 0 || token.length > 2048) {
    throw new ApiError('InvalidToken', 'Invalid Token');
  }
  const t = c.tokens.get(token);
  const exec = t ? c.execs.get(t.exec) : undefined;
  const task = t && exec ? runningTask(exec, t.frame, t.seq) : undefined;
  if (!t || !exec || !task) {
    throw new ApiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
  }
  return { exec, frame: task.frame, seq: t.seq };
};

// ------------------------------------------------------------------ child executions

/** A child execution closed: complete its parent's `.sync` task. */
export const notifyParent = (c: Core, child: Exec): void => {
  const p = child.meta.parent;
  if (!p || p.sync === 0) return;
  const parent = c.execs.get(p.exec);
  if (!parent) return;
  c.schedule(async () => {
    const f = parent.frames.get(p.frame);
    if (f?.phase.k !== 'task' || f.phase.seq !== p.seq) return;
    const m = child.meta;
    if (m.status === 'SUCCEEDED') {
      const out: JsonObject = {
        ExecutionArn: m.arn,
        Input: p.sync === 2 ? (JSON.parse(m.input) as Json) : m.input,
        InputDetails: { Included: true },
        Name: m.name,
        Output: p.sync === 2 ? (JSON.parse(m.output ?? 'null') as Json) : (m.output ?? 'null'),
        OutputDetails: { Included: true },
        StartDate: m.startDate,
        StateMachineArn: m.smArn,
        Status: 'SUCCEEDED',
        StopDate: m.stopDate ?? null,
      };
      await onTaskSucceeded(c, parent, p.frame, p.seq, out);
    } else {
      const cause = JSON.stringify({
        ExecutionArn: m.arn,
        Status: m.status,
        ...(m.error !== undefined ? { Error: m.error } : {}),
        ...(m.cause !== undefined ? { Cause: m.cause } : {}),
      });
      await onTaskFailed(c, parent, p.frame, p.seq, new StatesError(ERR.TaskFailed, cause));
    }
  });
};

/** `arn:aws:states:::states:startExecution[.sync[:2]|.waitForTaskToken]`, run by the engine itself. */
const startChildTask = async (c: Core, parent: Exec, frameId: string, seq: number): Promise<void> => {
  const t = runningTask(parent, frameId, seq);
  if (!t) return;
  const { frame, ph } = t;
  const p: JsonObject = isObject(ph.params) ? ph.params : {};
  const sync = ph.resource.endsWith('.sync:2') ? 2 : ph.resource.endsWith('.sync') ? 1 : 0;
  const name =
    typeof p.Name === 'string'
      ? p.Name
      : createHash('sha256').update(`${parent.meta.arn}#${frameId}#${seq}`).digest('hex').slice(0, 32);
  const input =
    p.Input === undefined ? '{}' : typeof p.Input === 'string' ? p.Input : JSON.stringify(p.Input);
  const smArn = String(p.StateMachineArn ?? '');
  let child: Exec;
  try {
    const sm = c.machines.get(smArn);
    const existing = sm ? c.execs.get(c.executionArn(sm, name)) : undefined;
    if (
      existing?.meta.parent &&
      existing.meta.parent.exec === parent.meta.arn &&
      existing.meta.parent.seq === seq
    ) {
      child = existing; // re-invocation after a crash: same child
    } else {
      const parentRef = { exec: parent.meta.arn, frame: frameId, seq, sync } as const;
      child = c.startNow(c.getMachine(smArn), name, input, parentRef).exec;
    }
  } catch (e) {
    // the SDK 1.x exception and its cause suffix, as AWS records them (`test_start_execution_no_such_arn`)
    const err =
      e instanceof ApiError
        ? new StatesError(
            `StepFunctions.${e.code.endsWith('Exception') ? e.code : `${e.code}Exception`}`,
            `${e.message} (Service: AWSStepFunctions; Status Code: ${e.status}; Error Code: ${e.code}; Request ID: ${randomUUID()}; Proxy: null)`,
          )
        : toStatesError(e);
    await onTaskFailed(c, parent, frameId, seq, err);
    return;
  }
  if (sync) {
    ph.child = child.meta.arn;
    const tx = c.tx(parent);
    c.touch(tx, frame);
    c.commit(tx);
    if (TERMINAL.includes(child.meta.status)) notifyParent(c, child);
    return;
  }
  const result = { ExecutionArn: child.meta.arn, StartDate: child.meta.startDate };
  if (ph.token) onTaskSubmitted(c, parent, frameId, seq, result);
  else await onTaskSucceeded(c, parent, frameId, seq, result);
};

// ------------------------------------------------------------------ aws-sdk:sfn:*

const SFN_SDK = /^arn:aws[a-z-]*:states:::aws-sdk:sfn:([a-zA-Z]+)$/;

const SFN_ACTIONS: Record<string, (c: api.EngineCore, req: never) => Promise<unknown>> = {
  startExecution: api.startExecution,
  startSyncExecution: api.startSyncExecution,
  describeExecution: api.describeExecution,
  describeStateMachine: api.describeStateMachine,
  listExecutions: api.listExecutions,
  listStateMachines: api.listStateMachines,
  stopExecution: api.stopExecution,
  getExecutionHistory: api.getExecutionHistory,
  sendTaskSuccess: api.sendTaskSuccess,
  sendTaskFailure: api.sendTaskFailure,
  sendTaskHeartbeat: api.sendTaskHeartbeat,
  redriveExecution: api.redriveExecution,
  describeMapRun: api.describeMapRun,
  listMapRuns: api.listMapRuns,
  validateStateMachineDefinition: api.validateStateMachineDefinition,
};

const lowerFirst = (k: string) => k[0]!.toLowerCase() + k.slice(1);
const upperFirst = (k: string) => k[0]!.toUpperCase() + k.slice(1);

/** SDK-shaped values: PascalCase keys, dates as ISO-8601 strings (how aws-sdk tasks return them). */
const sdkShape = (v: unknown): unknown => {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map(sdkShape);
  if (v && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) if (x !== undefined) out[upperFirst(k)] = sdkShape(x);
    return out;
  }
  return v;
};

/**
 * `arn:aws:states:::aws-sdk:sfn:<action>`: Step Functions' own API, answered by this engine. The
 * request is the SDK's input (PascalCase, `Input`/`Output` as JSON text or an object), the result the
 * SDK's output (PascalCase, ISO-8601 dates); failures are `Sfn.<Code>Exception`. A StartExecution
 * without a Name gets one derived from the task's idempotency key, so a re-invocation after a crash
 * finds the same execution.
 */
const sfnSdkCall = async (c: Core, action: string, params: Json, key: string): Promise<unknown> => {
  const fn = SFN_ACTIONS[action];
  if (!fn)
    throw new StatesError(
      ERR.Runtime,
      `The resource arn:aws:states:::aws-sdk:sfn:${action} is not supported locally`,
    );
  const req: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(isObject(params) ? params : {})) {
    req[lowerFirst(k)] = (k === 'Input' || k === 'Output') && typeof v !== 'string' ? JSON.stringify(v) : v;
  }
  const derived = (action === 'startExecution' || action === 'startSyncExecution') && req.name === undefined;
  if (derived) {
    const h = createHash('sha256').update(key).digest('hex');
    req.name = `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
  }
  try {
    if (action === 'startExecution' && derived) {
      // the same execution again after a crash: answer as the first call did
      const arn = typeof req.stateMachineArn === 'string' ? req.stateMachineArn : '';
      const sm = c.machines.get(arn);
      const existing = sm ? c.execs.get(c.executionArn(sm, String(req.name))) : undefined;
      if (existing)
        return sdkShape({ executionArn: existing.meta.arn, startDate: new Date(existing.meta.startDate) });
    }
    return sdkShape(await fn(c, req as never));
  } catch (e) {
    if (e instanceof ApiError) {
      const code = e.code.endsWith('Exception') ? e.code : `${e.code}Exception`;
      throw new StatesError(`Sfn.${code}`, e.message);
    }
    throw e;
  }
};
