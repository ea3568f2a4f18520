import type { Clock } from '../shared/clock.ts';
import { ConflictError, NotFoundError, ValidationError } from '../shared/errors.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import type { DeadLetterEntry, OperationsCatalog } from './catalog.ts';
import type { DeadLetterQueues, QueueMessage } from './ports.ts';

/**
 * The dead-letter queues of the operations API (decision 29): what waits in each, a peek at its
 * messages (they stay in the queue), and sending them back where they were going — a move task
 * back to the source queues (`move`), or, for the queue that collects failed event deliveries and
 * async invocations, a replay to the function each message was meant for (`replay`), deleted once
 * Lambda accepted it.
 */

export interface DeadLetterTarget {
  readonly kind: 'function';
  /** The function's name (the feed it came from). */
  readonly name: string;
  /** How it failed there: a rule's or schedule's delivery, or an async invocation. */
  readonly via: 'rule' | 'schedule' | 'async-invoke';
  /** The rule or schedule that delivered it (its ARN's name), when known. */
  readonly source?: string;
}

export interface ClassifiedMessage {
  readonly target: DeadLetterTarget | null;
  /** The payload to send again (the event, the schedule's input, the invocation's payload). */
  readonly payload: string;
  readonly error: { readonly code: string; readonly message: string } | null;
}

const functionNameOf = (arn: string): string | null => {
  const m = /:function:([^:]+)(?::[^:]+)?$/.exec(arn);
  return m ? m[1]! : null;
};
const nameOfArn = (arn: string) => arn.split(/[:/]/).at(-1) ?? arn;

/**
 * Where a dead letter was going and why it failed, from what AWS records with it: EventBridge
 * rules and Scheduler send the payload with RULE_ARN / SCHEDULE_ARN, TARGET_ARN, ERROR_CODE and
 * ERROR_MESSAGE attributes; a Lambda OnFailure destination sends an invocation record
 * (`requestContext.functionArn`, `requestPayload`, `responsePayload`).
 */
export function classifyDeadLetter(message: Pick<QueueMessage, 'body' | 'attributes'>): ClassifiedMessage {
  const a = message.attributes;
  if (a.TARGET_ARN) {
    const name = functionNameOf(a.TARGET_ARN);
    const error = a.ERROR_CODE ? { code: a.ERROR_CODE, message: a.ERROR_MESSAGE ?? '' } : null;
    const via = a.SCHEDULE_ARN ? 'schedule' : 'rule';
    const source = a.SCHEDULE_ARN ?? a.RULE_ARN;
    return {
      target: name ? { kind: 'function', name, via, ...(source ? { source: nameOfArn(source) } : {}) } : null,
      payload: message.body,
      error,
    };
  }
  let record: unknown;
  try {
    record = JSON.parse(message.body);
  } catch {
    return { target: null, payload: message.body, error: null };
  }
  const r = record as {
    requestContext?: { functionArn?: unknown; condition?: unknown };
    requestPayload?: unknown;
    responsePayload?: { errorType?: unknown; errorMessage?: unknown } | null;
  };
  const fn =
    typeof r?.requestContext?.functionArn === 'string' ? functionNameOf(r.requestContext.functionArn) : null;
  if (fn && r && 'requestPayload' in r) {
    const response = r.responsePayload;
    const reason = [response?.errorType, response?.errorMessage]
      .filter((x) => typeof x === 'string')
      .join(': ');
    return {
      target: { kind: 'function', name: fn, via: 'async-invoke' },
      payload: JSON.stringify(r.requestPayload),
      error: { code: String(r.requestContext?.condition ?? 'Failed'), message: reason },
    };
  }
  return { target: null, payload: message.body, error: null };
}

/** Messages a peek reads at most; a redrive replays at most this many per call (then call again). */
export const MAX_PEEK = 100;
export const MAX_REPLAY_PER_CALL = 100;
/** How long a received message stays hidden while it is looked at or replayed. */
const HIDE_SECONDS = 60;

const parseBody = (body: string): unknown => {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
};

