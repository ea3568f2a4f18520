import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoRestockStore } from '#adapters/dynamodb/restock-store';
import { DynamoPromiseStore } from '#adapters/dynamodb/sla-store';
import { ValidationError } from '#domain/shared/errors';
import { DEFAULT_PROMISE_POLICIES, type StoredPolicy } from '#domain/sla/policy';
import type { SlaPromise } from '#domain/sla/store';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The SLA store on DynamoDB's wire protocol (dynalite): the conditional writes the exactly-once
 * and cap guarantees rest on, the keys (ids with colons), the ledger's range and paging.
 */
let dynamo: LocalDynamo;
let store: DynamoPromiseStore;
beforeAll(async () => {
  dynamo = await startLocalDynamo('sla-store-test');
  store = new DynamoPromiseStore(dynamo.doc, dynamo.tableName);
});
afterAll(async () => {
  await dynamo.stop();
});

const at = '2026-12-01T03:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const policy = (id: string): StoredPolicy => ({
  ...DEFAULT_PROMISE_POLICIES.find((p) => p.policyId === id)!,
  version: 0,
  updatedAt: null,
});

function promise(orderId: string, policyId: string, over: Partial<SlaPromise> = {}): SlaPromise {
  const p = policy(policyId);
  return {
    promiseId: `order:${orderId}:${policyId}`,
    subject: { type: 'order', id: orderId },
    orderId,
    ticketId: null,
    customerId: 'C-1',
    policyId,
    kind: p.kind,
    policy: p,
    status: 'OPEN',
    reason: null,
    startedAt: at,
    startEvent: { detailType: 'OrderPaid', eventId: 'e-1' },
    deadline: '2026-12-01T10:00:00.000Z',
    fulfilledAt: null,
    lateSeconds: null,
    breachedAt: null,
    compensation: null,
    registeredAt: at,
    updatedAt: at,
    ...over,
  };
}

describe('promise policies', () => {
  it('saves a policy once per version; a stale version is refused', async () => {
    const p = { ...policy('dispatch-24h'), version: undefined, updatedAt: undefined };
    const first = await store.savePolicy(p, null, at);
    expect(first).toMatchObject({ policyId: 'dispatch-24h', version: 1 });
    expect(await store.savePolicy(p, null, at)).toBeNull();
    expect(await store.savePolicy({ ...p, active: false }, 1, at)).toMatchObject({
      version: 2,
      active: false,
    });
    expect(await store.savePolicy(p, 1, at)).toBeNull();
    const listed = await store.listPolicies();
    expect(listed.map((l) => [l.policyId, l.version, l.active])).toEqual([['dispatch-24h', 2, false]]);
  });
});

describe('orders, categories and fulfilments', () => {
  it('keeps a paid order’s facts and reads SKU categories from the restock catalog', async () => {
    const restock = new DynamoRestockStore(dynamo.doc, dynamo.tableName);
    await restock.saveSupplier(
      { supplierId: 'S1', name: 'S1', tier: 'core', leadTimeDays: 5, currency: 'CNY' },
      null,
      at,
    );
    for (const [sku, category] of [
      ['MILK-1', 'fresh-food'],
      ['PILL-1', 'medicine'],
      ['SOFA-1', 'furniture'],
    ] as const) {
      const saved = await restock.saveSku(
        {
          sku,
          title: sku,
          category,
          supply: [{ supplierId: 'S1', unitCost: cny(100), casePack: 1, minOrderQty: 0 }],
        },
        0,
        null,
        at,
      );
      expect(saved.saved).toBe(true);
    }
    expect((await store.categoriesOf(['MILK-1', 'PILL-1', 'MILK-1', 'UNKNOWN'])).sort()).toEqual([
      'fresh-food',
      'medicine',
    ]);
    expect(await store.categoriesOf([])).toEqual([]);
    // More SKUs than one BatchGetItem takes (100).
    const many = [...Array.from({ length: 150 }, (_, i) => `NONE-${i}`), 'SOFA-1'];
    expect(await store.categoriesOf(many)).toEqual(['furniture']);

    const facts = {
      orderId: 'O:with:colons',
      total: cny(12_345),
      customerId: null,
      region: 'Shanghai',
      skus: ['MILK-1'],
      paidAt: at,
    };
    await store.recordOrder(facts);
    expect(await store.getOrder('O:with:colons')).toEqual(facts);
    expect(await store.getOrder('O-missing')).toBeNull();
  });

  it('keeps the earliest fulfilment of a subject, whatever order the events come in', async () => {
    const subject = { type: 'order', id: 'F-1' } as const;
    expect(await store.fulfilment(subject, 'OrderDelivered')).toBeNull();
    expect(await store.recordFulfilment(subject, 'OrderDelivered', '2026-12-01T09:00:00.000Z')).toBe(
      '2026-12-01T09:00:00.000Z',
    );
    // A later duplicate does not move it; an earlier one (events out of order) does.
    expect(await store.recordFulfilment(subject, 'OrderDelivered', '2026-12-01T11:00:00.000Z')).toBe(
      '2026-12-01T09:00:00.000Z',
    );
    expect(await store.recordFulfilment(subject, 'OrderDelivered', '2026-12-01T08:00:00.000Z')).toBe(
      '2026-12-01T08:00:00.000Z',
    );
    expect(await store.fulfilment(subject, 'OrderDelivered')).toBe('2026-12-01T08:00:00.000Z');
    expect(await store.fulfilment(subject, 'ShipmentDispatched')).toBeNull();
    expect(await store.fulfilment({ type: 'ticket', id: 'F-1' }, 'OrderDelivered')).toBeNull();
  });

  it("reads all of a subject's fulfilments in one query, and only that subject's", async () => {
    const subject = { type: 'order', id: 'F-2' } as const;
    expect(await store.fulfilmentsOf(subject)).toEqual({});
    await store.recordFulfilment(subject, 'ShipmentDispatched', '2026-12-01T07:00:00.000Z');
    await store.recordFulfilment(subject, 'OrderDelivered', '2026-12-02T07:00:00.000Z');
    await store.recordFulfilment({ type: 'order', id: 'F-20' }, 'OrderDelivered', '2026-12-03T07:00:00.000Z');
    await store.recordFulfilment({ type: 'ticket', id: 'F-2' }, 'TicketResolved', '2026-12-03T07:00:00.000Z');
    await store.recordOrder({
      orderId: 'F-2',
      total: { amount: 100, currency: 'CNY' },
      customerId: null,
      region: null,
      skus: [],
      paidAt: '2026-12-01T06:00:00.000Z',
    });
    expect(await store.fulfilmentsOf(subject)).toEqual({
      ShipmentDispatched: '2026-12-01T07:00:00.000Z',
      OrderDelivered: '2026-12-02T07:00:00.000Z',
    });
  });
});

