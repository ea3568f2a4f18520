import { createHash, randomBytes, randomUUID } from 'node:crypto';
import type { Clock, TimerHandle } from '../engine/clock.ts';
import {
  invalidParameter,
  invalidValue,
  messageNotInflight,
  missingParameter,
  receiptHandleIsInvalid,
} from './errors.ts';
import { MinHeap } from './heap.ts';
import { type MessageAttributes, md5OfAttributes, md5OfBody } from './md5.ts';

/** A queue as the synthesized template describes it (the runtime resolves names, ARNs and URLs). */
export interface QueueSpec {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  /** Defaults to whether the name ends in `.fifo`. */
  readonly fifo?: boolean;
  /** Default 30. */
  readonly visibilityTimeoutSeconds?: number;
  /** Default 345600 (4 days). */
  readonly messageRetentionSeconds?: number;
  /** Default 0. */
  readonly delaySeconds?: number;
  /** Default 0 (short polling). */
  readonly receiveMessageWaitTimeSeconds?: number;
  /** Body plus attributes, bytes. Default 262144 (256 KiB); AWS allows up to 1 MiB. */
  readonly maximumMessageSize?: number;
  /** FIFO only: deduplicate on the SHA-256 of the body when no MessageDeduplicationId is given. */
  readonly contentBasedDeduplication?: boolean;
  readonly redrivePolicy?: { readonly deadLetterTargetArn: string; readonly maxReceiveCount: number };
}

/** One line of the SQS journal. Every record is an idempotent upsert keyed by message id. */
export type SqsRecord =
  /** a message, whole (send, move to a dead-letter queue, compaction) */
  | {
      t: 'm';
      q: string;
      id: string;
      b: string;
      a?: MessageAttributes;
      /** SentTimestamp */
      s: number;
      /** enqueue time, the retention clock */
      e: number;
      /** visible-at */
      v: number;
      rc: number;
      /** ApproximateFirstReceiveTimestamp */
      f?: number;
      /** nonce of the current receipt handle */
      h?: string;
      g?: string;
      d?: string;
      n?: string;
      tr?: string;
      src?: string;
    }
  /** a receive or a visibility change */
  | { t: 's'; id: string; rc: number; v: number; f?: number; h?: string }
  /** deletes (DeleteMessage, purge, expiry) */
  | { t: 'd'; ids: string[] }
  /** a FIFO deduplication entry still within its 5-minute window (compaction only) */
  | { t: 'dd'; q: string; k: string; id: string; x: number; n?: string }
  /** a FIFO queue's last sequence number (compaction only) */
  | { t: 'seq'; q: string; n: string };

export interface QueueHost {
  readonly clock: Clock;
  append(record: SqsRecord): void;
  /** Registers background work the settle hook and close() wait for. */
  track(work: Promise<unknown>): void;
  log(line: string): void;
}

export interface Msg {
  readonly id: string;
  readonly body: string;
  readonly attributes: MessageAttributes | undefined;
  readonly md5: string;
  readonly sent: number;
  enqueued: number;
  visibleAt: number;
  receiveCount: number;
  firstReceive: number | undefined;
  nonce: string | undefined;
  readonly group: string | undefined;
  readonly dedupId: string | undefined;
  seq: string | undefined;
  readonly traceHeader: string | undefined;
  source: string | undefined;
  queue: Queue;
  deleted: boolean;
  /** standard queues: in the ready list */
  ready: boolean;
}

/** A validated SendMessage entry. */
export interface SendEntry {
  readonly body: string;
  readonly delaySeconds?: number;
  readonly attributes?: MessageAttributes;
  readonly groupId?: string;
  readonly dedupId?: string;
  readonly traceHeader?: string;
}

export interface SendOutcome {
  readonly MessageId: string;
  readonly MD5OfMessageBody: string;
  readonly MD5OfMessageAttributes?: string;
  readonly SequenceNumber?: string;
}

