import { randomUUID } from 'node:crypto';
import type { Clock } from '../engine/clock.ts';
import { Journal } from './journal.ts';
import { type InvokeResult, JsonPayload } from './lambda.ts';

/** A function's asynchronous-invocation settings (AWS::Lambda::EventInvokeConfig). */
export interface InvokeConfig {
  readonly maximumRetryAttempts: number;
  readonly maximumEventAgeSeconds: number;
  readonly onSuccess?: string;
  readonly onFailure?: string;
}

/** Lambda's defaults when a function has no EventInvokeConfig. */
export const DEFAULT_INVOKE_CONFIG: InvokeConfig = {
  maximumRetryAttempts: 2,
  maximumEventAgeSeconds: 21_600,
};

/** Lambda waits one minute before the second attempt and two minutes before the third. */
export const RETRY_DELAYS_SECONDS = [60, 120];

/**
 * How long a queued invocation may wait for others to share its journal commit, when the queue is
 * busy and committed less than this ago (`Journal.commitWithin`); otherwise it commits at once.
 */
export const QUEUE_COMMIT_WINDOW_MS = 20;
/** How many invocations under way make the queue busy (its commits then use the window above). */
export const QUEUE_BUSY_RUNNING = 16;

export interface AsyncInvoker {
  /**
   * Invokes like `InvocationType: Event`: resolves once the event is durably queued (Lambda's 202);
   * function errors are retried per the function's config and the outcome goes to the
   * OnSuccess/OnFailure destination. `event` may be a JsonPayload: kept as text, parsed in the
   * sandbox.
   */
  invoke(functionNameOrArn: string, event: unknown, source: string): Promise<void>;
  /** Resolves when no attempt is running (events waiting for a retry time do not count). */
  idle(): Promise<void>;
  /** Events queued or waiting for a retry. */
  readonly pending: number;
  close(): Promise<void>;
}

/** One queued asynchronous invocation, as journaled (an upsert by id; `done` removes it). */
type AsyncRecord =
  | {
      readonly t: 'q';
      readonly id: string;
      readonly arn: string;
      /** the event as a value, or (`payload`) as the JSON text it was given as */
      readonly event?: unknown;
      readonly payload?: string;
      readonly source: string;
      readonly firstAt: number;
      readonly dueAt: number;
      /** attempts made so far */
      readonly attempts: number;
    }
  | { readonly t: 'done'; readonly id: string };
type Queued = Extract<AsyncRecord, { t: 'q' }>;

/**
 * A queued record's JSON payload goes to the journal as JSON (`pj`), not escaped into a string:
 * an EventBridge event reaches each of its targets' records, and for a 2,000-line order escaping
 * ~190 KB of quotes once per target was the largest part of the main thread's delivery work. The
 * payload is valid JSON (the bus and the Invoke API check it before queueing); text with a line
 * break (pretty-printed, from the Invoke API) stays a string, the journal being one record a line.
 */
export function serializeAsyncRecord(record: AsyncRecord): string {
  if (record.t !== 'q' || record.payload === undefined) return JSON.stringify(record);
  const { payload, ...rest } = record;
  if (payload.includes('\n') || payload.includes('\r')) return JSON.stringify(record);
  return `${JSON.stringify(rest).slice(0, -1)},"pj":${payload}}`;
}

/** A journaled record as the queue holds it: a `pj` payload back to JSON text. */
export function readAsyncRecord(record: AsyncRecord & { pj?: unknown }): AsyncRecord {
  if (record.t !== 'q' || !('pj' in record)) return record;
  const { pj, ...rest } = record;
  return { ...rest, payload: JSON.stringify(pj) };
}

/**
 * Lambda's asynchronous invocation queue, durable in `<file>`: an event accepted here survives a
 * kill -9 and is attempted again after the restart (at-least-once, as on AWS).
 */
