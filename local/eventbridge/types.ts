/**
 * The local EventBridge's public types: what the runtime passes in (buses, rules, archives, schedules, the
 * `deliver` port) and what it gets back (the LocalEventBridge interface, API answers, errors).
 */
import type { Clock } from '../engine/clock.ts';
import type { SchedulerApi } from './scheduler.ts';

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
  readonly state: RuleState;
  readonly description?: string;
  readonly targets: readonly TargetSpec[];
}

/** A rule's State (PutRule); every state but DISABLED matches events and runs schedules. */
export type RuleState = 'ENABLED' | 'DISABLED' | 'ENABLED_WITH_ALL_CLOUDTRAIL_MANAGEMENT_EVENTS';

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
  /** of them, Scheduler API at() schedules parked while they wait (kept as numbers, parked.ts) */
  readonly parkedSchedules: number;
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
