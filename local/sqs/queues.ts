import { join } from 'node:path';
import type { Clock } from '../engine/clock.ts';
import { Journal } from '../runtime/journal.ts';
import { internal, queueDoesNotExist } from './errors.ts';
import { EventSourceMapping, type EventSourceMappingSpec, type InvokeFunction } from './esm.ts';
import {
  handleRequest,
  OPERATIONS,
  type ReceivedMessage,
  type SqsCore,
  type SqsResponse,
  validateSendEntry,
} from './protocol.ts';
import {
  fromRecord,
  type MessageView,
  Queue,
  type QueueHost,
  type QueueSpec,
  type QueueStats,
  type SendOutcome,
  type SqsRecord,
  toRecord,
} from './queue.ts';

export { SqsError } from './errors.ts';
export type { EventSourceMappingSpec, InvokeFunction, InvokeOutcome } from './esm.ts';
export type { MessageAttributes, MessageAttributeValue } from './md5.ts';
export { md5OfAttributes, md5OfBody } from './md5.ts';
export type { ReceivedMessage, SqsResponse } from './protocol.ts';
export type { MessageView, QueueSpec, QueueStats, SendOutcome } from './queue.ts';

export interface SqsOptions {
  /** Directory of the journal (`sqs.journal`); created if missing. */
  readonly dir: string;
  readonly clock: Clock;
  readonly region: string;
  readonly account: string;
  readonly queues: readonly QueueSpec[];
  readonly mappings: readonly EventSourceMappingSpec[];
  /** Invokes a function (the runtime passes `LocalFunction.invoke`; its result shape fits). */
  readonly invoke: InvokeFunction;
  /** One short line per event-source-mapping invocation and per redrive. */
  readonly log?: (line: string) => void;
  /** fdatasync each group commit (default true); false survives a process kill, not a power cut. */
  readonly fsync?: boolean;
  /** Compact the journal once this many records were appended since the last compaction (default 10000). */
  readonly compactAfter?: number;
}

/** Options of `sendMessage`; `BinaryValue`s may be bytes or base64. */
export interface SendOptions {
  readonly delaySeconds?: number;
  readonly messageAttributes?: Readonly<
    Record<string, { DataType: string; StringValue?: string; BinaryValue?: string | Uint8Array }>
  >;
  readonly messageGroupId?: string;
  readonly messageDeduplicationId?: string;
}

export interface ReceiveOptions {
  /** 1..10, default 1 */
  readonly maxNumberOfMessages?: number;
  /** seconds, default the queue's */
  readonly visibilityTimeout?: number;
  /** long polling on the clock, 0..20 seconds, default the queue's */
  readonly waitTimeSeconds?: number;
}

export interface MappingState {
  readonly uuid: string;
  readonly queueArn: string;
  readonly functionArn: string;
  readonly enabled: boolean;
  /** invocations in flight */
  readonly running: number;
}

export interface LocalSqs {
  /** Sends a message (durable when this resolves). `queue` is an ARN, URL or name. Throws SqsError. */
  sendMessage(queue: string, body: string, options?: SendOptions): Promise<SendOutcome>;
  /** Receives with every system and message attribute. Throws SqsError. */
  receiveMessage(queue: string, options?: ReceiveOptions): Promise<ReceivedMessage[]>;
  deleteMessage(queue: string, receiptHandle: string): Promise<void>;
  changeMessageVisibility(queue: string, receiptHandle: string, visibilityTimeout: number): Promise<void>;
  purgeQueue(queue: string): Promise<void>;
  /**
   * One awsJson1_0 request: `target` is the `X-Amz-Target` header (`AmazonSQS.<Operation>`) or just
   * `<Operation>`, `body` the JSON body (object, string or bytes). Never throws; errors are 400/500
   * answers with the `x-amzn-query-error` header.
   */
  handle(target: string, body: unknown): Promise<SqsResponse>;
  /** The queue's messages (no side effects), for tests and tools. */
  peek(queue: string): MessageView[];
  stats(queue: string): QueueStats;
  stats(): QueueStats[];
  mappings(): MappingState[];
  /** Enables or disables an event source mapping (a disabled mapping does not poll). */
  setMappingEnabled(uuid: string, enabled: boolean): void;
  /** Start-up summary, one line per queue and mapping. */
  summary(): string[];
  /** Resolves once no background work (mapping polls and invocations, compaction) is running. */
  idle(): Promise<void>;
  /** Stops polling, waits for invocations in flight, answers pending long polls, closes the journal. */
  close(): Promise<void>;
}

