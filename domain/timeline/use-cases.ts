import { BusEventSchema } from '../events/bus.ts';
import { eventSchemas, isDetailType, keysOf, timelineKindOf } from '../events/catalog.ts';
import type { BusinessKey } from '../events/envelope.ts';
import type { PublishableEvent } from '../events/publisher.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import {
  entriesFor,
  summarizeEventData,
  type TimelineEntry,
  type TimelinePage,
  type TimelineRepository,
  webhookLine,
} from './timeline.ts';

export { type BusEvent, BusEventSchema } from '../events/bus.ts';

/**
 * Records a published event on the timeline of every business key it concerns: the keys the
 * catalog derives for a canonical event, plus any `metadata.keys` a producer adds. An event that
 * came in by webhook also brings its delivery's line (the acknowledging request writes none).
 * Lines carry a summary of the event and its id, never the document. Idempotent on the event id
 * and the delivery, so a redelivered event leaves the same lines.
 */
export const recordEventOnTimeline =
  (deps: { timeline: TimelineRepository }) =>
  async (raw: unknown): Promise<{ recorded: number }> => {
    const event = parseOrThrow(BusEventSchema, raw);
    const entries = eventTimelineEntries({
      source: event.source,
      detailType: event['detail-type'],
      detail: event.detail,
    });
    await deps.timeline.record(entries);
    return { recorded: entries.length };
  };

/**
 * The lines an event leaves on the timelines it concerns (the recorder's work, as a pure function):
 * the keys the catalog derives for a canonical event plus any `metadata.keys` a producer adds; an
 * event that came in by webhook also brings its delivery's line. A producer that publishes
 * `metadata.timeline: 'recorded'` writes exactly these lines itself, in the batch of the writes
 * the event describes, and the recorder's rule skips the event (decision 33).
 */
export function eventTimelineEntries(event: PublishableEvent): TimelineEntry[] {
  const { detailType } = event;
  const { metadata, data } = event.detail;
  const keys: BusinessKey[] = [...(metadata.keys ?? [])];
  if (isDetailType(detailType)) {
    const parsed = parseOrThrow(eventSchemas[detailType], data, 'detail.data');
    keys.push(...keysOf({ detailType, source: event.source, data: parsed }));
  }
  const eventLines = entriesFor(keys, {
    at: metadata.publishedAt,
    kind: timelineKindOf(detailType),
    name: detailType,
    detail: {},
    ref: metadata.eventId,
  }).map(
    (entry): TimelineEntry => ({
      ...entry,
      detail: {
        eventId: metadata.eventId,
        source: event.source,
        correlationId: metadata.correlationId,
        data: summarizeEventData(data as Record<string, unknown>, entry.key),
      },
    }),
  );
  const deliveryLines = metadata.delivery
    ? entriesFor(keys, webhookLine(metadata.delivery, metadata.origin))
    : [];
  return [...deliveryLines, ...eventLines];
}

/** Longest cursor we hand out: a base64url of the last key (sort keys are at most 1024 bytes). */
export const MAX_CURSOR_LENGTH = 2048;

export const TimelineQuerySchema = z.object({
  limit: z._default(
    z.coerce
      .number('must be a number from 1 to 1000')
      .check(
        z.int('must be a whole number from 1 to 1000'),
        z.minimum(1, 'must be at least 1'),
        z.maximum(1000, 'must be at most 1000'),
      ),
    200,
  ),
  cursor: z.pipe(
    z.nullish(
      z
        .string()
        .check(
          z.minLength(1, 'must not be empty'),
          z.maxLength(MAX_CURSOR_LENGTH, 'is not a cursor returned for this timeline'),
        ),
    ),
    z.transform((v) => v ?? null),
  ),
});

export const readTimeline =
  (deps: { timeline: TimelineRepository }) =>
  async (key: BusinessKey, query: unknown): Promise<TimelinePage> => {
    const { limit, cursor } = parseOrThrow(TimelineQuerySchema, query ?? {});
    return deps.timeline.list(key, { limit, cursor });
  };
