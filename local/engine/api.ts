/**
 * The AWS Step Functions API (the operations `@aws-sdk/client-sfn` calls) over the engine's core:
 * request checks with AWS's error codes, responses in AWS's shapes, pagination. Everything that
 * changes state runs as a job on the core's queue and answers once it is durable.
 */
import { randomUUID } from 'node:crypto';
import type { Clock } from './clock.ts';
import { ApiError } from './errors.ts';
import type { HistoryEventView } from './history.ts';
import { eventView, stripData } from './history.ts';
import { checkLength, MAX_PAYLOAD_BYTES } from './limits.ts';
import type { ChildView, MapRunView } from './map-runs.ts';
import type { MockConfig } from './mocks.ts';
import { splitTestCase } from './mocks.ts';
import type { ExecMeta, Frame, StateMachineRecord } from './model.ts';
import type { ExecutionStatus, HistoryEvent } from './types.ts';
import { formatProblems, validateDefinition } from './validate.ts';

/** An execution as the API reads it. */
export interface ExecView {
  readonly meta: Readonly<ExecMeta>;
  readonly events: readonly HistoryEvent[];
  /** The execution's live frames (a running Map Run's counts are on its frame). */
  readonly frames: ReadonlyMap<string, Frame>;
}

/** What the API needs from the engine. */
export interface EngineCore {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  /** Run `fn` serialised with every transition (a job on the run queue). */
  run<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Resolves once everything appended so far is durable. */
  durable(): Promise<void>;
  readonly machines: ReadonlyMap<string, StateMachineRecord>;
  readonly execs: ReadonlyMap<string, ExecView>;
  /** The machine, or InvalidArn / StateMachineDoesNotExist. */
  getMachine(arn: unknown): StateMachineRecord;
  /** The execution, or InvalidArn / ExecutionDoesNotExist. */
  getExec(arn: unknown): ExecView;
  /** A Map Run (a Distributed Map's run) and its child executions, as of now. */
  mapRun(arn: string): MapRunView | undefined;
  /** The Map Runs an execution started. */
  mapRunsOf(exec: ExecView): MapRunView[];
  /** A Map Run's child execution. */
  mapRunChild(arn: string): ChildView | undefined;
  /** Store (and journal) a state machine record. */
  saveMachine(sm: StateMachineRecord): void;
  deleteMachine(arn: string): void;
  /** Start an execution (inside `run`); `reused` when a RUNNING one with the same name and input exists. */
  startNow(
    sm: StateMachineRecord,
    name: string | undefined,
    input: string | undefined,
    parent?: undefined,
    opts?: { ephemeral?: boolean; testCase?: string },
  ): { exec: ExecView; reused: boolean };
  /** The loaded mock configuration (test cases), if any. */
  readonly mocks: MockConfig | undefined;
  stopNow(exec: ExecView, error?: string, cause?: string): void;
  redriveStatus(exec: ExecView): 'REDRIVABLE' | 'NOT_REDRIVABLE';
  /** Why it cannot be redriven (AWS's wording), or undefined when it can. */
  redriveStatusReason(exec: ExecView): string | undefined;
  /** Redrive (inside `run`); returns the redrive date. */
  redriveNow(exec: ExecView): number;
  waitForClose(exec: ExecView): Promise<void>;
  /**
   * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat (inside `run`): InvalidToken or TaskTimedOut
   * for a token of no running task; SendTaskSuccess then InvalidOutput for output that is not JSON.
   */
  taskSucceeded(token: unknown, output: string): Promise<void> | undefined;
  taskFailed(token: unknown, error: string, cause: string): Promise<void> | undefined;
  taskHeartbeat(token: unknown): void;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: AWS forbids control characters in names
const NAME_RE = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

export const paginate = <T>(
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

// ------------------------------------------------------------------ state machines

export const createStateMachine = async (
  c: EngineCore,
  req: {
    name: string;
    definition: string;
    roleArn?: string;
    type?: 'STANDARD' | 'EXPRESS';
    description?: string;
  },
): Promise<{ stateMachineArn: string; creationDate: Date }> => {
  const r = await c.run(() => {
    if (typeof req.name !== 'string' || !NAME_RE.test(req.name))
      throw new ApiError('InvalidName', `Invalid Name: '${req.name}'`);
    const type = req.type ?? 'STANDARD';
    const { problems } = validateDefinition(req.definition);
    if (problems.length) throw new ApiError('InvalidDefinition', formatProblems(problems));
    const arn = `arn:aws:states:${c.region}:${c.accountId}:stateMachine:${req.name}`;
    const existing = c.machines.get(arn);
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
      roleArn: req.roleArn ?? `arn:aws:iam::${c.accountId}:role/local-sfn`,
      type,
      creationDate: c.clock.now(),
      revisionId: randomUUID(),
      ...(req.description ? { description: req.description } : {}),
    };
    c.saveMachine(sm);
    return sm;
  });
  await c.durable();
  return { stateMachineArn: r.arn, creationDate: new Date(r.creationDate) };
};

export const updateStateMachine = async (
  c: EngineCore,
  req: { stateMachineArn: string; definition?: string; roleArn?: string },
): Promise<{ updateDate: Date; revisionId: string }> => {
  const r = await c.run(() => {
    const sm = c.getMachine(req.stateMachineArn);
    if (req.definition !== undefined) {
      const { problems } = validateDefinition(req.definition);
      if (problems.length) throw new ApiError('InvalidDefinition', formatProblems(problems));
    }
    const next: StateMachineRecord = {
      ...sm,
      ...(req.definition !== undefined ? { definition: req.definition } : {}),
      ...(req.roleArn !== undefined ? { roleArn: req.roleArn } : {}),
      updateDate: c.clock.now(),
      revisionId: randomUUID(),
    };
    c.saveMachine(next);
    return { updateDate: next.updateDate!, revisionId: next.revisionId };
  });
  await c.durable();
  return { updateDate: new Date(r.updateDate), revisionId: r.revisionId };
};

/**
 * ValidateStateMachineDefinition: the problems CreateStateMachine would refuse, as diagnostics
 * (severity ERROR; `result` FAIL when there is one).
 */
export const validateStateMachineDefinition = async (
  _c: EngineCore,
  req: { definition: string; type?: 'STANDARD' | 'EXPRESS'; maxResults?: number },
) => {
  if (typeof req.definition !== 'string' || req.definition.length === 0) {
    throw new ApiError(
      'ValidationException',
      "1 validation error detected: Value at 'definition' failed to satisfy constraint: Member must not be null",
    );
  }
  const { problems } = validateDefinition(req.definition);
  const max = req.maxResults && req.maxResults > 0 ? req.maxResults : 100;
  return {
    result: problems.length ? 'FAIL' : 'OK',
    diagnostics: problems
      .slice(0, max)
      .map((p) => ({ severity: 'ERROR', code: p.code, message: p.message, location: p.location })),
    truncated: problems.length > max,
  };
};

export const describeStateMachine = async (c: EngineCore, req: { stateMachineArn: string }) => {
  const sm = c.getMachine(req.stateMachineArn);
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
};

export const listStateMachines = async (
  c: EngineCore,
  req: { maxResults?: number; nextToken?: string } = {},
) => {
  const all = [...c.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
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
};

export const deleteStateMachine = async (
  c: EngineCore,
  req: { stateMachineArn: string },
): Promise<Record<string, never>> => {
  await c.run(() => {
    if (typeof req.stateMachineArn !== 'string' || !req.stateMachineArn.startsWith('arn:')) {
      throw new ApiError('InvalidArn', `Invalid Arn: '${req.stateMachineArn}'`);
    }
    c.deleteMachine(req.stateMachineArn);
  });
  await c.durable();
  return {};
};

// ------------------------------------------------------------------ executions

export const startExecution = async (
  c: EngineCore,
  req: { stateMachineArn: string; name?: string; input?: string; traceHeader?: string },
) => {
  const r = await c.run(() => {
    // `<stateMachineArn>#<test case>` runs a test case of the mock configuration
    const { arn, testCase } = splitTestCase(req.stateMachineArn, c.mocks, (a) => c.machines.get(a)?.name);
    const opts = testCase !== undefined ? { testCase } : {};
    return c.startNow(c.getMachine(arn), req.name, req.input, undefined, opts);
  });
  await c.durable();
  return { executionArn: r.exec.meta.arn, startDate: new Date(r.exec.meta.startDate) };
};

/** Express-style: run to completion and return the result (not journaled). */
export const startSyncExecution = async (
  c: EngineCore,
  req: { stateMachineArn: string; name?: string; input?: string },
) => {
  const { exec } = await c.run(() => {
    const { arn, testCase } = splitTestCase(req.stateMachineArn, c.mocks, (a) => c.machines.get(a)?.name);
    const sm = c.getMachine(arn);
    if (sm.type !== 'EXPRESS')
      throw new ApiError(
        'StateMachineTypeNotSupported',
        'This operation is only supported by EXPRESS state machines',
      );
    return c.startNow(sm, req.name, req.input, undefined, {
      ephemeral: true,
      ...(testCase !== undefined ? { testCase } : {}),
    });
  });
  await c.waitForClose(exec);
  const d = await describeExecution(c, { executionArn: exec.meta.arn });
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
};

/** DescribeExecution's answer for an execution, as of now. */
export const executionDescription = (c: EngineCore, x: ExecView) => {
  const m = x.meta;
  const closed = m.status !== 'RUNNING';
  return {
    executionArn: m.arn,
    stateMachineArn: m.smArn,
    name: m.name,
    status: m.status,
    startDate: new Date(m.startDate),
    ...(m.stopDate !== undefined && closed ? { stopDate: new Date(m.stopDate) } : {}),
    input: m.input,
    inputDetails: { included: true },
    ...(m.output !== undefined && m.status === 'SUCCEEDED'
      ? { output: m.output, outputDetails: { included: true } }
      : {}),
    ...(m.error !== undefined && closed && m.status !== 'SUCCEEDED' ? { error: m.error } : {}),
    ...(m.cause !== undefined && closed && m.status !== 'SUCCEEDED' ? { cause: m.cause } : {}),
    redriveCount: m.redriveCount,
    ...(m.redriveDate !== undefined ? { redriveDate: new Date(m.redriveDate) } : {}),
    redriveStatus: c.redriveStatus(x),
    ...(c.redriveStatusReason(x) !== undefined ? { redriveStatusReason: c.redriveStatusReason(x) } : {}),
  };
};

/*
 * Reads answer only once what they show is durable (a flush of the records already appended;
 * a no-op when nothing is pending), so a caller never sees a state a crash would take back.
 */
export const describeExecution = async (c: EngineCore, req: { executionArn: string }) => {
  const child = typeof req.executionArn === 'string' ? c.mapRunChild(req.executionArn) : undefined;
  if (child) return childDescription(child);
  const r = executionDescription(c, c.getExec(req.executionArn));
  await c.durable();
  return r;
};

/** DescribeExecution of a Map Run's child execution. */
const childDescription = (x: ChildView) => {
  const closed = x.status !== 'RUNNING';
  const i = x.info;
  return {
    executionArn: x.arn,
    stateMachineArn: x.stateMachineArn,
    name: x.name,
    status: x.status,
    startDate: new Date(x.start),
    ...(x.stop !== undefined && closed ? { stopDate: new Date(x.stop) } : {}),
    ...(i ? { input: JSON.stringify(i.input), inputDetails: { included: true } } : {}),
    ...(i && x.status === 'SUCCEEDED' && 'output' in i
      ? { output: JSON.stringify(i.output), outputDetails: { included: true } }
      : {}),
    ...(i?.error !== undefined && x.status === 'FAILED' ? { error: i.error } : {}),
    ...(i?.cause !== undefined && x.status === 'FAILED' ? { cause: i.cause } : {}),
    mapRunArn: x.mapRunArn,
    redriveCount: 0,
    redriveStatus: 'NOT_REDRIVABLE',
  };
};

export const listExecutions = async (
  c: EngineCore,
  req: {
    stateMachineArn?: string;
    mapRunArn?: string;
    statusFilter?: ExecutionStatus;
    maxResults?: number;
    nextToken?: string;
  },
) => {
  if (req.mapRunArn !== undefined) {
    // "You can specify either a mapRunArn or a stateMachineArn, but not both."
    if (req.stateMachineArn !== undefined) {
      throw new ApiError('ValidationException', 'Specify either stateMachineArn or mapRunArn, not both');
    }
    const run = getMapRun(c, req.mapRunArn);
    const kids = run.children
      .filter((x) => !req.statusFilter || x.status === req.statusFilter)
      .sort((a, b) => b.start - a.start || a.index - b.index);
    const { page, nextToken } = paginate(kids, req.maxResults, req.nextToken);
    return {
      executions: page.map((x) => ({
        executionArn: x.arn,
        stateMachineArn: x.stateMachineArn,
        name: x.name,
        status: x.status,
        startDate: new Date(x.start),
        ...(x.stop !== undefined && x.status !== 'RUNNING' ? { stopDate: new Date(x.stop) } : {}),
        mapRunArn: x.mapRunArn,
        itemCount: 1,
        redriveCount: 0,
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }
  const sm = c.getMachine(req.stateMachineArn);
  const all = [...c.execs.values()]
    .filter(
      (x) =>
        x.meta.smArn === sm.arn &&
        !x.meta.ephemeral &&
        (!req.statusFilter || x.meta.status === req.statusFilter),
    )
    .sort((a, b) => b.meta.startDate - a.meta.startDate);
  const { page, nextToken } = paginate(all, req.maxResults, req.nextToken);
  await c.durable();
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
};

export const getExecutionHistory = async (
  c: EngineCore,
  req: {
    executionArn: string;
    maxResults?: number;
    reverseOrder?: boolean;
    nextToken?: string;
    includeExecutionData?: boolean;
  },
) => {
  const child = typeof req.executionArn === 'string' ? c.mapRunChild(req.executionArn) : undefined;
  let events = child ? childHistory(child) : c.getExec(req.executionArn).events.map(eventView);
  if (req.reverseOrder) events = events.reverse();
  if (req.includeExecutionData === false) events = events.map(stripData);
  const { page, nextToken } = paginate(events, req.maxResults, req.nextToken);
  await c.durable();
  return { events: page, ...(nextToken ? { nextToken } : {}) };
};

/**
 * A Map Run child's history: its start and, once over, its end (the engine runs a child's states
 * inside the parent and does not record their events).
 */
const childHistory = (x: ChildView): HistoryEventView[] => {
  const events: HistoryEventView[] = [
    {
      id: 1,
      previousEventId: 0,
      timestamp: new Date(x.start),
      type: 'ExecutionStarted',
      executionStartedEventDetails: {
        ...(x.info ? { input: JSON.stringify(x.info.input) } : {}),
        inputDetails: { truncated: false },
      },
    },
  ];
  const at = new Date(x.stop ?? x.start);
  const i = x.info;
  if (x.status === 'SUCCEEDED') {
    events.push({
      id: 2,
      previousEventId: 1,
      timestamp: at,
      type: 'ExecutionSucceeded',
      executionSucceededEventDetails: {
        ...(i && 'output' in i ? { output: JSON.stringify(i.output) } : {}),
        outputDetails: { truncated: false },
      },
    });
  } else if (x.status === 'FAILED' || x.status === 'ABORTED') {
    const type = x.status === 'FAILED' ? 'ExecutionFailed' : 'ExecutionAborted';
    const key = x.status === 'FAILED' ? 'executionFailedEventDetails' : 'executionAbortedEventDetails';
    events.push({
      id: 2,
      previousEventId: 1,
      timestamp: at,
      type,
      [key]: {
        ...(i?.error !== undefined ? { error: i.error } : {}),
        ...(i?.cause !== undefined ? { cause: i.cause } : {}),
      },
    });
  }
  return events;
};

export const stopExecution = async (
  c: EngineCore,
  req: { executionArn: string; error?: string; cause?: string },
) => {
  checkErrorCause(req);
  const stopDate = await c.run(() => {
    const x = c.getExec(req.executionArn);
    if (x.meta.status === 'RUNNING') c.stopNow(x, req.error, req.cause);
    else if (x.meta.status !== 'ABORTED') {
      throw new ApiError(
        'ValidationException',
        `Execution '${x.meta.arn}' is not running (status ${x.meta.status})`,
      );
    }
    return x.meta.stopDate ?? c.clock.now();
  });
  await c.durable();
  return { stopDate: new Date(stopDate) };
};

export const redriveExecution = async (
  c: EngineCore,
  req: { executionArn: string; clientToken?: string },
): Promise<{ redriveDate: Date }> => {
  const d = await c.run(() => {
    const x = c.getExec(req.executionArn);
    const reason = c.redriveStatusReason(x);
    if (reason !== undefined) {
      throw new ApiError('ExecutionNotRedrivable', `Execution '${x.meta.arn}' cannot be redriven: ${reason}`);
    }
    return c.redriveNow(x);
  });
  await c.durable();
  return { redriveDate: new Date(d) };
};

// ------------------------------------------------------------------ Map Runs

const MAP_RUN_ARN = /^arn:[^:]+:states:[^:]*:[^:]*:mapRun:[^:]+:[^:]+$/;

const getMapRun = (c: EngineCore, arn: unknown): MapRunView => {
  if (typeof arn !== 'string' || !MAP_RUN_ARN.test(arn)) {
    throw new ApiError('InvalidArn', `Invalid Arn: '${String(arn)}'`);
  }
  const run = c.mapRun(arn);
  if (!run) throw new ApiError('ResourceNotFound', `Resource not found: '${arn}'`);
  return run;
};

/**
 * Item or execution counts of a Map Run: one child execution per item, or per batch of items with an
 * ItemBatcher (`sizes`: the items of each batch, counted for `itemCounts`).
 */
const mapRunCounts = (v: MapRunView, byItem = false) => {
  const n = { pending: 0, running: 0, succeeded: 0, failed: 0, timedOut: 0, aborted: 0 };
  const sizes = byItem ? v.run.sizes : undefined;
  let i = 0;
  for (const ch of v.run.items ?? '') {
    const k = sizes?.[i] ?? 1;
    i++;
    if (ch === 'P') n.pending += k;
    else if (ch === 'R') n.running += k;
    else if (ch === 'S') n.succeeded += k;
    else if (ch === 'F') n.failed += k;
    else if (ch === 'A') n.aborted += k;
  }
  const total = sizes ? sizes.reduce((a, b) => a + b, 0) : v.run.total;
  return { ...n, total, resultsWritten: 0, failuresNotRedrivable: 0, pendingRedrive: 0 };
};

/** DescribeMapRun: a Map Run's configuration and progress. */
export const describeMapRun = async (c: EngineCore, req: { mapRunArn: string }) => {
  const v = getMapRun(c, req.mapRunArn);
  const r = v.run;
  await c.durable();
  return {
    mapRunArn: r.arn,
    executionArn: v.executionArn,
    status: r.status,
    startDate: new Date(r.start),
    ...(r.stop !== undefined ? { stopDate: new Date(r.stop) } : {}),
    maxConcurrency: r.max,
    toleratedFailurePercentage: r.pct ?? 0,
    toleratedFailureCount: r.count ?? 0,
    itemCounts: mapRunCounts(v, true),
    executionCounts: mapRunCounts(v),
    redriveCount: r.redriveCount ?? 0,
    ...(r.redriveDate !== undefined ? { redriveDate: new Date(r.redriveDate) } : {}),
  };
};

/** ListMapRuns: the Map Runs an execution started. */
export const listMapRuns = async (
  c: EngineCore,
  req: { executionArn: string; maxResults?: number; nextToken?: string },
) => {
  const runs = c.mapRunsOf(c.getExec(req.executionArn));
  const { page, nextToken } = paginate(runs, req.maxResults, req.nextToken);
  await c.durable();
  return {
    mapRuns: page.map((v) => ({
      executionArn: v.executionArn,
      mapRunArn: v.run.arn,
      stateMachineArn: v.stateMachineArn,
      startDate: new Date(v.run.start),
      ...(v.run.stop !== undefined ? { stopDate: new Date(v.run.stop) } : {}),
    })),
    ...(nextToken ? { nextToken } : {}),
  };
};

// ------------------------------------------------------------------ callbacks

/** `error` (256) and `cause` (32,768) as the API models them (SendTaskFailure, StopExecution). */
const checkErrorCause = (req: { error?: string; cause?: string }): void => {
  checkLength('error', req.error, 256);
  checkLength('cause', req.cause, 32_768);
};

export const sendTaskSuccess = async (
  c: EngineCore,
  req: { taskToken: string; output: string },
): Promise<Record<string, never>> => {
  checkLength('output', req.output, MAX_PAYLOAD_BYTES, true);
  await c.run(() => c.taskSucceeded(req.taskToken, req.output));
  await c.durable();
  return {};
};

export const sendTaskFailure = async (
  c: EngineCore,
  req: { taskToken: string; error?: string; cause?: string },
): Promise<Record<string, never>> => {
  checkErrorCause(req);
  await c.run(() => c.taskFailed(req.taskToken, req.error ?? '', req.cause ?? ''));
  await c.durable();
  return {};
};

export const sendTaskHeartbeat = async (
  c: EngineCore,
  req: { taskToken: string },
): Promise<Record<string, never>> => {
  await c.run(() => c.taskHeartbeat(req.taskToken));
  await c.durable();
  return {};
};

/** DescribeStateMachineForExecution: the definition the execution runs (kept with it). */
export const describeStateMachineForExecution = async (c: EngineCore, req: { executionArn: string }) => {
  const x = c.getExec(req.executionArn);
  const sm = c.machines.get(x.meta.smArn);
  await c.durable();
  return {
    stateMachineArn: x.meta.smArn,
    name: x.meta.smName,
    definition: x.meta.definition,
    roleArn: sm?.roleArn ?? `arn:aws:iam::${c.accountId}:role/local-sfn`,
    updateDate: new Date(sm?.updateDate ?? sm?.creationDate ?? x.meta.startDate),
    ...(sm?.revisionId ? { revisionId: sm.revisionId } : {}),
    loggingConfiguration: { level: 'OFF', includeExecutionData: false },
    tracingConfiguration: { enabled: false },
  };
};