const JOURNAL = 'sqs.journal';
const DEDUP_WINDOW_MS = 5 * 60_000;

const range = (what: string, field: string, v: number | undefined, min: number, max: number) => {
  if (v !== undefined && (!Number.isInteger(v) || v < min || v > max)) {
    throw new Error(`${what}: ${field} must be an integer between ${min} and ${max} (got ${v})`);
  }
};

/** Rejects an inconsistent configuration with a message naming the queue or mapping. */
const validateConfig = (queues: readonly QueueSpec[], mappings: readonly EventSourceMappingSpec[]) => {
  const byArn = new Map<string, QueueSpec>();
  const names = new Set<string>();
  for (const q of queues) {
    const what = `SQS queue ${JSON.stringify(q.name)}`;
    if (!q.name || !q.arn || !q.url) throw new Error(`${what}: name, arn and url are required`);
    if (byArn.has(q.arn) || names.has(q.name)) throw new Error(`${what}: declared twice`);
    byArn.set(q.arn, q);
    names.add(q.name);
    const fifo = q.fifo ?? q.name.endsWith('.fifo');
    if (fifo !== q.name.endsWith('.fifo')) {
      throw new Error(`${what}: a FIFO queue's name must end in .fifo (and only a FIFO queue's)`);
    }
    if (!fifo && q.contentBasedDeduplication)
      throw new Error(`${what}: contentBasedDeduplication needs a FIFO queue`);
    range(what, 'visibilityTimeoutSeconds', q.visibilityTimeoutSeconds, 0, 43_200);
    range(what, 'messageRetentionSeconds', q.messageRetentionSeconds, 60, 1_209_600);
    range(what, 'delaySeconds', q.delaySeconds, 0, 900);
    range(what, 'receiveMessageWaitTimeSeconds', q.receiveMessageWaitTimeSeconds, 0, 20);
    range(what, 'maximumMessageSize', q.maximumMessageSize, 1024, 1_048_576);
  }
  for (const q of queues) {
    const policy = q.redrivePolicy;
    if (!policy) continue;
    const what = `SQS queue ${JSON.stringify(q.name)}`;
    const dlq = byArn.get(policy.deadLetterTargetArn);
    if (!dlq)
      throw new Error(
        `${what}: redrivePolicy.deadLetterTargetArn ${policy.deadLetterTargetArn} is not a queue of this app`,
      );
    if (dlq === q) throw new Error(`${what}: a queue cannot be its own dead-letter queue`);
    if ((dlq.fifo ?? dlq.name.endsWith('.fifo')) !== (q.fifo ?? q.name.endsWith('.fifo'))) {
      throw new Error(
        `${what}: the dead-letter queue ${dlq.name} must be of the same type (standard or FIFO)`,
      );
    }
    range(what, 'redrivePolicy.maxReceiveCount', policy.maxReceiveCount, 1, 1000);
  }
  const uuids = new Set<string>();
  for (const m of mappings) {
    const what = `event source mapping ${m.uuid}`;
    if (uuids.has(m.uuid)) throw new Error(`${what}: declared twice`);
    uuids.add(m.uuid);
    const q = byArn.get(m.queueArn);
    if (!q) throw new Error(`${what}: queue ${m.queueArn} is not a queue of this app`);
    const fifo = q.fifo ?? q.name.endsWith('.fifo');
    range(what, 'batchSize', m.batchSize, 1, fifo ? 10 : 10_000);
    range(what, 'maximumBatchingWindowSeconds', m.maximumBatchingWindowSeconds, 0, 300);
    range(what, 'maximumConcurrency', m.maximumConcurrency, 2, 1000);
    if ((m.batchSize ?? 10) > 10 && (m.maximumBatchingWindowSeconds ?? 0) < 1) {
      throw new Error(`${what}: a batchSize above 10 needs maximumBatchingWindowSeconds of at least 1`);
    }
  }
};

type MessageRecord = Extract<SqsRecord, { t: 'm' }>;

