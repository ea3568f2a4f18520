/**
 * The local EventBridge's internal state: the runtime form of buses, rules, targets, archives, schedules and
 * deliveries, the journal records that make them durable, small shared helpers, and {@link BridgeCore}, the
 * narrow view of the bus that its parts (delivery, archives and replays, schedules, the API) work through.
 */
import { createHash } from 'node:crypto';
import type { Clock, TimerHandle } from '../engine/clock.ts';
import type { Journal } from '../runtime/journal.ts';
import type { Archives } from './archive.ts';
import type { Config } from './config.ts';
import type { DefinitionFile } from './definitions.ts';
import type { Deliverer } from './delivery.ts';
import type { ParkedSchedules } from './parked.ts';
import type { CompiledPattern, EventBridgeEvent } from './pattern.ts';
import type { RuleStore } from './rules.ts';
import type { ScheduleTiming } from './schedule.ts';
import type { ScheduleRunner } from './schedule-runner.ts';
import type { ScheduleDefinition, ScheduleSource } from './scheduler.ts';
import type { RenderedInput, TargetInputRenderer } from './transform.ts';
import type {
  ArchiveSpec,
  DeliveryInfo,
  EventBridgeOptions,
  RetryPolicy,
  RuleSpec,
  SchedulerScheduleSpec,
  TargetSpec,
} from './types.ts';

export const DEFAULT_MAX_RETRIES = 185;
export const DEFAULT_MAX_AGE_SECONDS = 86_400;
export const DAY_MS = 86_400_000;

// ---------------------------------------------------------------------------------------------------------------
// Journal records (idempotent upserts)

export type StoredEventRecord = { t: 'e'; i: string; bus: string; ev: EventBridgeEvent; ing: number };
/**
 * An accepted event bound for archives (their ARNs), in the main journal's commit that accepts it: the
 * archive journal is committed later (decision 60), and after a crash these records archive what it
 * had not written. `ev` is left out when the same commit holds the event's `e` record.
 */
export type ArchivingRecord = {
  t: 'A';
  i: string;
  bus: string;
  ing: number;
  ars: string[];
  ev?: EventBridgeEvent;
};
export type DeliveryRecord = {
  t: 'd';
  k: string;
  /** stored event (rule deliveries) */
  i?: string;
  rule?: string;
  tgt?: string;
  /** schedule key and occurrence (Scheduler deliveries) */
  sch?: string;
  at?: number;
  /** attempts made */
  n: number;
  due: number;
  first: number;
  err?: { code: string; message: string };
};
export type DoneRecord = { t: 'x'; k: string };
/**
 * A schedule's next occurrence (all schedules), with its definition when it was made through the Scheduler API
 * (`def`, `tok`: the ClientToken that created it). A record without `def` updates the state of the definition
 * before it. `gone`: an assembly schedule deleted after completion (ActionAfterCompletion DELETE).
 */
export type ScheduleRecord = {
  t: 's';
  k: string;
  fp: string;
  anchor: number;
  next: number | null;
  last?: number;
  def?: ScheduleDefinition;
  tok?: string;
  gone?: 1;
  /**
   * In memory only: `def` and `tok` as the JSON text the definitions file holds (`{"def":…,"tok":…}`), which
   * {@link serializeRecord} writes in their place (a compaction copies them without parsing them).
   */
  text?: string;
};
/** A Scheduler API schedule deleted (by DeleteSchedule, its group's deletion, or after completion). */
export type ScheduleGoneRecord = { t: 'z'; k: string };
/** A schedule group made through the API (`at`: creation, epoch ms), and its deletion. */
export type GroupRecord = { t: 'g'; name: string; at: number } | { t: 'G'; name: string };
export type ReplayRecord = { t: 'r'; replay: Replay };
/** A rule made or changed through the API (its whole definition, targets included), and its deletion. */
export type RuleRecord = { t: 'R'; rule: RuleSpec } | { t: 'Rx'; arn: string };
/** An event bus made through the API (`at`: creation, epoch ms), and its deletion. */
export type BusRecord = { t: 'B'; name: string; arn: string; at: number } | { t: 'Bx'; name: string };
export type Rec =
  | StoredEventRecord
  | ArchivingRecord
  | DeliveryRecord
  | DoneRecord
  | ScheduleRecord
  | ScheduleGoneRecord
  | GroupRecord
  | ReplayRecord
  | RuleRecord
  | BusRecord;
export type ArchiveRecord = { t: 'a'; ar: string; i: string; tm: number; ing: number; ev: EventBridgeEvent };

