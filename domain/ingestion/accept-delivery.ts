import type { CanonicalEvent } from '../events/catalog.ts';
import type { BusinessKey, DeliveryInfo } from '../events/envelope.ts';
import { type EventPublisher, type PublishableEvent, toPublishable } from '../events/publisher.ts';
import type { Clock } from '../shared/clock.ts';
import { DeliveryInProgressError, PayloadTooLargeError } from '../shared/errors.ts';
import { deterministicId } from '../shared/ids.ts';
import { entriesFor, type TimelineRepository, webhookLine } from '../timeline/timeline.ts';

export type DeliverySource = 'shopify' | 'storeflow';

export type { EventPublisher, PublishableEvent };

/**
 * The durable record of one business fact received by webhook: the dedupe record and the outbox
 * of its events. Keyed by the fact (`factKey`), not by the delivery: a fact replayed under another
 * delivery id finds this record and publishes nothing new (SPEC §1, issue #10).
 */
export interface DeliveryRecord {
  readonly source: DeliverySource;
  /** The identity of the fact (the dedupe key); for storeflow, the envelope id. */
  readonly factKey: string;
  /** The delivery that brought the fact first. */
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
  /** Keys the delivery concerns that no event names (the events' own keys are derived from them). */
  readonly extraKeys: BusinessKey[];
  readonly events: PublishableEvent[];
}

/** A platform delivery id seen before with another body (recorded, and logged by the caller). */
export interface DeliveryIdReuse {
  readonly deliveryId: string;
  readonly factKey: string;
  readonly bodySha256: string;
  readonly receivedAt: string;
  /** What the id carried the first time. */
  readonly previous: { readonly factKey: string; readonly bodySha256: string; readonly receivedAt: string };
}

/** Port: the delivery log. Each method is a single-item conditional write. */
export interface DeliveryStore {
  /** Records a new fact; returns the stored record instead when the fact is already known. */
  claim(record: DeliveryRecord): Promise<{ claimed: true } | { claimed: false; existing: DeliveryRecord }>;
  /** Takes over a RECEIVED fact whose lease has run out; false when someone else holds it. */
  takeOver(source: DeliverySource, factKey: string, now: string, leaseUntil: string): Promise<boolean>;
  markPublished(source: DeliverySource, factKey: string, publishedAt: string): Promise<void>;
  /**
   * Remembers which body a platform delivery id carried (for sources whose delivery id is not the
   * fact). Returns null when the id is new or came with the same body, else what it carried first.
   */
  rememberDeliveryId(
    source: DeliverySource,
    delivery: { deliveryId: string; factKey: string; bodySha256: string; receivedAt: string },
  ): Promise<DeliveryIdReuse['previous'] | null>;
  /** Records a delivery id seen again with another body; idempotent per (id, body). */
  recordDeliveryIdReuse(source: DeliverySource, reuse: DeliveryIdReuse): Promise<void>;
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
  /** The fact's identity; equal to `deliveryId` when the delivery id is signed (storeflow). */
  readonly factKey: string;
  readonly name: string;
  readonly origin: string;
  readonly bodySha256: string;
  readonly bodyBytes: number;
  readonly events: readonly CanonicalEvent[];
  readonly extraKeys?: readonly BusinessKey[];
  /** The payload field to name when the events exceed a downstream size limit. */
  readonly sizeField?: string;
}

export type AcceptResult = {
  readonly outcome: 'accepted' | 'duplicate';
  /** The delivery that brought the fact first (for a replay under a new id, the original). */
  readonly deliveryId: string;
  readonly eventIds: string[];
  /** Set when this delivery's id was seen before with another body. */
  readonly deliveryIdReuse?: DeliveryIdReuse;
};

/** How long the request that claimed a delivery owns it before another may finish it. */
export const DELIVERY_LEASE_SECONDS = 30;

/** EventBridge's limit for one PutEvents entry (Time + Source + DetailType + Detail + Resources). */
export const MAX_EVENT_ENTRY_BYTES = 256 * 1024;
/**
 * Largest delivery record (the outbox) we write: DynamoDB's item limit is 400 KB including
 * attribute names; the JSON size we measure is an upper bound of the stored size.
 */
export const MAX_DELIVERY_RECORD_BYTES = 380 * 1024;

/** The size EventBridge counts for an entry (its documented calculation; 14 bytes for Time). */
export function eventEntryBytes(event: PublishableEvent): number {
  return (
    14 +
    Buffer.byteLength(event.source) +
    Buffer.byteLength(event.detailType) +
    Buffer.byteLength(JSON.stringify(event.detail))
  );
}

const kib = (bytes: number) => `${Math.ceil(bytes / 1024)} KB`;

/** Refuses, before anything is stored, what EventBridge or DynamoDB would refuse after. */
function checkDownstreamLimits(record: DeliveryRecord, sizeField: string): void {
  for (const event of record.events) {
    const bytes = eventEntryBytes(event);
    if (bytes > MAX_EVENT_ENTRY_BYTES) {
      throw PayloadTooLargeError.field(
        sizeField,
        `makes a ${event.detailType} event of ${kib(bytes)}; EventBridge accepts at most 256 KB per event`,
      );
    }
  }
  const recordBytes = Buffer.byteLength(JSON.stringify(record));
  if (recordBytes > MAX_DELIVERY_RECORD_BYTES) {
    throw PayloadTooLargeError.field(
      sizeField,
      `makes a delivery record of ${kib(recordBytes)}; one record holds at most ${kib(MAX_DELIVERY_RECORD_BYTES)} (DynamoDB's 400 KB item limit)`,
    );
  }
}

