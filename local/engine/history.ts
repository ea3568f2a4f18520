/**
 * Execution history: event details as AWS shapes them, JSON fields kept as deferred text, and the
 * read-side views (GetExecutionHistory without execution data).
 */
import type { HistoryEvent } from './types.ts';
import { isObject } from './types.ts';

/**
 * A history field holding a JSON document as text (`input`, `output`, `parameters`, assigned
 * variables). The text is produced on first use — GetExecutionHistory, a journal record, a snapshot —
 * instead of on every transition. Safe because state values are never mutated in place: every step
 * builds new objects (templates, ResultPath copy-on-write) and handlers get a copy.
 */
export class JsonText {
  private text?: string;
  constructor(private readonly value: unknown) {}
  toJSON(): string {
    if (this.text === undefined) this.text = JSON.stringify(this.value);
    return this.text;
  }
}

/** Expand the deferred fields of a history event (a copy; stored events are left as they are). */
export const expandDetails = (v: unknown): unknown => {
  if (v instanceof JsonText) return v.toJSON();
  if (Array.isArray(v)) return v.map(expandDetails);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = expandDetails(x);
    return out;
  }
  return v;
};

/** An event without its execution data (`includeExecutionData: false`). */
export const stripData = <T extends Record<string, unknown>>(e: T): T => {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(e)) {
    if (isObject(v as never)) {
      const d = { ...(v as Record<string, unknown>) };
      delete d.input;
      delete d.output;
      delete d.parameters;
      out[k] = d;
    } else out[k] = v;
  }
  return out as T;
};

/** A history event as the API returns it. */
export interface HistoryEventView {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  [details: string]: unknown;
}

/** A copy of a stored event as the API returns it (deferred fields expanded, a Date timestamp). */
export const eventView = (e: HistoryEvent): HistoryEventView => ({
  ...(expandDetails(e) as HistoryEvent),
  timestamp: new Date(e.timestamp),
});

const STATES_START = /^arn:aws:states:::states:startExecution(\.sync(:2)?|\.waitForTaskToken)?$/;

export interface ResourceInfo {
  /** `resourceType` in task events (`lambda`, `dynamodb`, …) */
  resourceType: string;
  /** `resource` in task events (the action, e.g. `putItem`, `invoke.waitForTaskToken`) */
  resource: string;
  /** a Lambda function ARN: LambdaFunction* events instead of Task* events */
  lambda: boolean;
  /** `states:startExecution[...]`, run by the engine itself */
  startsExecution: boolean;
  /** `.waitForTaskToken`: the task completes through SendTask* */
  callback: boolean;
}
const resourceInfos = new Map<string, ResourceInfo>();

/** resourceType/resource as Step Functions reports them in history events (parsed once per ARN) */
export const describeResource = (resource: string): ResourceInfo => {
  let info = resourceInfos.get(resource);
  if (info) return info;
  const m = /^arn:aws[a-z-]*:states:[^:]*:[^:]*:([^:]+):(.+)$/.exec(resource);
  const startsExecution = STATES_START.test(resource);
  const callback = resource.endsWith('.waitForTaskToken');
  if (m) info = { resourceType: m[1]!, resource: m[2]!, lambda: false, startsExecution, callback };
  else if (/^arn:aws[a-z-]*:lambda:/.test(resource))
    info = { resourceType: 'lambda', resource, lambda: true, startsExecution, callback };
  else info = { resourceType: 'unknown', resource, lambda: false, startsExecution, callback };
  if (resourceInfos.size > 10_000) resourceInfos.clear();
  resourceInfos.set(resource, info);
  return info;
};