// ---------------------------------------------------------------------------------------------------------------
// Runtime structures

export interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly rules: RuleRt[];
  readonly archives: ArchiveRt[];
  /** made through the API (CreateEventBus) at this time (epoch ms); else the default bus or the assembly's */
  readonly created?: number;
}

export interface TargetRt {
  readonly spec: TargetSpec;
  readonly render: TargetInputRenderer;
  readonly maxRetries: number;
  readonly maxAgeMs: number;
}

export interface RuleRt {
  readonly spec: RuleSpec;
  readonly bus: Bus;
  readonly pattern: CompiledPattern | undefined;
  readonly targets: Map<string, TargetRt>;
  readonly enabled: boolean;
  /** made through the API (PutRule); else declared in the assembly (read-only through the API) */
  readonly api?: boolean;
}

/**
 * An archive's events live on disk only (`archive.jsonl`); memory holds their count, size and the
 * oldest ingestion time (to know when retention has something to purge), whatever their number.
 */
export interface ArchiveRt {
  readonly spec: ArchiveSpec;
  readonly bus: Bus;
  readonly pattern: CompiledPattern | undefined;
  count: number;
  bytes: number;
  /** ingestion time of the oldest live event (a lower bound), undefined when empty */
  oldest: number | undefined;
}

export interface ScheduleRt {
  readonly key: string;
  readonly kind: 'rule' | 'scheduler';
  readonly name: string;
  readonly arn: string;
  readonly timing: ScheduleTiming;
  /** fingerprint of what determines the occurrences: a change restarts the schedule */
  readonly fp: string;
  readonly enabled: boolean;
  readonly rule?: RuleRt;
  readonly spec?: SchedulerScheduleSpec;
  readonly maxRetries: number;
  readonly maxAgeMs: number;
  /**
   * Scheduler schedules: what the API shows and where it comes from (an API schedule's definition is read from
   * disk when asked for, with the ClientToken that created it: definitions.ts)
   */
  readonly def?: ScheduleDefinition;
  /** an API schedule's ActionAfterCompletion and whether it is an at() (kept in memory: firing reads nothing) */
  readonly actionAfterCompletion?: 'NONE' | 'DELETE';
  readonly oneTime?: boolean;
  readonly source?: ScheduleSource;
  anchor: number;
  next: number | undefined;
  last?: number;
  /** its place in the due-time heap, while it waits for `next` */
  entry?: DueEntry;
  /** deliveries of its occurrences not finished yet */
  inflight: number;
  /** an assembly schedule deleted after completion: kept (its state is journaled), hidden from the API */
  gone?: boolean;
}

/** A schedule waiting in the due-time heap; stale once the schedule holds another entry (or none). */
export interface DueEntry {
  readonly s: ScheduleRt;
}

export interface StoredEvent {
  readonly i: string;
  readonly bus: string;
  readonly ev: EventBridgeEvent;
  readonly ing: number;
  refs: number;
}

export interface Delivery {
  readonly k: string;
  readonly i?: string;
  readonly rule?: string;
  readonly tgt?: string;
  readonly sch?: string;
  readonly at?: number;
  n: number;
  due: number;
  readonly first: number;
  err?: { code: string; message: string };
  timer?: TimerHandle;
  running?: boolean;
}

export interface Replay {
  name: string;
  arn: string;
  description?: string;
  archiveArn: string;
  busArn: string;
  filterArns?: string[];
  start: number;
  end: number;
  state: 'STARTING' | 'RUNNING' | 'COMPLETED' | 'CANCELLED' | 'FAILED';
  reason?: string;
  replayStart: number;
  replayEnd?: number;
  lastReplayed?: number;
  events?: number;
}

/** How to deliver one delivery: resolved from its rule/target or schedule. */
export interface Resolved {
  readonly arn: string;
  readonly label: string;
  readonly maxRetries: number;
  readonly maxAgeMs: number;
  readonly dlq?: string;
  readonly dlqAttributes: Record<string, string>;
  /** the payload of attempt `attempt` (1-based), or why there is none to send */
  payload(attempt: number): RenderedInput;
  dlqBody(): string;
  /** rule targets: a failure that is not retried reports no RETRY_ATTEMPTS (as AWS's dead-letter messages) */
  readonly retryAttemptsWhenNotRetried: boolean;
  info(attempt: number): DeliveryInfo;
}

// ---------------------------------------------------------------------------------------------------------------
// Helpers

export const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

export const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