/**
 * Accepts a verified, normalized delivery exactly once per business fact:
 * 1. claim the fact with a conditional write (the record doubles as the outbox), and — for a
 *    platform whose delivery id is unsigned — note which body the delivery id carried, in parallel;
 * 2. publish its events with ids derived from the fact; each carries the delivery, so the timeline
 *    recorder writes the webhook line and the event line on every key it concerns;
 * 3. mark it PUBLISHED.
 * A repeat of a PUBLISHED fact (the same delivery again, or the same fact under a new delivery id)
 * has no effect. A repeat of one still RECEIVED finishes the work of a request that crashed (after
 * its lease), or asks the sender to retry while it is live.
 */
export const acceptDelivery =
  (deps: AcceptDeliveryDeps) =>
  async (input: DeliveryInput): Promise<AcceptResult> => {
    const now = deps.clock.now();
    const nowIso = now.toISOString();
    const leaseUntil = new Date(now.getTime() + DELIVERY_LEASE_SECONDS * 1000).toISOString();
    const extraKeys = dedupeKeys(input.extraKeys ?? []);
    const delivery: DeliveryInfo = {
      source: input.source,
      deliveryId: input.deliveryId,
      factKey: input.factKey,
      name: input.name,
      receivedAt: nowIso,
      events: input.events.map((e) => e.detailType),
    };
    const events: PublishableEvent[] = input.events.map((event, index) =>
      toPublishable(event, {
        eventId: deterministicId(input.source, input.factKey, String(index)),
        publishedAt: nowIso,
        correlationId: input.deliveryId,
        origin: input.origin,
        delivery,
        ...(extraKeys.length ? { keys: extraKeys } : {}),
      }),
    );
    const fresh: DeliveryRecord = {
      source: input.source,
      factKey: input.factKey,
      deliveryId: input.deliveryId,
      name: input.name,
      origin: input.origin,
      receivedAt: nowIso,
      status: 'RECEIVED',
      leaseUntil,
      bodySha256: input.bodySha256,
      bodyBytes: input.bodyBytes,
      extraKeys,
      events,
    };
    checkDownstreamLimits(fresh, input.sizeField ?? '(body)');

    const [claim, previous] = await Promise.all([
      deps.deliveries.claim(fresh),
      input.deliveryId === input.factKey
        ? Promise.resolve(null)
        : deps.deliveries.rememberDeliveryId(input.source, {
            deliveryId: input.deliveryId,
            factKey: input.factKey,
            bodySha256: input.bodySha256,
            receivedAt: nowIso,
          }),
    ]);
    let reuse: DeliveryIdReuse | undefined = previous
      ? {
          deliveryId: input.deliveryId,
          factKey: input.factKey,
          bodySha256: input.bodySha256,
          receivedAt: nowIso,
          previous,
        }
      : undefined;

    let record = fresh;
    const noteReuse = async () => {
      if (reuse) await deps.deliveries.recordDeliveryIdReuse(input.source, reuse);
    };
    if (!claim.claimed) {
      const existing = claim.existing;
      // The same delivery id (a signed one, or the same platform id) with a different body.
      if (!reuse && existing.deliveryId === input.deliveryId && existing.bodySha256 !== input.bodySha256) {
        reuse = {
          deliveryId: input.deliveryId,
          factKey: input.factKey,
          bodySha256: input.bodySha256,
          receivedAt: nowIso,
          previous: {
            factKey: existing.factKey,
            bodySha256: existing.bodySha256,
            receivedAt: existing.receivedAt,
          },
        };
      }
      await noteReuse();
      const eventIds = existing.events.map((e) => e.detail.metadata.eventId);
      if (existing.status === 'PUBLISHED') {
        return {
          outcome: 'duplicate',
          deliveryId: existing.deliveryId,
          eventIds,
          ...(reuse ? { deliveryIdReuse: reuse } : {}),
        };
      }
      const retryAfter = Math.max(1, Math.ceil((Date.parse(existing.leaseUntil) - now.getTime()) / 1000));
      if (Date.parse(existing.leaseUntil) > now.getTime()) {
        throw new DeliveryInProgressError(`delivery ${input.deliveryId} is being processed`, retryAfter);
      }
      if (!(await deps.deliveries.takeOver(input.source, input.factKey, nowIso, leaseUntil))) {
        throw new DeliveryInProgressError(
          `delivery ${input.deliveryId} is being processed`,
          DELIVERY_LEASE_SECONDS,
        );
      }
      // Finish what the first request started, with the events it recorded.
      record = existing;
    } else {
      await noteReuse();
    }

    await rememberInventoryItems(deps.catalog, record.events);
    if (record.events.length > 0) {
      await deps.publisher.publish(record.events);
    } else if (record.extraKeys.length > 0) {
      // Nothing to publish, so no recorder will see it: the webhook line is written here.
      await deps.timeline.record(
        entriesFor(record.extraKeys, webhookLine({ ...record, events: [] }, record.origin)),
      );
    }
    await deps.deliveries.markPublished(record.source, record.factKey, deps.clock.now().toISOString());
    return {
      outcome: 'accepted',
      deliveryId: record.deliveryId,
      eventIds: record.events.map((e) => e.detail.metadata.eventId),
      ...(reuse ? { deliveryIdReuse: reuse } : {}),
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
