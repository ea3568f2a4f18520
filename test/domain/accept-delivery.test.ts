import { describe, expect, it } from 'vitest';
import { canonicalEvent } from '#domain/events/catalog';
import {
  acceptDelivery,
  DELIVERY_LEASE_SECONDS,
  type DeliveryInput,
} from '#domain/ingestion/accept-delivery';
import { ManualClock } from '#domain/shared/clock';
import { DeliveryInProgressError } from '#domain/shared/errors';
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

const input = (deliveryId: string): DeliveryInput => ({
  source: 'storeflow',
  deliveryId,
  name: 'presale.deposit_paid',
  origin: 'storeflow',
  bodySha256: 'abc',
  bodyBytes: 10,
  events: [
    canonicalEvent('PresaleDepositPaid', {
      orderId: 'O-1',
      presaleId: 'P-1',
      customerId: 'C-1',
      amount: { amount: 50000, currency: 'CNY' },
      paidAt: '2026-11-24T00:00:00Z',
    }),
  ],
});

describe('acceptDelivery', () => {
  it('publishes once with a deterministic event id and records the webhook on each key', async () => {
    const s = setup();
    const first = await s.accept(input('d-1'));
    expect(first.outcome).toBe('accepted');
    expect(s.publisher.events).toHaveLength(1);
    expect(s.publisher.events[0]?.detail.metadata).toEqual({
      eventId: first.eventIds[0],
      publishedAt: '2026-11-24T00:00:00.000Z',
      correlationId: 'd-1',
      origin: 'storeflow',
    });
    expect([...s.timeline.entries.values()].map((e) => `${e.key.type}:${e.key.id}:${e.kind}`).sort()).toEqual(
      ['order:O-1:webhook', 'presale:P-1:webhook'],
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

  it('the same delivery id from two sources is two deliveries', async () => {
    const s = setup();
    await s.accept(input('same'));
    await s.accept({ ...input('same'), source: 'shopify' });
    expect(s.publisher.events).toHaveLength(2);
    expect(new Set(s.publisher.events.map((e) => e.detail.metadata.eventId)).size).toBe(2);
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
