import type { BusinessKey } from '#domain/events/envelope';
import type {
  CatalogRepository,
  DeliveryIdReuse,
  DeliveryRecord,
  DeliverySource,
  DeliveryStore,
  EventPublisher,
  PublishableEvent,
} from '#domain/ingestion/accept-delivery';
import type { TimelineEntry, TimelinePage, TimelineRepository } from '#domain/timeline/timeline';

/** In-memory ports with the same conditional semantics as the DynamoDB adapters. */
export class MemoryDeliveryStore implements DeliveryStore {
  readonly records = new Map<string, DeliveryRecord>();
  readonly deliveryIds = new Map<string, { factKey: string; bodySha256: string; receivedAt: string }>();
  readonly reuses = new Map<string, DeliveryIdReuse>();
  async claim(record: DeliveryRecord) {
    const key = `${record.source}#${record.factKey}`;
    const existing = this.records.get(key);
    if (existing) return { claimed: false as const, existing: structuredClone(existing) };
    this.records.set(key, structuredClone(record));
    return { claimed: true as const };
  }
  async takeOver(source: DeliverySource, factKey: string, now: string, leaseUntil: string) {
    const key = `${source}#${factKey}`;
    const existing = this.records.get(key);
    if (existing?.status !== 'RECEIVED' || !(existing.leaseUntil < now)) return false;
    this.records.set(key, { ...existing, leaseUntil });
    return true;
  }
  async markPublished(source: DeliverySource, factKey: string) {
    const key = `${source}#${factKey}`;
    const existing = this.records.get(key);
    if (!existing) throw new Error('no such delivery');
    this.records.set(key, { ...existing, status: 'PUBLISHED' });
  }
  async rememberDeliveryId(
    source: DeliverySource,
    delivery: { deliveryId: string; factKey: string; bodySha256: string; receivedAt: string },
  ) {
    const key = `${source}#${delivery.deliveryId}`;
    const first = this.deliveryIds.get(key);
    if (!first) {
      const { deliveryId: _id, ...rest } = delivery;
      this.deliveryIds.set(key, rest);
      return null;
    }
    return first.bodySha256 === delivery.bodySha256 ? null : { ...first };
  }
  async recordDeliveryIdReuse(source: DeliverySource, reuse: DeliveryIdReuse) {
    this.reuses.set(`${source}#${reuse.deliveryId}#${reuse.bodySha256}`, structuredClone(reuse));
  }
}

export class MemoryPublisher implements EventPublisher {
  readonly events: PublishableEvent[] = [];
  failNext = 0;
  async publish(events: readonly PublishableEvent[]) {
    if (this.failNext > 0) {
      this.failNext--;
      throw new Error('bus unavailable');
    }
    this.events.push(...structuredClone(events));
  }
}

export class MemoryTimeline implements TimelineRepository {
  readonly entries = new Map<string, TimelineEntry>();
  async record(entries: readonly TimelineEntry[]) {
    for (const e of entries) this.entries.set(`${e.key.type}#${e.key.id}#${e.ref}`, structuredClone(e));
  }
  async list(key: BusinessKey, options: { limit: number; cursor: string | null }): Promise<TimelinePage> {
    const all = [...this.entries.values()]
      .filter((e) => e.key.type === key.type && e.key.id === key.id)
      .sort((a, b) => a.at.localeCompare(b.at));
    const start = options.cursor ? Number(options.cursor) : 0;
    const items = all.slice(start, start + options.limit);
    return { items, nextCursor: start + options.limit < all.length ? String(start + options.limit) : null };
  }
}

export class MemoryCatalog implements CatalogRepository {
  readonly skus = new Map<string, string>();
  async skuForInventoryItem(id: string) {
    return this.skus.get(id) ?? null;
  }
  async rememberInventoryItems(items: ReadonlyArray<{ inventoryItemId: string; sku: string }>) {
    for (const i of items) this.skus.set(i.inventoryItemId, i.sku);
  }
}
