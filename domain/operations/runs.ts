import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import {
  type BusinessKey,
  executionArnOf,
  isExecutionName,
  KEY_TYPES,
  type KeyType,
  keyOfRun,
  type OperationsCatalog,
  runId,
  runNameOfKey,
  type WorkflowEntry,
} from './catalog.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import {
  EXECUTION_STATUSES,
  type Execution,
  type ExecutionDetail,
  type ExecutionStatus,
  type HistoryEvent,
  type MapRunProgress,
  type WorkflowRuns,
} from './ports.ts';
import { type RunState, runStates, type WaitingFor, waitingFor } from './run-states.ts';

/**
 * The runs of the operations API (decision 29): every workflow's executions as one list, newest
 * first, filtered by workflow, status and business key; a run's page (definition, states, history,
 * what it waits for, what can be done); stop and redrive. Step Functions is the only store: a run
 * is its execution, its id `<workflow>:<executionName>`.
 */

export interface RunSummary {
  readonly id: string;
  readonly workflow: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly key: BusinessKey | null;
  readonly redriveCount: number;
}

export interface RunPage extends RunSummary {
  readonly input: unknown;
  readonly output: unknown;
  readonly error: string | null;
  readonly cause: string | null;
  readonly definition: unknown;
  readonly states: RunState[];
  readonly history: HistoryEvent[];
  readonly historyCursor: string | null;
  readonly waitingFor: WaitingFor | null;
  readonly mapRuns: Array<MapRunProgress & { readonly state: string | null }>;
  readonly actions: { readonly stop: boolean; readonly redrive: boolean };
  readonly redriveStatusReason: string | null;
}

/** Executions asked of Step Functions per ListExecutions call (one fixed size keeps tokens valid). */
export const LIST_PAGE = 100;
/** History events per GetExecutionHistory call, and the most a run page reads to draw its states. */
export const HISTORY_CALL = 1000;
export const MAX_HISTORY_EVENTS = 10_000;
/** History events per run page (`historyCursor` for the next). */
export const HISTORY_PAGE = 500;

const limitSchema = (max: number, fallback: number) =>
  z._default(
    z.coerce
      .number(`must be a number from 1 to ${max}`)
      .check(
        z.int('must be a whole number'),
        z.minimum(1, 'must be at least 1'),
        z.maximum(max, `must be at most ${max}`),
      ),
    fallback,
  );

const cursorSchema = z.optional(
  z
    .string()
    .check(z.minLength(1, 'must not be empty'), z.maxLength(16_384, 'is not a cursor this API handed out')),
);

const KeyParam = z.string().check(
  z.minLength(1, 'must not be empty'),
  z.maxLength(300, 'must be at most 300 characters'),
  z.refine(
    (v) => {
      const colon = v.indexOf(':');
      if (colon < 0) return true;
      return (KEY_TYPES as readonly string[]).includes(v.slice(0, colon)) && v.length > colon + 1;
    },
    `must be a value or <type>:<value> with type one of ${KEY_TYPES.join(', ')}`,
  ),
);

export function parseKeyParam(value: string): { type?: KeyType; value: string } {
  const colon = value.indexOf(':');
  if (colon < 0) return { value };
  return { type: value.slice(0, colon) as KeyType, value: value.slice(colon + 1) };
}

interface Position {
  /** The ListExecutions token of the page the next item is on (null: the first page). */
  readonly t: string | null;
  /** How many items of that page were already taken. */
  readonly s: number;
}

const isPositions = (v: unknown): v is Record<string, Position> =>
  typeof v === 'object' &&
  v !== null &&
  !Array.isArray(v) &&
  Object.values(v).every(
    (p) =>
      typeof p === 'object' &&
      p !== null &&
      ((p as Position).t === null || typeof (p as Position).t === 'string') &&
      Number.isInteger((p as Position).s) &&
      (p as Position).s >= 0 &&
      (p as Position).s < LIST_PAGE,
  );

/** One workflow's executions, newest first, read a page at a time from where a cursor left off. */
class ExecutionStream {
  #page: Execution[] = [];
  #pageToken: string | null;
  #index: number;
  #next: string | null = null;
  #loaded = false;

  constructor(
    private readonly port: WorkflowRuns,
    readonly workflow: WorkflowEntry,
    private readonly status: ExecutionStatus | undefined,
    from: Position,
  ) {
    this.#pageToken = from.t;
    this.#index = from.s;
  }

