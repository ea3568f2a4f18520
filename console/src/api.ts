/**
 * The console's one way out: the operations API, at the URL `config.json` names (empty: the same
 * origin, as `storeflow dev` serves it), with the operator's bearer token from sessionStorage.
 */

export interface ConsoleConfig {
  /** Base URL of the operations API; '' = this origin. */
  readonly apiUrl: string;
  /** How an operator signs in: the local runtime's admin token, or a JWT from the issuer on AWS. */
  readonly auth: 'admin-token' | 'jwt' | 'iam';
  readonly stage?: string;
}

const TOKEN_KEY = 'storeflow.token';
let config: ConsoleConfig = { apiUrl: '', auth: 'admin-token' };

export async function loadConfig(): Promise<ConsoleConfig> {
  try {
    const res = await fetch('./config.json', { cache: 'no-store' });
    if (res.ok) config = { ...config, ...((await res.json()) as Partial<ConsoleConfig>) };
  } catch {
    // no config.json: the same origin with the admin token
  }
  return config;
}

export const getConfig = () => config;
export const getToken = () => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (token: string) => sessionStorage.setItem(TOKEN_KEY, token);
export const clearToken = () => sessionStorage.removeItem(TOKEN_KEY);

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly body: unknown,
  ) {
    super(describe(status, body));
  }
}

function describe(status: number, body: unknown): string {
  const b = (body ?? {}) as { message?: unknown; error?: unknown; errors?: unknown };
  const parts: string[] = [`${status}`];
  if (typeof b.message === 'string') parts.push(b.message);
  else if (typeof b.error === 'string') parts.push(b.error);
  if (Array.isArray(b.errors)) {
    for (const e of b.errors as Array<{ field?: string; reason?: string }>) {
      parts.push(`${e.field ?? ''}: ${e.reason ?? ''}`);
    }
  }
  return parts.join(' · ');
}

/** Listeners told when the API answers 401 (the token is wrong or expired: back to login). */
const unauthorized = new Set<() => void>();
export const onUnauthorized = (f: () => void) => {
  unauthorized.add(f);
  return () => unauthorized.delete(f);
};

export async function api<T = unknown>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${config.apiUrl.replace(/\/$/, '')}${path}`, {
    method,
    headers,
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // not JSON: keep the text
  }
  if (res.status === 401) for (const f of unauthorized) f();
  if (!res.ok) throw new ApiError(res.status, parsed);
  return parsed as T;
}

/** A query string from the defined, non-empty values. */
export function query(params: Record<string, string | number | null | undefined>): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
  const s = q.toString();
  return s ? `?${s}` : '';
}

export const enc = encodeURIComponent;

// --- the operations API's shapes the console reads (docs: /work/ops-contract.md) ---------------

export type RunStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED' | 'PENDING_REDRIVE';
export interface BusinessKey {
  readonly type: string;
  readonly value: string;
}
export interface RunSummary {
  readonly id: string;
  readonly workflow: string;
  readonly name: string;
  readonly status: RunStatus;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly key: BusinessKey | null;
  readonly redriveCount: number;
}
export type StateStatus = 'succeeded' | 'failed' | 'running' | 'waiting' | 'caught' | 'not-run';
export interface RunState {
  readonly name: string;
  readonly path?: string;
  readonly type: string;
  readonly status: StateStatus;
  readonly enteredAt?: string | null;
  readonly exitedAt?: string | null;
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string;
  readonly cause?: string;
}
export interface HistoryEvent {
  readonly id: number | string;
  readonly type: string;
  readonly timestamp: string;
  readonly previousEventId?: number | string;
  readonly details?: unknown;
}
export interface WaitingFor {
  readonly kind: string;
  readonly by?: string;
  readonly state?: string;
  readonly since?: string | null;
  readonly poId?: string;
  readonly [k: string]: unknown;
}
export interface RunDetail extends RunSummary {
  readonly input?: unknown;
  readonly output?: unknown;
  readonly error?: string | null;
  readonly cause?: string | null;
  readonly definition: AslDefinition;
  readonly states: RunState[];
  readonly history: HistoryEvent[];
  readonly historyCursor?: string | null;
  readonly waitingFor?: WaitingFor | null;
  readonly actions: { readonly stop: boolean; readonly redrive: boolean };
  /** the run's Distributed Map runs (the restock and repricing sweeps), children by outcome */
  readonly mapRuns?: MapRunProgress[];
}
export interface MapRunProgress {
  readonly mapRunArn: string;
  readonly state: string | null;
  readonly status: string;
  readonly total: number;
  readonly pending: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly aborted: number;
}
export interface AslState {
  readonly Type: string;
  readonly Next?: string;
  readonly End?: boolean;
  readonly Default?: string;
  readonly Choices?: Array<{ readonly Next?: string }>;
  readonly Catch?: Array<{ readonly Next?: string; readonly ErrorEquals?: string[] }>;
  readonly Branches?: AslDefinition[];
  readonly Iterator?: AslDefinition;
  readonly ItemProcessor?: AslDefinition;
}
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
}
export interface Page<T> {
  readonly items: T[];
  readonly nextCursor: string | null;
}
export interface DeadLetterQueue {
  readonly name: string;
  /** what its messages were meant for (a function, a rule target or a queue) */
  readonly feeds: ReadonlyArray<{ readonly kind: string; readonly name: string }> | string;
  readonly depth: number;
  readonly inFlight?: number;
  readonly oldestAgeSeconds: number | null;
  readonly redrive: 'move' | 'replay';
}
export interface DeadLetterMessage {
  readonly id: string;
  readonly sentAt: string;
  readonly receiveCount: number;
  readonly body: unknown;
  readonly error?: { readonly code?: string; readonly message?: string } | null;
  readonly target?: { readonly kind: string; readonly name: string; readonly via?: string } | null;
}
export interface Overview {
  readonly runs: Record<string, Record<string, number>>;
  readonly failedLast24h: RunSummary[];
  readonly deadLetters: DeadLetterQueue[];
  readonly waiting: Array<{ run: RunSummary; waitingFor: WaitingFor }>;
  readonly slaBreaches: Array<Record<string, unknown>>;
}
export interface TimelineLine {
  readonly at: string;
  readonly kind: string;
  readonly name: string;
  readonly detail: Record<string, unknown>;
}

export const runPath = (id: string) => `/api/runs/${enc(id)}`;
