import * as z from '../shared/zod.ts';

/**
 * Every storeflow event on the bus is `{ metadata, data }` in the EventBridge `detail`.
 * `metadata.eventId` is deterministic for a given cause, so consumers deduplicate on it
 * (EventBridge delivers at least once and a resumed delivery may publish again).
 */
export const EventMetadataSchema = z.object({
  eventId: z.string().check(z.minLength(1)),
  /** When storeflow published it (ISO-8601 UTC). */
  publishedAt: z.iso.datetime(),
  /** What caused it: a webhook delivery id, a run, ... */
  correlationId: z.string().check(z.minLength(1)),
  /** Where it came from: `shopify:<shop domain>`, `storeflow`, `workflow:<name>`. */
  origin: z.string().check(z.minLength(1)),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;

export type BusinessKeyType = 'order' | 'sku' | 'presale' | 'ticket' | 'customer' | 'product';
export interface BusinessKey {
  readonly type: BusinessKeyType;
  readonly id: string;
}
