/**
 * The local EventBridge: event buses with rules, targets, retries, dead-letter queues, archives and replays, rule
 * schedules and EventBridge Scheduler schedules, durable in a directory and driven by a {@link Clock}.
 *
 * Durability. Everything in flight lives in `<dir>/events.jsonl` (a {@link Journal} of idempotent upserts): each
 * accepted event that matched a rule, each (event, rule, target) delivery with its attempt count, first-seen time
 * and next due time, each schedule's next occurrence, each replay. `putEvents` returns only after that is committed,
 * so after a crash (kill -9) a new instance on the same directory retries every delivery not yet delivered or
 * dead-lettered, keeping its attempt count and age. Archived events live in `<dir>/archive.jsonl` and only there:
 * memory holds each archive's count, size and oldest ingestion time, so it stays flat however much is archived;
 * replays and compaction read the file. The main journal is compacted (`rewrite`) once it holds far more records
 * than are live; the archive journal when retention has expired some of its events.
 *
 * Delivery is at least once: a delivery whose result was not recorded before a crash is attempted again.
 *
 * Retries. A failed `deliver` is retried after 1 s, 2 s, 4 s, ... doubling up to 3 minutes, without jitter (AWS uses
 * exponential back-off with jitter; this keeps tests deterministic). Retries stop when MaximumRetryAttempts retries
 * (default 185) have failed, or when the next retry would fall after MaximumEventAgeInSeconds (default 86400) from
 * when the event was received; the event then goes to the target's dead-letter queue if it has one (with the
 * RULE_ARN, TARGET_ARN, ERROR_CODE, ERROR_MESSAGE, EXHAUSTED_RETRY_CONDITION and RETRY_ATTEMPTS attributes; Scheduler
 * sends SCHEDULE_ARN instead of RULE_ARN), else it is dropped and logged. An input transformation error, or a
 * `deliver` rejection marked `retryable: false` (see {@link DeliveryError}), skips the retries.
 *
 * Archives and replays. An event put on a bus is archived by every archive of that bus whose pattern it matches
 * (events being replayed are not archived again: AWS's archive rule has `"replay-name": [{"exists": false}]`).
 * StartReplay re-sends the archived events whose `time` is in [EventStartTime, EventEndTime) to the enabled
 * pattern rules of the destination bus (only those in FilterArns when given), each with a top-level `replay-name`
 * field, matched by the rules' patterns as usual. Events past an archive's retention are purged.
 *
 * Schedules. A rule with a ScheduleExpression sends `{"detail-type": "Scheduled Event", "source": "aws.events",
 * "resources": [ruleArn], "detail": {}}` to its targets (through their Input settings); a rule's rate counts from
 * when the rule was first seen. A Scheduler schedule sends its target Input (context attributes substituted) to its
 * target. Each schedule's next occurrence is persisted: an occurrence that came due while the process was down
 * fires once when it starts (several missed ones are coalesced into that one firing, which carries the first missed
 * occurrence's time), then the schedule continues from the next occurrence after now. An occurrence is committed
 * together with its deliveries, so a restart neither loses nor repeats it. A Scheduler `at()` time that had already
 * passed when the schedule was first seen (declared or created) does not fire. Flexible time windows are ignored
 * (targets run on time). ActionAfterCompletion DELETE deletes a schedule once its last occurrence's delivery is over,
 * delivered or dead-lettered (an assembly schedule is hidden from the Scheduler API then, its state kept).
 *
 * Scheduler schedules also come from the Scheduler API (`scheduler`, see scheduler.ts): their definitions are
 * journaled with their state, and their deletions, so they survive restarts and compaction as the rest does.
 *
 * Schedules do not hold a clock timer each: they wait in a heap by due time under a single clock timer armed for the
 * earliest, and every schedule due at that instant fires in one batch with one journal commit, so tens of
 * thousands of pending one-time schedules cost a heap entry each.
 */
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Clock, TimerHandle } from '../engine/clock.ts';
import { Journal, scanRecords } from '../runtime/journal.ts';
import { MinHeap } from '../sqs/heap.ts';
import { type CompiledPattern, compilePattern, type EventBridgeEvent, EventPatternError } from './pattern.ts';
import {
  firstOccurrence,
  isoSeconds,
  isValidTimeZone,
  occurrenceAfter,
  parseScheduleExpression,
  ScheduleExpressionError,
  type ScheduleTiming,
} from './schedule.ts';
import {
  createSchedulerApi,
  groupArnOf,
  type ScheduleDefinition,
  type SchedulerApi,
  type SchedulerStore,
  type ScheduleSource,
  type StoredSchedule,
  scheduleArnOf,
} from './scheduler.ts';
import {
  compileTargetInput,
  renderSchedulerInput,
  type TargetInputRenderer,
  TransformError,
} from './transform.ts';

// ---------------------------------------------------------------------------------------------------------------
// Public types

export interface RetryPolicy {
  /** 0-185, default 185 */
  readonly maximumRetryAttempts?: number;
  /** 60-86400, default 86400 */
  readonly maximumEventAgeInSeconds?: number;
}

export interface TargetSpec {
  readonly id: string;
  readonly arn: string;
  readonly input?: string;
  readonly inputPath?: string;
  readonly inputTransformer?: {
    readonly inputPathsMap?: Readonly<Record<string, string>>;
    readonly inputTemplate: string;
  };
  readonly retryPolicy?: RetryPolicy;
  /** an SQS queue ARN */
  readonly deadLetterArn?: string;
}

export interface RuleSpec {
  readonly name: string;
  readonly arn: string;
  /** the bus name (or ARN) */
  readonly busName: string;
  /** object or JSON text */
  readonly eventPattern?: unknown;
  readonly scheduleExpression?: string;
  readonly state: 'ENABLED' | 'DISABLED';
  readonly description?: string;
  readonly targets: readonly TargetSpec[];
}

export interface ArchiveSpec {
  readonly name: string;
  readonly arn: string;
  /** the source bus ARN (or name) */
  readonly busArn: string;
  readonly eventPattern?: unknown;
  /** 0 or absent: keep forever */
  readonly retentionDays?: number;
}

export interface SchedulerScheduleSpec {
  readonly name: string;
  readonly groupName?: string;
  readonly arn: string;
  readonly description?: string;
  readonly scheduleExpression: string;
  /** IANA time zone for cron() and at(); default UTC */
  readonly timezone?: string;
  /** ISO 8601 */
  readonly startDate?: string;
  readonly endDate?: string;
  readonly state: 'ENABLED' | 'DISABLED';
  /** accepted and ignored: the local runtime invokes on time */
  readonly flexibleWindowMinutes?: number;
  readonly target: {
    readonly arn: string;
    /** the execution role (recorded, not assumed locally) */
    readonly roleArn?: string;
    /** passed as-is, after substituting `<aws.scheduler.*>` context attributes; default `{}` */
    readonly input?: string;
    readonly retryPolicy?: RetryPolicy;
    readonly deadLetterArn?: string;
  };
  readonly actionAfterCompletion?: 'NONE' | 'DELETE';
}

/** What `deliver` is told about a delivery. */
export interface DeliveryInfo {
  /** rule name (rule targets) */
  readonly rule?: string;
  readonly ruleArn?: string;
  readonly targetId?: string;
  /** schedule name (Scheduler targets) */
  readonly schedule?: string;
  readonly scheduleArn?: string;
  /** 1 for the first attempt */
  readonly attempt: number;
  readonly eventId?: string;
  readonly replayName?: string;
}

export interface EventBridgeOptions {
  /** where the journals live (created if missing) */
  readonly dir: string;
  readonly clock: Clock;
  readonly region: string;
  readonly account: string;
  /** custom buses; `default` always exists */
  readonly buses: readonly { readonly name: string; readonly arn: string }[];
  readonly rules: readonly RuleSpec[];
  readonly archives: readonly ArchiveSpec[];
  readonly schedules: readonly SchedulerScheduleSpec[];
  /** Scheduler schedule groups declared in the assembly; `default` always exists. */
  readonly scheduleGroups?: readonly { readonly name: string; readonly arn: string }[];
  /**
   * Deliver one payload (the JSON text after Input / InputPath / InputTransformer) to a target ARN. Resolve:
   * delivered; reject: failed, retried per the target's retry policy (unless the error says `retryable: false`).
   */
  deliver(targetArn: string, payload: string, info: DeliveryInfo): Promise<void>;
  /** Send a failed event to a dead-letter queue (an SQS queue ARN) with the attributes EventBridge adds. */
  sendToDeadLetter(queueArn: string, body: string, attributes: Record<string, string>): Promise<void>;
  log?(line: string): void;
  /** compact the journal after this many appended records (default 10 000) */
  readonly compactEvery?: number;
  /** fdatasync each commit (default true) */
  readonly fsync?: boolean;
}

export interface PutEventsRequestEntry {
  readonly Source?: string;
  readonly DetailType?: string;
  readonly Detail?: string;
  readonly Resources?: readonly string[];
  /** a Date, ISO 8601 text, or epoch seconds (as the AWS SDK sends it) */
  readonly Time?: Date | string | number;
  /** name or ARN; default `default` */
  readonly EventBusName?: string;
  readonly TraceHeader?: string;
}

export type PutEventsResultEntry =
  | { readonly EventId: string }
  | { readonly ErrorCode: string; readonly ErrorMessage: string };

export interface PutEventsResult {
  readonly FailedEntryCount: number;
  readonly Entries: PutEventsResultEntry[];
}

export interface ApiResponse {
  readonly status: number;
  readonly body: unknown;
}

export interface EventBridgeStats {
  readonly buses: number;
  readonly rules: number;
  readonly archives: number;
  readonly schedules: number;
  readonly eventsAccepted: number;
  readonly entriesFailed: number;
  readonly pendingDeliveries: number;
  readonly delivered: number;
  readonly retries: number;
  readonly deadLettered: number;
  readonly dropped: number;
  readonly scheduleFirings: number;
  readonly archivedEvents: number;
  readonly replays: number;
}

export interface StartReplayRequest {
  readonly ReplayName?: string;
  readonly Description?: string;
  readonly EventSourceArn?: string;
  readonly EventStartTime?: Date | string | number;
  readonly EventEndTime?: Date | string | number;
  readonly Destination?: { readonly Arn?: string; readonly FilterArns?: readonly string[] };
}

export interface LocalEventBridge {
  /** PutEvents: resolves once the accepted events and their deliveries are durable. */
  putEvents(entries: readonly PutEventsRequestEntry[]): Promise<PutEventsResult>;
  /** The awsJson1_1 API: `target` is the X-Amz-Target operation (`PutEvents` or `AWSEvents.PutEvents`). */
  handle(target: string, body: unknown): Promise<ApiResponse>;
  /** The EventBridge Scheduler API (restJson1) over this bus's schedules (see scheduler.ts). */
  readonly scheduler: SchedulerApi;
  startReplay(request: StartReplayRequest): Promise<Record<string, unknown>>;
  describeReplay(name: string): Record<string, unknown>;
  stats(): EventBridgeStats;
  /** One line per bus, rule, archive and schedule, for a start-up summary. */
  describe(): string[];
  /** Resolves when no delivery, commit, replay or schedule firing is in flight. */
  idle(): Promise<void>;
  /** Stops timers and flushes the journals. Deliveries still in flight are retried by the next instance. */
  close(): Promise<void>;
}

