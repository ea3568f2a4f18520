import { localDate } from '../shared/calendar.ts';
import type { FieldIssue } from '../shared/errors.ts';
import { idSchema, instantSchema } from '../shared/schemas.ts';
import { toFieldIssues } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { STOREFRONT_EVENT_TYPES, STOREFRONT_LIMITS } from './storefront-limits.ts';

/**
 * Storefront events (SPEC §8, issue #16): what browsers and storefront servers send in batches to
 * `POST /events/storefront`. Each event is checked on its own: one bad event is rejected with its
 * field and reason while the rest of the batch is taken.
 */
export {
  FUNNEL_STEPS,
  type FunnelStep,
  STOREFRONT_EVENT_TYPES,
  STOREFRONT_LIMITS,
  type StorefrontEventType,
} from './storefront-limits.ts';

const name = z.string('must be a string').check(
  z.minLength(1, { error: 'must not be empty', abort: true }),
  z.maxLength(STOREFRONT_LIMITS.maxNameLength, {
    error: `must be at most ${STOREFRONT_LIMITS.maxNameLength} characters`,
    abort: true,
  }),
  z.regex(/^[A-Za-z0-9_.:-]+$/, 'must contain only letters, digits and _ . : -'),
);
const id = idSchema(STOREFRONT_LIMITS.maxIdLength);

export const StorefrontEventSchema = z
  .strictObject({
    eventId: id,
    type: z.enum(STOREFRONT_EVENT_TYPES, {
      error: `must be one of ${STOREFRONT_EVENT_TYPES.join(', ')}`,
    }),
    at: instantSchema(),
    userId: z.optional(id),
    anonymousId: z.optional(id),
    sessionId: id,
    channel: name,
    sku: z.optional(id),
    campaignId: z.optional(id),
    experimentId: z.optional(id),
    variant: z.optional(name),
  })
  .check(
    z.refine((e) => e.userId !== undefined || e.anonymousId !== undefined, {
      error: 'an event needs a userId or an anonymousId',
      path: ['userId'],
    }),
    z.refine((e) => (e.campaignId === undefined && e.experimentId === undefined) || e.variant !== undefined, {
      error: 'an event with a campaignId or experimentId needs its variant',
      path: ['variant'],
    }),
    z.refine((e) => e.variant === undefined || e.campaignId !== undefined || e.experimentId !== undefined, {
      error: 'a variant belongs to a campaignId or an experimentId',
      path: ['variant'],
    }),
    z.refine((e) => e.campaignId === undefined || e.variant === 'pilot' || e.variant === 'control', {
      error: 'a campaign variant is pilot or control',
      path: ['variant'],
    }),
    z.refine((e) => e.type !== 'product_view' || e.sku !== undefined, {
      error: 'a product_view names its sku',
      path: ['sku'],
    }),
  );
export type StorefrontEvent = z.output<typeof StorefrontEventSchema>;

/** An accepted event as it is stored: the instant normalized to UTC, its store day and user key. */
export interface NormalizedEvent extends StorefrontEvent {
  /** `userId`, else `anon:<anonymousId>`: who the funnel counts (an anonymous id never buys). */
  readonly userKey: string;
  /** The store-time-zone date of `at`: the day it counts for, whenever it arrives. */
  readonly day: string;
}

export type EventOutcome =
  | { readonly index: number; readonly eventId: string | null; readonly status: 'accepted' | 'duplicate' }
  | {
      readonly index: number;
      readonly eventId: string | null;
      readonly status: 'rejected';
      readonly field: string;
      readonly reason: string;
    };

/** The user key a storefront event counts under. */
export const userKeyOf = (e: { userId?: string | undefined; anonymousId?: string | undefined }): string =>
  e.userId !== undefined ? e.userId : `anon:${e.anonymousId}`;

export interface CheckedBatch {
  /** Valid events, each with its index in the request (the first of an eventId seen twice). */
  readonly valid: ReadonlyArray<{ readonly index: number; readonly event: NormalizedEvent }>;
  /** Rejected events and repeats inside the request, by index. */
  readonly outcomes: Map<number, EventOutcome>;
}

/**
 * Checks each event of a batch on its own (schema, lateness window, clock skew) and marks a second
 * event with an eventId already in this request as a duplicate. `events` is the request's
 * `events` array, already known to be an array of at most {@link STOREFRONT_LIMITS.maxEvents}.
 */
export function checkBatch(events: readonly unknown[], now: Date, timeZone: string): CheckedBatch {
  const outcomes = new Map<number, EventOutcome>();
  const valid: Array<{ index: number; event: NormalizedEvent }> = [];
  const seen = new Set<string>();
  const oldest = now.getTime() - STOREFRONT_LIMITS.maxLateDays * 86_400_000;
  const newest = now.getTime() + STOREFRONT_LIMITS.maxAheadSeconds * 1000;
  const days = new Map<number, string>();
  events.forEach((raw, index) => {
    const eventId =
      raw && typeof raw === 'object' && typeof (raw as { eventId?: unknown }).eventId === 'string'
        ? ((raw as { eventId: string }).eventId as string)
        : null;
    const reject = (issue: FieldIssue) =>
      outcomes.set(index, { index, eventId, status: 'rejected', field: issue.field, reason: issue.reason });
    const parsed = StorefrontEventSchema.safeParse(raw);
    if (!parsed.success) {
      reject(toFieldIssues(parsed.error, `events.${index}`)[0]!);
      return;
    }
    const e = parsed.data;
    const ms = Date.parse(e.at);
    if (ms < oldest) {
      reject({
        field: `events.${index}.at`,
        reason: `is more than ${STOREFRONT_LIMITS.maxLateDays} days before the time it was received`,
      });
      return;
    }
    if (ms > newest) {
      reject({
        field: `events.${index}.at`,
        reason: `is more than ${STOREFRONT_LIMITS.maxAheadSeconds} seconds after the time it was received`,
      });
      return;
    }
    if (seen.has(e.eventId)) {
      outcomes.set(index, { index, eventId: e.eventId, status: 'duplicate' });
      return;
    }
    seen.add(e.eventId);
    // Days change at most once a minute worth caring about: cache per minute.
    const minute = Math.floor(ms / 60_000);
    let day = days.get(minute);
    if (day === undefined) {
      day = localDate(new Date(ms), timeZone);
      days.set(minute, day);
    }
    valid.push({
      index,
      event: { ...e, at: new Date(ms).toISOString(), userKey: userKeyOf(e), day },
    });
  });
  return { valid, outcomes };
}
