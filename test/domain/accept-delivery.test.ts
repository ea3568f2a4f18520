import { describe, expect, it } from 'vitest';
import { canonicalEvent } from '#domain/events/catalog';
import {
  acceptDelivery,
  DELIVERY_LEASE_SECONDS,
  type DeliveryInput,
  eventEntryBytes,
  MAX_EVENT_ENTRY_BYTES,
} from '#domain/ingestion/accept-delivery';
import { ManualClock } from '#domain/shared/clock';
import { DeliveryInProgressError, PayloadTooLargeError } from '#domain/shared/errors';
import { recordEventOnTimeline } from '#domain/timeline/use-cases';
import {
  MemoryCatalog,
  MemoryDeliveryStore,
  MemoryPublisher,
  MemoryTimeline,
} from '../support/memory-ports.ts';

function setup() {
  const deps = {
    deliveries: new MemoryDeliveryStore(),
    publisher: new MemoryPublisher(),
    timeline: new MemoryTimeline(),
    catalog: new MemoryCatalog(),
    clock: new ManualClock('2026-11-24T00:00:00Z'),
  };
  return { ...deps, accept: acceptDelivery(deps) };
}

const deposit = () =>
  canonicalEvent('PresaleDepositPaid', {
    orderId: 'O-1',
    presaleId: 'P-1',
    customerId: 'C-1',
    amount: { amount: 50000, currency: 'CNY' },
    paidAt: '2026-11-24T00:00:00Z',
  });

const input = (deliveryId: string): DeliveryInput => ({
  source: 'storeflow',
  deliveryId,
  factKey: deliveryId,
  name: 'presale.deposit_paid',
  origin: 'storeflow',
  bodySha256: 'abc',
  bodyBytes: 10,
  events: [deposit()],
});

/** A Shopify delivery: the delivery id is unsigned, the fact is the order's version. */
const shopify = (deliveryId: string, body = 'body-1', factKey = 'orders/paid:1@2026-11-24T00:00:00Z') => ({
  ...input(deliveryId),
  source: 'shopify' as const,
  factKey,
  name: 'orders/paid',
  origin: 'shopify:demo.myshopify.com',
  bodySha256: body,
});

