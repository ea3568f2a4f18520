import { eventSchemas, isDetailType, keysOf } from '../events/catalog.ts';
import { type BusinessKey, EventMetadataSchema } from '../events/envelope.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { entriesFor, type TimelinePage, type TimelineRepository } from './timeline.ts';

const BusinessKeySchema = z.object({
  type: z.enum(['order', 'sku', 'presale', 'ticket', 'customer', 'product']),
  id: z.string().check(z.minLength(1)),
});

/** An event as the bus delivers it to a consumer. */
export const BusEventSchema = z.object({
  id: z.optional(z.string()),
  source: z.string().check(z.startsWith('storeflow.')),
  'detail-type': z.string().check(z.minLength(1)),
  time: z.optional(z.string()),
  detail: z.object({
    metadata: z.extend(EventMetadataSchema, { keys: z.optional(z.array(BusinessKeySchema)) }),
    data: z.record(z.string(), z.unknown()),
  }),
});
export type BusEvent = z.infer<typeof BusEventSchema>;

/**
 * Records a published event on the timeline of every business key it concerns: the keys the
 * catalog derives for a canonical event, plus any `metadata.keys` a producer adds. Idempotent on
 * the event id, so a redelivered event leaves one line.
 */
export const recordEventOnTimeline =
  (deps: { timeline: TimelineRepository }) =>
  async (raw: unknown): Promise<{ recorded: number }> => {
    const event = parseOrThrow(BusEventSchema, raw);
    const detailType = event['detail-type'];
    const { metadata, data } = event.detail;
    const keys: BusinessKey[] = [...(metadata.keys ?? [])];
    if (isDetailType(detailType)) {
      const parsed = parseOrThrow(eventSchemas[detailType], data, 'detail.data');
      keys.push(...keysOf({ detailType, source: event.source, data: parsed }));
    }
    const entries = entriesFor(keys, {
      at: metadata.publishedAt,
      kind: 'event',
      name: detailType,
      detail: {
        eventId: metadata.eventId,
        source: event.source,
        correlationId: metadata.correlationId,
        data,
      },
      ref: metadata.eventId,
    });
    await deps.timeline.record(entries);
    return { recorded: entries.length };
  };

export const TimelineQuerySchema = z.object({
  limit: z._default(z.coerce.number().check(z.int(), z.minimum(1), z.maximum(1000)), 200),
  cursor: z.pipe(
    z.nullish(z.string().check(z.minLength(1))),
    z.transform((v) => v ?? null),
  ),
});

export const readTimeline =
  (deps: { timeline: TimelineRepository }) =>
  async (key: BusinessKey, query: unknown): Promise<TimelinePage> => {
    const { limit, cursor } = parseOrThrow(TimelineQuerySchema, query ?? {});
    return deps.timeline.list(key, { limit, cursor });
  };
