import type { SQSEvent, SQSMessageAttributes, SQSRecord } from 'aws-lambda';
import type { Clock, TimerHandle } from '../engine/clock.ts';
import { md5OfAttributes } from './md5.ts';
import type { Delivery, Queue } from './queue.ts';

/** An `AWS::Lambda::EventSourceMapping` whose source is a queue. */
export interface EventSourceMappingSpec {
  readonly uuid: string;
  readonly queueArn: string;
  readonly functionArn: string;
  /** Default 10. */
  readonly batchSize?: number;
  /** Default 0: invoke as soon as messages are there. */
  readonly maximumBatchingWindowSeconds?: number;
  /** `FunctionResponseTypes: ['ReportBatchItemFailures']` */
  readonly reportBatchItemFailures?: boolean;
  /** Default true. */
  readonly enabled?: boolean;
  /** `ScalingConfig.MaximumConcurrency`; default 5 concurrent batches (Lambda's initial poller count). */
  readonly maximumConcurrency?: number;
}

/** What an invocation returns (the shape of `LocalFunction.invoke`'s result). */
export type InvokeOutcome =
  | { readonly ok: true; readonly result: unknown }
  | { readonly ok: false; readonly error: { readonly errorType: string; readonly errorMessage: string } };

export type InvokeFunction = (functionArn: string, event: SQSEvent) => Promise<InvokeOutcome>;

export interface MappingHost {
  readonly clock: Clock;
  readonly region: string;
  readonly account: string;
  invoke: InvokeFunction;
  commit(): Promise<void>;
  track(work: Promise<unknown>): void;
  log(line: string): void;
}

export const DEFAULT_CONCURRENCY = 5;

const shortName = (arn: string) => arn.split(':').pop() ?? arn;