/** An API error: `type` is the `__type` EventBridge returns (ValidationException, ResourceNotFoundException, ...). */
export class EventBridgeError extends Error {
  constructor(
    readonly type: string,
    message: string,
  ) {
    super(message);
    this.name = type;
  }
}

/**
 * A `deliver` failure that carries a dead-letter ERROR_CODE (e.g. `NO_RESOURCE`, `THROTTLING`) and whether it is
 * worth retrying (AWS sends permission and missing-resource errors straight to the DLQ).
 */
export class DeliveryError extends Error {
  constructor(
    message: string,
    readonly code = 'ERROR_FROM_TARGET',
    readonly retryable = true,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }
}

const DEFAULT_MAX_RETRIES = 185;
const DEFAULT_MAX_AGE_SECONDS = 86_400;
const BASE_DELAY_MS = 1_000;
const MAX_DELAY_MS = 180_000;
const MAX_ENTRIES = 10;
const MAX_REQUEST_BYTES = 256 * 1024;
const DAY_MS = 86_400_000;

/** Wait before the retry that follows failed attempt `attempt` (1-based): 1 s doubling, capped at 3 minutes. */
export const retryDelayMs = (attempt: number): number =>
  Math.min(BASE_DELAY_MS * 2 ** Math.max(0, attempt - 1), MAX_DELAY_MS);

/** Creates the bus, replays its journal and resumes pending deliveries, schedules and replays. */
export async function createEventBridge(opts: EventBridgeOptions): Promise<LocalEventBridge> {
  const bridge = new Bridge(opts);
  await bridge.init();
  return bridge;
}

// ---------------------------------------------------------------------------------------------------------------
// Journal records (idempotent upserts)