/** One message handed out by a receive, frozen at that moment (the handle is this receive's). */
export interface Delivery {
  readonly msg: Msg;
  readonly handle: string;
  readonly receiveCount: number;
  readonly firstReceive: number;
}

export interface MessageView {
  readonly messageId: string;
  readonly body: string;
  readonly state: 'visible' | 'inflight' | 'delayed';
  readonly receiveCount: number;
  readonly sentTimestamp: number;
  readonly visibleAt: number;
  readonly messageAttributes?: MessageAttributes;
  readonly messageGroupId?: string;
  readonly sequenceNumber?: string;
  readonly deadLetterQueueSourceArn?: string;
}

export interface QueueStats {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly fifo: boolean;
  /** ApproximateNumberOfMessages */
  readonly visible: number;
  /** ApproximateNumberOfMessagesNotVisible */
  readonly inFlight: number;
  /** ApproximateNumberOfMessagesDelayed */
  readonly delayed: number;
  readonly deadLetterTargetArn?: string;
}

interface Group {
  readonly msgs: Msg[];
  readonly inflight: Set<Msg>;
}

interface Poller {
  readonly max: number;
  readonly visibilityTimeout: number;
  readonly resolve: (got: Delivery[]) => void;
  timer: TimerHandle | undefined;
}

const DEDUP_WINDOW_MS = 5 * 60_000;
const SEQ_BASE = 10n ** 19n;
const SWEEP_MIN_INTERVAL_MS = 60_000;

export const encodeHandle = (queue: string, id: string, nonce: string): string =>
  Buffer.from(`${queue}\n${id}\n${nonce}`, 'utf8').toString('base64');

export const decodeHandle = (handle: string): { queue: string; id: string; nonce: string } | undefined => {
  if (typeof handle !== 'string' || handle.length === 0 || !/^[A-Za-z0-9+/]+={0,2}$/.test(handle))
    return undefined;
  const parts = Buffer.from(handle, 'base64').toString('utf8').split('\n');
  if (parts.length !== 3 || parts.some((p) => p.length === 0)) return undefined;
  return { queue: parts[0]!, id: parts[1]!, nonce: parts[2]! };
};

/**
 * One queue's messages in memory. Standard queues keep visible messages in a ready list (delivery in
 * order of becoming visible); FIFO queues keep each message group in sequence order and lock a group
 * while any of its messages is in flight. Messages that are delayed or in flight sit in a min-heap
 * keyed by their visible-at time; one clock timer is armed for the earliest, and `promote()` runs
 * before every read, so late timers never make a message late. Every mutation appends a journal
 * record through the host; the caller commits before answering.
 */
export class Queue {
  readonly name: string;
  readonly arn: string;
  readonly url: string;
  readonly fifo: boolean;
  readonly visibilityTimeout: number;
  readonly retentionMs: number;
  readonly delaySeconds: number;
  readonly waitTimeSeconds: number;
  readonly maximumMessageSize: number;
  readonly contentBasedDeduplication: boolean;
  readonly createdAt: number;
  deadLetter: Queue | undefined;

  readonly messages = new Map<string, Msg>();
  readonly dedup = new Map<string, { id: string; seq: string | undefined; expires: number }>();
  lastPurge: number | undefined;
  #seq = 0n;
  readonly #ready = new Map<string, Msg>();
  readonly #groups = new Map<string, Group>();
  readonly #waiting = new MinHeap<Msg>();
  #wake: { due: number; handle: TimerHandle } | undefined;
  #sweep: TimerHandle | undefined;
  #pollers: Poller[] = [];
  readonly #listeners = new Set<() => void>();
  #notifying = false;
  #closed = false;

  constructor(
    readonly spec: QueueSpec,
    private readonly host: QueueHost,
  ) {
    this.name = spec.name;
    this.arn = spec.arn;
    this.url = spec.url;
    this.fifo = spec.fifo ?? spec.name.endsWith('.fifo');
    this.visibilityTimeout = spec.visibilityTimeoutSeconds ?? 30;
    this.retentionMs = (spec.messageRetentionSeconds ?? 345_600) * 1000;
    this.delaySeconds = spec.delaySeconds ?? 0;
    this.waitTimeSeconds = spec.receiveMessageWaitTimeSeconds ?? 0;
    this.maximumMessageSize = spec.maximumMessageSize ?? 262_144;
    this.contentBasedDeduplication = spec.contentBasedDeduplication ?? false;
    this.createdAt = host.clock.now();
  }

