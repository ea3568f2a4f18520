import type { WaitSpec } from './catalog.ts';
import type { ExecutionStatus, HistoryEvent } from './ports.ts';

/**
 * A run's states as the console draws them: one entry per state of the definition (the states of
 * Map processors and Parallel branches too, with their path), each with what happened to it, read
 * from the execution's history (decision 29).
 */

export type StateStatus = 'succeeded' | 'failed' | 'running' | 'waiting' | 'caught' | 'not-run';

export interface RunState {
  readonly name: string;
  readonly type: string;
  /** The enclosing Map/Parallel states and the state itself, joined by `/` (`Reprice/RepricePage`). */
  readonly path: string;
  readonly status: StateStatus;
  /** How often the state was entered (a loop, a redrive). */
  readonly entries: number;
  readonly enteredAt: string | null;
  readonly exitedAt: string | null;
  readonly input: unknown;
  readonly output: unknown;
  readonly error?: string;
  readonly cause?: string;
}

interface StateDef {
  readonly name: string;
  readonly type: string;
  readonly path: string;
  readonly resource?: string;
  readonly error?: string;
  readonly cause?: string;
}

type Asl = { States?: Record<string, Record<string, unknown>> };

/** Every state of a definition, depth first in definition order (nested states after their parent). */
export function definitionStates(definition: unknown): StateDef[] {
  const out: StateDef[] = [];
  const walk = (machine: Asl | undefined, prefix: string) => {
    for (const [name, state] of Object.entries(machine?.States ?? {})) {
      const path = prefix ? `${prefix}/${name}` : name;
      const type = String(state.Type ?? 'Unknown');
      out.push({
        name,
        type,
        path,
        ...(typeof state.Resource === 'string' ? { resource: state.Resource } : {}),
        ...(typeof state.Error === 'string' ? { error: state.Error } : {}),
        ...(typeof state.Cause === 'string' ? { cause: state.Cause } : {}),
      });
      if (type === 'Map') walk((state.ItemProcessor ?? state.Iterator) as Asl | undefined, path);
      if (type === 'Parallel') {
        for (const branch of (state.Branches ?? []) as Asl[]) walk(branch, path);
      }
    }
  };
  walk(definition as Asl, '');
  return out;
}

const OUTCOME_FAILED =
  /^(Task(Failed|TimedOut|StartFailed|SubmitFailed)|LambdaFunction(Failed|TimedOut|StartFailed|ScheduleFailed)|(Map|Parallel)StateFailed|MapRunFailed|ActivityFailed|ActivityTimedOut|ActivityScheduleFailed|Execution(Failed|TimedOut|Aborted))$/;
const OUTCOME_SUCCEEDED =
  /^(TaskSucceeded|LambdaFunctionSucceeded|(Map|Parallel)StateSucceeded|MapRunSucceeded|ActivitySucceeded)$/;

const parseJson = (text: unknown): unknown => {
  if (typeof text !== 'string') return text ?? null;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
};

/**
 * Which state each event belongs to: a state's Entered/Exited events name it; every other event
 * belongs to the state of the event before it (`previousEventId`), as the Step Functions console
 * groups them. Events before the first state (ExecutionStarted) belong to none.
 */
export function eventOwners(events: readonly HistoryEvent[]): Map<number, string> {
  const owners = new Map<number, string>();
  for (const e of events) {
    const named = /State(Entered|Exited)$/.test(e.type) ? e.details.name : undefined;
    if (typeof named === 'string') owners.set(e.id, named);
    else if (e.previousEventId !== null && owners.has(e.previousEventId))
      owners.set(e.id, owners.get(e.previousEventId)!);
  }
  return owners;
}

export function runStates(
  definition: unknown,
  events: readonly HistoryEvent[],
  executionStatus: ExecutionStatus,
): RunState[] {
  const owners = eventOwners(events);
  const byState = new Map<string, HistoryEvent[]>();
  for (const e of events) {
    const owner = owners.get(e.id);
    if (owner === undefined) continue;
    const list = byState.get(owner) ?? [];
    list.push(e);
    byState.set(owner, list);
  }
  const open = executionStatus === 'RUNNING' || executionStatus === 'PENDING_REDRIVE';
  return definitionStates(definition).map((def) => {
    const mine = byState.get(def.name) ?? [];
    const entries = mine.filter((e) => e.type.endsWith('StateEntered'));
    const base = { name: def.name, type: def.type, path: def.path, entries: entries.length };
    const lastEntry = entries.at(-1);
    if (!lastEntry) {
      return {
        ...base,
        status: 'not-run' as const,
        enteredAt: null,
        exitedAt: null,
        input: null,
        output: null,
      };
    }
    const since = mine.slice(mine.indexOf(lastEntry) + 1);
    const exit = since.find((e) => e.type.endsWith('StateExited'));
    let failure: HistoryEvent | undefined;
    let lastOutcome: 'failed' | 'succeeded' | undefined;
    let submitted = false;
    for (const e of since) {
      if (OUTCOME_FAILED.test(e.type)) {
        failure = e;
        lastOutcome = 'failed';
      } else if (OUTCOME_SUCCEEDED.test(e.type)) lastOutcome = 'succeeded';
      else if (e.type === 'TaskSubmitted') submitted = true;
      else if (e.type === 'TaskScheduled') submitted = false;
    }
    const waitsForCallback = def.resource?.endsWith('.waitForTaskToken') === true;
    let status: StateStatus;
    let error = typeof failure?.details.error === 'string' ? failure.details.error : undefined;
    let cause = typeof failure?.details.cause === 'string' ? failure.details.cause : undefined;
    if (def.type === 'Fail') {
      status = 'failed';
      error ??= def.error;
      cause ??= def.cause;
    } else if (exit) status = lastOutcome === 'failed' ? 'caught' : 'succeeded';
    else if (lastOutcome === 'failed' || !open) status = 'failed';
    else if (def.type === 'Wait' || (waitsForCallback && submitted)) status = 'waiting';
    else status = 'running';
    return {
      ...base,
      status,
      enteredAt: lastEntry.timestamp,
      exitedAt: exit?.timestamp ?? null,
      input: parseJson(lastEntry.details.input),
      output: exit ? parseJson(exit.details.output) : null,
      ...(error !== undefined ? { error } : {}),
      ...(cause !== undefined ? { cause } : {}),
    };
  });
}

export interface WaitingFor {
  readonly kind: string;
  readonly by: WaitSpec['by'];
  readonly state: string;
  readonly since: string | null;
  readonly [keyField: string]: string | null;
}

/**
 * What the run waits for, if anything: the first waiting state the workflow's catalog entry
 * describes (or any waiting callback, as `callback` by a person), with the run's business key as
 * `<type>Id` (`{ "kind": "po-approval", "poId": "PO-1" }`).
 */
export function waitingFor(
  states: readonly RunState[],
  waits: Readonly<Record<string, WaitSpec>> | undefined,
  key: { type: string; value: string } | null,
): WaitingFor | null {
  const state = states.find((s) => s.status === 'waiting');
  if (!state) return null;
  const spec: WaitSpec =
    waits?.[state.name] ??
    (state.type === 'Wait' ? { kind: 'timer', by: 'time' } : { kind: 'callback', by: 'person' });
  return {
    kind: spec.kind,
    by: spec.by,
    state: state.name,
    since: state.enteredAt,
    ...(key ? { [`${key.type}Id`]: key.value } : {}),
  };
}