export const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A uuid-shaped id derived from `seed` (so a re-created occurrence keeps its event id). */
export function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function retryLimits(
  policy: RetryPolicy | undefined,
  where: string,
): { maxRetries: number; maxAgeMs: number } {
  const retries = policy?.maximumRetryAttempts ?? DEFAULT_MAX_RETRIES;
  const age = policy?.maximumEventAgeInSeconds ?? DEFAULT_MAX_AGE_SECONDS;
  if (!Number.isInteger(retries) || retries < 0 || retries > 185) {
    throw new Error(`${where}: MaximumRetryAttempts must be 0-185, got ${retries}`);
  }
  if (!Number.isInteger(age) || age < 60 || age > 86_400) {
    throw new Error(`${where}: MaximumEventAgeInSeconds must be 60-86400, got ${age}`);
  }
  return { maxRetries: retries, maxAgeMs: age * 1000 };
}

/** Epoch ms from a Date, ISO text or epoch seconds; undefined when it is none of those. */
export function toMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

export const seconds = (ms: number | undefined): number | undefined =>
  ms === undefined ? undefined : ms / 1000;

export function describeFailure(error: unknown): { code: string; message: string; retryable: boolean } {
  const e = (isObject(error) || error instanceof Error ? error : {}) as {
    code?: unknown;
    retryable?: unknown;
  };
  const code = typeof e.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.code) ? e.code : 'ERROR_FROM_TARGET';
  return { code, message: message(error).slice(0, 1024), retryable: e.retryable !== false };
}

export const afterCompletion = (s: ScheduleRt) => s.actionAfterCompletion ?? s.spec?.actionAfterCompletion;

/** A Scheduler schedule group: `default`, the assembly's, or one made through the API (`created`, epoch ms). */
export interface Group {
  readonly name: string;
  readonly source: 'default' | ScheduleSource;
  readonly created?: number;
}

export interface Counters {
  eventsAccepted: number;
  entriesFailed: number;
  delivered: number;
  retries: number;
  deadLettered: number;
  dropped: number;
  scheduleFirings: number;
}

/**
 * The bus as its parts see it: the shared state (configuration, stored events, pending deliveries, schedules,
 * replays), the journals, and the bookkeeping every change goes through (append, commit soon, compact).
 */
export interface BridgeCore extends Config {
  readonly opts: EventBridgeOptions;
  readonly clock: Clock;
  readonly journal: Journal<Rec>;
  readonly archiveJournal: Journal<ArchiveRecord>;
  /** the Scheduler API schedules' definitions, on disk while they wait (definitions.ts) */
  readonly definitions: DefinitionFile;
  /** the Scheduler API at() schedules parked while they wait, as numbers (parked.ts) */
  readonly parked: ParkedSchedules;
  readonly startedAt: number;
  readonly closed: boolean;
  /** compact a journal after this many appended records */
  readonly compactEvery: number;

  readonly events: Map<string, StoredEvent>;
  readonly deliveries: Map<string, Delivery>;
  readonly replays: Map<string, Replay>;
  readonly counters: Counters;

  readonly delivery: Deliverer;
  readonly archiving: Archives;
  readonly runner: ScheduleRunner;
  readonly ruleStore: RuleStore;

  log(line: string): void;
  /** Keeps `p` in the set `idle()` waits for (`inflight`: a deliver or dead-letter call; else other work). */
  track(p: Promise<unknown>, kind?: 'work' | 'inflight'): void;
  /** Commits what was appended, in the background, then compacts if due. */
  commitSoon(): void;
  maybeCompact(): void;
  findBus(nameOrArn: string | undefined): Bus | undefined;
  /** Deliveries for the enabled pattern rules of `bus` that `ev` matches (skipping ones that already exist). */
  route(bus: Bus, ev: EventBridgeEvent, iid: string, now: number, only?: ReadonlySet<string>): Delivery[];
  /** Registers an event and its new deliveries in memory and appends them to the journal (commit is the caller's). */
  storeEvent(iid: string, bus: string, ev: EventBridgeEvent, ing: number, ds: readonly Delivery[]): void;
  deliveryRecord(d: Delivery): DeliveryRecord;
  scheduleRecord(s: ScheduleRt, full?: boolean): ScheduleRecord;
}

/** A journal record as one line of JSON: a schedule record's `text` spliced in as its `def` and `tok`. */
export function serializeRecord(r: Rec): string {
  if (r.t !== 's' || r.text === undefined) return JSON.stringify(r);
  const { text, ...rest } = r;
  return `${JSON.stringify(rest).slice(0, -1)},${text.slice(1)}`;
}

export const stripUndefined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