/**
 * Local SQS: the app's queues, durable in a JSON-lines journal under `dir`, behind the SQS JSON
 * protocol, with Lambda event source mappings polling them. All time is the given clock's.
 */
export async function createSqs(opts: SqsOptions): Promise<LocalSqs> {
  validateConfig(opts.queues, opts.mappings);
  const { journal, records } = await Journal.open<SqsRecord>(join(opts.dir, JOURNAL), {
    fsync: opts.fsync ?? true,
  });
  const sqs = new SqsImpl(opts, journal);
  sqs.recover(records);
  return sqs;
}

class SqsImpl implements LocalSqs, SqsCore {
  readonly clock: Clock;
  readonly account: string;
  readonly region: string;
  readonly queues: Queue[] = [];
  readonly #byArn = new Map<string, Queue>();
  readonly #byUrl = new Map<string, Queue>();
  readonly #byName = new Map<string, Queue>();
  readonly #mappings = new Map<string, EventSourceMapping>();
  readonly #tracked = new Set<Promise<unknown>>();
  /** API calls in progress (close waits for them, the settle hook does not: long polls wait on the clock) */
  readonly #calls = new Set<Promise<unknown>>();
  /** journal records of queues that are no longer in the app, kept through compactions */
  readonly #orphans = new Map<string, MessageRecord>();
  readonly #log: (line: string) => void;
  readonly #compactAfter: number;
  #compacting = false;
  #closed = false;
  #journalClosed = false;
  readonly #unsettle: (() => void) | undefined;

