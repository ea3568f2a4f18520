import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalogRepository } from '#adapters/dynamodb/catalog-repository';
import { DynamoDeliveryStore } from '#adapters/dynamodb/delivery-store';
import { tableSchema } from '#adapters/dynamodb/schema';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import type { DeliveryRecord } from '#domain/ingestion/accept-delivery';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

let dynamo: LocalDynamo;
beforeAll(async () => {
  dynamo = await startLocalDynamo('adapters-test');
});
afterAll(async () => {
  await dynamo.stop();
});

const record = (deliveryId: string, over: Partial<DeliveryRecord> = {}): DeliveryRecord => ({
  source: 'shopify',
  deliveryId,
  name: 'orders/paid',
  origin: 'shopify:demo',
  receivedAt: '2026-11-24T00:00:00.000Z',
  status: 'RECEIVED',
  leaseUntil: '2026-11-24T00:00:30.000Z',
  bodySha256: 'f00',
  bodyBytes: 3,
  keys: [{ type: 'order', id: '1' }],
  events: [],
  ...over,
});

describe('DynamoDeliveryStore (conditional writes on the real wire protocol)', () => {
  it('claims once; a second claim returns the stored record unchanged', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    expect(await store.claim(record('d1'))).toEqual({ claimed: true });
    const second = await store.claim(record('d1', { name: 'other', receivedAt: '2030-01-01T00:00:00.000Z' }));
    expect(second).toEqual({ claimed: false, existing: record('d1') });
  });

  it('lists unpublished deliveries on the sparse GSI until they are published', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    await store.claim(record('d2'));
    const pending = async () =>
      (
        await dynamo.doc.send(
          new QueryCommand({
            TableName: dynamo.tableName,
            IndexName: tableSchema.indexes.gsi1.indexName,
            KeyConditionExpression: 'gsi1pk = :p',
            ExpressionAttributeValues: { ':p': 'DELIVERY#RECEIVED' },
          }),
        )
      ).Items?.map((i) => i.deliveryId);
    expect(await pending()).toContain('d2');
    await store.markPublished('shopify', 'd2', '2026-11-24T00:00:01.000Z');
    expect(await pending()).not.toContain('d2');
    const again = await store.claim(record('d2'));
    expect(again.claimed ? null : again.existing.status).toBe('PUBLISHED');
  });

  it('takes over only a RECEIVED delivery whose lease has run out, and only once', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    await store.claim(record('d3'));
    expect(
      await store.takeOver('shopify', 'd3', '2026-11-24T00:00:10.000Z', '2026-11-24T00:00:40.000Z'),
    ).toBe(false);
    expect(
      await store.takeOver('shopify', 'd3', '2026-11-24T00:00:31.000Z', '2026-11-24T00:01:01.000Z'),
    ).toBe(true);
    // The new lease holds off a second taker.
    expect(
      await store.takeOver('shopify', 'd3', '2026-11-24T00:00:32.000Z', '2026-11-24T00:01:02.000Z'),
    ).toBe(false);
    await store.markPublished('shopify', 'd3', '2026-11-24T00:00:33.000Z');
    expect(
      await store.takeOver('shopify', 'd3', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:30.000Z'),
    ).toBe(false);
    // An unknown delivery is never taken over.
    expect(
      await store.takeOver('shopify', 'never', '2030-01-01T00:00:00.000Z', '2030-01-01T00:00:30.000Z'),
    ).toBe(false);
  });
});

describe('DynamoTimelineRepository', () => {
  it('orders by time, then webhook before event within one instant, and records each ref once', async () => {
    const repo = new DynamoTimelineRepository(dynamo.doc, dynamo.tableName);
    const key = { type: 'order' as const, id: 'T-1' };
    const at = '2026-11-24T00:00:00.000Z';
    await repo.record([
      { key, at, kind: 'event', name: 'OrderPaid', detail: {}, ref: 'e1' },
      { key, at: '2026-11-23T23:59:59.000Z', kind: 'event', name: 'OrderPlaced', detail: {}, ref: 'e0' },
      { key, at, kind: 'webhook', name: 'orders/paid', detail: { n: 1 }, ref: 'w1' },
    ]);
    await repo.record([{ key, at, kind: 'event', name: 'OrderPaid', detail: {}, ref: 'e1' }]);
    const page = await repo.list(key, { limit: 10, cursor: null });
    expect(page.items.map((i) => i.name)).toEqual(['OrderPlaced', 'orders/paid', 'OrderPaid']);
    expect(page.nextCursor).toBeNull();
    expect(page.items[1]?.detail).toEqual({ n: 1 });
  });
});

describe('DynamoCatalogRepository', () => {
  it('remembers inventory item → SKU and answers null for unknown items', async () => {
    const repo = new DynamoCatalogRepository(dynamo.doc, dynamo.tableName);
    expect(await repo.skuForInventoryItem('42')).toBeNull();
    await repo.rememberInventoryItems([{ inventoryItemId: '42', sku: 'SOFA' }]);
    expect(await repo.skuForInventoryItem('42')).toBe('SOFA');
  });
});
