import type { CanonicalEvent } from '../events/catalog.ts';
import { keysOf } from '../events/catalog.ts';
import type { BusinessKey, EventMetadata } from '../events/envelope.ts';
import type { Clock } from '../shared/clock.ts';
import { DeliveryInProgressError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { entriesFor, type TimelineRepository } from '../timeline/timeline.ts';

export type DeliverySource = 'shopify' | 'storeflow';

/** A canonical event with its metadata, exactly as it goes on the bus. */
export interface PublishableEvent {
  readonly source: string;
  readonly detailType: string;
  readonly detail: { readonly metadata: EventMetadata; readonly data: unknown };
}

/** A canonical event with the metadata it is published under. */
export function toPublishable(event: CanonicalEvent, metadata: EventMetadata): PublishableEvent {
  return { source: event.source, detailType: event.detailType, detail: { metadata, data: event.data } };
}

/** The durable record of one webhook delivery: the dedupe key and the outbox of its events. */
export interface DeliveryRecord {
  readonly source: DeliverySource;
  readonly deliveryId: string;
  /** Topic (Shopify) or type (storeflow). */
  readonly name: string;
  readonly origin: string;
  readonly receivedAt: string;
  readonly status: 'RECEIVED' | 'PUBLISHED';
  /** Until when the request that claimed it owns it (ISO-8601). */
  readonly leaseUntil: string;
  readonly bodySha256: string;
  readonly bodyBytes: number;
  readonly keys: BusinessKey[];
  readonly events: PublishableEvent[];
}

/** Port: the delivery log. Each method is a single-item conditional write. */
export interface DeliveryStore {
  /** Records a new delivery; returns the stored record instead when the id is already known. */
  claim(record: DeliveryRecord): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRecord }>;
  /** Takes over a RECEIVED delivery whose lease has run out; false when someone else holds it. */
  takeOver(source: DeliverySource, deliveryId: string, now: string, leaseUntil: string): Promise<boolean>;
  markPublished(source: DeliverySource, deliveryId: string, publishedAt: string): Promise<void>;
}

export interface EventPublisher {
  publish(events: readonly PublishableEvent[]): Promise<void>;
}

export interface CatalogRepository {
  skuForInventoryItem(inventoryItemId: string): Promise<string | null>;
  rememberInventoryItems(items: ReadonlyArray<{ inventoryItemId: string; sku: string }>): Promise<void>;
}

export interface AcceptDeliveryDeps {
  readonly deliveries: DeliveryStore;
  readonly publisher: EventPublisher;
  readonly timeline: TimelineRepository;
  readonly catalog: CatalogRepository;
  readonly clock: Clock;
}

export interface DeliveryInput {
  readonly source: DeliverySource;
  readonly deliveryId: string;
  readonly name: string;
  readonly origin: string;
  readonly bodySha256: string;
  readonly bodyBytes: number;
  readonly events: readonly CanonicalEvent[];
  readonly extraKeys?: readonly BusinessKey[];
}

export type AcceptResult =
  | { readonly outcome: 'accepted'; readonly deliveryId: string; readonly eventIds: string[] }
  | { readonly outcome: 'duplicate'; readonly deliveryId: string; readonly eventIds: string[] };

/** How long the request that claimed a delivery owns it before another may finish it. */
export const DELIVERY_LEASE_SECONDS = 30;

/**
 * Accepts a verified, normalized delivery exactly once:
 * 1. claim the delivery id with a conditional write (the dedupe record doubles as the outbox);
 * 2. record it on the timeline of every key it concerns (idempotent);
 * 3. publish its events with deterministic ids (consumers dedupe on them);
 * 4. mark it PUBLISHED.
 * A repeat of a PUBLISHED delivery has no effect. A repeat of one still RECEIVED finishes the
 * work of a request that crashed (after its lease), or asks the sender to retry while it is live.
 */
export const acceptDelivery =
  (deps: AcceptDeliveryDeps) =>
  async (input: DeliveryInput): Promise<AcceptResult> => {
    const now = deps.clock.now();
    const nowIso = now.toISOString();
    const leaseUntil = new Date(now.getTime() + DELIVERY_LEASE_SECONDS * 1000).toISOString();
    const events: PublishableEvent[] = input.events.map((event, index) =>
      toPublishable(event, {
        eventId: deterministicId(input.source, input.deliveryId, String(index)),
        publishedAt: nowIso,
        correlationId: input.deliveryId,
        origin: input.origin,
      }),
    );
    const keys = dedupeKeys([...input.events.flatMap(keysOf), ...(input.extraKeys ?? [])]);
    const fresh: DeliveryRecord = {
      source: input.source,
      deliveryId: input.deliveryId,
      name: input.name,
      origin: input.origin,
      receivedAt: nowIso,
      status: 'RECEIVED',
      leaseUntil,
      bodySha256: input.bodySha256,
      bodyBytes: input.bodyBytes,
      keys,
      events,
    };

    const claim = await deps.deliveries.claim(fresh);
    let record = fresh;
    if (!claim.claimed) {
      const existing = claim.existing;
      const eventIds = existing.events.map((e) => e.detail.metadata.eventId);
      if (existing.status === 'PUBLISHED')
        return { outcome: 'duplicate', deliveryId: input.deliveryId, eventIds };
      const retryAfter = Math.max(1, Math.ceil((Date.parse(existing.leaseUntil) - now.getTime()) / 1000));
      if (Date.parse(existing.leaseUntil) > now.getTime()) {
        throw new DeliveryInProgressError(`delivery ${input.deliveryId} is being processed`, retryAfter);
      }
      if (!(await deps.deliveries.takeOver(input.source, input.deliveryId, nowIso, leaseUntil))) {
        throw new DeliveryInProgressError(
          `delivery ${input.deliveryId} is being processed`,
          DELIVERY_LEASE_SECONDS,
        );
      }
      // Finish what the first request started, with the events it recorded.
      record = existing;
    }

    await rememberInventoryItems(deps.catalog, record.events);
    await deps.timeline.record(
      entriesFor(record.keys, {
        at: record.receivedAt,
        kind: 'webhook',
        name: record.name,
        detail: {
          source: record.source,
          deliveryId: record.deliveryId,
          origin: record.origin,
          events: record.events.map((e) => e.detailType),
        },
        ref: `${record.source}:${record.deliveryId}`,
      }),
    );
    await deps.publisher.publish(record.events);
    await deps.deliveries.markPublished(record.source, record.deliveryId, deps.clock.now().toISOString());
    return {
      outcome: 'accepted',
      deliveryId: record.deliveryId,
      eventIds: record.events.map((e) => e.detail.metadata.eventId),
    };
  };

async function rememberInventoryItems(catalog: CatalogRepository, events: readonly PublishableEvent[]) {
  const items = events
    .filter((e) => e.detailType === 'ProductUpdated')
    .flatMap(
      (e) =>
        (e.detail.data as { variants: Array<{ sku: string | null; inventoryItemId: string | null }> })
          .variants,
    )
    .flatMap((v) => (v.sku && v.inventoryItemId ? [{ inventoryItemId: v.inventoryItemId, sku: v.sku }] : []));
  if (items.length > 0) await catalog.rememberInventoryItems(items);
}

function dedupeKeys(keys: readonly BusinessKey[]): BusinessKey[] {
  const seen = new Map<string, BusinessKey>();
  for (const key of keys) seen.set(`${key.type}:${key.id}`, key);
  return [...seen.values()];
}