type StoredEventRecord = { t: 'e'; i: string; bus: string; ev: EventBridgeEvent; ing: number };
type DeliveryRecord = {
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
type DoneRecord = { t: 'x'; k: string };
/**
 * A schedule's next occurrence (all schedules), with its definition when it was made through the Scheduler API
 * (`def`, `tok`: the ClientToken that created it). A record without `def` updates the state of the definition
 * before it. `gone`: an assembly schedule deleted after completion (ActionAfterCompletion DELETE).
 */
type ScheduleRecord = {
  t: 's';
  k: string;
  fp: string;
  anchor: number;
  next: number | null;
  last?: number;
  def?: ScheduleDefinition;
  tok?: string;
  gone?: 1;
};
/** A Scheduler API schedule deleted (by DeleteSchedule, its group's deletion, or after completion). */
type ScheduleGoneRecord = { t: 'z'; k: string };
/** A schedule group made through the API (`at`: creation, epoch ms), and its deletion. */
type GroupRecord = { t: 'g'; name: string; at: number } | { t: 'G'; name: string };
type ReplayRecord = { t: 'r'; replay: Replay };
type Rec =
  | StoredEventRecord
  | DeliveryRecord
  | DoneRecord
  | ScheduleRecord
  | ScheduleGoneRecord
  | GroupRecord
  | ReplayRecord;
type ArchiveRecord = { t: 'a'; ar: string; i: string; tm: number; ing: number; ev: EventBridgeEvent };

// ---------------------------------------------------------------------------------------------------------------
// Runtime structures

interface Bus {
  readonly name: string;
  readonly arn: string;
  readonly rules: RuleRt[];
  readonly archives: ArchiveRt[];
}

interface TargetRt {
  readonly spec: TargetSpec;
  readonly render: TargetInputRenderer;
  readonly maxRetries: number;
  readonly maxAgeMs: number;
}

interface RuleRt {
  readonly spec: RuleSpec;
  readonly bus: Bus;
  readonly pattern: CompiledPattern | undefined;
  readonly targets: Map<string, TargetRt>;
  readonly enabled: boolean;
}

/**
 * An archive's events live on disk only (`archive.jsonl`); memory holds their count, size and the
 * oldest ingestion time (to know when retention has something to purge), whatever their number.
 */
interface ArchiveRt {
  readonly spec: ArchiveSpec;
  readonly bus: Bus;
  readonly pattern: CompiledPattern | undefined;
  count: number;
  bytes: number;
  /** ingestion time of the oldest live event (a lower bound), undefined when empty */
  oldest: number | undefined;
}

interface ScheduleRt {
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
  /** Scheduler schedules: what the API shows, where it comes from, the ClientToken that created it */
  readonly def?: ScheduleDefinition;
  readonly source?: ScheduleSource;
  readonly token?: string;
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
interface DueEntry {
  readonly s: ScheduleRt;
}

interface StoredEvent {
  readonly i: string;
  readonly bus: string;
  readonly ev: EventBridgeEvent;
  readonly ing: number;
  refs: number;
}

interface Delivery {
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

interface Replay {
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
interface Resolved {
  readonly arn: string;
  readonly label: string;
  readonly maxRetries: number;
  readonly maxAgeMs: number;
  readonly dlq?: string;
  readonly dlqAttributes: Record<string, string>;
  payload(attempt: number): string;
  dlqBody(): string;
  info(attempt: number): DeliveryInfo;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const utf8 = (s: string): number => Buffer.byteLength(s, 'utf8');

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A uuid-shaped id derived from `seed` (so a re-created occurrence keeps its event id). */
function uuidFrom(seed: string): string {
  const h = createHash('sha256').update(seed).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-a${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

function retryLimits(
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
function toMs(v: unknown): number | undefined {
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : undefined;
  if (typeof v === 'number') return Number.isFinite(v) ? Math.round(v * 1000) : undefined;
  if (typeof v === 'string') {
    if (/^\d+(\.\d+)?$/.test(v)) return Math.round(Number(v) * 1000);
    const t = Date.parse(v);
    return Number.isFinite(t) ? t : undefined;
  }
  return undefined;
}

const seconds = (ms: number | undefined): number | undefined => (ms === undefined ? undefined : ms / 1000);

function describeFailure(error: unknown): { code: string; message: string; retryable: boolean } {
  const e = (isObject(error) || error instanceof Error ? error : {}) as {
    code?: unknown;
    retryable?: unknown;
  };
  const code = typeof e.code === 'string' && /^[A-Z][A-Z0-9_]+$/.test(e.code) ? e.code : 'ERROR_FROM_TARGET';
  return { code, message: message(error).slice(0, 1024), retryable: e.retryable !== false };
}

const pageOf = <T>(items: readonly T[], body: Record<string, unknown>): { page: T[]; next?: string } => {
  const start = typeof body.NextToken === 'string' ? Number(body.NextToken) || 0 : 0;
  const limit = typeof body.Limit === 'number' && body.Limit > 0 ? body.Limit : 100;
  const page = items.slice(start, start + limit);
  return start + limit < items.length ? { page, next: String(start + limit) } : { page };
};

const afterCompletion = (s: ScheduleRt) => s.def?.ActionAfterCompletion ?? s.spec?.actionAfterCompletion;

/**
 * One copy of the strings and small objects that repeat across Scheduler API schedules (their group,
 * target, role, dead-letter queue, time zone, window and retry policy): tens of thousands of timers
 * made by one function differ only in name, time and input.
 */
class Interner {
  readonly #strings = new Map<string, string>();
  readonly #objects = new Map<string, object>();

  string<T extends string | undefined>(value: T): T {
    if (value === undefined) return value;
    const known = this.#strings.get(value);
    if (known !== undefined) return known as T;
    if (this.#strings.size < 10_000) this.#strings.set(value, value);
    return value;
  }

  object<T extends object | undefined>(value: T): T {
    if (value === undefined) return value;
    const key = JSON.stringify(value);
    const known = this.#objects.get(key);
    if (known !== undefined) return known as T;
    if (this.#objects.size < 10_000) this.#objects.set(key, value);
    return value;
  }

  definition(def: ScheduleDefinition): ScheduleDefinition {
    const t = def.Target;
    return {
      ...def,
      GroupName: this.string(def.GroupName),
      ...(def.ScheduleExpressionTimezone !== undefined
        ? { ScheduleExpressionTimezone: this.string(def.ScheduleExpressionTimezone) }
        : {}),
      Target: {
        ...t,
        Arn: this.string(t.Arn),
        RoleArn: this.string(t.RoleArn),
        RetryPolicy: this.object(t.RetryPolicy),
        ...(t.DeadLetterConfig ? { DeadLetterConfig: this.object(t.DeadLetterConfig) } : {}),
      },
      FlexibleTimeWindow: this.object(def.FlexibleTimeWindow),
    };
  }
}

/** The index of the first of sorted `keys` greater than `x`. */
function upperBound(keys: readonly string[], x: string): number {
  let lo = 0;
  let hi = keys.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (keys[mid]! <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** What the bus runs for a Scheduler API schedule. */
function specOf(def: ScheduleDefinition): SchedulerScheduleSpec {
  const date = (seconds: number | undefined) =>
    seconds === undefined ? undefined : new Date(seconds * 1000).toISOString();
  const start = date(def.StartDate);
  const end = date(def.EndDate);
  const target = def.Target;
  return {
    name: def.Name,
    groupName: def.GroupName,
    arn: def.Arn,
    scheduleExpression: def.ScheduleExpression,
    ...(def.ScheduleExpressionTimezone !== undefined ? { timezone: def.ScheduleExpressionTimezone } : {}),
    ...(start !== undefined ? { startDate: start } : {}),
    ...(end !== undefined ? { endDate: end } : {}),
    state: def.State,
    ...(def.FlexibleTimeWindow.MaximumWindowInMinutes !== undefined
      ? { flexibleWindowMinutes: def.FlexibleTimeWindow.MaximumWindowInMinutes }
      : {}),
    target: {
      arn: target.Arn,
      roleArn: target.RoleArn,
      ...(target.Input !== undefined ? { input: target.Input } : {}),
      retryPolicy: {
        maximumRetryAttempts: target.RetryPolicy.MaximumRetryAttempts,
        maximumEventAgeInSeconds: target.RetryPolicy.MaximumEventAgeInSeconds,
      },
      ...(target.DeadLetterConfig ? { deadLetterArn: target.DeadLetterConfig.Arn } : {}),
    },
    actionAfterCompletion: def.ActionAfterCompletion,
  };
}

const stripUndefined = (o: Record<string, unknown>): Record<string, unknown> =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));

// ---------------------------------------------------------------------------------------------------------------

class Bridge implements LocalEventBridge {
  private readonly clock: Clock;
  private readonly compactEvery: number;
  private journal!: Journal<Rec>;
  private archiveJournal!: Journal<ArchiveRecord>;

  private readonly busesByName = new Map<string, Bus>();
  private readonly busesByArn = new Map<string, Bus>();
  private readonly rules = new Map<string, RuleRt>();
  private readonly archives = new Map<string, ArchiveRt>();
  private readonly schedules = new Map<string, ScheduleRt>();
  /** Scheduler schedule groups: `default`, the assembly's, the API's (ms dates) */
  private readonly groups = new Map<
    string,
    { readonly name: string; readonly source: 'default' | ScheduleSource; readonly created?: number }
  >();
  /** schedules waiting for their next occurrence, by due time; one clock timer for the earliest */
  private readonly due = new MinHeap<DueEntry>();
  private staleEntries = 0;
  private dueTimer: { readonly at: number; readonly handle: TimerHandle } | undefined;
  /** keys of the Scheduler schedules the API shows, sorted (rebuilt after a change, when listed) */
  private sortedKeys: string[] | undefined;
  private readonly interner = new Interner();
  readonly scheduler: SchedulerApi;

  private readonly events = new Map<string, StoredEvent>();
  private readonly deliveries = new Map<string, Delivery>();
  private readonly replays = new Map<string, Replay>();

  /** commits, schedule firings, replays, compactions */
  private readonly work = new Set<Promise<unknown>>();
  /** deliver / sendToDeadLetter calls */
  private readonly inflight = new Set<Promise<unknown>>();
  private compacting = false;
  private archiveCompaction: Promise<void> | undefined;
  private closed = false;
  private unsettle: (() => void) | undefined;
  private readonly startedAt: number;

  private readonly counters = {
    eventsAccepted: 0,
    entriesFailed: 0,
    delivered: 0,
    retries: 0,
    deadLettered: 0,
    dropped: 0,
    scheduleFirings: 0,
  };

  constructor(private readonly opts: EventBridgeOptions) {
    this.clock = opts.clock;
    this.compactEvery = opts.compactEvery ?? 10_000;
    this.startedAt = this.clock.now();
    this.configure();
    this.scheduler = createSchedulerApi(this.schedulerStore(), (line) => this.log(line));
  }

  private log(line: string): void {
    this.opts.log?.(line);
  }

  // ------------------------------------------------------------------ configuration

  private configure(): void {
    const { region, account } = this.opts;
    const addBus = (name: string, arn: string) => {
      const existing = this.busesByName.get(name);
      if (existing) {
        if (existing.arn !== arn) throw new Error(`event bus ${name} is declared with two ARNs`);
        return;
      }
      const bus: Bus = { name, arn, rules: [], archives: [] };
      this.busesByName.set(name, bus);
      this.busesByArn.set(arn, bus);
    };
    addBus('default', `arn:aws:events:${region}:${account}:event-bus/default`);
    for (const b of this.opts.buses) addBus(b.name, b.arn);

    for (const spec of this.opts.rules) {
      const where = `rule ${spec.name}`;
      const bus = this.findBus(spec.busName);
      if (!bus) throw new Error(`${where}: event bus ${spec.busName} does not exist`);
      if (this.rules.has(spec.arn)) throw new Error(`${where}: duplicate rule ARN ${spec.arn}`);
      if (spec.eventPattern === undefined && spec.scheduleExpression === undefined) {
        throw new Error(`${where}: a rule needs an EventPattern or a ScheduleExpression`);
      }
      let pattern: CompiledPattern | undefined;
      if (spec.eventPattern !== undefined) {
        try {
          pattern = compilePattern(spec.eventPattern);
        } catch (e) {
          throw new Error(`${where}: ${message(e)}`);
        }
      }
      const targets = new Map<string, TargetRt>();
      for (const t of spec.targets) {
        const at = `${where} target ${t.id}`;
        if (targets.has(t.id)) throw new Error(`${at}: duplicate target id`);
        let render: TargetInputRenderer;
        try {
          render = compileTargetInput(t);
        } catch (e) {
          throw new Error(`${at}: ${message(e)}`);
        }
        targets.set(t.id, { spec: t, render, ...retryLimits(t.retryPolicy, at) });
      }
      const rule: RuleRt = { spec, bus, pattern, targets, enabled: spec.state !== 'DISABLED' };
      this.rules.set(spec.arn, rule);
      bus.rules.push(rule);
      if (spec.scheduleExpression !== undefined) {
        let expression: ReturnType<typeof parseScheduleExpression>;
        try {
          expression = parseScheduleExpression(spec.scheduleExpression, 'rule');
        } catch (e) {
          throw new Error(`${where}: ${message(e)}`);
        }
        const key = `rule:${spec.arn}`;
        this.schedules.set(key, {
          key,
          kind: 'rule',
          name: spec.name,
          arn: spec.arn,
          timing: { expression, flavor: 'rule' },
          fp: JSON.stringify([spec.scheduleExpression, spec.state]),
          enabled: rule.enabled,
          rule,
          maxRetries: 0,
          maxAgeMs: 0,
          anchor: 0,
          next: undefined,
          inflight: 0,
        });
      }
    }

    for (const spec of this.opts.archives) {
      const where = `archive ${spec.name}`;
      const bus = this.findBus(spec.busArn);
      if (!bus) throw new Error(`${where}: event bus ${spec.busArn} does not exist`);
      let pattern: CompiledPattern | undefined;
      if (spec.eventPattern !== undefined) {
        try {
          pattern = compilePattern(spec.eventPattern);
        } catch (e) {
          throw new Error(`${where}: ${message(e)}`);
        }
      }
      const archive: ArchiveRt = { spec, bus, pattern, count: 0, bytes: 0, oldest: undefined };
      this.archives.set(spec.arn, archive);
      bus.archives.push(archive);
    }

    this.groups.set('default', { name: 'default', source: 'default' });
    for (const g of this.opts.scheduleGroups ?? []) {
      if (this.groups.has(g.name)) throw new Error(`schedule group ${g.name} is declared twice`);
      this.groups.set(g.name, { name: g.name, source: 'assembly' });
    }
    for (const spec of this.opts.schedules) {
      const where = `schedule ${spec.groupName ?? 'default'}/${spec.name}`;
      const group = spec.groupName ?? 'default';
      if (!this.groups.has(group)) this.groups.set(group, { name: group, source: 'assembly' });
      const s = this.schedulerRt(spec, where, { source: 'assembly' });
      if (this.schedules.has(s.key)) throw new Error(`${where}: duplicate schedule ARN ${spec.arn}`);
      this.schedules.set(s.key, s);
    }
  }

  /** A Scheduler schedule from its spec (assembly) or definition (API); throws on what cannot run. */
  private schedulerRt(
    spec: SchedulerScheduleSpec,
    where: string,
    extra: { source: ScheduleSource; def?: ScheduleDefinition; token?: string },
  ): ScheduleRt {
    let expression: ReturnType<typeof parseScheduleExpression>;
    try {
      expression = parseScheduleExpression(spec.scheduleExpression, 'scheduler');
    } catch (e) {
      throw new Error(`${where}: ${message(e)}`);
    }
    const timeZone = spec.timezone ?? 'UTC';
    if (!isValidTimeZone(timeZone)) throw new Error(`${where}: unknown time zone ${timeZone}`);
    const date = (text: string | undefined, field: string) => {
      if (text === undefined) return undefined;
      const ms = Date.parse(text);
      if (!Number.isFinite(ms)) throw new Error(`${where}: ${field} ${text} is not a date`);
      return ms;
    };
    const startMs = date(spec.startDate, 'StartDate');
    const endMs = date(spec.endDate, 'EndDate');
    const timing: ScheduleTiming = {
      expression,
      flavor: 'scheduler',
      timeZone,
      ...(startMs !== undefined ? { startMs } : {}),
      ...(endMs !== undefined ? { endMs } : {}),
    };
    return {
      key: `schedule:${spec.arn}`,
      kind: 'scheduler',
      name: spec.name,
      arn: spec.arn,
      timing,
      // API schedules are replaced whole by UpdateSchedule: no fingerprint to compare
      fp:
        extra.source === 'api'
          ? ''
          : JSON.stringify([spec.scheduleExpression, timeZone, startMs ?? null, endMs ?? null, spec.state]),
      enabled: spec.state !== 'DISABLED',
      // an API schedule's definition says it all (one copy per schedule: there may be 50,000)
      ...(extra.def ? {} : { spec }),
      ...retryLimits(spec.target.retryPolicy, where),
      source: extra.source,
      ...(extra.def ? { def: extra.def } : {}),
      ...(extra.token ? { token: extra.token } : {}),
      anchor: 0,
      next: undefined,
      inflight: 0,
    };
  }

  private findBus(nameOrArn: string | undefined): Bus | undefined {
    const key = nameOrArn ?? 'default';
    return key.startsWith('arn:') ? this.busesByArn.get(key) : this.busesByName.get(key);
  }

  // ------------------------------------------------------------------ start-up

  async init(): Promise<void> {
    mkdirSync(this.opts.dir, { recursive: true });
    const journalOptions = this.opts.fsync === undefined ? {} : { fsync: this.opts.fsync };
    const main = await Journal.open<Rec>(join(this.opts.dir, 'events.jsonl'), journalOptions);
    // Archives: counted as the file is read, never held (see ArchiveRt); records of archives that no
    // longer exist and repeated ids (a record can be both in a rewritten file and after it) are dead.
    let dead = 0;
    const seen = new Set<string>();
    const arch = await Journal.open<ArchiveRecord>(join(this.opts.dir, 'archive.jsonl'), {
      ...journalOptions,
      each: (r) => {
        const archive = this.archives.get(r.ar);
        const key = `${r.ar} ${r.i}`;
        if (!archive || seen.has(key)) {
          dead++;
          return;
        }
        seen.add(key);
        archive.count++;
        archive.bytes += utf8(JSON.stringify(r.ev));
        archive.oldest = Math.min(archive.oldest ?? r.ing, r.ing);
      },
    });
    seen.clear();
    this.journal = main.journal;
    this.archiveJournal = arch.journal;
    const now = this.clock.now();

    const saved = new Map<string, ScheduleRecord>();
    for (const r of main.records) {
      switch (r.t) {
        case 'e':
          this.events.set(r.i, { i: r.i, bus: r.bus, ev: r.ev, ing: r.ing, refs: 0 });
          break;
        case 'd': {
          const { t: _t, ...d } = r;
          this.deliveries.set(r.k, d);
          break;
        }
        case 'x':
          this.deliveries.delete(r.k);
          break;
        case 's': {
          // A record without a definition updates the state of the definition before it.
          const prior = saved.get(r.k);
          saved.set(
            r.k,
            r.def || !prior?.def ? r : { ...r, def: prior.def, ...(prior.tok ? { tok: prior.tok } : {}) },
          );
          break;
        }
        case 'z':
          saved.delete(r.k);
          break;
        case 'g':
          if (!this.groups.has(r.name))
            this.groups.set(r.name, { name: r.name, source: 'api', created: r.at });
          break;
        case 'G':
          if (this.groups.get(r.name)?.source === 'api') this.groups.delete(r.name);
          break;
        case 'r':
          this.replays.set(r.replay.name, r.replay);
          break;
      }
    }

    // Schedules made through the Scheduler API, as their last records left them.
    for (const r of saved.values()) {
      if (!r.def) continue;
      const where = `schedule ${r.def.GroupName}/${r.def.Name}`;
      let s: ScheduleRt | undefined;
      if (this.schedules.has(r.k))
        this.log(`${where}: now declared in the cloud assembly, which replaces it`);
      else if (!this.groups.has(r.def.GroupName)) this.log(`${where}: its schedule group no longer exists`);
      else {
        try {
          const def = this.interner.definition(r.def);
          s = this.schedulerRt(specOf(def), where, {
            source: 'api',
            def,
            ...(r.tok ? { token: r.tok } : {}),
          });
        } catch (e) {
          this.log(`${where} cannot run: ${message(e)}`);
        }
      }
      if (!s) {
        this.journal.append({ t: 'z', k: r.k });
        continue;
      }
      s.anchor = r.anchor;
      s.next = r.next ?? undefined;
      if (r.last !== undefined) s.last = r.last;
      this.schedules.set(s.key, s);
    }

    // Deliveries whose rule, target or schedule is gone are dropped.
    for (const d of [...this.deliveries.values()]) {
      const stale = d.sch
        ? this.schedules.get(d.sch)?.kind !== 'scheduler'
        : !this.events.has(d.i ?? '') || !this.rules.get(d.rule ?? '')?.targets.has(d.tgt ?? '');
      if (stale) {
        this.log(`pending delivery ${d.k} dropped: its rule, target or schedule no longer exists`);
        this.deliveries.delete(d.k);
        this.journal.append({ t: 'x', k: d.k });
        continue;
      }
      if (d.i) this.events.get(d.i)!.refs++;
      if (d.sch) this.schedules.get(d.sch)!.inflight++;
    }
    for (const [i, e] of this.events) if (e.refs === 0) this.events.delete(i);

    // Dead records and events past retention are dropped by rewriting the file.
    if (dead > 0 || this.archivesToPurge(now)) await this.compactArchives(now);

    // Assembly schedules: resume those whose definition is unchanged, start the others afresh.
    for (const s of this.schedules.values()) {
      if (s.source === 'api') continue;
      const prior = saved.get(s.key);
      if (prior && prior.fp === s.fp) {
        s.anchor = prior.anchor;
        s.next = prior.next ?? undefined;
        if (prior.last !== undefined) s.last = prior.last;
        if (prior.gone) s.gone = true;
      } else {
        this.start(s, now);
        this.journal.append(this.scheduleRecord(s));
      }
    }
    // Completed while a deletion after completion was not yet recorded (a crash in between).
    for (const s of [...this.schedules.values()])
      if (this.deletableAfterCompletion(s)) this.removeCompleted(s);
    await this.journal.commit();

    this.unsettle = this.clock.onSettle?.(() => this.idle());
    for (const d of this.deliveries.values()) this.arm(d);
    for (const s of this.schedules.values()) this.armSchedule(s);
    for (const r of this.replays.values()) {
      if (r.state === 'STARTING' || r.state === 'RUNNING') this.track(this.runReplay(r));
    }
    this.maybeCompact();
    const pending = this.deliveries.size;
    if (pending > 0) this.log(`resuming ${pending} pending deliver${pending === 1 ? 'y' : 'ies'}`);
  }

  // ------------------------------------------------------------------ bookkeeping

  private track(p: Promise<unknown>, set = this.work): void {
    const q = p.catch((e) => this.log(`internal error: ${message(e)}`));
    set.add(q);
    void q.finally(() => set.delete(q));
  }

  async idle(): Promise<void> {
    while (this.work.size > 0 || this.inflight.size > 0) {
      await Promise.allSettled([...this.work, ...this.inflight]);
    }
    // Settled means durable too: delivered records waiting for a commit (see finish) are written.
    if (!this.closed) await this.journal.commit().catch(() => {});
  }

  private commitSoon(): void {
    if (this.closed) return;
    this.track(this.journal.commit().then(() => this.maybeCompact()));
  }

  private maybeCompact(): void {
    if (this.compacting || this.closed) return;
    const live =
      this.events.size + this.deliveries.size + this.schedules.size + this.replays.size + this.groups.size;
    const appended = this.journal.appended;
    if (appended < this.compactEvery || appended < 2 * live) return;
    this.compacting = true;
    this.track(
      this.journal.rewrite(this.liveRecords()).finally(() => {
        this.compacting = false;
      }),
    );
  }

  /** Every `compactEvery` archived events, purges what retention expired (a rewrite, from disk). */
  private maybeCompactArchive(): void {
    if (this.archiveCompaction || this.closed || this.archiveJournal.appended < this.compactEvery) return;
    const now = this.clock.now();
    if (this.archivesToPurge(now)) this.track(this.compactArchives(now));
  }

  /** Whether some archive holds events past its retention. */
  private archivesToPurge(now: number): boolean {
    for (const a of this.archives.values()) {
      const days = a.spec.retentionDays ?? 0;
      if (days > 0 && a.oldest !== undefined && a.oldest < now - days * DAY_MS) return true;
    }
    return false;
  }

  /** Rewrites the archive journal with its live records, streamed from the file itself. */
  private compactArchives(now: number): Promise<void> {
    this.archiveCompaction ??= this.archiveJournal.rewrite(this.liveArchiveRecords(now)).finally(() => {
      this.archiveCompaction = undefined;
    });
    return this.archiveCompaction;
  }

  /** Events past their archive's retention are purged before the archive is read or described. */
  private async purgeArchives(now: number): Promise<void> {
    if (this.archiveCompaction) await this.archiveCompaction;
    if (this.archivesToPurge(now)) await this.compactArchives(now);
  }

  private *liveRecords(): Generator<Rec> {
    for (const e of this.events.values()) yield { t: 'e', i: e.i, bus: e.bus, ev: e.ev, ing: e.ing };
    for (const d of this.deliveries.values()) yield this.deliveryRecord(d);
    for (const g of this.groups.values()) {
      if (g.source === 'api') yield { t: 'g', name: g.name, at: g.created ?? this.startedAt };
    }
    for (const s of this.schedules.values()) yield this.scheduleRecord(s, true);
    for (const r of this.replays.values()) yield { t: 'r', replay: r };
  }

  /**
   * The archive file's live records, read from disk as the rewrite consumes them: not those of
   * removed archives, not repeats, not those past retention (uncounted as they are dropped). Records
   * appended meanwhile are still in the journal's buffer and follow the rewritten file.
   */
  private *liveArchiveRecords(now: number): Generator<ArchiveRecord> {
    const seen = new Set<string>();
    const oldest = new Map<ArchiveRt, number>();
    for (const r of scanRecords<ArchiveRecord>(this.archiveJournal.file)) {
      const a = this.archives.get(r.ar);
      const key = `${r.ar} ${r.i}`;
      if (!a || seen.has(key)) continue;
      seen.add(key);
      const days = a.spec.retentionDays ?? 0;
      if (days > 0 && r.ing < now - days * DAY_MS) {
        a.count--;
        a.bytes -= utf8(JSON.stringify(r.ev));
        continue;
      }
      oldest.set(a, Math.min(oldest.get(a) ?? r.ing, r.ing));
      yield r;
    }
    // Events not on disk yet (buffered) are newer than `now` at worst.
    for (const a of this.archives.values())
      a.oldest = a.count > 0 ? Math.min(oldest.get(a) ?? now, now) : undefined;
  }

  private deliveryRecord(d: Delivery): DeliveryRecord {
    const { timer: _timer, running: _running, ...rest } = d;
    return { t: 'd', ...rest };
  }

  /** A schedule's state; `full`: with the definition of an API schedule (else the state alone). */
  private scheduleRecord(s: ScheduleRt, full = false): ScheduleRecord {
    return {
      t: 's',
      k: s.key,
      fp: s.fp,
      anchor: s.anchor,
      next: s.next ?? null,
      ...(s.last !== undefined ? { last: s.last } : {}),
      ...(s.gone ? { gone: 1 as const } : {}),
      ...(full && s.def ? { def: s.def, ...(s.token ? { tok: s.token } : {}) } : {}),
    };
  }

  // ------------------------------------------------------------------ PutEvents

  async putEvents(entries: readonly PutEventsRequestEntry[]): Promise<PutEventsResult> {
    if (this.closed) throw new EventBridgeError('InternalException', 'the local EventBridge is closed');
    if (!Array.isArray(entries)) {
      throw new EventBridgeError(
        'ValidationException',
        "1 validation error detected: Value null at 'entries' failed to satisfy constraint: Member must not be null",
      );
    }
    if (entries.length < 1 || entries.length > MAX_ENTRIES) {
      const bound =
        entries.length < 1 ? 'greater than or equal to 1' : `less than or equal to ${MAX_ENTRIES}`;
      throw new EventBridgeError(
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length ${bound}`,
      );
    }
    let size = 0;
    for (const e of entries) size += entrySize(e);
    if (size > MAX_REQUEST_BYTES) {
      throw new EventBridgeError(
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    }

    const now = this.clock.now();
    const results: PutEventsResultEntry[] = [];
    const created: Delivery[] = [];
    const archived: { archive: ArchiveRt; size: number }[] = [];
    for (const entry of entries) {
      const accepted = this.acceptEntry(entry, now);
      if ('ErrorCode' in accepted) {
        results.push(accepted);
        continue;
      }
      const { bus, ev } = accepted;
      const ds = this.route(bus, ev, ev.id, now);
      if (ds.length > 0) this.storeEvent(ev.id, bus.name, ev, now, ds);
      created.push(...ds);
      for (const archive of bus.archives) {
        if (archive.pattern && !archive.pattern.matches(ev)) continue;
        archived.push({ archive, size: this.archive(archive, ev.id, ev, now) });
      }
      results.push({ EventId: ev.id });
    }

    try {
      await Promise.all([this.journal.commit(), this.archiveJournal.commit()]);
    } catch (e) {
      // Not durable: forget what this call added and report every accepted entry as failed.
      this.log(`PutEvents: journal commit failed: ${message(e)}`);
      for (const d of created) this.forget(d);
      for (const { archive, size } of archived) {
        archive.count--;
        archive.bytes -= size;
      }
      const failed = results.map((r) =>
        'EventId' in r ? { ErrorCode: 'InternalFailure', ErrorMessage: 'Internal Service Failure' } : r,
      );
      this.counters.entriesFailed += failed.length;
      return { FailedEntryCount: failed.length, Entries: failed };
    }

    for (const d of created) this.arm(d);
    const failedCount = results.filter((r) => 'ErrorCode' in r).length;
    this.counters.eventsAccepted += results.length - failedCount;
    this.counters.entriesFailed += failedCount;
    this.maybeCompact();
    this.maybeCompactArchive();
    return { FailedEntryCount: failedCount, Entries: results };
  }

  private acceptEntry(
    entry: PutEventsRequestEntry,
    now: number,
  ): { bus: Bus; ev: EventBridgeEvent } | { ErrorCode: string; ErrorMessage: string } {
    const invalid = (param: string, reason?: string) => ({
      ErrorCode: 'InvalidArgument',
      ErrorMessage: `Parameter ${param} is not valid.${reason ? ` Reason: ${reason}` : ''}`,
    });
    if (!isObject(entry)) return invalid('Entry', 'an entry must be an object.');
    const { Source, DetailType, Detail, Resources, Time, EventBusName } = entry;
    if (typeof Source !== 'string' || Source === '')
      return invalid('Source', 'Source is a required argument.');
    if (typeof DetailType !== 'string' || DetailType === '')
      return invalid('DetailType', 'DetailType is a required argument.');
    if (typeof Detail !== 'string' || Detail === '')
      return invalid('Detail', 'Detail is a required argument.');
    let detail: unknown;
    try {
      detail = JSON.parse(Detail);
    } catch {
      return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    }
    if (!isObject(detail)) return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
    if (Source.startsWith('aws.')) {
      return { ErrorCode: 'NotAuthorizedForSourceException', ErrorMessage: 'Not authorized for the source.' };
    }
    if (
      Resources !== undefined &&
      (!Array.isArray(Resources) || !Resources.every((r) => typeof r === 'string'))
    ) {
      return invalid('Resources', 'Resources must be a list of strings.');
    }
    let time = now;
    if (Time !== undefined && Time !== null) {
      const t = toMs(Time);
      if (t === undefined) return invalid('Time');
      time = t;
    }
    if (EventBusName !== undefined && typeof EventBusName !== 'string') return invalid('EventBusName');
    const bus = this.findBus(EventBusName || undefined);
    if (!bus) {
      return {
        ErrorCode: 'ResourceNotFoundException',
        ErrorMessage: `Event bus ${EventBusName} does not exist.`,
      };
    }
    const ev: EventBridgeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': DetailType,
      source: Source,
      account: this.opts.account,
      time: isoSeconds(time),
      region: this.opts.region,
      resources: [...(Resources ?? [])],
      detail,
    };
    return { bus, ev };
  }

  /** Deliveries for the enabled pattern rules of `bus` that `ev` matches (skipping ones that already exist). */
  private route(
    bus: Bus,
    ev: EventBridgeEvent,
    iid: string,
    now: number,
    only?: ReadonlySet<string>,
  ): Delivery[] {
    const out: Delivery[] = [];
    for (const rule of bus.rules) {
      if (!rule.enabled || !rule.pattern) continue;
      if (only && !only.has(rule.spec.arn)) continue;
      if (!rule.pattern.matches(ev)) continue;
      for (const target of rule.targets.values()) {
        const k = `${iid}|${rule.spec.arn}|${target.spec.id}`;
        if (this.deliveries.has(k)) continue;
        out.push({ k, i: iid, rule: rule.spec.arn, tgt: target.spec.id, n: 0, due: now, first: now });
      }
    }
    return out;
  }

  /** Registers an event and its new deliveries in memory and appends them to the journal (commit is the caller's). */
  private storeEvent(
    iid: string,
    bus: string,
    ev: EventBridgeEvent,
    ing: number,
    ds: readonly Delivery[],
  ): void {
    let stored = this.events.get(iid);
    if (!stored) {
      stored = { i: iid, bus, ev, ing, refs: 0 };
      this.events.set(iid, stored);
      this.journal.append({ t: 'e', i: iid, bus, ev, ing });
    }
    for (const d of ds) {
      stored.refs++;
      this.deliveries.set(d.k, d);
      this.journal.append(this.deliveryRecord(d));
    }
  }

  /** Appends an event to an archive (on disk once committed); returns its size. */
  private archive(archive: ArchiveRt, i: string, ev: EventBridgeEvent, ing: number): number {
    const tm = Date.parse(ev.time);
    const size = utf8(JSON.stringify(ev));
    archive.count++;
    archive.bytes += size;
    archive.oldest = Math.min(archive.oldest ?? ing, ing);
    this.archiveJournal.append({ t: 'a', ar: archive.spec.arn, i, tm, ing, ev });
    return size;
  }

  /** Removes a delivery that never became durable. */
  private forget(d: Delivery): void {
    this.deliveries.delete(d.k);
    if (d.i) {
      const e = this.events.get(d.i);
      if (e && --e.refs <= 0) this.events.delete(d.i);
    }
  }

  // ------------------------------------------------------------------ delivery

  private arm(d: Delivery): void {
    if (this.closed) return;
    d.timer?.cancel();
    d.timer = this.clock.at(d.due, () => {
      d.timer = undefined;
      this.startAttempt(d);
    });
  }

  private startAttempt(d: Delivery): void {
    if (this.closed || d.running || this.deliveries.get(d.k) !== d) return;
    d.running = true;
    this.track(
      this.attempt(d).finally(() => {
        d.running = false;
      }),
      this.inflight,
    );
  }

  private resolve(d: Delivery): Resolved | undefined {
    if (d.sch) {
      const s = this.schedules.get(d.sch);
      if (s?.kind !== 'scheduler') return undefined;
      const target = s.def
        ? { arn: s.def.Target.Arn, input: s.def.Target.Input, dlq: s.def.Target.DeadLetterConfig?.Arn }
        : { arn: s.spec!.target.arn, input: s.spec!.target.input, dlq: s.spec!.target.deadLetterArn };
      const input = target.input ?? '{}';
      const scheduledTime = isoSeconds(d.at ?? d.first);
      let last = input;
      return {
        arn: target.arn,
        label: `schedule ${s.name} (${scheduledTime}) → target ${target.arn}`,
        maxRetries: s.maxRetries,
        maxAgeMs: s.maxAgeMs,
        ...(target.dlq ? { dlq: target.dlq } : {}),
        dlqAttributes: { SCHEDULE_ARN: s.arn, TARGET_ARN: target.arn },
        payload: (attempt) => {
          last = renderSchedulerInput(input, {
            scheduleArn: s.arn,
            scheduledTime,
            executionId: randomBytes(8).toString('hex'),
            attemptNumber: attempt,
          });
          return last;
        },
        dlqBody: () => last,
        info: (attempt) => ({ schedule: s.name, scheduleArn: s.arn, attempt }),
      };
    }
    const stored = this.events.get(d.i ?? '');
    const rule = this.rules.get(d.rule ?? '');
    const target = rule?.targets.get(d.tgt ?? '');
    if (!stored || !rule || !target) return undefined;
    const ev = stored.ev;
    const replayName = typeof ev['replay-name'] === 'string' ? ev['replay-name'] : undefined;
    return {
      arn: target.spec.arn,
      label:
        ev.source === 'aws.events' && ev['detail-type'] === 'Scheduled Event'
          ? `schedule of rule ${rule.spec.name} (${ev.time}) → target ${target.spec.id}`
          : `event ${ev.source} ${ev['detail-type']}${replayName ? ` (replay ${replayName})` : ''} → rule ${rule.spec.name} → target ${target.spec.id}`,
      maxRetries: target.maxRetries,
      maxAgeMs: target.maxAgeMs,
      ...(target.spec.deadLetterArn ? { dlq: target.spec.deadLetterArn } : {}),
      dlqAttributes: { RULE_ARN: rule.spec.arn, TARGET_ARN: target.spec.arn },
      payload: () =>
        target.render(ev, {
          ruleArn: rule.spec.arn,
          ruleName: rule.spec.name,
          ingestionTime: isoSeconds(stored.ing),
        }),
      dlqBody: () => JSON.stringify(ev),
      info: (attempt) => ({
        rule: rule.spec.name,
        ruleArn: rule.spec.arn,
        targetId: target.spec.id,
        attempt,
        eventId: ev.id,
        ...(replayName ? { replayName } : {}),
      }),
    };
  }

  private async attempt(d: Delivery): Promise<void> {
    const target = this.resolve(d);
    if (!target) {
      this.log(`delivery ${d.k} dropped: its rule, target or schedule no longer exists`);
      this.finish(d);
      return;
    }
    if (this.clock.now() - d.first > target.maxAgeMs) {
      const err = d.err ?? {
        code: 'EVENT_EXPIRED',
        message: 'the event became older than MaximumEventAgeInSeconds',
      };
      await this.giveUp(d, target, err, 'MaximumEventAgeInSeconds');
      return;
    }
    let payload: string;
    try {
      payload = target.payload(d.n + 1);
    } catch (e) {
      const code = e instanceof TransformError ? e.code : 'INTERNAL_ERROR';
      this.log(`${target.label}: input transformation failed: ${message(e)}`);
      await this.giveUp(d, target, { code, message: message(e) }, undefined);
      return;
    }
    d.n += 1;
    const attempt = d.n;
    try {
      await this.opts.deliver(target.arn, payload, target.info(attempt));
    } catch (error) {
      if (!this.closed) await this.failed(d, target, error, attempt);
      return;
    }
    if (this.closed) return;
    this.counters.delivered++;
    this.log(`${target.label} ok (attempt ${attempt})`);
    this.finish(d, true);
  }

  private async failed(d: Delivery, target: Resolved, error: unknown, attempt: number): Promise<void> {
    const err = describeFailure(error);
    d.err = { code: err.code, message: err.message };
    if (!err.retryable) {
      this.log(`${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; not retryable`);
      await this.giveUp(d, target, err, undefined);
      return;
    }
    if (attempt - 1 >= target.maxRetries) {
      this.log(`${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; retries exhausted`);
      await this.giveUp(d, target, err, 'MaximumRetryAttempts');
      return;
    }
    const delay = retryDelayMs(attempt);
    const due = this.clock.now() + delay;
    if (due - d.first > target.maxAgeMs) {
      this.log(
        `${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; maximum event age reached`,
      );
      await this.giveUp(d, target, err, 'MaximumEventAgeInSeconds');
      return;
    }
    d.due = due;
    this.counters.retries++;
    this.log(
      `${target.label} failed (attempt ${attempt}): ${err.code}: ${err.message}; retry in ${delay / 1000}s`,
    );
    this.journal.append(this.deliveryRecord(d));
    this.commitSoon();
    this.arm(d);
  }

  private async giveUp(
    d: Delivery,
    target: Resolved,
    err: { code: string; message: string },
    exhausted: 'MaximumRetryAttempts' | 'MaximumEventAgeInSeconds' | undefined,
  ): Promise<void> {
    if (target.dlq) {
      const attributes: Record<string, string> = {
        ...target.dlqAttributes,
        ERROR_CODE: err.code,
        ERROR_MESSAGE: err.message,
        ...(exhausted ? { EXHAUSTED_RETRY_CONDITION: exhausted } : {}),
        RETRY_ATTEMPTS: String(Math.max(0, d.n - 1)),
      };
      try {
        await this.opts.sendToDeadLetter(target.dlq, target.dlqBody(), attributes);
        this.counters.deadLettered++;
        this.log(`${target.label} dead-lettered to ${target.dlq} (${err.code})`);
      } catch (e) {
        this.counters.dropped++;
        this.log(
          `${target.label} could not be sent to dead-letter queue ${target.dlq} (${message(e)}); dropped`,
        );
      }
    } else {
      this.counters.dropped++;
      this.log(`${target.label} dropped after ${d.n} attempt(s): ${err.code}: ${err.message}`);
    }
    this.finish(d);
  }

  /**
   * The delivery is over (delivered, dead-lettered or dropped). `delivered`: its record need not be
   * durable at once (lost in a crash, the event is delivered again, at-least-once as on AWS; the
   * target already holds it durably), so it goes with the next commit, within COMMIT_LATER_MS.
   */
  private finish(d: Delivery, delivered = false): void {
    if (this.closed) return;
    d.timer?.cancel();
    if (this.deliveries.get(d.k) !== d) return;
    this.deliveries.delete(d.k);
    this.journal.append({ t: 'x', k: d.k });
    if (d.i) {
      const e = this.events.get(d.i);
      if (e && --e.refs <= 0) this.events.delete(d.i);
    }
    const s = d.sch ? this.schedules.get(d.sch) : undefined;
    if (s) {
      s.inflight = Math.max(0, s.inflight - 1);
      // ActionAfterCompletion DELETE: once its last invocation is over, delivered or not.
      if (this.deletableAfterCompletion(s)) this.removeCompleted(s);
    }
    if (delivered && !s) {
      this.journal.commitLater();
      this.maybeCompact();
    } else this.commitSoon();
  }

  // ------------------------------------------------------------------ schedules

  /** A schedule's first occurrence from `now`, where it starts afresh (new, changed or updated). */
  private start(s: ScheduleRt, now: number): void {
    s.anchor = now;
    s.next = s.enabled ? firstOccurrence(s.timing, now) : undefined;
    if (s.enabled && s.next === undefined && s.timing.expression.kind === 'at') {
      this.log(
        `schedule ${s.name}: ${s.timing.expression.text} had already passed when it was created; it will not run`,
      );
    }
  }

  /**
   * Puts a schedule in the due-time heap for its next occurrence (taking out its previous place), and re-arms the
   * one clock timer if it is now the earliest. Tens of thousands of pending one-time schedules cost a heap entry
   * each, not a timer each.
   */
  private armSchedule(s: ScheduleRt): void {
    this.unarmSchedule(s);
    if (this.closed || !s.enabled || s.gone || s.next === undefined || this.schedules.get(s.key) !== s)
      return;
    const entry: DueEntry = { s };
    s.entry = entry;
    this.due.push(s.next, entry);
    if (this.dueTimer === undefined || s.next < this.dueTimer.at) this.armDueTimer();
  }

  private unarmSchedule(s: ScheduleRt): void {
    if (!s.entry) return;
    s.entry = undefined;
    this.staleEntries++;
    if (this.staleEntries > 1024 && this.staleEntries * 2 > this.due.size) {
      this.due.filter((_, e) => e.s.entry === e);
      this.staleEntries = 0;
    }
  }

  /** Due time of the earliest live heap entry (stale ones on top are dropped). */
  private nextDueAt(): number | undefined {
    for (let top = this.due.peek(); top; top = this.due.peek()) {
      if (top.value.s.entry === top.value) return top.key;
      this.due.pop();
      this.staleEntries--;
    }
    return undefined;
  }

  private armDueTimer(): void {
    const at = this.closed ? undefined : this.nextDueAt();
    if (this.dueTimer?.at === at) return;
    this.dueTimer?.handle.cancel();
    this.dueTimer = undefined;
    if (at === undefined) return;
    this.dueTimer = {
      at,
      handle: this.clock.at(at, () => {
        this.dueTimer = undefined;
        this.fireDue();
      }),
    };
  }

  /** Fires every schedule due by now, as one batch (one journal commit). */
  private fireDue(): void {
    if (this.closed) return;
    const now = this.clock.now();
    const batch: ScheduleRt[] = [];
    for (let at = this.nextDueAt(); at !== undefined && at <= now; at = this.nextDueAt()) {
      const { value } = this.due.pop()!;
      value.s.entry = undefined;
      batch.push(value.s);
    }
    if (batch.length > 0) this.track(this.fire(batch));
    this.armDueTimer();
  }

  private async fire(batch: readonly ScheduleRt[]): Promise<void> {
    if (this.closed) return;
    const now = this.clock.now();
    const created: Delivery[] = [];
    const fired: ScheduleRt[] = [];
    for (const s of batch) {
      if (s.next === undefined || !s.enabled || s.gone || this.schedules.get(s.key) !== s) continue;
      const occurrence = s.next;
      const following = occurrenceAfter(s.timing, s.anchor, Math.max(occurrence, now));
      const iid = `${s.key}@${occurrence}`;
      if (s.kind === 'rule') {
        const rule = s.rule!;
        const ev: EventBridgeEvent = {
          version: '0',
          id: uuidFrom(iid),
          'detail-type': 'Scheduled Event',
          source: 'aws.events',
          account: this.opts.account,
          time: isoSeconds(occurrence),
          region: this.opts.region,
          resources: [rule.spec.arn],
          detail: {},
        };
        const ds: Delivery[] = [];
        for (const target of rule.targets.values()) {
          const k = `${iid}|${rule.spec.arn}|${target.spec.id}`;
          if (!this.deliveries.has(k)) {
            ds.push({ k, i: iid, rule: rule.spec.arn, tgt: target.spec.id, n: 0, due: now, first: now });
          }
        }
        if (ds.length > 0) this.storeEvent(iid, rule.bus.name, ev, now, ds);
        created.push(...ds);
      } else if (!this.deliveries.has(iid)) {
        const d: Delivery = { k: iid, sch: s.key, at: occurrence, n: 0, due: now, first: now };
        created.push(d);
        s.inflight++;
        this.deliveries.set(d.k, d);
        this.journal.append(this.deliveryRecord(d));
      }
      s.last = occurrence;
      s.next = following;
      this.journal.append(this.scheduleRecord(s));
      this.counters.scheduleFirings++;
      fired.push(s);
      const late = now - occurrence >= 60_000 ? ` (due ${isoSeconds(occurrence)}, missed while stopped)` : '';
      this.log(
        `schedule ${s.name} fired${late || ` at ${isoSeconds(occurrence)}`}; next ${following === undefined ? 'none' : isoSeconds(following)}`,
      );
    }
    await this.journal.commit();
    if (this.closed) return;
    for (const d of created) this.arm(d);
    for (const s of fired) {
      if (s.next === undefined && afterCompletion(s) !== 'DELETE') this.log(`schedule ${s.name} completed`);
      this.armSchedule(s);
    }
    this.maybeCompact();
  }

  /** ActionAfterCompletion DELETE, its last occurrence fired and its delivery over (delivered or not). */
  private deletableAfterCompletion(s: ScheduleRt): boolean {
    return (
      s.kind === 'scheduler' &&
      afterCompletion(s) === 'DELETE' &&
      s.enabled &&
      !s.gone &&
      s.next === undefined &&
      s.last !== undefined &&
      s.inflight === 0 &&
      this.schedules.get(s.key) === s
    );
  }

  /** Deletes a completed schedule (appended; the caller commits). Assembly schedules are hidden, kept. */
  private removeCompleted(s: ScheduleRt): void {
    this.unarmSchedule(s);
    if (s.source === 'assembly') {
      s.gone = true;
      this.journal.append(this.scheduleRecord(s));
    } else {
      this.schedules.delete(s.key);
      this.journal.append({ t: 'z', k: s.key });
    }
    this.sortedKeys = undefined;
    this.log(`schedule ${s.name} completed and deleted (ActionAfterCompletion DELETE)`);
  }

  // ------------------------------------------------------------------ Scheduler API store

  /** The Scheduler API's view of this bus's schedules and groups (see scheduler.ts). */
  private schedulerStore(): SchedulerStore {
    const { region, account } = this.opts;
    const keyOf = (group: string, name: string) => `schedule:${scheduleArnOf(region, account, group, name)}`;
    const visible = (key: string): ScheduleRt | undefined => {
      const s = this.schedules.get(key);
      return s && s.kind === 'scheduler' && !s.gone ? s : undefined;
    };
    const groupInfo = (g: { name: string; source: 'default' | ScheduleSource; created?: number }) => {
      const created = g.source === 'api' ? g.created : g.source === 'assembly' ? this.startedAt : undefined;
      return {
        Arn: groupArnOf(region, account, g.name),
        Name: g.name,
        State: 'ACTIVE' as const,
        ...(created !== undefined
          ? { CreationDate: created / 1000, LastModificationDate: created / 1000 }
          : {}),
      };
    };
    const ready = () => {
      if (this.closed) throw new Error('the local EventBridge is closed');
    };
    return {
      region,
      account,
      now: () => this.clock.now(),
      group: (name) => {
        const g = this.groups.get(name);
        return g ? { ...groupInfo(g), source: g.source } : undefined;
      },
      groups: () =>
        [...this.groups.values()]
          .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
          .map(groupInfo),
      createGroup: async (name) => {
        ready();
        const g = { name, source: 'api' as const, created: this.clock.now() };
        this.groups.set(name, g);
        this.journal.append({ t: 'g', name, at: g.created });
        await this.journal.commit();
        return groupInfo(g);
      },
      deleteGroup: async (name) => {
        ready();
        for (const s of [...this.schedules.values()]) {
          if (s.source === 'api' && s.def?.GroupName === name) this.deleteApiSchedule(s);
        }
        this.groups.delete(name);
        this.journal.append({ t: 'G', name });
        await this.journal.commit();
        this.maybeCompact();
      },
      get: (group, name): StoredSchedule | undefined => {
        const s = visible(keyOf(group, name));
        if (!s) return undefined;
        return {
          definition: this.definitionOf(s),
          source: s.source ?? 'assembly',
          ...(s.token ? { clientToken: s.token } : {}),
        };
      },
      put: async (request, clientToken) => {
        ready();
        const def = this.interner.definition(request);
        const key = keyOf(def.GroupName, def.Name);
        const prior = this.schedules.get(key);
        const s = this.schedulerRt(specOf(def), `schedule ${def.GroupName}/${def.Name}`, {
          source: 'api',
          def,
          ...(clientToken ? { token: clientToken } : {}),
        });
        if (prior) {
          this.unarmSchedule(prior);
          s.inflight = prior.inflight;
        } else this.sortedKeys = undefined;
        this.start(s, this.clock.now());
        // keyed by the schedule's own key string: `key` is an equal copy (~150 B a schedule more)
        this.schedules.set(s.key, s);
        this.journal.append(this.scheduleRecord(s, true));
        await this.journal.commit();
        this.armSchedule(s);
        this.maybeCompact();
      },
      delete: async (group, name) => {
        ready();
        const s = visible(keyOf(group, name));
        if (s) this.deleteApiSchedule(s);
        await this.journal.commit();
        this.maybeCompact();
      },
      list: (after, keep, limit) => {
        this.sortedKeys ??= [...this.schedules.values()]
          .filter((s) => s.kind === 'scheduler' && !s.gone)
          .map((s) => s.key)
          .sort();
        const keys = this.sortedKeys;
        let i = after === undefined ? 0 : upperBound(keys, after);
        const items: ScheduleDefinition[] = [];
        for (; i < keys.length && items.length < limit; i++) {
          const s = visible(keys[i]!);
          if (!s) continue;
          const d = this.definitionOf(s);
          if (keep(d)) items.push(d);
        }
        return i < keys.length ? { items, cursor: keys[i - 1]! } : { items };
      },
    };
  }

  /** DeleteSchedule (and its group's deletion): the schedule and its pending deliveries (appended). */
  private deleteApiSchedule(s: ScheduleRt): void {
    this.unarmSchedule(s);
    this.schedules.delete(s.key);
    this.sortedKeys = undefined;
    this.journal.append({ t: 'z', k: s.key });
    if (s.inflight > 0) {
      for (const d of [...this.deliveries.values()]) {
        if (d.sch !== s.key || d.running) continue;
        d.timer?.cancel();
        this.deliveries.delete(d.k);
        this.journal.append({ t: 'x', k: d.k });
      }
    }
    this.log(`schedule ${s.def?.GroupName ?? 'default'}/${s.name} deleted`);
  }

  /** What GetSchedule shows: an API schedule's definition, or one made from an assembly schedule's spec. */
  private definitionOf(s: ScheduleRt): ScheduleDefinition {
    if (s.def) return s.def;
    const spec = s.spec!;
    const created = s.anchor / 1000;
    const seconds = (iso: string | undefined) => (iso === undefined ? undefined : Date.parse(iso) / 1000);
    return stripUndefined({
      Arn: spec.arn,
      Name: spec.name,
      GroupName: spec.groupName ?? 'default',
      ScheduleExpression: spec.scheduleExpression,
      ScheduleExpressionTimezone: spec.timezone,
      StartDate: seconds(spec.startDate),
      EndDate: seconds(spec.endDate),
      Description: spec.description,
      State: spec.state,
      Target: stripUndefined({
        Arn: spec.target.arn,
        RoleArn: spec.target.roleArn,
        Input: spec.target.input,
        RetryPolicy: { MaximumEventAgeInSeconds: s.maxAgeMs / 1000, MaximumRetryAttempts: s.maxRetries },
        DeadLetterConfig: spec.target.deadLetterArn ? { Arn: spec.target.deadLetterArn } : undefined,
      }),
      FlexibleTimeWindow:
        spec.flexibleWindowMinutes !== undefined
          ? { Mode: 'FLEXIBLE', MaximumWindowInMinutes: spec.flexibleWindowMinutes }
          : { Mode: 'OFF' },
      ActionAfterCompletion: spec.actionAfterCompletion ?? 'NONE',
      CreationDate: created,
      LastModificationDate: created,
    }) as unknown as ScheduleDefinition;
  }

  // ------------------------------------------------------------------ replays

  async startReplay(request: StartReplayRequest): Promise<Record<string, unknown>> {
    if (this.closed) throw new EventBridgeError('InternalException', 'the local EventBridge is closed');
    const req = (isObject(request) ? request : {}) as StartReplayRequest;
    const invalid = (param: string, reason: string) =>
      new EventBridgeError('ValidationException', `Parameter ${param} is not valid. Reason: ${reason}`);
    const name = req.ReplayName;
    if (typeof name !== 'string' || !/^[.\-_A-Za-z0-9]{1,64}$/.test(name)) {
      throw invalid('ReplayName', 'ReplayName must be 1-64 characters of letters, digits, ".", "-" and "_".');
    }
    if (typeof req.EventSourceArn !== 'string')
      throw invalid('EventSourceArn', 'EventSourceArn is required.');
    const archive = this.archives.get(req.EventSourceArn);
    if (!archive)
      throw new EventBridgeError(
        'ResourceNotFoundException',
        `Archive ${req.EventSourceArn} does not exist.`,
      );
    const start = toMs(req.EventStartTime);
    const end = toMs(req.EventEndTime);
    if (start === undefined) throw invalid('EventStartTime', 'EventStartTime is required.');
    if (end === undefined) throw invalid('EventEndTime', 'EventEndTime is required.');
    if (start >= end) throw invalid('EventStartTime', 'EventStartTime must be before EventEndTime.');
    const destination = req.Destination;
    if (!isObject(destination) || typeof destination.Arn !== 'string') {
      throw invalid('Destination', 'Destination.Arn is required.');
    }
    if (destination.Arn !== archive.bus.arn) {
      throw invalid(
        'Destination.Arn',
        'Events can only be replayed to the event bus the archive was created on.',
      );
    }
    const filterArns = destination.FilterArns;
    if (filterArns !== undefined) {
      if (!Array.isArray(filterArns))
        throw invalid('Destination.FilterArns', 'FilterArns must be a list of rule ARNs.');
      for (const arn of filterArns) {
        if (this.rules.get(arn)?.bus !== archive.bus) {
          throw invalid(
            'Destination.FilterArns',
            `Rule ${arn} does not exist on event bus ${archive.bus.name}.`,
          );
        }
      }
    }
    if (this.replays.has(name))
      throw new EventBridgeError('ResourceAlreadyExistsException', `Replay ${name} already exists.`);
    const replay: Replay = {
      name,
      arn: `arn:aws:events:${this.opts.region}:${this.opts.account}:replay/${name}`,
      ...(typeof req.Description === 'string' ? { description: req.Description } : {}),
      archiveArn: archive.spec.arn,
      busArn: archive.bus.arn,
      ...(filterArns && filterArns.length > 0 ? { filterArns: [...filterArns] } : {}),
      start,
      end,
      state: 'STARTING',
      replayStart: this.clock.now(),
    };
    this.replays.set(name, replay);
    this.journal.append({ t: 'r', replay });
    await this.journal.commit();
    this.track(this.runReplay(replay));
    return { ReplayArn: replay.arn, State: 'STARTING', ReplayStartTime: seconds(replay.replayStart) };
  }

  private async runReplay(r: Replay): Promise<void> {
    if (this.closed) return;
    const now = this.clock.now();
    const archive = this.archives.get(r.archiveArn);
    const bus = this.busesByArn.get(r.busArn);
    if (!archive || !bus) {
      r.state = 'FAILED';
      r.reason = `archive ${r.archiveArn} or event bus ${r.busArn} no longer exists`;
      r.replayEnd = now;
      this.journal.append({ t: 'r', replay: r });
      await this.journal.commit();
      return;
    }
    r.state = 'RUNNING';
    // The archive is read from disk: everything archived so far first goes there.
    await this.archiveJournal.commit();
    await this.purgeArchives(now);
    const selected = this.archivedBetween(archive, r.start, r.end, now);
    const only = r.filterArns ? new Set(r.filterArns) : undefined;
    const created: Delivery[] = [];
    for (const a of selected) {
      const ev: EventBridgeEvent = { ...a.ev, 'replay-name': r.name };
      const iid = `${a.i}#replay:${r.name}`;
      const ds = this.route(bus, ev, iid, now, only);
      if (ds.length > 0) this.storeEvent(iid, bus.name, ev, now, ds);
      created.push(...ds);
    }
    r.state = 'COMPLETED';
    r.replayEnd = now;
    r.events = selected.length;
    const last = selected.at(-1);
    if (last) r.lastReplayed = last.tm;
    this.journal.append({ t: 'r', replay: r });
    await this.journal.commit();
    if (this.closed) return;
    for (const d of created) this.arm(d);
    this.log(
      `replay ${r.name}: ${selected.length} archived event(s) from ${archive.spec.name} → ${created.length} deliver${created.length === 1 ? 'y' : 'ies'}`,
    );
    this.maybeCompact();
  }

  /** An archive's events with `time` in [start, end) and within retention, from disk, in time order. */
  private archivedBetween(archive: ArchiveRt, start: number, end: number, now: number): ArchiveRecord[] {
    const days = archive.spec.retentionDays ?? 0;
    const cutoff = days > 0 ? now - days * DAY_MS : Number.NEGATIVE_INFINITY;
    const seen = new Set<string>();
    const selected: ArchiveRecord[] = [];
    for (const r of scanRecords<ArchiveRecord>(this.archiveJournal.file)) {
      if (r.ar !== archive.spec.arn || r.tm < start || r.tm >= end || r.ing < cutoff || seen.has(r.i))
        continue;
      seen.add(r.i);
      selected.push(r);
    }
    return selected.sort((a, b) => a.tm - b.tm || a.ing - b.ing);
  }

  describeReplay(name: string): Record<string, unknown> {
    const r = this.replays.get(name);
    if (!r) throw new EventBridgeError('ResourceNotFoundException', `Replay ${name} does not exist.`);
    return this.replayOut(r, true);
  }

  private replayOut(r: Replay, full: boolean): Record<string, unknown> {
    return stripUndefined({
      ReplayName: r.name,
      ...(full ? { ReplayArn: r.arn, Description: r.description } : {}),
      State: r.state,
      StateReason: r.reason,
      EventSourceArn: r.archiveArn,
      ...(full ? { Destination: stripUndefined({ Arn: r.busArn, FilterArns: r.filterArns }) } : {}),
      EventStartTime: seconds(r.start),
      EventEndTime: seconds(r.end),
      EventLastReplayedTime: seconds(r.lastReplayed),
      ReplayStartTime: seconds(r.replayStart),
      ReplayEndTime: seconds(r.replayEnd),
    });
  }

  // ------------------------------------------------------------------ API

  async handle(target: string, body: unknown): Promise<ApiResponse> {
    const op = target.startsWith('AWSEvents.') ? target.slice('AWSEvents.'.length) : target;
    const b = (isObject(body) ? body : {}) as Record<string, unknown>;
    try {
      return { status: 200, body: await this.operation(op, b) };
    } catch (e) {
      if (e instanceof EventBridgeError) {
        return {
          status: e.type === 'InternalException' ? 500 : 400,
          body: { __type: e.type, message: e.message },
        };
      }
      this.log(`AWSEvents.${op} failed: ${message(e)}`);
      return { status: 500, body: { __type: 'InternalException', message: message(e) } };
    }
  }

  private async operation(op: string, b: Record<string, unknown>): Promise<unknown> {
    const str = (field: string, required = false): string | undefined => {
      const v = b[field];
      if (v === undefined || v === null) {
        if (required) throw new EventBridgeError('ValidationException', `Parameter ${field} is required.`);
        return undefined;
      }
      if (typeof v !== 'string')
        throw new EventBridgeError('ValidationException', `Parameter ${field} is not valid.`);
      return v;
    };
    const busOf = (field: string): Bus => {
      const name = str(field);
      const bus = this.findBus(name);
      if (!bus) throw new EventBridgeError('ResourceNotFoundException', `Event bus ${name} does not exist.`);
      return bus;
    };
    const ruleOf = (): RuleRt => {
      const name = str('Name') ?? str('Rule');
      if (name === undefined)
        throw new EventBridgeError('ValidationException', 'Parameter Name is required.');
      const bus = busOf('EventBusName');
      const rule = bus.rules.find((r) => r.spec.name === name);
      if (!rule) {
        throw new EventBridgeError(
          'ResourceNotFoundException',
          `Rule ${name} does not exist on EventBus ${bus.name}.`,
        );
      }
      return rule;
    };
    switch (op) {
      case 'PutEvents':
        return this.putEvents(b.Entries as PutEventsRequestEntry[]);
      case 'StartReplay':
        return this.startReplay(b as StartReplayRequest);
      case 'DescribeReplay':
        return this.describeReplay(str('ReplayName', true)!);
      case 'ListReplays': {
        const prefix = str('NamePrefix') ?? '';
        const state = str('State');
        const source = str('EventSourceArn');
        const all = [...this.replays.values()].filter(
          (r) =>
            r.name.startsWith(prefix) &&
            (!state || r.state === state) &&
            (!source || r.archiveArn === source),
        );
        const { page, next } = pageOf(all, b);
        return stripUndefined({ Replays: page.map((r) => this.replayOut(r, false)), NextToken: next });
      }
      case 'CancelReplay': {
        const r = this.replays.get(str('ReplayName', true)!);
        if (!r)
          throw new EventBridgeError('ResourceNotFoundException', `Replay ${b.ReplayName} does not exist.`);
        throw new EventBridgeError(
          'IllegalStatusException',
          `Replay ${r.name} is not in a valid state for this operation.`,
        );
      }
      case 'ListRules': {
        const bus = busOf('EventBusName');
        const prefix = str('NamePrefix') ?? '';
        const { page, next } = pageOf(
          bus.rules.filter((r) => r.spec.name.startsWith(prefix)),
          b,
        );
        return stripUndefined({ Rules: page.map((r) => this.ruleOut(r)), NextToken: next });
      }
      case 'DescribeRule':
        return { ...this.ruleOut(ruleOf()), CreatedBy: this.opts.account };
      case 'ListTargetsByRule': {
        const rule = ruleOf();
        const { page, next } = pageOf([...rule.targets.values()], b);
        return stripUndefined({ Targets: page.map((t) => targetOut(t.spec)), NextToken: next });
      }
      case 'ListEventBuses': {
        const prefix = str('NamePrefix') ?? '';
        const { page, next } = pageOf(
          [...this.busesByName.values()].filter((x) => x.name.startsWith(prefix)),
          b,
        );
        return stripUndefined({
          EventBuses: page.map((x) => ({ Name: x.name, Arn: x.arn })),
          NextToken: next,
        });
      }
      case 'DescribeEventBus': {
        const bus = busOf('Name');
        return { Name: bus.name, Arn: bus.arn };
      }
      case 'ListArchives': {
        const prefix = str('NamePrefix') ?? '';
        const source = str('EventSourceArn');
        const state = str('State');
        await this.purgeArchives(this.clock.now());
        const all = [...this.archives.values()].filter(
          (a) =>
            a.spec.name.startsWith(prefix) &&
            (!source || a.bus.arn === source) &&
            (!state || state === 'ENABLED'),
        );
        const { page, next } = pageOf(all, b);
        return stripUndefined({ Archives: page.map((a) => this.archiveOut(a, false)), NextToken: next });
      }
      case 'DescribeArchive': {
        const name = str('ArchiveName', true)!;
        const archive = [...this.archives.values()].find((a) => a.spec.name === name);
        if (!archive)
          throw new EventBridgeError('ResourceNotFoundException', `Archive ${name} does not exist.`);
        await this.purgeArchives(this.clock.now());
        return this.archiveOut(archive, true);
      }
      case 'TestEventPattern':
        return { Result: testEventPattern(b.EventPattern, b.Event) };
      default:
        throw new EventBridgeError(
          'UnknownOperationException',
          `AWSEvents.${op} is not supported by the local EventBridge`,
        );
    }
  }

  private ruleOut(r: RuleRt): Record<string, unknown> {
    const p = r.spec.eventPattern;
    return stripUndefined({
      Name: r.spec.name,
      Arn: r.spec.arn,
      EventPattern: p === undefined ? undefined : typeof p === 'string' ? p : JSON.stringify(p),
      ScheduleExpression: r.spec.scheduleExpression,
      State: r.enabled ? 'ENABLED' : 'DISABLED',
      Description: r.spec.description,
      EventBusName: r.bus.name,
    });
  }

  private archiveOut(a: ArchiveRt, full: boolean): Record<string, unknown> {
    const p = a.spec.eventPattern;
    return stripUndefined({
      ArchiveName: a.spec.name,
      ...(full
        ? {
            ArchiveArn: a.spec.arn,
            EventPattern: p === undefined ? undefined : typeof p === 'string' ? p : JSON.stringify(p),
          }
        : {}),
      EventSourceArn: a.bus.arn,
      State: 'ENABLED',
      RetentionDays: a.spec.retentionDays ?? 0,
      SizeBytes: a.bytes,
      EventCount: a.count,
      CreationTime: seconds(this.startedAt),
    });
  }

  // ------------------------------------------------------------------ reporting

  stats(): EventBridgeStats {
    let archivedEvents = 0;
    for (const a of this.archives.values()) archivedEvents += a.count;
    return {
      buses: this.busesByName.size,
      rules: this.rules.size,
      archives: this.archives.size,
      schedules: [...this.schedules.values()].filter((s) => s.kind === 'scheduler' && !s.gone).length,
      ...this.counters,
      pendingDeliveries: this.deliveries.size,
      archivedEvents,
      replays: this.replays.size,
    };
  }

  describe(): string[] {
    const lines: string[] = [];
    for (const bus of this.busesByName.values()) {
      if (bus.name === 'default' && bus.rules.length === 0 && bus.archives.length === 0) continue;
      lines.push(`bus ${bus.name}: ${bus.rules.length} rule(s), ${bus.archives.length} archive(s)`);
      for (const r of bus.rules) {
        const what = [
          r.spec.eventPattern !== undefined
            ? `pattern ${typeof r.spec.eventPattern === 'string' ? r.spec.eventPattern : JSON.stringify(r.spec.eventPattern)}`
            : undefined,
          r.spec.scheduleExpression !== undefined ? this.scheduleText(`rule:${r.spec.arn}`) : undefined,
        ]
          .filter(Boolean)
          .join(', ');
        const targets = [...r.targets.values()].map((t) => `${t.spec.id} (${t.spec.arn})`).join(', ');
        lines.push(
          `  rule ${r.spec.name}${r.enabled ? '' : ' [DISABLED]'}: ${what} → ${targets || 'no targets'}`,
        );
      }
      for (const a of bus.archives) {
        const keep = a.spec.retentionDays ? `${a.spec.retentionDays} day(s)` : 'indefinitely';
        lines.push(`  archive ${a.spec.name}: ${a.count} event(s), kept ${keep}`);
      }
    }
    let api = 0;
    for (const s of this.schedules.values()) {
      if (s.kind !== 'scheduler' || s.gone) continue;
      if (s.source === 'api') {
        api++;
        continue;
      }
      const group = s.spec?.groupName ?? 'default';
      lines.push(
        `schedule ${group}/${s.name}${s.enabled ? '' : ' [DISABLED]'}: ${this.scheduleText(s.key)} → ${s.spec!.target.arn}`,
      );
    }
    if (api > 0) lines.push(`${api} schedule(s) made through the Scheduler API`);
    if (this.deliveries.size > 0) lines.push(`${this.deliveries.size} deliveries pending`);
    return lines;
  }

  private scheduleText(key: string): string {
    const s = this.schedules.get(key);
    if (!s) return '';
    const tz = s.kind === 'scheduler' && s.timing.timeZone !== 'UTC' ? ` ${s.timing.timeZone}` : '';
    const next = s.enabled ? (s.next === undefined ? ', no next run' : `, next ${isoSeconds(s.next)}`) : '';
    return `${s.timing.expression.text}${tz}${next}`;
  }

  // ------------------------------------------------------------------ shutdown

  async close(): Promise<void> {
    if (this.closed) return;
    // Let commits, firings and replays already under way finish (not deliveries: they may never end).
    await Promise.allSettled([...this.work]);
    this.closed = true;
    this.unsettle?.();
    for (const d of this.deliveries.values()) d.timer?.cancel();
    this.dueTimer?.handle.cancel();
    this.dueTimer = undefined;
    await Promise.allSettled([...this.work]);
    await this.journal.close();
    await this.archiveJournal.close();
  }
}

function targetOut(t: TargetSpec): Record<string, unknown> {
  return stripUndefined({
    Id: t.id,
    Arn: t.arn,
    Input: t.input,
    InputPath: t.inputPath,
    InputTransformer: t.inputTransformer
      ? stripUndefined({
          InputPathsMap: t.inputTransformer.inputPathsMap,
          InputTemplate: t.inputTransformer.inputTemplate,
        })
      : undefined,
    RetryPolicy: t.retryPolicy
      ? stripUndefined({
          MaximumRetryAttempts: t.retryPolicy.maximumRetryAttempts,
          MaximumEventAgeInSeconds: t.retryPolicy.maximumEventAgeInSeconds,
        })
      : undefined,
    DeadLetterConfig: t.deadLetterArn ? { Arn: t.deadLetterArn } : undefined,
  });
}

/** PutEventsRequestEntry size as the EventBridge User Guide computes it. */
function entrySize(e: PutEventsRequestEntry): number {
  if (!isObject(e)) return 0;
  let size = e.Time !== undefined && e.Time !== null ? 14 : 0;
  if (typeof e.Source === 'string') size += utf8(e.Source);
  if (typeof e.DetailType === 'string') size += utf8(e.DetailType);
  if (typeof e.Detail === 'string') size += utf8(e.Detail);
  if (Array.isArray(e.Resources)) for (const r of e.Resources) if (typeof r === 'string') size += utf8(r);
  return size;
}

const TEST_EVENT_FIELDS = ['id', 'account', 'source', 'time', 'region', 'resources', 'detail-type'];

/** TestEventPattern: the event must carry the envelope fields the API reference lists as mandatory. */
function testEventPattern(pattern: unknown, event: unknown): boolean {
  if (typeof pattern !== 'string')
    throw new EventBridgeError('ValidationException', 'Parameter EventPattern is required.');
  if (typeof event !== 'string')
    throw new EventBridgeError('ValidationException', 'Parameter Event is required.');
  let compiled: CompiledPattern;
  try {
    compiled = compilePattern(pattern);
  } catch (e) {
    if (e instanceof EventPatternError) throw new EventBridgeError('InvalidEventPatternException', e.message);
    throw e;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(event);
  } catch {
    throw new EventBridgeError('ValidationException', 'Parameter Event is not valid: it is not JSON.');
  }
  if (!isObject(parsed))
    throw new EventBridgeError(
      'ValidationException',
      'Parameter Event is not valid: it must be a JSON object.',
    );
  const missing = TEST_EVENT_FIELDS.filter((f) => !(f in parsed));
  if (missing.length > 0) {
    throw new EventBridgeError(
      'ValidationException',
      `Parameter Event is not valid: it lacks ${missing.join(', ')}.`,
    );
  }
  return compiled.matches(parsed);
}

export { ScheduleExpressionError, TransformError };