/** The Lambda SQS event record for a received message. */
export const lambdaRecord = (
  delivery: Delivery,
  queue: Queue,
  region: string,
  senderId: string,
): SQSRecord => {
  const msg = delivery.msg;
  const attributes: SQSRecord['attributes'] = {
    ApproximateReceiveCount: String(delivery.receiveCount),
    SentTimestamp: String(msg.sent),
    SenderId: senderId,
    ApproximateFirstReceiveTimestamp: String(delivery.firstReceive),
    ...(msg.seq !== undefined ? { SequenceNumber: msg.seq } : {}),
    ...(msg.group !== undefined ? { MessageGroupId: msg.group } : {}),
    ...(msg.dedupId !== undefined ? { MessageDeduplicationId: msg.dedupId } : {}),
    ...(msg.traceHeader !== undefined ? { AWSTraceHeader: msg.traceHeader } : {}),
    ...(msg.source !== undefined ? { DeadLetterQueueSourceArn: msg.source } : {}),
  };
  const messageAttributes: SQSMessageAttributes = {};
  for (const [name, a] of Object.entries(msg.attributes ?? {})) {
    messageAttributes[name] = {
      ...(a.StringValue !== undefined ? { stringValue: a.StringValue } : {}),
      ...(a.BinaryValue !== undefined ? { binaryValue: a.BinaryValue } : {}),
      stringListValues: [],
      binaryListValues: [],
      dataType: a.DataType,
    };
  }
  return {
    messageId: msg.id,
    receiptHandle: delivery.handle,
    body: msg.body,
    attributes,
    messageAttributes,
    md5OfBody: msg.md5,
    ...(msg.attributes ? { md5OfMessageAttributes: md5OfAttributes(msg.attributes) } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: queue.arn,
    awsRegion: region,
  };
};

/**
 * Which messages of a batch failed, from a function's `{batchItemFailures}` response. Lambda's rules:
 * no response, no list or an empty list is a full success; a malformed list or an identifier that is
 * empty or not a message of the batch fails the whole batch.
 */
export const failedItems = (result: unknown, batch: readonly string[]): Set<string> | 'all' => {
  if (result === null || typeof result !== 'object' || !('batchItemFailures' in result)) return new Set();
  const list = (result as { batchItemFailures: unknown }).batchItemFailures;
  if (list === null || list === undefined) return new Set();
  if (!Array.isArray(list)) return 'all';
  const ids = new Set(batch);
  const failed = new Set<string>();
  for (const item of list) {
    const id =
      item && typeof item === 'object' ? (item as { itemIdentifier?: unknown }).itemIdentifier : undefined;
    if (typeof id !== 'string' || !ids.has(id)) return 'all';
    failed.add(id);
  }
  return failed;
};

/**
 * Polls one queue for one function the way Lambda's SQS poller does: woken by the queue (a send, a
 * visibility timeout or delay running out) and by its batching-window timer, never by a busy loop;
 * takes up to `batchSize` messages with the queue's visibility timeout, invokes, deletes what
 * succeeded. A failed batch is left alone, so its messages come back after the visibility timeout
 * and the queue's redrive policy eventually moves them to the dead-letter queue.
 */
export class EventSourceMapping {
  readonly batchSize: number;
  readonly windowMs: number;
  readonly concurrency: number;
  #enabled: boolean;
  #running = 0;
  #scheduled = false;
  #window: TimerHandle | undefined;
  #windowDone = false;
  /** after a failure on a queue with a visibility timeout of 0: no retry before this time */
  #pausedUntil = 0;
  #pause: TimerHandle | undefined;
  #closed = false;
  readonly #unsubscribe: () => void;

  constructor(
    readonly spec: EventSourceMappingSpec,
    readonly queue: Queue,
    private readonly host: MappingHost,
  ) {
    this.batchSize = spec.batchSize ?? 10;
    this.windowMs = (spec.maximumBatchingWindowSeconds ?? 0) * 1000;
    this.concurrency = spec.maximumConcurrency ?? DEFAULT_CONCURRENCY;
    this.#enabled = spec.enabled ?? true;
    this.#unsubscribe = queue.onAvailable(() => this.kick());
  }

  get enabled(): boolean {
    return this.#enabled;
  }

  /** Invocations in flight. */
  get running(): number {
    return this.#running;
  }

  setEnabled(enabled: boolean): void {
    this.#enabled = enabled;
    if (enabled) this.kick();
    else this.#cancelWindow();
  }

  /** Schedules a poll (coalesced). */
  kick(): void {
    if (!this.#enabled || this.#closed || this.#scheduled) return;
    this.#scheduled = true;
    this.host.track(Promise.resolve().then(() => this.#pump()));
  }

  #pump(): void {
    this.#scheduled = false;
    while (this.#enabled && !this.#closed && this.#running < this.concurrency) {
      if (this.#pausedUntil > this.host.clock.now()) {
        this.#pause ??= this.host.clock.at(this.#pausedUntil, () => {
          this.#pause = undefined;
          this.kick();
        });
        return;
      }
      const available = this.queue.available(this.batchSize);
      if (available === 0) {
        this.#windowDone = false;
        return;
      }
      if (this.windowMs > 0 && available < this.batchSize && !this.#windowDone) {
        this.#armWindow();
        return;
      }
      this.#windowDone = false;
      this.#cancelWindow();
      const batch = this.queue.receive(this.batchSize, this.queue.visibilityTimeout);
      if (batch.length === 0) {
        // everything we saw had expired or was moved to the dead-letter queue
        this.host.track(this.host.commit());
        continue;
      }
      this.#running++;
      this.host.track(
        this.#invoke(batch).finally(() => {
          this.#running--;
          this.kick();
        }),
      );
      // with no visibility timeout the batch is still visible: don't hand it to a second invocation
      if (this.queue.visibilityTimeout === 0) return;
    }
  }

  #armWindow(): void {
    if (this.#window) return;
    this.#window = this.host.clock.at(this.host.clock.now() + this.windowMs, () => {
      this.#window = undefined;
      this.#windowDone = true;
      this.kick();
    });
  }

  #cancelWindow(): void {
    this.#window?.cancel();
    this.#window = undefined;
  }

  /** A failed batch on a queue whose messages come straight back would be retried in a hot loop. */
  #failed(): void {
    if (this.queue.visibilityTimeout === 0) this.#pausedUntil = this.host.clock.now() + 1000;
  }

  async #invoke(batch: Delivery[]): Promise<void> {
    // write-ahead: the receive (receive count, invisibility) is durable before the function runs
    await this.host.commit();
    const queue = this.queue;
    const Records = batch.map((m) => lambdaRecord(m, queue, this.host.region, this.host.account));
    const fn = shortName(this.spec.functionArn);
    const what = `[sqs] ${queue.name} -> ${fn}: ${batch.length} message(s)`;
    let outcome: InvokeOutcome;
    try {
      outcome = await this.host.invoke(this.spec.functionArn, { Records });
    } catch (error) {
      const e = error as Error;
      outcome = {
        ok: false,
        error: { errorType: e?.name ?? 'Error', errorMessage: e?.message ?? String(error) },
      };
    }
    if (!outcome.ok) {
      this.host.log(
        `${what} failed (${outcome.error.errorType}: ${outcome.error.errorMessage}); retried after the visibility timeout`,
      );
      this.#failed();
      return;
    }
    let failed: Set<string> | 'all' = new Set();
    if (this.spec.reportBatchItemFailures) {
      failed = failedItems(
        outcome.result,
        Records.map((r) => r.messageId),
      );
    }
    if (failed === 'all') {
      this.host.log(
        `${what} failed (invalid batchItemFailures response); retried after the visibility timeout`,
      );
      this.#failed();
      return;
    }
    for (const record of Records) {
      if (failed.has(record.messageId)) continue;
      try {
        queue.deleteByHandle(record.receiptHandle);
      } catch {
        // the queue was closed or the handle is foreign: nothing to delete
      }
    }
    await this.host.commit();
    if (failed.size > 0) this.#failed();
    this.host.log(failed.size > 0 ? `${what}, ${failed.size} reported as failed` : `${what} ok`);
  }

  close(): void {
    this.#closed = true;
    this.#cancelWindow();
    this.#pause?.cancel();
    this.#pause = undefined;
    this.#unsubscribe();
  }
}
