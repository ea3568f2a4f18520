/**
 * The operations API's ports: what it needs from Step Functions and SQS, in the shapes the domain
 * reads (adapters/stepfunctions/runs.ts and adapters/sqs/dead-letters.ts implement them).
 */

export const EXECUTION_STATUSES = [
  'RUNNING',
  'SUCCEEDED',
  'FAILED',
  'TIMED_OUT',
  'ABORTED',
  'PENDING_REDRIVE',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

export interface Execution {
  readonly name: string;
  readonly status: ExecutionStatus;
  /** ISO-8601 instants. */
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  readonly redriveCount: number;
}

export interface ExecutionDetail extends Execution {
  /** JSON text as Step Functions keeps it. */
  readonly input: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly redriveStatus: 'REDRIVABLE' | 'NOT_REDRIVABLE' | 'REDRIVABLE_BY_MAP_RUN' | null;
  readonly redriveStatusReason: string | null;
}

/** A Step Functions history event: `details` is its one `…EventDetails` object. */
export interface HistoryEvent {
  readonly id: number;
  readonly type: string;
  readonly timestamp: string;
  readonly previousEventId: number | null;
  readonly details: Record<string, unknown>;
}

export interface MapRunProgress {
  readonly mapRunArn: string;
  readonly status: string;
  readonly startedAt: string;
  readonly stoppedAt: string | null;
  /** Items (children) by outcome, as DescribeMapRun counts them. */
  readonly total: number;
  readonly pending: number;
  readonly running: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly timedOut: number;
  readonly aborted: number;
}

/** A refusal by Step Functions or SQS that the caller can act on (a 409 with its reason). */
export interface Refusal {
  readonly refused: string;
}

export interface WorkflowRuns {
  listExecutions(
    stateMachineArn: string,
    options: { status?: ExecutionStatus; token: string | null; max: number },
  ): Promise<{ items: Execution[]; next: string | null }>;
  /** null when there is no such execution. */
  describeExecution(executionArn: string): Promise<ExecutionDetail | null>;
  /** The definition (ASL JSON text) the execution runs (DescribeStateMachineForExecution). */
  definition(executionArn: string): Promise<string>;
  history(
    executionArn: string,
    options: { token: string | null; max: number; reverse?: boolean },
  ): Promise<{ events: HistoryEvent[]; next: string | null }>;
  stop(executionArn: string, cause: string | undefined): Promise<Refusal | null>;
  redrive(executionArn: string): Promise<Refusal | null>;
  mapRuns(executionArn: string): Promise<MapRunProgress[]>;
}

/** A message of a dead-letter queue as received (its receipt handle is valid until released). */
export interface QueueMessage {
  readonly id: string;
  readonly receipt: string;
  readonly body: string;
  readonly sentAt: string | null;
  readonly receiveCount: number;
  /** Message attributes with string values (EventBridge's RULE_ARN, TARGET_ARN, ERROR_CODE, …). */
  readonly attributes: Readonly<Record<string, string>>;
}

export interface DeadLetterQueues {
  depth(url: string): Promise<{ visible: number; inFlight: number }>;
  /** Receives up to `max` messages and hides them for `hideSeconds` (release them to show them again). */
  receive(url: string, max: number, hideSeconds: number): Promise<QueueMessage[]>;
  release(url: string, messages: readonly QueueMessage[]): Promise<void>;
  delete(url: string, message: QueueMessage): Promise<void>;
  /** StartMessageMoveTask back to the messages' source queues. */
  startMove(queueArn: string): Promise<{ taskHandle: string } | Refusal>;
  /** An asynchronous invocation (InvocationType Event) of a function with a JSON payload. */
  invokeAsync(functionName: string, payload: string): Promise<Refusal | null>;
}
