import { createHash } from 'node:crypto';
import type { Clock } from '../shared/clock.ts';
import { MalformedBodyError, PayloadTooLargeError, ValidationError } from '../shared/errors.ts';
import { checkBatch, type EventOutcome, type NormalizedEvent, STOREFRONT_LIMITS } from './storefront.ts';

/** The instant span of one dedupe slot: an event's id is kept in the slot of its `at`'s minute. */
export const DEDUPE_SLOT_MS = 60_000;

/** An event id as the dedupe record keeps it: 96 bits of its SHA-256, base64url (16 characters). */
export const eventHash = (eventId: string): string => hashAndByte(eventId).hash;

/** The id's hash and its first byte (what picks the shard), from one digest. */
function hashAndByte(eventId: string): { hash: string; byte: number } {
  const digest = createHash('sha256').update(eventId).digest();
  return { hash: digest.subarray(0, 12).toString('base64url'), byte: digest[0]! };
}

/** The dedupe slot of an instant: its minute, `YYYY-MM-DDTHH:MM` (UTC). */
export function slotOf(at: string): string {
  // An event's `at` is normalized to `toISOString()` (checkBatch): its first 16 characters are it.
  if (at.length === 24 && at[10] === 'T' && at[23] === 'Z') return at.slice(0, 16);
  return new Date(Math.floor(Date.parse(at) / DEDUPE_SLOT_MS) * DEDUPE_SLOT_MS).toISOString().slice(0, 16);
}

/** The ids of one request that fall in one dedupe slot and shard. */
export interface SeenWrite {
  /** `YYYY-MM-DDTHH:MM` (UTC) of the events' `at` */
  readonly slot: string;
  readonly shard: number;
  readonly hashes: readonly string[];
}

/** What a dedupe slot answers: the hashes it held before, or that it is full. */
export type SeenResult = { readonly seenBefore: ReadonlySet<string> } | { readonly full: true };

/** Port: where storefront facts are kept (adapters/dynamodb/metrics-store.ts). */
export interface StorefrontFactStore {
  /**
   * Adds each write's hashes to its slot atomically and answers which of them the slot held before
   * (those events are duplicates), or that the slot is full. In the order of `writes`.
   */
  markSeen(writes: readonly SeenWrite[]): Promise<SeenResult[]>;
  /**
   * Keeps a store day's events (idempotent: the same events again change nothing a reader sees;
   * readers count each eventId once).
   */
  addEvents(day: string, events: readonly NormalizedEvent[]): Promise<void>;
}

export interface StorefrontIngestResult {
  readonly accepted: number;
  readonly duplicates: number;
  readonly rejected: number;
  readonly results: readonly EventOutcome[];
}

/**
 * Reads a request body into its `events` array: 413 over {@link STOREFRONT_LIMITS.maxBodyBytes} or
 * {@link STOREFRONT_LIMITS.maxEvents} events, 400 when it is not JSON or has no `events` array.
 */
export function parseStorefrontBody(body: Buffer): unknown[] {
  if (body.length > STOREFRONT_LIMITS.maxBodyBytes) {
    throw PayloadTooLargeError.field(
      '(body)',
      `is ${body.length} bytes; a batch is at most ${STOREFRONT_LIMITS.maxBodyBytes} bytes (1 MiB)`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new MalformedBodyError('the body is not valid JSON');
  }
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw ValidationError.field('(body)', 'must be a JSON object { "events": [ ... ] }');
  }
  const events = (parsed as { events?: unknown }).events;
  if (!Array.isArray(events)) throw ValidationError.field('events', 'must be an array of events');
  if (events.length === 0) throw ValidationError.field('events', 'must hold at least one event');
  if (events.length > STOREFRONT_LIMITS.maxEvents) {
    throw PayloadTooLargeError.field(
      'events',
      `holds ${events.length} events; a batch is at most ${STOREFRONT_LIMITS.maxEvents}`,
    );
  }
  return events;
}

/** Groups a batch's valid events by dedupe slot and shard (one atomic write each). */
export function groupSeen(
  valid: ReadonlyArray<{ readonly event: NormalizedEvent }>,
  shards: number,
): { writes: SeenWrite[]; keyOf: Map<string, { write: number; hash: string }> } {
  const writes: Array<SeenWrite & { hashes: string[] }> = [];
  const index = new Map<string, number>();
  const keyOf = new Map<string, { write: number; hash: string }>();
  for (const { event } of valid) {
    const { hash, byte } = hashAndByte(event.eventId);
    const slot = slotOf(event.at);
    // the first byte of the hash (as the shard was always picked: the hash's first decoded byte)
    const shard = byte % shards;
    const key = `${slot}#${shard}`;
    let i = index.get(key);
    if (i === undefined) {
      i = writes.push({ slot, shard, hashes: [] }) - 1;
      index.set(key, i);
    }
    writes[i]!.hashes.push(hash);
    keyOf.set(event.eventId, { write: i, hash });
  }
  return { writes, keyOf };
}

/**
 * Takes a batch of storefront events (issue #16): each event checked on its own; the valid ones'
 * ids added to their dedupe slots (the minute of their `at`, a shard of the id's hash) in one
 * atomic write per slot that also tells which ids it held before — those are `duplicate` and
 * change nothing, whatever the retries — and then the events kept under their store day. A
 * rejected event never refuses the rest.
 *
 * Order matters for crash safety: the events are kept (duplicates included: readers count each
 * eventId once) after the verdicts, so a crash in between loses nothing — the client's retry finds
 * them `duplicate` and keeps them again.
 */
export function ingestStorefrontEvents(deps: {
  readonly store: StorefrontFactStore;
  readonly clock: Clock;
  readonly timeZone: string;
  /** dedupe shards per slot (default 4): more spreads a busy minute over more items */
  readonly dedupeShards?: number;
}) {
  const shards = deps.dedupeShards ?? DEFAULT_DEDUPE_SHARDS;
  return async (events: readonly unknown[]): Promise<StorefrontIngestResult> => {
    const { valid, outcomes } = checkBatch(events, deps.clock.now(), deps.timeZone);
    const { writes, keyOf } = groupSeen(valid, shards);
    const results = writes.length > 0 ? await deps.store.markSeen(writes) : [];
    const keep = new Map<string, NormalizedEvent[]>();
    for (const { index, event } of valid) {
      const { write, hash } = keyOf.get(event.eventId)!;
      const result = results[write]!;
      if ('full' in result) {
        outcomes.set(index, {
          index,
          eventId: event.eventId,
          status: 'rejected',
          field: `events.${index}.at`,
          reason: `the minute ${writes[write]!.slot}Z holds more events than its dedupe record can; send it again later`,
        });
        continue;
      }
      outcomes.set(index, {
        index,
        eventId: event.eventId,
        status: result.seenBefore.has(hash) ? 'duplicate' : 'accepted',
      });
      const list = keep.get(event.day) ?? [];
      list.push(event);
      keep.set(event.day, list);
    }
    await Promise.all([...keep].map(([day, list]) => deps.store.addEvents(day, list)));
    const ordered = events.map((_, i) => outcomes.get(i)!);
    return {
      accepted: ordered.filter((o) => o.status === 'accepted').length,
      duplicates: ordered.filter((o) => o.status === 'duplicate').length,
      rejected: ordered.filter((o) => o.status === 'rejected').length,
      results: ordered,
    };
  };
}

/** Dedupe shards per slot by default. */
export const DEFAULT_DEDUPE_SHARDS = 4;
