import { idSchema } from '../shared/schemas.ts';
import * as z from '../shared/zod.ts';

export const BUSINESS_KEY_TYPES = [
  'order',
  'sku',
  'presale',
  'ticket',
  'customer',
  'product',
  'purchase-order',
] as const;
export type BusinessKeyType = (typeof BUSINESS_KEY_TYPES)[number];
export interface BusinessKey {
  readonly type: BusinessKeyType;
  readonly id: string;
}

export const BusinessKeySchema = z.object({ type: z.enum(BUSINESS_KEY_TYPES), id: idSchema() });

/**
 * The webhook delivery an event came from, carried in its metadata so the timeline recorder can
 * write the delivery's line beside the event's on every key the event concerns (the request that
 * acknowledged the delivery writes no timeline lines itself, issue #10).
 */
export const DeliveryInfoSchema = z.object({
  source: z.enum(['shopify', 'storeflow']),
  deliveryId: z.string().check(z.minLength(1)),
  /** The identity of the fact the delivery reported (its dedupe key). */
  factKey: z.string().check(z.minLength(1)),
  /** Topic (Shopify) or type (storeflow). */
  name: z.string().check(z.minLength(1)),
  receivedAt: z.iso.datetime(),
  /** Detail types of every event the delivery published. */
  events: z.array(z.string()),
});
export type DeliveryInfo = z.infer<typeof DeliveryInfoSchema>;

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
  /** Keys the event concerns beyond those its data names. */
  keys: z.optional(z.array(BusinessKeySchema)),
  /** Set on events that came in by webhook. */
  delivery: z.optional(DeliveryInfoSchema),
  /**
   * `recorded`: the producer wrote the event's timeline lines itself, in the batch of the writes
   * the event describes (a run that changes thousands of SKUs), so the timeline recorder's rule
   * skips it: one batched write instead of one recorder invocation per event (decision 33).
   */
  timeline: z.optional(z.literal('recorded')),
});
export type EventMetadata = z.infer<typeof EventMetadataSchema>;