export function operationsDeadLetters(deps: {
  readonly catalog: OperationsCatalog;
  readonly queues: DeadLetterQueues;
  readonly clock: Clock;
}) {
  const { catalog, queues, clock } = deps;

  const entryOf = (name: string): DeadLetterEntry => {
    const entry = catalog.deadLetters.find((d) => d.name === name);
    if (!entry) throw new NotFoundError(`no dead-letter queue ${name}`);
    return entry;
  };

  /** Receives up to `max` distinct messages (hidden meanwhile), then `use` them, then shows the rest again. */
  async function withMessages<T>(
    entry: DeadLetterEntry,
    max: number,
    use: (messages: QueueMessage[]) => Promise<{ result: T; keep: Set<string> }>,
  ): Promise<T> {
    const seen = new Map<string, QueueMessage>();
    try {
      while (seen.size < max) {
        const batch = await queues.receive(entry.url, Math.min(10, max - seen.size), HIDE_SECONDS);
        const fresh = batch.filter((m) => !seen.has(m.id));
        for (const m of batch) seen.set(m.id, m);
        if (fresh.length === 0) break;
      }
      const { result, keep } = await use([...seen.values()]);
      for (const id of keep) seen.delete(id);
      return result;
    } finally {
      if (seen.size) await queues.release(entry.url, [...seen.values()]);
    }
  }

  const view = (m: QueueMessage) => {
    const c = classifyDeadLetter(m);
    return {
      id: m.id,
      sentAt: m.sentAt,
      receiveCount: m.receiveCount,
      body: parseBody(m.body),
      ...(c.error ? { error: c.error } : {}),
      target: c.target,
    };
  };

  const feedOf = (entry: DeadLetterEntry, m: QueueMessage) => {
    const c = classifyDeadLetter(m);
    if (!c.target) return { refused: 'it names no function it was meant for' } as const;
    const feed = entry.feeds.find((f) => f.kind === 'function' && f.name === c.target!.name);
    if (!feed) return { refused: `its function ${c.target.name} does not feed ${entry.name}` } as const;
    return { classified: c, feed } as const;
  };

  async function replayOne(entry: DeadLetterEntry, m: QueueMessage): Promise<string | null> {
    const target = feedOf(entry, m);
    if ('refused' in target) return target.refused ?? 'not replayable';
    const refusal = await queues.invokeAsync(target.feed.name, target.classified.payload);
    if (refusal) return refusal.refused;
    await queues.delete(entry.url, m);
    return null;
  }

  const messageQuery = z.object({
    limit: z._default(
      z.coerce
        .number(`must be a number from 1 to ${MAX_PEEK}`)
        .check(
          z.int('must be a whole number'),
          z.minimum(1, 'must be at least 1'),
          z.maximum(MAX_PEEK, `must be at most ${MAX_PEEK}`),
        ),
      25,
    ),
  });

  return {
    /** `GET /api/dead-letters`: every dead-letter queue, its depth and its oldest message's age. */
    async list() {
      return {
        queues: await Promise.all(
          catalog.deadLetters.map(async (entry) => {
            const depth = await queues.depth(entry.url);
            // The oldest of the messages a peek sees (SQS keeps no order; CloudWatch has the exact age).
            const oldest =
              depth.visible > 0
                ? await withMessages(entry, 10, async (messages) => ({
                    result: messages.reduce<string | null>(
                      (min, m) => (m.sentAt && (!min || m.sentAt < min) ? m.sentAt : min),
                      null,
                    ),
                    keep: new Set(),
                  }))
                : null;
            return {
              name: entry.name,
              feeds: entry.feeds.map((f) => ({ kind: f.kind, name: f.label })),
              depth: depth.visible,
              inFlight: depth.inFlight,
              oldestAgeSeconds: oldest
                ? Math.max(0, Math.floor((clock.now().getTime() - Date.parse(oldest)) / 1000))
                : null,
              redrive: entry.redrive,
            };
          }),
        ),
      };
    },

    /** `GET /api/dead-letters/{name}/messages`: a peek (the messages stay in the queue). */
    async messages(name: string, query: Record<string, string | undefined> | null | undefined) {
      const q = parseOrThrow(messageQuery, query ?? {});
      const entry = entryOf(name);
      const items = await withMessages(entry, q.limit, async (messages) => ({
        result: messages.map(view),
        keep: new Set(),
      }));
      return { items };
    },

    /** `POST /api/dead-letters/{name}/redrive`: every message back where it was going. */
    async redrive(name: string) {
      const entry = entryOf(name);
      if (entry.redrive === 'move') {
        const depth = await queues.depth(entry.url);
        const started = await queues.startMove(entry.arn);
        if ('refused' in started)
          throw new ConflictError(`${name} cannot be redriven now: ${started.refused}`);
        return { moved: depth.visible, taskHandle: started.taskHandle };
      }
      let replayed = 0;
      const skipped: Array<{ id: string; reason: string }> = [];
      await withMessages(entry, MAX_REPLAY_PER_CALL, async (messages) => {
        const done = new Set<string>();
        for (const m of messages) {
          const refused = await replayOne(entry, m);
          if (refused === null) {
            replayed++;
            done.add(m.id);
          } else skipped.push({ id: m.id, reason: refused });
        }
        return { result: undefined, keep: done };
      });
      return { replayed, skipped, remaining: (await queues.depth(entry.url)).visible };
    },

    /** `POST /api/dead-letters/{name}/messages/{id}/replay`: one message the same way. */
    async replay(name: string, id: string) {
      if (!id || id.length > 100)
        throw ValidationError.field('id', 'must be a message id (at most 100 characters)');
      const entry = entryOf(name);
      if (entry.redrive === 'move') {
        throw new ConflictError(`${name} is redriven as a whole (a move task back to its source queues)`);
      }
      return withMessages(entry, MAX_PEEK, async (messages) => {
        const m = messages.find((x) => x.id === id);
        if (!m)
          throw new NotFoundError(`no message ${id} in ${name} (among the ${messages.length} visible ones)`);
        const refused = await replayOne(entry, m);
        if (refused !== null) throw new ConflictError(`message ${id} cannot be replayed: ${refused}`);
        return { result: { replayed: 1 }, keep: new Set([m.id]) };
      });
    },
  };
}
