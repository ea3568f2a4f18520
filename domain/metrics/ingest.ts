import type { Clock } from '../shared/clock.ts';
import { MalformedBodyError, PayloadTooLargeError, ValidationError } from '../shared/errors.ts';
import {
  checkBatch,
  type EventOutcome,
  type NormalizedEvent,
  STOREFRONT_LIMITS,
  type StorefrontEventType,
} from './storefront.ts';

/**
 * What one request adds to one user's store day: the event ids (the dedupe record), the steps
 * reached per channel and the visits (instant and channel, for order attribution). Every part is
 * a set, so writing it again changes nothing: correct under at-least-once delivery.
 */
export interface UserDayWrite {
  readonly day: string;
  readonly userKey: string;
  readonly eventIds: readonly string[];
  /** channel → steps reached on it */
  readonly steps: ReadonlyMap<string, ReadonlySet<StorefrontEventType>>;
  /** `<at ISO>|<channel>` of each visit */
  readonly visits: readonly string[];
}

/** What one request adds to a campaign's or experiment's variant for one user and day. */
export interface TaggedWrite {
  readonly kind: 'campaign' | 'experiment';
  readonly id: string;
  readonly day: string;
  readonly variant: string;
  readonly userKey: string;
  /** `<at ISO>|<type>` of each event */
  readonly marks: readonly string[];
}

/** The result of one user-day write: the ids it already held before, or that it is full. */
export type UserDayResult = { readonly seenBefore: ReadonlySet<string> } | { readonly full: true };

/** Port: where storefront facts are kept (adapters/dynamodb/metrics-store.ts). */
export interface StorefrontFactStore {
  /** Adds campaign and experiment marks (sets: idempotent). */
  addTagged(writes: readonly TaggedWrite[]): Promise<void>;
  /**
   * Adds each user-day write atomically and answers which of its event ids the day held before
   * (those are duplicates), or that the day's record is full. In the order of `writes`.
   */
  addUserDays(writes: readonly UserDayWrite[]): Promise<UserDayResult[]>;
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

/** Groups a batch's valid events by user and day (one atomic write each) and by campaign variant. */
export function groupEvents(valid: ReadonlyArray<{ readonly event: NormalizedEvent }>): {
  userDays: UserDayWrite[];
  tagged: TaggedWrite[];
} {
  const days = new Map<
    string,
    {
      day: string;
      userKey: string;
      eventIds: string[];
      steps: Map<string, Set<StorefrontEventType>>;
      visits: string[];
    }
  >();
  const tagged = new Map<string, TaggedWrite & { marks: string[] }>();
  for (const { event: e } of valid) {
    const key = `${e.day}\u0000${e.userKey}`;
    let d = days.get(key);
    if (!d) {
      d = { day: e.day, userKey: e.userKey, eventIds: [], steps: new Map(), visits: [] };
      days.set(key, d);
    }
    d.eventIds.push(e.eventId);
    let steps = d.steps.get(e.channel);
    if (!steps) {
      steps = new Set();
      d.steps.set(e.channel, steps);
    }
    steps.add(e.type);
    if (e.type === 'visit') d.visits.push(`${e.at}|${e.channel}`);
    const tags: Array<['campaign' | 'experiment', string | undefined]> = [
      ['campaign', e.campaignId],
      ['experiment', e.experimentId],
    ];
    for (const [kind, id] of tags) {
      if (id === undefined || e.variant === undefined) continue;
      const tkey = `${kind}\u0000${id}\u0000${e.day}\u0000${e.variant}\u0000${e.userKey}`;
      let t = tagged.get(tkey);
      if (!t) {
        t = { kind, id, day: e.day, variant: e.variant, userKey: e.userKey, marks: [] };
        tagged.set(tkey, t);
      }
      t.marks.push(`${e.at}|${e.type}`);
    }
  }
  return { userDays: [...days.values()], tagged: [...tagged.values()] };
}

/**
 * Takes a batch of storefront events (issue #16): each event checked on its own, the valid ones
 * grouped per user and store day and added in one atomic write per group that also tells which
 * event ids that day already held. A repeated eventId is answered `duplicate` and changes nothing,
 * whatever the retries; a rejected event never refuses the rest.
 *
 * Order matters for crash safety: campaign marks first (sets, so a repeat is harmless), the
 * user-day write last — an event is only ever answered `duplicate` once everything it feeds is
 * written.
 */
export function ingestStorefrontEvents(deps: {
  readonly store: StorefrontFactStore;
  readonly clock: Clock;
  readonly timeZone: string;
}) {
  return async (events: readonly unknown[]): Promise<StorefrontIngestResult> => {
    const { valid, outcomes } = checkBatch(events, deps.clock.now(), deps.timeZone);
    const { userDays, tagged } = groupEvents(valid);
    if (tagged.length > 0) await deps.store.addTagged(tagged);
    const results = userDays.length > 0 ? await deps.store.addUserDays(userDays) : [];
    const statusOf = new Map<string, 'accepted' | 'duplicate' | 'full'>();
    userDays.forEach((write, i) => {
      const result = results[i]!;
      for (const eventId of write.eventIds) {
        statusOf.set(
          `${write.day}\u0000${write.userKey}\u0000${eventId}`,
          'full' in result ? 'full' : result.seenBefore.has(eventId) ? 'duplicate' : 'accepted',
        );
      }
    });
    for (const { index, event } of valid) {
      const status = statusOf.get(`${event.day}\u0000${event.userKey}\u0000${event.eventId}`)!;
      outcomes.set(
        index,
        status === 'full'
          ? {
              index,
              eventId: event.eventId,
              status: 'rejected',
              field: `events.${index}.eventId`,
              reason: `user ${event.userKey} has more events on ${event.day} than one day's record holds`,
            }
          : { index, eventId: event.eventId, status },
      );
    }
    const ordered = events.map((_, i) => outcomes.get(i)!);
    return {
      accepted: ordered.filter((o) => o.status === 'accepted').length,
      duplicates: ordered.filter((o) => o.status === 'duplicate').length,
      rejected: ordered.filter((o) => o.status === 'rejected').length,
      results: ordered,
    };
  };
}
