import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchPut } from '#adapters/dynamodb/batch';
import { DynamoCatalogRepository } from '#adapters/dynamodb/catalog-repository';
import { DynamoDeliveryStore, EVENTS_INLINE_MAX_BYTES } from '#adapters/dynamodb/delivery-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import type { DeliveryRecord } from '#domain/ingestion/accept-delivery';
import { ValidationError } from '#domain/shared/errors';
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
  factKey: deliveryId,
  deliveryId,
  name: 'orders/paid',
  origin: 'shopify:demo',
  receivedAt: '2026-11-24T00:00:00.000Z',
  status: 'RECEIVED',
  leaseUntil: '2026-11-24T00:00:30.000Z',
  bodySha256: 'f00',
  bodyBytes: 3,
  extraKeys: [{ type: 'order', id: '1' }],
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

  it('keys the record by the fact, so another delivery of the same fact finds it', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    const fact = 'orders/paid:7@2026-11-24T00:00:00Z';
    expect(await store.claim(record('wh-a', { factKey: fact }))).toEqual({ claimed: true });
    const replay = await store.claim(record('wh-b', { factKey: fact }));
    expect(replay.claimed ? null : replay.existing.deliveryId).toBe('wh-a');
    await store.markPublished('shopify', fact, '2026-11-24T00:00:01.000Z');
    const again = await store.claim(record('wh-c', { factKey: fact }));
    expect(again.claimed ? null : again.existing.status).toBe('PUBLISHED');
    // No listing index entry: nothing reads unpublished deliveries any more.
    expect((await dynamo.scanAll()).filter((i) => i.gsi1pk !== undefined)).toEqual([]);
  });

  it('remembers the body a delivery id carried and reports a different one, recorded once per body', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    const first = {
      deliveryId: 'wh-r',
      factKey: 'f1',
      bodySha256: 'aaa',
      receivedAt: '2026-11-24T00:00:00.000Z',
    };
    expect(await store.rememberDeliveryId('shopify', first)).toBeNull();
    // A platform retry: same id, same body.
    expect(
      await store.rememberDeliveryId('shopify', { ...first, receivedAt: '2026-11-24T00:01:00.000Z' }),
    ).toBeNull();
    const other = { ...first, factKey: 'f2', bodySha256: 'bbb', receivedAt: '2026-11-24T00:02:00.000Z' };
    const previous = await store.rememberDeliveryId('shopify', other);
    expect(previous).toEqual({ factKey: 'f1', bodySha256: 'aaa', receivedAt: '2026-11-24T00:00:00.000Z' });
    const reuse = { ...other, previous: previous! };
    await store.recordDeliveryIdReuse('shopify', reuse);
    await store.recordDeliveryIdReuse('shopify', reuse);
    const items = (await dynamo.scanAll()).filter((i) => i.pk === 'DELIVERYID#shopify#wh-r');
    expect(items.map((i) => i.sk)).toEqual(['DELIVERYID', 'REUSE#bbb']);
    expect(items[0]).toMatchObject({ bodySha256: 'aaa', factKey: 'f1' });
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

  it('keeps a large outbox gzipped in one attribute and gives back the same events to finish it', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    const lines = Array.from({ length: 2000 }, (_, i) => ({
      sku: `SKU-${i}`,
      productId: String(1000 + i),
      variantId: null,
      title: `Line ${i}`,
      quantity: (i % 7) + 1,
      unitPrice: { amount: 100 + i, currency: 'CNY' },
    }));
    const events = [
      {
        source: 'storeflow.ingestion',
        detailType: 'OrderPaid',
        detail: {
          metadata: { eventId: 'e-big', publishedAt: '2026-11-24T00:00:00.000Z', correlationId: 'big' },
          data: { orderId: '42', lines, total: { amount: 1.5e9, currency: 'CNY' }, note: null },
        },
      },
    ] as unknown as DeliveryRecord['events'];
    const big = record('big', { events });
    expect(Buffer.byteLength(JSON.stringify(events))).toBeGreaterThan(EVENTS_INLINE_MAX_BYTES);
    expect(await store.claim(big)).toEqual({ claimed: true });

    const item = (await dynamo.scanAll()).find((i) => i.pk === 'DELIVERY#shopify#big');
    expect(item?.events).toBeUndefined();
    expect(item?.eventsGzip).toBeInstanceOf(Uint8Array);
    // The stored item is a few KB, not the ~350 KB the events take as attribute values.
    const { eventsGzip, ...rest } = item ?? {};
    expect((eventsGzip as Uint8Array).byteLength + Buffer.byteLength(JSON.stringify(rest))).toBeLessThan(
      32 * 1024,
    );

    // A retry of the RECEIVED fact finishes it with exactly the events (and ids) first recorded.
    const retry = await store.claim(record('big', { receivedAt: '2030-01-01T00:00:00.000Z' }));
    expect(retry).toEqual({ claimed: false, existing: big });
    await store.markPublished('shopify', 'big', '2026-11-24T00:00:01.000Z');
    const after = await store.claim(big);
    expect(after.claimed ? null : after.existing).toEqual({ ...big, status: 'PUBLISHED' });
  });

  it('keeps a small outbox inline, readable as attribute values', async () => {
    const store = new DynamoDeliveryStore(dynamo.doc, dynamo.tableName);
    const events = [
      {
        source: 'storeflow.ingestion',
        detailType: 'OrderPaid',
        detail: { metadata: { eventId: 'e-small' }, data: { orderId: '7' } },
      },
    ] as unknown as DeliveryRecord['events'];
    await store.claim(record('small', { events }));
    const item = (await dynamo.scanAll()).find((i) => i.pk === 'DELIVERY#shopify#small');
    expect(item?.events).toEqual(events);
    expect(item?.eventsGzip).toBeUndefined();
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

  it('records thousands of lines in batches and pages through them', async () => {
    const repo = new DynamoTimelineRepository(dynamo.doc, dynamo.tableName);
    const key = { type: 'sku' as const, id: 'MANY' };
    const entries = Array.from({ length: 260 }, (_, i) => ({
      key,
      at: `2026-11-24T00:00:${String(i % 60).padStart(2, '0')}.${String(i).padStart(3, '0')}Z`,
      kind: 'event' as const,
      name: 'OrderPaid',
      detail: { i },
      ref: `e-${i}`,
    }));
    await repo.record(entries);
    const seen: number[] = [];
    let cursor: string | null = null;
    do {
      const page = await repo.list(key, { limit: 100, cursor });
      seen.push(...page.items.map((i) => i.detail.i as number));
      cursor = page.nextCursor;
    } while (cursor);
    expect(seen.sort((a, b) => a - b)).toEqual(entries.map((_, i) => i));
  });

  it('refuses a cursor that names another timeline or a key DynamoDB would refuse, naming the field', async () => {
    const repo = new DynamoTimelineRepository(dynamo.doc, dynamo.tableName);
    const key = { type: 'order' as const, id: 'T-1' };
    const forge = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    for (const cursor of [
      'not-base64-json',
      forge({ pk: 'ORDER#other', sk: 'TL#x' }),
      forge({ pk: 'ORDER#T-1', sk: `TL#${'x'.repeat(2000)}` }),
      forge({ pk: 'ORDER#T-1', sk: 'PRESALE_ORDER' }),
      forge({ pk: 'ORDER#T-1' }),
    ]) {
      const error = await repo.list(key, { limit: 10, cursor }).catch((e: unknown) => e);
      expect(error, cursor.slice(0, 40)).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).issues[0]?.field).toBe('cursor');
    }
  });
});

