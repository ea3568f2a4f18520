/**
 * The storefront events' types, the funnel's steps and the limits checked at the boundary: apart
 * from storefront.ts (the events' schema) so that readers of the metrics (the figures, the
 * campaigns' counts) do not bundle the ingestion schema.
 */
export const STOREFRONT_EVENT_TYPES = ['visit', 'product_view', 'add_to_cart', 'checkout_started'] as const;
export type StorefrontEventType = (typeof STOREFRONT_EVENT_TYPES)[number];

/** The funnel's steps, in order: the four storefront steps, then a paid order. */
export const FUNNEL_STEPS = [...STOREFRONT_EVENT_TYPES, 'paid'] as const;
export type FunnelStep = (typeof FUNNEL_STEPS)[number];

/** Limits checked at the boundary (each is what keeps a downstream limit out of reach). */
export const STOREFRONT_LIMITS = {
  /** Events per request. */
  maxEvents: 500,
  /** Bytes per request body (1 MiB). */
  maxBodyBytes: 1024 * 1024,
  /** Characters of an id (eventId, userId, anonymousId, sessionId, campaignId, ...): keys stay small. */
  maxIdLength: 128,
  /** Characters of a channel or variant name: they become attribute names and sort keys. */
  maxNameLength: 64,
  /**
   * How late an event may arrive (its `at` before the receipt), in days. Older events are rejected:
   * the dedupe record of a day is only kept this long plus a margin, so exactly-once holds for
   * every event that is accepted at all.
   */
  maxLateDays: 30,
  /** How far ahead of the receiving clock an event's `at` may be (client clock skew), in seconds. */
  maxAheadSeconds: 300,
} as const;