  get #now(): number {
    return this.host.clock.now();
  }

  // ------------------------------------------------------------------ sending

  /** Adds a message (or, on FIFO queues, finds its duplicate). Journaled; the caller commits. */
  send(entry: SendEntry): SendOutcome {
    const now = this.#now;
    const md5 = md5OfBody(entry.body);
    const md5Attrs = md5OfAttributes(entry.attributes);
    let dedupId: string | undefined;
    let seq: string | undefined;
    if (this.fifo) {
      if (entry.groupId === undefined) throw missingParameter('MessageGroupId');
      if (entry.delaySeconds !== undefined) {
        throw invalidValue(
          'DelaySeconds',
          entry.delaySeconds,
          'The request include parameter that is not valid for this queue type. (FIFO queues support only a queue-level delay.)',
        );
      }
      dedupId =
        entry.dedupId ??
        (this.contentBasedDeduplication ? createHash('sha256').update(entry.body).digest('hex') : undefined);
      if (dedupId === undefined) {
        throw invalidParameter(
          `The queue should either have ContentBasedDeduplication enabled or MessageDeduplicationId provided explicitly (queue ${this.name}).`,
        );
      }
      this.#expireDedup(now);
      const dup = this.dedup.get(dedupId);
      if (dup) {
        return {
          MessageId: dup.id,
          MD5OfMessageBody: md5,
          ...(md5Attrs ? { MD5OfMessageAttributes: md5Attrs } : {}),
          ...(dup.seq ? { SequenceNumber: dup.seq } : {}),
        };
      }
      seq = this.nextSeq();
    } else if (entry.dedupId !== undefined) {
      throw invalidValue(
        'MessageDeduplicationId',
        entry.dedupId,
        'The request include parameter that is not valid for this queue type.',
      );
    }
    const delay = entry.delaySeconds ?? this.delaySeconds;
    const msg: Msg = {
      id: randomUUID(),
      body: entry.body,
      attributes: entry.attributes && Object.keys(entry.attributes).length ? entry.attributes : undefined,
      md5,
      sent: now,
      enqueued: now,
      visibleAt: now + delay * 1000,
      receiveCount: 0,
      firstReceive: undefined,
      nonce: undefined,
      group: entry.groupId,
      dedupId,
      seq,
      traceHeader: entry.traceHeader,
      source: undefined,
      queue: this,
      deleted: false,
      ready: false,
    };
    if (dedupId !== undefined) this.dedup.set(dedupId, { id: msg.id, seq, expires: now + DEDUP_WINDOW_MS });
    this.host.append(toRecord(msg));
    this.insert(msg);
    return {
      MessageId: msg.id,
      MD5OfMessageBody: md5,
      ...(md5Attrs ? { MD5OfMessageAttributes: md5Attrs } : {}),
      ...(seq ? { SequenceNumber: seq } : {}),
    };
  }

  nextSeq(): string {
    this.#seq++;
    return (SEQ_BASE + this.#seq).toString();
  }

  /** Replay: never hand out a sequence number at or below `seq` again. */
  seenSeq(seq: string | undefined): void {
    if (seq === undefined || !/^\d+$/.test(seq)) return;
    const n = BigInt(seq) - SEQ_BASE;
    if (n > this.#seq) this.#seq = n;
  }

  get lastSeq(): string {
    return (SEQ_BASE + this.#seq).toString();
  }

  #expireDedup(now: number): void {
    for (const [key, d] of this.dedup) {
      if (d.expires > now) break;
      this.dedup.delete(key);
    }
  }

  /** Places a message in the structures that match its visible-at time. */
  insert(msg: Msg): void {
    msg.queue = this;
    this.messages.set(msg.id, msg);
    const now = this.#now;
    if (this.fifo) {
      const key = msg.group ?? '';
      let group = this.#groups.get(key);
      if (!group) {
        group = { msgs: [], inflight: new Set() };
        this.#groups.set(key, group);
      }
      group.msgs.push(msg);
      if (msg.visibleAt > now) {
        if (msg.nonce !== undefined) group.inflight.add(msg);
        this.#wait(msg);
      } else {
        this.notify();
      }
    } else if (msg.visibleAt > now) {
      this.#wait(msg);
    } else {
      msg.ready = true;
      this.#ready.set(msg.id, msg);
      this.notify();
    }
    this.#armSweep(msg);
  }

  #wait(msg: Msg): void {
    this.#waiting.push(msg.visibleAt, msg);
    this.#arm();
  }

  #arm(): void {
    if (this.#closed) return;
    const due = this.#waiting.peekKey();
    if (due === this.#wake?.due) return;
    this.#wake?.handle.cancel();
    this.#wake = undefined;
    if (due === undefined) return;
    const handle = this.host.clock.at(due, () => {
      if (this.#wake?.handle === handle) this.#wake = undefined;
      this.promote();
    });
    this.#wake = { due, handle };
  }

  /** Moves every message whose visible-at time has come out of the waiting heap. */
  promote(): void {
    const now = this.#now;
    let promoted = false;
    for (let key = this.#waiting.peekKey(); key !== undefined && key <= now; key = this.#waiting.peekKey()) {
      const msg = this.#waiting.pop()!.value;
      if (msg.deleted || msg.queue !== this || msg.visibleAt !== key) continue;
      if (this.fifo) {
        this.#groups.get(msg.group ?? '')?.inflight.delete(msg);
      } else {
        if (msg.ready) continue;
        msg.ready = true;
        this.#ready.set(msg.id, msg);
      }
      promoted = true;
    }
    // stale entries (deleted messages, changed visibility) pile up under heavy churn: rebuild
    if (this.#waiting.size > 1024 && this.#waiting.size > 4 * this.messages.size) {
      this.#waiting.filter((k, m) => !m.deleted && m.queue === this && m.visibleAt === k);
    }
    this.#arm();
    if (promoted) this.notify();
  }

  // ------------------------------------------------------------------ receiving

  #expired(msg: Msg, now: number): boolean {
    return msg.enqueued + this.retentionMs <= now;
  }

  /**
   * Receives up to `max` messages and makes them invisible for `visibilityTimeout` seconds.
   * Expired messages are dropped on the way; a message whose receive count already reached the
   * redrive policy's maxReceiveCount moves to the dead-letter queue instead of being delivered.
   */
  receive(max: number, visibilityTimeout: number): Delivery[] {
    this.promote();
    const now = this.#now;
    const out: Delivery[] = [];
    const dropped: string[] = [];
    if (this.fifo) {
      for (const [key, group] of [...this.#groups]) {
        if (out.length >= max) break;
        if (group.inflight.size > 0) continue;
        let took = false;
        let i = 0;
        while (out.length < max && i < group.msgs.length) {
          const msg = group.msgs[i]!;
          if (msg.visibleAt > now) break;
          if (this.#expired(msg, now)) {
            this.#remove(msg);
            dropped.push(msg.id);
            continue;
          }
          if (this.#shouldRedrive(msg)) {
            this.#moveToDeadLetter(msg, now);
            continue;
          }
          out.push(this.#deliver(msg, visibilityTimeout, now));
          took = true;
          i++;
        }
        if (took && this.#groups.has(key)) {
          // rotate: the next receive starts with another group
          this.#groups.delete(key);
          this.#groups.set(key, group);
        }
      }
    } else {
      const again: Msg[] = [];
      for (const msg of this.#ready.values()) {
        if (out.length >= max) break;
        this.#ready.delete(msg.id);
        msg.ready = false;
        if (this.#expired(msg, now)) {
          this.#remove(msg);
          dropped.push(msg.id);
          continue;
        }
        if (this.#shouldRedrive(msg)) {
          this.#moveToDeadLetter(msg, now);
          continue;
        }
        out.push(this.#deliver(msg, visibilityTimeout, now));
        if (visibilityTimeout === 0) again.push(msg);
      }
      for (const msg of again) {
        msg.ready = true;
        this.#ready.set(msg.id, msg);
      }
    }
    if (dropped.length) this.host.append({ t: 'd', ids: dropped });
    return out;
  }

  #shouldRedrive(msg: Msg): boolean {
    const policy = this.spec.redrivePolicy;
    return (
      policy !== undefined && this.deadLetter !== undefined && msg.receiveCount >= policy.maxReceiveCount
    );
  }

  #deliver(msg: Msg, visibilityTimeout: number, now: number): Delivery {
    msg.receiveCount++;
    msg.firstReceive ??= now;
    msg.nonce = randomBytes(9).toString('base64url');
    msg.visibleAt = now + visibilityTimeout * 1000;
    if (visibilityTimeout > 0) {
      if (this.fifo) this.#groups.get(msg.group ?? '')?.inflight.add(msg);
      this.#wait(msg);
    }
    this.host.append(stateRecord(msg));
    return {
      msg,
      handle: encodeHandle(this.name, msg.id, msg.nonce),
      receiveCount: msg.receiveCount,
      firstReceive: msg.firstReceive,
    };
  }

  #moveToDeadLetter(msg: Msg, now: number): void {
    const dlq = this.deadLetter!;
    this.#remove(msg);
    const moved: Msg = {
      ...msg,
      // FIFO dead-letter queues restart the retention clock; standard ones keep the enqueue time
      enqueued: dlq.fifo ? now : msg.enqueued,
      visibleAt: now,
      nonce: undefined,
      seq: dlq.fifo ? dlq.nextSeq() : undefined,
      source: this.arn,
      deleted: false,
      ready: false,
    };
    this.host.append(toRecord(moved, dlq.arn));
    dlq.insert(moved);
    this.host.log(
      `[sqs] redrive ${msg.id} ${this.name} -> ${dlq.name} (received ${msg.receiveCount}x, maxReceiveCount ${this.spec.redrivePolicy!.maxReceiveCount})`,
    );
  }

  /** How many messages a receive could take right now (counting stops at `cap`). */
  available(cap = Number.POSITIVE_INFINITY): number {
    this.promote();
    if (!this.fifo) return this.#ready.size;
    const now = this.#now;
    let n = 0;
    for (const group of this.#groups.values()) {
      if (group.inflight.size > 0) continue;
      for (const msg of group.msgs) {
        if (msg.visibleAt > now) break;
        if (++n >= cap) return n;
      }
    }
    return n;
  }

  /** Receive, or wait (long polling, on the clock) until a message arrives or `waitSeconds` pass. */
  receiveWait(max: number, visibilityTimeout: number, waitSeconds: number): Promise<Delivery[]> {
    const got = this.receive(max, visibilityTimeout);
    if (got.length > 0 || waitSeconds <= 0 || this.#closed) return Promise.resolve(got);
    return new Promise<Delivery[]>((resolve) => {
      const poller: Poller = { max, visibilityTimeout, resolve, timer: undefined };
      poller.timer = this.host.clock.at(this.#now + waitSeconds * 1000, () => {
        this.#pollers = this.#pollers.filter((p) => p !== poller);
        resolve([]);
      });
      this.#pollers.push(poller);
    });
  }

  /** Registers a function called (from a microtask) whenever messages may have become receivable. */
  onAvailable(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Wakes long pollers (first) and listeners, once per tick however many messages arrived. */
  notify(): void {
    if (this.#notifying || this.#closed) return;
    this.#notifying = true;
    this.host.track(
      Promise.resolve().then(() => {
        this.#notifying = false;
        if (this.#closed) return;
        while (this.#pollers.length > 0) {
          const poller = this.#pollers[0]!;
          const got = this.receive(poller.max, poller.visibilityTimeout);
          if (got.length === 0) break;
          this.#pollers.shift();
          poller.timer?.cancel();
          poller.resolve(got);
        }
        for (const listener of this.#listeners) listener();
      }),
    );
  }

  // ------------------------------------------------------------------ deleting, visibility

  #find(handle: string): Msg | undefined {
    const h = decodeHandle(handle);
    if (!h || h.queue !== this.name) throw receiptHandleIsInvalid(handle);
    const msg = this.messages.get(h.id);
    return msg && msg.nonce === h.nonce ? msg : undefined;
  }

  /**
   * Deletes the message the handle was issued for. As on AWS, a handle that is not the message's
   * latest (it was received again since) or a message already gone is not an error: nothing happens.
   */
  deleteByHandle(handle: string): boolean {
    const msg = this.#find(handle);
    if (!msg) return false;
    this.#remove(msg);
    this.host.append({ t: 'd', ids: [msg.id] });
    // on a FIFO queue this may unlock the message group
    if (this.fifo) this.notify();
    return true;
  }

  changeVisibility(handle: string, seconds: number): void {
    const msg = this.#find(handle);
    const now = this.#now;
    if (!msg) {
      throw invalidValue(
        'ReceiptHandle',
        handle,
        'Message does not exist or is not available for visibility timeout change.',
      );
    }
    if (msg.visibleAt <= now) throw messageNotInflight();
    msg.visibleAt = now + seconds * 1000;
    if (seconds > 0) {
      this.#wait(msg);
    } else if (this.fifo) {
      this.#groups.get(msg.group ?? '')?.inflight.delete(msg);
      this.notify();
    } else {
      msg.ready = true;
      this.#ready.set(msg.id, msg);
      this.notify();
    }
    this.host.append(stateRecord(msg));
  }

  /** Deletes every message (journaled as one record). */
  purge(): number {
    const ids = [...this.messages.keys()];
    for (const msg of [...this.messages.values()]) this.#remove(msg);
    if (ids.length) this.host.append({ t: 'd', ids });
    this.lastPurge = this.#now;
    return ids.length;
  }

  /** Takes a message out of every structure (no journal record). */
  #remove(msg: Msg): void {
    msg.deleted = true;
    this.messages.delete(msg.id);
    if (this.fifo) {
      const key = msg.group ?? '';
      const group = this.#groups.get(key);
      if (group) {
        const i = group.msgs.indexOf(msg);
        if (i >= 0) group.msgs.splice(i, 1);
        group.inflight.delete(msg);
        if (group.msgs.length === 0) this.#groups.delete(key);
      }
    } else if (msg.ready) {
      this.#ready.delete(msg.id);
      msg.ready = false;
    }
  }

  // ------------------------------------------------------------------ retention

  #armSweep(msg: Msg): void {
    if (this.#sweep || this.#closed) return;
    const due = Math.max(msg.enqueued + this.retentionMs, this.#now + SWEEP_MIN_INTERVAL_MS);
    this.#sweep = this.host.clock.at(due, () => {
      this.#sweep = undefined;
      this.#sweepExpired();
    });
  }

  /** Frees expired messages (reads already skip them, this is for memory and the journal). */
  #sweepExpired(): void {
    const now = this.#now;
    this.#expireDedup(now);
    const dropped: string[] = [];
    let oldest: Msg | undefined;
    for (const msg of [...this.messages.values()]) {
      if (this.#expired(msg, now)) {
        this.#remove(msg);
        dropped.push(msg.id);
      } else if (!oldest || msg.enqueued < oldest.enqueued) {
        oldest = msg;
      }
    }
    if (dropped.length) this.host.append({ t: 'd', ids: dropped });
    if (oldest) this.#armSweep(oldest);
  }

  /** Arms timers after replay. */
  start(): void {
    let oldest: Msg | undefined;
    for (const msg of this.messages.values()) if (!oldest || msg.enqueued < oldest.enqueued) oldest = msg;
    if (oldest) this.#armSweep(oldest);
    this.promote();
  }

  // ------------------------------------------------------------------ inspection

  stats(): QueueStats {
    const now = this.#now;
    let visible = 0;
    let inFlight = 0;
    let delayed = 0;
    for (const msg of this.messages.values()) {
      if (this.#expired(msg, now)) continue;
      if (msg.visibleAt <= now) visible++;
      else if (msg.nonce !== undefined) inFlight++;
      else delayed++;
    }
    const dlq = this.spec.redrivePolicy?.deadLetterTargetArn;
    return {
      name: this.name,
      arn: this.arn,
      url: this.url,
      fifo: this.fifo,
      visible,
      inFlight,
      delayed,
      ...(dlq ? { deadLetterTargetArn: dlq } : {}),
    };
  }

  peek(): MessageView[] {
    const now = this.#now;
    const out: MessageView[] = [];
    for (const msg of this.messages.values()) {
      if (this.#expired(msg, now)) continue;
      out.push({
        messageId: msg.id,
        body: msg.body,
        state: msg.visibleAt <= now ? 'visible' : msg.nonce !== undefined ? 'inflight' : 'delayed',
        receiveCount: msg.receiveCount,
        sentTimestamp: msg.sent,
        visibleAt: msg.visibleAt,
        ...(msg.attributes ? { messageAttributes: msg.attributes } : {}),
        ...(msg.group !== undefined ? { messageGroupId: msg.group } : {}),
        ...(msg.seq !== undefined ? { sequenceNumber: msg.seq } : {}),
        ...(msg.source !== undefined ? { deadLetterQueueSourceArn: msg.source } : {}),
      });
    }
    return out;
  }

  close(): void {
    this.#closed = true;
    this.#wake?.handle.cancel();
    this.#wake = undefined;
    this.#sweep?.cancel();
    this.#sweep = undefined;
    for (const poller of this.#pollers) {
      poller.timer?.cancel();
      poller.resolve([]);
    }
    this.#pollers = [];
    this.#listeners.clear();
  }
}

export const toRecord = (msg: Msg, queueArn = msg.queue.arn): SqsRecord => ({
  t: 'm',
  q: queueArn,
  id: msg.id,
  b: msg.body,
  ...(msg.attributes ? { a: msg.attributes } : {}),
  s: msg.sent,
  e: msg.enqueued,
  v: msg.visibleAt,
  rc: msg.receiveCount,
  ...(msg.firstReceive !== undefined ? { f: msg.firstReceive } : {}),
  ...(msg.nonce !== undefined ? { h: msg.nonce } : {}),
  ...(msg.group !== undefined ? { g: msg.group } : {}),
  ...(msg.dedupId !== undefined ? { d: msg.dedupId } : {}),
  ...(msg.seq !== undefined ? { n: msg.seq } : {}),
  ...(msg.traceHeader !== undefined ? { tr: msg.traceHeader } : {}),
  ...(msg.source !== undefined ? { src: msg.source } : {}),
});

const stateRecord = (msg: Msg): SqsRecord => ({
  t: 's',
  id: msg.id,
  rc: msg.receiveCount,
  v: msg.visibleAt,
  ...(msg.firstReceive !== undefined ? { f: msg.firstReceive } : {}),
  ...(msg.nonce !== undefined ? { h: msg.nonce } : {}),
});

/** Rebuilds a message from its journal record (replay). */
export const fromRecord = (r: Extract<SqsRecord, { t: 'm' }>, queue: Queue): Msg => ({
  id: r.id,
  body: r.b,
  attributes: r.a,
  md5: md5OfBody(r.b),
  sent: r.s,
  enqueued: r.e,
  visibleAt: r.v,
  receiveCount: r.rc,
  firstReceive: r.f,
  nonce: r.h,
  group: r.g,
  dedupId: r.d,
  seq: r.n,
  traceHeader: r.tr,
  source: r.src,
  queue,
  deleted: false,
  ready: false,
});
