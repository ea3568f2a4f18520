import type { ExecutionStatus, HistoryEvent, Json } from './types.ts';

export interface StateMachineRecord {
  arn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD' | 'EXPRESS';
  creationDate: number;
  updateDate?: number;
  revisionId: string;
  description?: string;
}

/** A Distributed Map's Map Run, recorded on its execution (journaled when it starts and ends). */
export interface MapRunMeta {
  arn: string;
  label: string;
  /** the Map state */
  state: string;
  start: number;
  stop?: number;
  status: 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'ABORTED';
  /** child executions (one item each, or one batch each with an ItemBatcher) */
  total: number;
  /** with an ItemBatcher: the number of items in each child execution's batch */
  sizes?: number[];
  /** MaxConcurrency as resolved (0: no limit) */
  max: number;
  /** ToleratedFailureCount / ToleratedFailurePercentage as resolved */
  count?: number;
  pct?: number;
  /** once the run is over: each item's outcome, one letter (P pending, S, F, A aborted) */
  items?: string;
  /** redriven with its execution: how often, and when last */
  redriveCount?: number;
  redriveDate?: number;
}

export interface ExecMeta {
  arn: string;
  name: string;
  smArn: string;
  smName: string;
  definition: string;
  input: string;
  status: ExecutionStatus;
  type: 'STANDARD' | 'EXPRESS';
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  /** Set when started by a parent's `states:startExecution` task: notify it on close. */
  parent?: { exec: string; frame: string; seq: number; sync: 0 | 1 | 2 };
  /** Express sync executions are never journaled. */
  ephemeral?: boolean;
  /** the mock configuration's test case this execution runs (`<stateMachineArn>#<test case>`) */
  testCase?: string;
  /** invocations so far per mocked Task state (picks the mocked response entry) */
  mockCalls?: Record<string, number>;
  /** the Map Runs of its Distributed Maps (records replaced, never changed in place) */
  mapRuns?: MapRunMeta[];
}

/** What a frame is doing in its current state. */
export type Phase =
  /** about to enter `state` (emit StateEntered) */
  | { k: 'enter' }
  /** about to (re)run the state's action after a retry back-off (no StateEntered) */
  | { k: 'run' }
  | { k: 'wait'; due: number; out: Json; assign?: Record<string, Json> }
  | { k: 'retry'; due: number }
  | {
      k: 'task';
      /** event id of TaskScheduled: also the idempotency key */
      seq: number;
      resource: string;
      params: Json;
      token?: string;
      /** callback pattern: the handler returned, now waiting for SendTask* */
      submitted?: boolean;
      timeoutAt?: number;
      heartbeatSeconds?: number;
      heartbeatAt?: number;
      /** `states:startExecution.sync`: the child execution */
      child?: string;
      /** a mocked task (test case): the invocation number that picks its mocked response */
      mock?: number;
    }
  | {
      k: 'branches';
      /** event id when the Parallel/Map started: child frame ids derive from it */
      seq: number;
      kind: 'Parallel' | 'Map';
      total: number;
      done: number;
      failed: number;
      results: (Json | null)[];
      /** Map: items and the next one to start (MaxConcurrency) */
      items?: Json[];
      next?: number;
      running?: number;
      /** effective input (after InputPath/Parameters) */
      input: Json;
      /** when a child failed and the state did not handle it: the failure that closed this frame */
      failure?: { error?: string; cause?: string };
      /** Distributed Map: the Map Run (its items run as child executions, outside this history) */
      mapRun?: string;
      /** Map: failed items absorbed before the state fails (resolved when it started) */
      tolerated?: number;
      /** Map: MaxConcurrency as resolved when it started (0: no limit) */
      max?: number;
      /** Map Run: the items whose child executions failed */
      failedItems?: number[];
      /** Map Run redriven: failed items to run again before the next new one */
      redo?: number[];
    }
  /** closed by a failure/abort: kept for redrive */
  | { k: 'parked'; error?: string; cause?: string };

export interface Frame {
  id: string;
  parent?: string;
  /** branch index (Parallel) or item index (Map) in the parent */
  slot?: number;
  /** path inside the definition to the object holding StartAt/States */
  path: (string | number)[];
  state: string;
  /** raw input of the current state */
  input: Json;
  vars: Record<string, Json>;
  phase: Phase;
  /** attempts per retrier index for the current state */
  retries: number[];
  retryCount: number;
  enteredAt: number;
  /** Map iteration item (for $$.Map.Item) */
  item?: { index: number; value: Json };
  /** id of the current state's StateEntered event (named in the causes of its failures) */
  entered?: number;
  /**
   * The `previousEventId` of this frame's next event: each branch and iteration has its own chain
   * (it starts where its parent's stood when it was opened; the parent continues from the latest of
   * its children's). Absent: 0, as for the first state of an execution.
   */
  src?: number;
  /**
   * Set on the frames of a Distributed Map's items: they run as child executions, so their events
   * are not part of this history. The value counts their task sequence numbers (negative ids).
   */
  hidden?: number;
  /** finished successfully (kept only until the parent consumes it) */
}

export type JournalRecord =
  | { t: 'sm'; sm: StateMachineRecord }
  | { t: 'smdel'; arn: string }
  | { t: 'x'; e: string; m?: ExecMeta; f?: Frame[]; d?: string[]; h?: HistoryEvent[] };

/**
 * A loaded snapshot: its generation and its records, in order. A snapshot is written as the same
 * record shapes as the journal: every state machine (`sm`), then per execution one `x` record with
 * its meta and (a batch of) its frames, followed by `x` records carrying further frame batches and
 * its history in batches (`h`). Replaying them rebuilds the captured state.
 */
export interface Snapshot {
  gen: number;
  records: JournalRecord[];
}

/** Where committed transitions go. */
export interface Store {
  /** true when append+flush survive a process kill */
  readonly durable: boolean;
  /** false when append() keeps nothing: the engine then skips building journal records */
  readonly recording?: boolean;
  /** Load the last snapshot and the journal records after it. */
  open(): Promise<{ snapshot?: Snapshot; records: JournalRecord[] }>;
  /** Queue a record (ordered). Not durable until flush() resolves. */
  append(rec: JournalRecord): void;
  /** Resolve once every record appended so far is durable (group commit). */
  flush(): Promise<void>;
  /** Records appended since the last compaction. */
  readonly sinceCompact: number;
  /**
   * Write a snapshot of the whole state and start a fresh journal. `capture` runs synchronously, at
   * one instant, and returns the snapshot's records as a lazy sequence: the store serializes them one
   * at a time (one line each) while it writes, so no single string holds the whole state, and the
   * engine keeps running meanwhile (so the sequence must not read live mutable state).
   * Rejects if the snapshot could not be written; the previous snapshot and journals stay valid.
   */
  compact(capture: () => Iterable<JournalRecord>): Promise<void>;
  close(): Promise<void>;
}