describe('promises', () => {
  it('registers a promise once; the second registration returns the first', async () => {
    const first = promise('P:1', 'same-day-delivery');
    expect(await store.register(first)).toEqual({ created: true, promise: first });
    const again = await store.register({ ...first, deadline: '2030-01-01T00:00:00.000Z' });
    expect(again).toEqual({ created: false, promise: first });
    expect(await store.getPromise('order:P:1:same-day-delivery')).toEqual(first);
    expect(await store.getPromise('order:P:1:dispatch-24h')).toBeNull();
  });

  it('lists a subject’s promises and only its own (an id that prefixes another is not confused)', async () => {
    await store.register(promise('Q-1', 'dispatch-24h'));
    await store.register(promise('Q-1', 'next-day-delivery'));
    await store.register(promise('Q-10', 'dispatch-24h'));
    const ids = (await store.listPromises({ type: 'order', id: 'Q-1' })).map((p) => p.promiseId).sort();
    expect(ids).toEqual(['order:Q-1:dispatch-24h', 'order:Q-1:next-day-delivery']);
    expect(await store.listPromises({ type: 'ticket', id: 'Q-1' })).toEqual([]);
  });

  it('moves a promise only from the statuses given, and sets its compensation once', async () => {
    const p = promise('U-1', 'dispatch-24h');
    await store.register(p);
    const kept = await store.update(p.promiseId, ['BREACHED'], { status: 'KEPT' }, at);
    expect(kept).toMatchObject({ moved: false, promise: { status: 'OPEN' } });
    const breached = await store.update(
      p.promiseId,
      ['OPEN'],
      { status: 'BREACHED', breachedAt: p.deadline },
      '2026-12-01T10:05:00.000Z',
    );
    expect(breached).toMatchObject({
      moved: true,
      promise: { status: 'BREACHED', breachedAt: p.deadline, updatedAt: '2026-12-01T10:05:00.000Z' },
    });
    const compensation = {
      type: 'coupon',
      amount: cny(500),
      requested: cny(500),
      capped: false,
      basis: 'coupon 500 CNY',
      multiplierBps: 10_000,
      lateSeconds: 0,
      rule: 'sla/1',
      idempotencyKey: 'k-1',
      issuedAt: at,
    } as const;
    expect((await store.update(p.promiseId, ['BREACHED'], { compensation }, at)).moved).toBe(true);
    const second = await store.update(
      p.promiseId,
      ['BREACHED'],
      { compensation: { ...compensation, amount: cny(1) } },
      at,
    );
    expect(second).toMatchObject({ moved: false, promise: { compensation: { amount: cny(500) } } });
    // Concurrent moves of one promise: exactly one wins.
    const q = promise('U-2', 'dispatch-24h');
    await store.register(q);
    const racing = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        store.update(q.promiseId, ['OPEN'], { status: i % 2 ? 'KEPT' : 'BREACHED' }, at),
      ),
    );
    expect(racing.filter((r) => r.moved)).toHaveLength(1);
    expect(await store.update('order:U-missing:dispatch-24h', ['OPEN'], { status: 'KEPT' }, at)).toEqual({
      moved: false,
      promise: null,
    });
  });

  it('refuses a promise id that is not one', async () => {
    await expect(store.getPromise('order-without-policy')).rejects.toBeInstanceOf(ValidationError);
    await expect(store.getPromise('invoice:1:x')).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('the compensation cap', () => {
  it('grants at most the cap across an order’s promises, once per promise, under concurrency', async () => {
    const cap = cny(10_000);
    const grants = await Promise.all(
      Array.from({ length: 7 }, (_, i) => store.reserve('order:CAP-1', `p-${i}`, cny(2_000), cap)),
    );
    expect(grants.reduce((sum, g) => sum + g.amount, 0)).toBe(10_000);
    expect(grants.every((g) => g.currency === 'CNY' && Number.isInteger(g.amount) && g.amount >= 0)).toBe(
      true,
    );
    expect(grants.filter((g) => g.amount === 2_000)).toHaveLength(5);
    // The same promise again gets its first grant back, not a second one.
    for (let i = 0; i < 7; i++) {
      expect(await store.reserve('order:CAP-1', `p-${i}`, cny(2_000), cap)).toEqual(grants[i]);
    }
    // A partial grant when less than asked is left.
    expect(await store.reserve('order:CAP-2', 'a', cny(7_000), cap)).toEqual(cny(7_000));
    expect(await store.reserve('order:CAP-2', 'b', cny(7_000), cap)).toEqual(cny(3_000));
    // Another currency than the cap's is not granted (the cap could not hold).
    expect(await store.reserve('order:CAP-3', 'c', { amount: 100, currency: 'USD' }, cap)).toEqual(cny(0));
  });
});

describe('the SLA ledger', () => {
  it('lists breaches by deadline in [from, to), by kind, a page at a time, with totals', async () => {
    const deadlines = [
      '2026-11-01T00:00:00.000Z',
      '2026-11-02T00:00:00.000Z',
      '2026-11-03T00:00:00.000Z',
      '2026-11-04T00:00:00.000Z',
    ];
    for (const [i, deadline] of deadlines.entries()) {
      for (const policyId of ['dispatch-24h', 'same-day-delivery']) {
        const p = promise(`L-${i}`, policyId, { deadline });
        await store.register(p);
        await store.update(p.promiseId, ['OPEN'], { status: 'BREACHED', breachedAt: deadline }, at);
        await store.update(
          p.promiseId,
          ['BREACHED'],
          {
            compensation: {
              type: 'coupon',
              amount: cny(policyId === 'dispatch-24h' ? 500 : 2_000),
              requested: cny(policyId === 'dispatch-24h' ? 500 : 2_000),
              capped: false,
              basis: 'coupon',
              multiplierBps: 10_000,
              lateSeconds: 0,
              rule: 'sla/1',
              idempotencyKey: `k-${i}-${policyId}`,
              issuedAt: at,
            },
          },
          at,
        );
      }
    }
    // An open promise is not in the ledger.
    await store.register(promise('L-open', 'dispatch-24h', { deadline: deadlines[1]! }));

    const filter = { from: deadlines[1]!, to: deadlines[3]! };
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page = await store.listBreaches(filter, cursor, 3);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((p) => `${p.deadline}|${p.policyId}`));
      cursor = page.cursor;
    } while (cursor);
    expect(seen).toEqual([
      `${deadlines[1]}|dispatch-24h`,
      `${deadlines[1]}|same-day-delivery`,
      `${deadlines[2]}|dispatch-24h`,
      `${deadlines[2]}|same-day-delivery`,
    ]);
    const delivery = await store.listBreaches({ ...filter, kind: 'delivery' }, null, 10);
    expect(delivery.items.map((p) => p.policyId)).toEqual(['same-day-delivery', 'same-day-delivery']);
    // A kind filter still fills each page (DynamoDB's Limit counts the items read, not those kept).
    const pages: string[][] = [];
    cursor = null;
    do {
      const page = await store.listBreaches({ ...filter, kind: 'delivery' }, cursor, 1);
      pages.push(page.items.map((p) => `${p.deadline}|${p.policyId}`));
      cursor = page.cursor;
    } while (cursor);
    expect(pages.slice(0, 2)).toEqual([
      [`${deadlines[1]}|same-day-delivery`],
      [`${deadlines[2]}|same-day-delivery`],
    ]);
    expect(pages.slice(2).flat()).toEqual([]);
    expect(await store.breachTotals(filter)).toEqual([
      { kind: 'delivery', count: 2, amount: cny(4_000) },
      { kind: 'dispatch', count: 2, amount: cny(1_000) },
    ]);
    expect(await store.breachTotals({ ...filter, kind: 'dispatch' })).toEqual([
      { kind: 'dispatch', count: 2, amount: cny(1_000) },
    ]);
  });

  it('refuses a cursor it did not hand out', async () => {
    const filter = { from: '2026-01-01T00:00:00.000Z', to: '2027-01-01T00:00:00.000Z' };
    await expect(store.listBreaches(filter, 'not-a-cursor', 10)).rejects.toThrow(ValidationError);
    const forged = Buffer.from(JSON.stringify({ pk: 'x'.repeat(5000) })).toString('base64url');
    await expect(store.listBreaches(filter, forged, 10)).rejects.toThrow(/cursor/);
  });
});