export async function createAsyncInvoker(opts: {
  file: string;
  clock: Clock & { onSettle?(fn: () => Promise<void>): () => void };
  configs: Map<string, InvokeConfig>;
  invoke(arn: string, event: unknown): Promise<InvokeResult>;
  destination(arn: string, record: unknown): Promise<void>;
  resolveArn(nameOrArn: string): string;
  log(line: string): void;
}): Promise<AsyncInvoker> {
  const { journal, records } = await Journal.open<AsyncRecord>(opts.file, {
    serialize: serializeAsyncRecord,
  });
  const queued = new Map<string, Queued>();
  for (const record of records) {
    const r = readAsyncRecord(record);
    if (r.t === 'q') queued.set(r.id, r);
    else queued.delete(r.id);
  }
  let running = 0;
  let closed = false;
  let waiters: Array<() => void> = [];
  // Settled means durable too: the "done" records waiting for a commit (see finish) are written.
  const flush = () => journal.commit().catch(() => {});
  const idle = () => (running === 0 ? flush() : new Promise<void>((r) => waiters.push(r)).then(flush));
  const unsettle = opts.clock.onSettle?.(idle);
  const timers = new Map<string, { cancel(): void }>();

  const schedule = (item: Queued) => {
    timers.set(
      item.id,
      opts.clock.at(item.dueAt, () => {
        timers.delete(item.id);
        void attempt(item);
      }),
    );
  };

  async function attempt(item: Queued): Promise<void> {
    if (closed) return;
    running++;
    try {
      const config = opts.configs.get(item.arn) ?? DEFAULT_INVOKE_CONFIG;
      const attempts = item.attempts + 1;
      const result = await opts.invoke(item.arn, eventOf(item));
      if (closed) return; // the next start attempts it again
      const name = item.arn.split(':').at(-1);
      const record = (condition: string, response: unknown, functionError?: string) => ({
        version: '1.0',
        timestamp: new Date(opts.clock.now()).toISOString(),
        requestContext: {
          requestId: item.id,
          functionArn: `${item.arn}:$LATEST`,
          condition,
          approximateInvokeCount: attempts,
        },
        requestPayload: item.payload !== undefined ? JSON.parse(item.payload) : item.event,
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(functionError ? { functionError } : {}),
        },
        responsePayload: response,
      });
      if (result.ok) {
        if (config.onSuccess) await opts.destination(config.onSuccess, record('Success', result.result));
        await finish(item);
        return;
      }
      const delay = RETRY_DELAYS_SECONDS[attempts - 1] ?? 120;
      const exhausted = attempts > config.maximumRetryAttempts;
      const tooOld = (opts.clock.now() + delay * 1000 - item.firstAt) / 1000 > config.maximumEventAgeSeconds;
      if (exhausted || tooOld) {
        const condition = exhausted ? 'RetriesExhausted' : 'EventAgeExceeded';
        if (config.onFailure) {
          await opts.destination(config.onFailure, record(condition, result.error, 'Unhandled'));
          opts.log(
            `async ${name} (${item.source}): ${condition} after ${attempts} attempt(s) → ${config.onFailure.split(':').at(-1)}`,
          );
        } else {
          opts.log(
            `async ${name} (${item.source}): ${condition} after ${attempts} attempt(s); no OnFailure destination, dropped`,
          );
        }
        await finish(item);
        return;
      }
      const next: Queued = { ...item, attempts, dueAt: opts.clock.now() + delay * 1000 };
      queued.set(next.id, next);
      await journal.write(next);
      opts.log(`async ${name} (${item.source}): attempt ${attempts} failed, retrying in ${delay}s`);
      schedule(next);
    } catch (error) {
      opts.log(`async ${item.arn} (${item.source}): ${(error as Error).message}; retrying in 60s`);
      const next: Queued = { ...item, dueAt: opts.clock.now() + 60_000 };
      queued.set(next.id, next);
      schedule(next);
    } finally {
      running--;
      if (running === 0) {
        const ws = waiters;
        waiters = [];
        for (const w of ws) w();
      }
    }
  }

  const eventOf = (item: Queued): unknown =>
    item.payload !== undefined ? new JsonPayload(item.payload) : item.event;

  async function finish(item: Queued) {
    queued.delete(item.id);
    // Not committed now: lost in a crash, the invocation is made again after the restart, which
    // asynchronous invocation allows (at-least-once, as on AWS); it goes with the next commit.
    journal.append({ t: 'done', id: item.id });
    journal.commitLater();
    if (journal.appended > 1000 && journal.appended > queued.size * 4) await journal.rewrite(queued.values());
  }

  for (const item of queued.values()) schedule(item);

  return {
    async invoke(functionNameOrArn, event, source) {
      const now = opts.clock.now();
      const item: Queued = {
        t: 'q',
        id: randomUUID(),
        arn: opts.resolveArn(functionNameOrArn),
        // JSON text stays text: journaled as one string, parsed in the sandbox.
        ...(event instanceof JsonPayload ? { payload: event.text } : { event }),
        source,
        firstAt: now,
        dueAt: now,
        attempts: 0,
      };
      queued.set(item.id, item);
      // Durable before it is answered, as Lambda's queue is. While many invocations are under way,
      // this one would wait for a sandbox anyway: it waits up to a few milliseconds for the others
      // queued meanwhile, to share one write + fdatasync with them (decision 60).
      journal.append(item);
      await (running >= QUEUE_BUSY_RUNNING ? journal.commitWithin(QUEUE_COMMIT_WINDOW_MS) : journal.commit());
      schedule(item);
    },
    idle,
    get pending() {
      return queued.size;
    },
    async close() {
      closed = true;
      for (const t of timers.values()) t.cancel();
      unsettle?.();
      await idle();
      await journal.close();
    },
  };
}