  async peek(): Promise<Execution | undefined> {
    for (;;) {
      if (!this.#loaded) {
        const page = await this.port.listExecutions(this.workflow.stateMachineArn, {
          ...(this.status ? { status: this.status } : {}),
          token: this.#pageToken,
          max: LIST_PAGE,
        });
        this.#page = page.items;
        this.#next = page.next;
        this.#loaded = true;
      }
      if (this.#index < this.#page.length) return this.#page[this.#index];
      if (!this.#next) return undefined;
      this.#pageToken = this.#next;
      this.#index = 0;
      this.#loaded = false;
    }
  }

  take(): void {
    this.#index++;
  }

  /** Where the next item is, or null when the stream is at its end. */
  async position(): Promise<Position | null> {
    return (await this.peek()) === undefined ? null : { t: this.#pageToken, s: this.#index };
  }
}

export function operationsRuns(deps: { readonly catalog: OperationsCatalog; readonly runs: WorkflowRuns }) {
  const { catalog, runs: port } = deps;
  const workflowNames = catalog.workflows.map((w) => w.name);
  const byName = new Map(catalog.workflows.map((w) => [w.name, w]));

  const ListQuery = z.object({
    workflow: z.optional(
      z.string().check(
        z.refine((v) => byName.has(v), {
          error: `must be one of ${workflowNames.join(', ') || '(no workflows)'}`,
        }),
      ),
    ),
    status: z.optional(z.enum(EXECUTION_STATUSES, `must be one of ${EXECUTION_STATUSES.join(', ')}`)),
    key: z.optional(KeyParam),
    limit: limitSchema(100, 25),
    cursor: cursorSchema,
  });

  const summary = (workflow: WorkflowEntry, e: Execution): RunSummary => ({
    id: runId(workflow.name, e.name),
    workflow: workflow.name,
    name: e.name,
    status: e.status,
    startedAt: e.startedAt,
    stoppedAt: e.stoppedAt,
    key: keyOfRun(workflow, e.name),
    redriveCount: e.redriveCount,
  });

  /** The workflow and execution a run id names: 400 when malformed, 404 when there is no such workflow. */
  function resolve(id: string): { workflow: WorkflowEntry; name: string; arn: string } {
    const colon = id.indexOf(':');
    const workflowName = colon > 0 ? id.slice(0, colon) : '';
    const name = colon > 0 ? id.slice(colon + 1) : '';
    if (!workflowName || !isExecutionName(name) || id.length > 200) {
      throw ValidationError.field('id', 'must be <workflow>:<execution name>, URL-encoded');
    }
    const workflow = byName.get(workflowName);
    if (!workflow) throw new NotFoundError(`no workflow ${workflowName}: no run ${id}`);
    return { workflow, name, arn: executionArnOf(workflow.stateMachineArn, name) };
  }

  async function describe(id: string) {
    const target = resolve(id);
    const detail = await port.describeExecution(target.arn);
    if (!detail) throw new NotFoundError(`no run ${id}`);
    return { ...target, detail };
  }

  async function readHistory(arn: string): Promise<HistoryEvent[]> {
    const events: HistoryEvent[] = [];
    let token: string | null = null;
    do {
      const page = await port.history(arn, { token, max: HISTORY_CALL });
      events.push(...page.events);
      token = page.next;
    } while (token && events.length < MAX_HISTORY_EVENTS);
    return events;
  }

  const parseJson = (text: string | null): unknown => {
    if (text === null) return null;
    try {
      return JSON.parse(text);
    } catch {
      return text;
    }
  };

  async function page(
    workflow: WorkflowEntry,
    arn: string,
    detail: ExecutionDetail,
    historyCursor: string | undefined,
  ): Promise<RunPage> {
    const offset = historyCursor
      ? decodeCursor(
          historyCursor,
          (v): v is { o: number } =>
            Number.isInteger((v as { o?: unknown })?.o) && (v as { o: number }).o >= 0,
          'historyCursor',
        ).o
      : 0;
    const [definitionText, events, mapRuns] = await Promise.all([
      port.definition(arn),
      readHistory(arn),
      workflow.distributedMap ? port.mapRuns(arn) : Promise.resolve([]),
    ]);
    const definition = parseJson(definitionText);
    const states = runStates(definition, events, detail.status);
    const key = keyOfRun(workflow, detail.name);
    const mapRunStates = new Map<string, string>();
    for (const e of events) {
      if (e.type === 'MapRunStarted' && typeof e.details.mapRunArn === 'string') {
        const state = events.findLast((x) => x.id < e.id && x.type === 'MapStateEntered')?.details.name;
        if (typeof state === 'string') mapRunStates.set(e.details.mapRunArn, state);
      }
    }
    return {
      ...summary(workflow, detail),
      input: parseJson(detail.input),
      output: parseJson(detail.output),
      error: detail.error,
      cause: detail.cause,
      definition,
      states,
      history: events.slice(offset, offset + HISTORY_PAGE),
      historyCursor:
        offset + HISTORY_PAGE < events.length ? encodeCursor({ o: offset + HISTORY_PAGE }) : null,
      waitingFor: detail.status === 'RUNNING' ? waitingFor(states, workflow.waits, key) : null,
      mapRuns: mapRuns.map((m) => ({ ...m, state: mapRunStates.get(m.mapRunArn) ?? null })),
      actions: { stop: detail.status === 'RUNNING', redrive: detail.redriveStatus === 'REDRIVABLE' },
      redriveStatusReason: detail.redriveStatusReason,
    };
  }

  return {
    /** `GET /api/runs`. */
    async list(query: Record<string, string | undefined> | null | undefined) {
      const q = parseOrThrow(ListQuery, query ?? {});
      const workflows = q.workflow ? [byName.get(q.workflow)!] : catalog.workflows;
      if (q.key !== undefined) {
        if (q.cursor) throw ValidationError.field('cursor', 'a key matches one run per workflow: no pages');
        const key = parseKeyParam(q.key);
        const found = await Promise.all(
          workflows.map(async (workflow) => {
            const name = runNameOfKey(workflow, key);
            if (!name) return undefined;
            const detail = await port.describeExecution(executionArnOf(workflow.stateMachineArn, name));
            if (!detail || (q.status && detail.status !== q.status)) return undefined;
            return summary(workflow, detail);
          }),
        );
        const items = found
          .filter((x): x is RunSummary => x !== undefined)
          .sort((a, b) => b.startedAt.localeCompare(a.startedAt) || a.workflow.localeCompare(b.workflow));
        return { items: items.slice(0, q.limit), nextCursor: null };
      }
      const positions = q.cursor ? decodeCursor(q.cursor, isPositions) : undefined;
      if (positions && Object.keys(positions).some((w) => !workflows.some((x) => x.name === w))) {
        throw ValidationError.field('cursor', 'is not a cursor this API handed out for these filters');
      }
      const streams = workflows
        .filter((w) => !positions || positions[w.name])
        .map((w) => new ExecutionStream(port, w, q.status, positions?.[w.name] ?? { t: null, s: 0 }));
      const items: RunSummary[] = [];
      while (items.length < q.limit) {
        let best: { stream: ExecutionStream; execution: Execution } | undefined;
        for (const stream of streams) {
          const execution = await stream.peek();
          if (!execution) continue;
          if (
            !best ||
            execution.startedAt > best.execution.startedAt ||
            (execution.startedAt === best.execution.startedAt &&
              stream.workflow.name < best.stream.workflow.name)
          ) {
            best = { stream, execution };
          }
        }
        if (!best) break;
        best.stream.take();
        items.push(summary(best.stream.workflow, best.execution));
      }
      const next: Record<string, Position> = {};
      for (const stream of streams) {
        const at = await stream.position();
        if (at) next[stream.workflow.name] = at;
      }
      return { items, nextCursor: Object.keys(next).length ? encodeCursor(next) : null };
    },

    /** `GET /api/runs/{id}`. */
    async get(id: string, query: Record<string, string | undefined> | null | undefined): Promise<RunPage> {
      const q = parseOrThrow(z.object({ historyCursor: cursorSchema }), query ?? {});
      const { workflow, arn, detail } = await describe(id);
      return page(workflow, arn, detail, q.historyCursor);
    },

    /** `POST /api/runs/{id}/stop`: only a RUNNING run (409 otherwise). */
    async stop(id: string, body: unknown): Promise<RunPage> {
      const b = parseOrThrow(
        z.strictObject({
          reason: z.optional(
            z.string('must be a string').check(z.maxLength(1000, 'must be at most 1000 characters')),
          ),
        }),
        body ?? {},
      );
      const { workflow, arn, detail } = await describe(id);
      if (detail.status !== 'RUNNING') {
        throw new ConflictError(`run ${id} is ${detail.status}: only a RUNNING run can be stopped`);
      }
      const refusal = await port.stop(arn, b.reason);
      if (refusal) throw new ConflictError(`run ${id} cannot be stopped: ${refusal.refused}`);
      const after = await port.describeExecution(arn);
      return page(workflow, arn, after ?? detail, undefined);
    },

    /** `POST /api/runs/{id}/redrive`: RedriveExecution, from the failed step (409 when refused). */
    async redrive(id: string): Promise<RunPage> {
      const { workflow, arn, detail } = await describe(id);
      if (detail.redriveStatus !== 'REDRIVABLE') {
        const why = detail.redriveStatusReason ?? `Execution is ${detail.status} and cannot be redriven.`;
        throw new ConflictError(`run ${id} cannot be redriven: ${why}`);
      }
      const refusal = await port.redrive(arn);
      if (refusal) throw new ConflictError(`run ${id} cannot be redriven: ${refusal.refused}`);
      const after = await port.describeExecution(arn);
      return page(workflow, arn, after ?? detail, undefined);
    },

    /** Summaries of the newest runs of each workflow in one status (the overview's counts and lists). */
    async count(
      workflow: WorkflowEntry,
      status: ExecutionStatus,
      cap: number,
    ): Promise<{ count: number; capped: boolean; newest: RunSummary[] }> {
      let count = 0;
      const newest: RunSummary[] = [];
      let token: string | null = null;
      do {
        const pageOf = await port.listExecutions(workflow.stateMachineArn, { status, token, max: LIST_PAGE });
        count += pageOf.items.length;
        for (const e of pageOf.items) if (newest.length < 25) newest.push(summary(workflow, e));
        token = pageOf.next;
      } while (token && count < cap);
      return { count, capped: token !== null, newest };
    },

    page: async (id: string) => {
      const { workflow, arn, detail } = await describe(id);
      return page(workflow, arn, detail, undefined);
    },
  };
}

export type OperationsRuns = ReturnType<typeof operationsRuns>;