  constructor(
    readonly opts: SqsOptions,
    private readonly journal: Journal<SqsRecord>,
  ) {
    this.clock = opts.clock;
    this.account = opts.account;
    this.region = opts.region;
    this.#log = opts.log ?? (() => {});
    this.#compactAfter = opts.compactAfter ?? 10_000;
    const host: QueueHost = {
      clock: this.clock,
      append: (record) => this.journal.append(record),
      track: (work) => this.#track(work),
      log: (line) => this.#log(line),
    };
    for (const spec of opts.queues) {
      const queue = new Queue(spec, host);
      this.queues.push(queue);
      this.#byArn.set(queue.arn, queue);
      this.#byUrl.set(queue.url, queue);
      this.#byName.set(queue.name, queue);
    }
    for (const queue of this.queues) {
      const dlq = queue.spec.redrivePolicy?.deadLetterTargetArn;
      if (dlq) queue.deadLetter = this.#byArn.get(dlq);
    }
    for (const spec of opts.mappings) {
      const mapping = new EventSourceMapping(spec, this.#byArn.get(spec.queueArn)!, {
        clock: this.clock,
        region: this.region,
        account: this.account,
        invoke: opts.invoke,
        commit: () => this.commit(),
        track: (work) => this.#track(work),
        log: (line) => this.#log(line),
      });
      this.#mappings.set(spec.uuid, mapping);
    }
    this.#unsettle = this.clock.onSettle?.(() => this.idle());
  }

  // ------------------------------------------------------------------ recovery

  /** Folds the journal into the queues, then starts timers and mappings. */
  recover(records: SqsRecord[]): void {
    const messages = new Map<string, MessageRecord>();
    const dedup = new Map<string, Map<string, { id: string; seq: string | undefined; expires: number }>>();
    const dedupOf = (q: string) => {
      let m = dedup.get(q);
      if (!m) {
        m = new Map();
        dedup.set(q, m);
      }
      return m;
    };
    for (const r of records) {
      switch (r.t) {
        case 'm':
          messages.set(r.id, { ...r });
          if (r.d !== undefined && r.src === undefined) {
            dedupOf(r.q).set(r.d, { id: r.id, seq: r.n, expires: r.s + DEDUP_WINDOW_MS });
          }
          break;
        case 's': {
          const m = messages.get(r.id);
          if (m) {
            m.rc = r.rc;
            m.v = r.v;
            if (r.f !== undefined) m.f = r.f;
            if (r.h !== undefined) m.h = r.h;
            else delete m.h;
          }
          break;
        }
        case 'd':
          for (const id of r.ids) messages.delete(id);
          break;
        case 'dd':
          dedupOf(r.q).set(r.k, { id: r.id, seq: r.n, expires: r.x });
          break;
        case 'seq':
          this.#byArn.get(r.q)?.seenSeq(r.n);
          break;
      }
    }
    const now = this.clock.now();
    for (const [arn, entries] of dedup) {
      const queue = this.#byArn.get(arn);
      if (!queue) continue;
      for (const [key, d] of [...entries].sort((a, b) => a[1].expires - b[1].expires)) {
        if (d.expires > now) queue.dedup.set(key, d);
        queue.seenSeq(d.seq);
      }
    }
    const perQueue = new Map<Queue, MessageRecord[]>();
    for (const r of messages.values()) {
      const queue = this.#byArn.get(r.q);
      if (!queue) {
        this.#orphans.set(r.id, r);
        continue;
      }
      let list = perQueue.get(queue);
      if (!list) {
        list = [];
        perQueue.set(queue, list);
      }
      list.push(r);
    }
    for (const [queue, list] of perQueue) {
      if (queue.fifo) list.sort((a, b) => ((a.n ?? '') < (b.n ?? '') ? -1 : 1));
      for (const r of list) {
        queue.seenSeq(r.n);
        queue.insert(fromRecord(r, queue));
      }
    }
    if (this.#orphans.size) {
      const arns = new Set([...this.#orphans.values()].map((r) => r.q));
      this.#log(
        `[sqs] keeping ${this.#orphans.size} journaled message(s) of queue(s) no longer in the app: ${[...arns].join(', ')}`,
      );
    }
    for (const queue of this.queues) queue.start();
    for (const mapping of this.#mappings.values()) mapping.kick();
  }

  // ------------------------------------------------------------------ core

  queue(ref: string): Queue {
    const direct = this.#byArn.get(ref) ?? this.#byUrl.get(ref) ?? this.#byName.get(ref);
    if (direct) return direct;
    if (typeof ref === 'string' && ref.includes('/')) {
      const path = ref.split(/[?#]/)[0]!;
      const last = path.split('/').filter(Boolean).pop();
      const byName = last === undefined ? undefined : this.#byName.get(last);
      if (byName) return byName;
    }
    throw queueDoesNotExist(ref);
  }

  async commit(): Promise<void> {
    if (this.#journalClosed) throw internal('local SQS is closed');
    await this.journal.commit();
    this.#maybeCompact();
  }

  #track(work: Promise<unknown>): void {
    this.#tracked.add(work);
    work.then(
      () => this.#tracked.delete(work),
      (error) => {
        this.#tracked.delete(work);
        this.#log(`[sqs] internal error: ${(error as Error)?.stack ?? String(error)}`);
      },
    );
  }

  #liveCount(): number {
    let n = this.#orphans.size;
    for (const q of this.queues) n += q.messages.size + q.dedup.size;
    return n;
  }

  #maybeCompact(): void {
    if (this.#compacting || this.#closed) return;
    const appended = this.journal.appended;
    if (appended < this.#compactAfter || appended < 2 * this.#liveCount()) return;
    this.#compacting = true;
    this.#track(
      this.journal
        // the generator runs inside rewrite(), after its commit: it sees every mutation made until then
        .rewrite(this.#liveRecords())
        .finally(() => {
          this.#compacting = false;
        }),
    );
  }

  *#liveRecords(): Generator<SqsRecord> {
    const now = this.clock.now();
    for (const queue of this.queues) {
      if (queue.fifo) yield { t: 'seq', q: queue.arn, n: queue.lastSeq };
      for (const [k, d] of queue.dedup) {
        if (d.expires > now)
          yield { t: 'dd', q: queue.arn, k, id: d.id, x: d.expires, ...(d.seq ? { n: d.seq } : {}) };
      }
      for (const msg of queue.messages.values()) yield toRecord(msg);
    }
    yield* this.#orphans.values();
  }

  /** Runs an API call, refusing it after close and letting close wait for it. */
  async #call<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#closed) throw internal('local SQS is closed');
    const p = fn();
    this.#calls.add(p);
    try {
      return await p;
    } finally {
      this.#calls.delete(p);
    }
  }

  // ------------------------------------------------------------------ API

  sendMessage(queue: string, body: string, options: SendOptions = {}): Promise<SendOutcome> {
    return this.#call(async () => {
      const q = this.queue(queue);
      const result = q.send(
        validateSendEntry(
          {
            MessageBody: body,
            DelaySeconds: options.delaySeconds,
            MessageAttributes: options.messageAttributes,
            MessageGroupId: options.messageGroupId,
            MessageDeduplicationId: options.messageDeduplicationId,
          },
          q,
        ),
      );
      await this.commit();
      return result;
    });
  }

  receiveMessage(queue: string, options: ReceiveOptions = {}): Promise<ReceivedMessage[]> {
    return this.#call(async () => {
      const out = (await OPERATIONS.ReceiveMessage!(this, {
        QueueUrl: this.queue(queue).url,
        MaxNumberOfMessages: options.maxNumberOfMessages,
        VisibilityTimeout: options.visibilityTimeout,
        WaitTimeSeconds: options.waitTimeSeconds,
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      })) as { Messages?: ReceivedMessage[] };
      return out.Messages ?? [];
    });
  }

  deleteMessage(queue: string, receiptHandle: string): Promise<void> {
    return this.#call(async () => {
      await OPERATIONS.DeleteMessage!(this, {
        QueueUrl: this.queue(queue).url,
        ReceiptHandle: receiptHandle,
      });
    });
  }

  changeMessageVisibility(queue: string, receiptHandle: string, visibilityTimeout: number): Promise<void> {
    return this.#call(async () => {
      await OPERATIONS.ChangeMessageVisibility!(this, {
        QueueUrl: this.queue(queue).url,
        ReceiptHandle: receiptHandle,
        VisibilityTimeout: visibilityTimeout,
      });
    });
  }

  purgeQueue(queue: string): Promise<void> {
    return this.#call(async () => {
      await OPERATIONS.PurgeQueue!(this, { QueueUrl: this.queue(queue).url });
    });
  }

  async handle(target: string, body: unknown): Promise<SqsResponse> {
    if (this.#closed) return internal('local SQS is closed').toResponse();
    const p = handleRequest(this, target, body, (error) =>
      this.#log(`[sqs] internal error in ${target}: ${(error as Error)?.stack ?? String(error)}`),
    );
    this.#calls.add(p);
    try {
      return await p;
    } finally {
      this.#calls.delete(p);
    }
  }

  peek(queue: string): MessageView[] {
    return this.queue(queue).peek();
  }

  stats(queue: string): QueueStats;
  stats(): QueueStats[];
  stats(queue?: string): QueueStats | QueueStats[] {
    return queue === undefined ? this.queues.map((q) => q.stats()) : this.queue(queue).stats();
  }

  mappings(): MappingState[] {
    return [...this.#mappings.values()].map((m) => ({
      uuid: m.spec.uuid,
      queueArn: m.spec.queueArn,
      functionArn: m.spec.functionArn,
      enabled: m.enabled,
      running: m.running,
    }));
  }

  setMappingEnabled(uuid: string, enabled: boolean): void {
    const mapping = this.#mappings.get(uuid);
    if (!mapping) throw new Error(`no event source mapping ${uuid}`);
    mapping.setEnabled(enabled);
  }

  summary(): string[] {
    const lines = this.queues.map((q) => {
      const s = q.stats();
      const policy = q.spec.redrivePolicy;
      const dlq = policy
        ? `, dead letters to ${q.deadLetter?.name} after ${policy.maxReceiveCount} receives`
        : '';
      return `sqs ${q.name}${q.fifo ? ' (FIFO)' : ''}: ${s.visible} visible, ${s.inFlight} in flight, ${s.delayed} delayed${dlq}`;
    });
    for (const m of this.#mappings.values()) {
      const fn = m.spec.functionArn.split(':').pop();
      const window = m.windowMs ? `, window ${m.windowMs / 1000}s` : '';
      const state = m.enabled ? '' : ' (disabled)';
      lines.push(
        `sqs ${m.queue.name} -> lambda ${fn}: batch ${m.batchSize}${window}, concurrency ${m.concurrency}${state}`,
      );
    }
    return lines;
  }

  async idle(): Promise<void> {
    while (this.#tracked.size > 0) await Promise.allSettled([...this.#tracked]);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const mapping of this.#mappings.values()) mapping.close();
    await this.idle();
    for (const queue of this.queues) queue.close();
    while (this.#calls.size > 0) await Promise.allSettled([...this.#calls]);
    await this.idle();
    this.#unsettle?.();
    this.#journalClosed = true;
    await this.journal.close();
  }
}