describe('acceptDelivery', () => {
  it('publishes once with a deterministic event id carrying its delivery; the recorder writes the lines', async () => {
    const s = setup();
    const first = await s.accept(input('d-1'));
    expect(first.outcome).toBe('accepted');
    expect(s.publisher.events).toHaveLength(1);
    expect(s.publisher.events[0]?.detail.metadata).toEqual({
      eventId: first.eventIds[0],
      publishedAt: '2026-11-24T00:00:00.000Z',
      correlationId: 'd-1',
      origin: 'storeflow',
      delivery: {
        source: 'storeflow',
        deliveryId: 'd-1',
        factKey: 'd-1',
        name: 'presale.deposit_paid',
        receivedAt: '2026-11-24T00:00:00.000Z',
        events: ['PresaleDepositPaid'],
      },
    });
    // The acknowledging request writes no timeline line; the recorder writes both from the event.
    expect(s.timeline.entries.size).toBe(0);
    const record = recordEventOnTimeline({ timeline: s.timeline });
    const published = s.publisher.events[0]!;
    await record({ source: published.source, 'detail-type': published.detailType, detail: published.detail });
    expect([...s.timeline.entries.values()].map((e) => `${e.key.type}:${e.key.id}:${e.kind}`).sort()).toEqual(
      ['order:O-1:event', 'order:O-1:webhook', 'presale:P-1:event', 'presale:P-1:webhook'],
    );

    const again = await s.accept(input('d-1'));
    expect(again).toEqual({ outcome: 'duplicate', deliveryId: 'd-1', eventIds: first.eventIds });
    expect(s.publisher.events).toHaveLength(1);
  });

  it('a delivery whose first attempt failed mid-way: a concurrent retry is told to come back, a later one finishes it once', async () => {
    const s = setup();
    s.publisher.failNext = 1;
    await expect(s.accept(input('d-2'))).rejects.toThrow('bus unavailable');
    expect(s.deliveries.records.get('storeflow#d-2')?.status).toBe('RECEIVED');

    s.clock.advance(5);
    const busy = await s.accept(input('d-2')).catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(DeliveryInProgressError);
    expect((busy as DeliveryInProgressError).retryAfterSeconds).toBe(DELIVERY_LEASE_SECONDS - 5);
    expect(s.publisher.events).toHaveLength(0);

    s.clock.advance(DELIVERY_LEASE_SECONDS);
    const done = await s.accept(input('d-2'));
    expect(done.outcome).toBe('accepted');
    expect(s.publisher.events).toHaveLength(1);
    // The event keeps the id and time of the first attempt: consumers see one fact.
    expect(s.publisher.events[0]?.detail.metadata.publishedAt).toBe('2026-11-24T00:00:00.000Z');
    expect(s.deliveries.records.get('storeflow#d-2')?.status).toBe('PUBLISHED');
    expect((await s.accept(input('d-2'))).outcome).toBe('duplicate');
    expect(s.publisher.events).toHaveLength(1);
  });

  it('the same fact key from two sources is two facts', async () => {
    const s = setup();
    await s.accept(input('same'));
    await s.accept({ ...input('same'), source: 'shopify' });
    expect(s.publisher.events).toHaveLength(2);
    expect(new Set(s.publisher.events.map((e) => e.detail.metadata.eventId)).size).toBe(2);
  });

  it('the same fact replayed under new delivery ids publishes nothing new', async () => {
    const s = setup();
    const first = await s.accept(shopify('wh-1'));
    const second = await s.accept(shopify('wh-2'));
    const third = await s.accept(shopify('wh-3', 'another serialization of the same order version'));
    expect(first.outcome).toBe('accepted');
    expect(second).toEqual({ outcome: 'duplicate', deliveryId: 'wh-1', eventIds: first.eventIds });
    expect(third.outcome).toBe('duplicate');
    expect(third.deliveryIdReuse).toBeUndefined();
    expect(s.publisher.events).toHaveLength(1);
  });

  it('event ids follow the fact, not the delivery id', async () => {
    const a = setup();
    const b = setup();
    const x = await a.accept(shopify('wh-a'));
    const y = await b.accept(shopify('wh-b'));
    expect(x.eventIds).toEqual(y.eventIds);
  });

  it('a known delivery id with a different body is recorded and reported, and its new fact still counts', async () => {
    const s = setup();
    await s.accept(shopify('wh-1', 'body-1'));
    const reused = await s.accept(shopify('wh-1', 'body-2', 'orders/paid:1@2026-11-25T00:00:00Z'));
    expect(reused.outcome).toBe('accepted');
    expect(reused.deliveryIdReuse).toMatchObject({
      deliveryId: 'wh-1',
      bodySha256: 'body-2',
      previous: { bodySha256: 'body-1', factKey: 'orders/paid:1@2026-11-24T00:00:00Z' },
    });
    expect([...s.deliveries.reuses.keys()]).toEqual(['shopify#wh-1#body-2']);
    expect(s.publisher.events).toHaveLength(2);
  });

  it('a signed delivery id (storeflow) with a different body is a duplicate, recorded and reported', async () => {
    const s = setup();
    await s.accept(input('evt-1'));
    const changed = await s.accept({ ...input('evt-1'), bodySha256: 'tampered' });
    expect(changed.outcome).toBe('duplicate');
    expect(changed.deliveryIdReuse?.previous.bodySha256).toBe('abc');
    expect([...s.deliveries.reuses.keys()]).toEqual(['storeflow#evt-1#tampered']);
    expect(s.publisher.events).toHaveLength(1);
  });

  it('a delivery that publishes nothing writes its webhook line itself, on the keys it concerns', async () => {
    const s = setup();
    const result = await s.accept({
      ...shopify('wh-update', 'b', 'fulfillments/update:9@2026-11-24T00:00:00Z#in_transit'),
      name: 'fulfillments/update',
      events: [],
      extraKeys: [{ type: 'order', id: '1' }],
    });
    expect(result).toMatchObject({ outcome: 'accepted', eventIds: [] });
    expect([...s.timeline.entries.values()].map((e) => [e.key.id, e.kind, e.name])).toEqual([
      ['1', 'webhook', 'fulfillments/update'],
    ]);
  });

  it('refuses with 413 and stores nothing when an event would exceed EventBridge’s entry limit', async () => {
    const s = setup();
    const lines = Array.from({ length: 3000 }, (_, i) => ({
      sku: `SKU-${String(i).padStart(6, '0')}`,
      productId: String(1_000_000 + i),
      variantId: String(2_000_000 + i),
      title: 'A sofa cushion in oak grey',
      quantity: 1,
      unitPrice: { amount: 100, currency: 'CNY' },
    }));
    const order = canonicalEvent('OrderPaid', {
      orderId: '1',
      orderName: '#1',
      shopDomain: null,
      customerId: null,
      total: { amount: 300000, currency: 'CNY' },
      subtotal: { amount: 300000, currency: 'CNY' },
      lines,
      shippingRegion: null,
      placedAt: '2026-11-24T00:00:00Z',
      paidAt: '2026-11-24T00:00:00Z',
    });
    const error = await s
      .accept({ ...shopify('wh-big'), events: [order], sizeField: 'line_items' })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).issues).toEqual([
      { field: 'line_items', reason: expect.stringMatching(/EventBridge accepts at most 256 KB per event/) },
    ]);
    expect(s.deliveries.records.size).toBe(0);
    expect(s.deliveries.deliveryIds.size).toBe(0);
    expect(s.publisher.events).toEqual([]);
  });

  it('counts an entry as EventBridge does (Time + Source + DetailType + Detail)', () => {
    const event = {
      source: 'storeflow.orders',
      detailType: 'OrderPaid',
      detail: {
        metadata: {
          eventId: 'e',
          publishedAt: '2026-11-24T00:00:00.000Z',
          correlationId: 'c',
          origin: 'o',
        },
        data: { é: 'ü' },
      },
    };
    expect(eventEntryBytes(event)).toBe(
      14 + 'storeflow.orders'.length + 'OrderPaid'.length + Buffer.byteLength(JSON.stringify(event.detail)),
    );
    expect(MAX_EVENT_ENTRY_BYTES).toBe(262_144);
  });

  it('learns inventory item → SKU from ProductUpdated', async () => {
    const s = setup();
    await s.accept({
      ...input('p-1'),
      source: 'shopify',
      name: 'products/update',
      events: [
        canonicalEvent('ProductUpdated', {
          productId: '1',
          title: 'Sofa',
          variants: [
            {
              variantId: '2',
              sku: 'SOFA-GREY',
              inventoryItemId: '77',
              price: { amount: 100, currency: 'CNY' },
            },
            { variantId: '3', sku: null, inventoryItemId: '78', price: { amount: 100, currency: 'CNY' } },
          ],
          updatedAt: '2026-11-24T00:00:00Z',
        }),
      ],
    });
    expect(await s.catalog.skuForInventoryItem('77')).toBe('SOFA-GREY');
    expect(await s.catalog.skuForInventoryItem('78')).toBeNull();
  });
});