describe('batchPut', () => {
  it('retries the items DynamoDB leaves unprocessed, with backoff, until none is left', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(doc);
    let calls = 0;
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => {
      calls++;
      const requests = input.RequestItems.t ?? [];
      // Throttle the second half of every batch on its first try.
      return calls <= 2 ? { UnprocessedItems: { t: requests.slice(Math.ceil(requests.length / 2)) } } : {};
    });
    const waits: number[] = [];
    await batchPut(
      doc,
      't',
      Array.from({ length: 30 }, (_, i) => ({ pk: `k${i}` })),
      async (ms) => {
        waits.push(ms);
      },
    );
    const sent = mock.commandCalls(BatchWriteCommand).map((c) => c.args[0].input.RequestItems?.t?.length);
    expect(sent.slice(0, 2).sort()).toEqual([25, 5]);
    // 25 → 12 left over, 5 → 2 left over; each retried once.
    expect(sent.reduce((a, b) => a! + b!, 0)).toBe(30 + 12 + 2);
    expect(waits).toHaveLength(2);
  });

  it('gives up with an error naming how many items are left when DynamoDB never takes them', async () => {
    const doc = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
    const mock = mockClient(doc);
    mock.on(BatchWriteCommand).callsFake((input: { RequestItems: Record<string, unknown[]> }) => ({
      UnprocessedItems: { t: input.RequestItems.t },
    }));
    await expect(batchPut(doc, 't', [{ pk: 'a' }], async () => {})).rejects.toThrow(
      /1 item\(s\) unprocessed after 8 attempts/,
    );
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
