import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogBucket, DynamoRestockStore, PROJECT_CONDITIONAL_MAX } from '#adapters/dynamodb/restock-store';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { purchaseOrderApproval } from '#domain/restock/approval';
import { restockCheck } from '#domain/restock/check';
import { salesLedger } from '#domain/restock/ledger';
import { DEFAULT_POLICY, RESTOCK_POLICY_DEFAULTS } from '#domain/restock/policy';
import type { OrderSale } from '#domain/restock/store';
import { CATALOG_BUCKETS, restockSweep, SWEEP_CHECK_CONCURRENCY } from '#domain/restock/sweep';
import { ManualClock } from '#domain/shared/clock';
import { ConflictError, ValidationError } from '#domain/shared/errors';
import { MemoryPublisher } from '#test/support/memory-ports';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The restock store on DynamoDB's wire protocol (dynalite), with the use cases whose correctness
 * rests on its conditional writes: the sales ledger's once-per-line counting, one open purchase
 * order per SKU and supplier, receipts counted once.
 */
let dynamo: LocalDynamo;
let store: DynamoRestockStore;
beforeAll(async () => {
  dynamo = await startLocalDynamo('restock-store-test');
  store = new DynamoRestockStore(dynamo.doc, dynamo.tableName);
});
afterAll(async () => {
  await dynamo.stop();
});

const at = '2026-11-24T02:00:00.000Z';
const cny = (amount: number) => ({ amount, currency: 'CNY' });

async function sku(id: string, onHand = 0) {
  await store.saveSupplier(
    { supplierId: 'S1', name: 'S1', tier: 'core', leadTimeDays: 5, currency: 'CNY' },
    (await store.getSupplier('S1'))?.version ?? null,
    at,
  );
  const saved = await store.saveSku(
    {
      sku: id,
      title: id,
      category: 'c',
      supply: [{ supplierId: 'S1', unitCost: cny(100), casePack: 1, minOrderQty: 0 }],
    },
    onHand,
    null,
    at,
  );
  if (!saved.saved) throw new Error('not saved');
  return saved.record;
}

describe('the sales ledger on DynamoDB', () => {
  const ledger = () => salesLedger({ store, policy: async () => DEFAULT_POLICY });
  const paid = (orderId: string, lines: Array<[string, number]>, paidAt = '2026-11-20T03:00:00Z') => ({
    orderId,
    orderName: null,
    shopDomain: null,
    customerId: null,
    total: cny(100),
    subtotal: cny(100),
    lines: lines.map(([sku, quantity]) => ({
      sku,
      productId: null,
      variantId: null,
      title: sku,
      quantity,
      unitPrice: cny(1),
    })),
    shippingRegion: null,
    placedAt: paidAt,
    paidAt,
  });

  it('counts each order line once on the day paid (store time zone), whatever the replays', async () => {
    await ledger().orderPaid(
      paid(
        'L-1',
        [
          ['LX', 2],
          ['LX', 3],
          ['LY', 1],
        ],
        '2026-11-20T17:00:00Z',
      ),
    );
    await ledger().orderPaid(paid('L-1', [['LX', 99]], '2026-11-22T17:00:00Z'));
    // 17:00 UTC is 01:00 the next day in Shanghai.
    expect(await store.unitsSold('LX', '2026-11-21', '2026-11-21')).toBe(5);
    expect(await store.unitsSold('LX', '2026-11-20', '2026-11-20')).toBe(0);
    expect(await store.unitsSold('LY', '2026-11-01', '2026-11-30')).toBe(1);
  });

  it('a refund takes its lines back once; a cancellation takes the whole order back', async () => {
    await ledger().orderPaid(paid('L-2', [['LZ', 10]]));
    const refund = {
      orderId: 'L-2',
      refundId: 'R-1',
      amount: cny(300),
      lines: [{ sku: 'LZ', quantity: 3 }],
      refundedAt: at,
    };
    await ledger().refundIssued(refund);
    await ledger().refundIssued(refund);
    expect(await store.unitsSold('LZ', '2026-11-01', '2026-11-30')).toBe(7);
    await ledger().orderCancelled({ orderId: 'L-2', reason: null, cancelledAt: at, skus: ['LZ'] });
    expect(await store.unitsSold('LZ', '2026-11-01', '2026-11-30')).toBe(0);
  });

  it('out of order: a refund before the sale is applied when the sale arrives', async () => {
    await ledger().refundIssued({
      orderId: 'L-3',
      refundId: 'R-9',
      amount: cny(100),
      lines: [{ sku: 'LW', quantity: 1 }],
      refundedAt: at,
    });
    expect(await store.unitsSold('LW', '2026-11-01', '2026-11-30')).toBe(0);
    await ledger().orderPaid(paid('L-3', [['LW', 4]]));
    expect(await store.unitsSold('LW', '2026-11-01', '2026-11-30')).toBe(3);
  });

  it('a big order is written in batches; an older version landing last is told, and the newest stays', async () => {
    const skus = Array.from({ length: 3 * PROJECT_CONDITIONAL_MAX + 7 }, (_, i) => `BG-${i}`);
    const lines = Object.fromEntries(skus.map((sku) => [sku, 2]));
    const zeros = Object.fromEntries(skus.map((sku) => [sku, 0]));
    const day = '2026-11-21';
    const first = await store.recordSale('L-BIG', day, lines);
    expect(await store.projectSale(first, lines)).toBe('written');
    for (const sku of skus) expect(await store.unitsSold(sku, day, day)).toBe(2);
    const cancelled = await store.recordCancellation('L-BIG');
    expect(await store.projectSale(cancelled, zeros)).toBe('written');
    // A slow consumer late with the older version: its batch lands over the newer projection, and
    // the version read after it says so.
    expect(await store.projectSale(first, lines)).toBe('superseded');
    expect(await store.unitsSold('BG-3', day, day)).toBe(2);
    expect(await store.projectSale(cancelled, zeros)).toBe('written');
    for (const sku of skus) expect(await store.unitsSold(sku, day, day)).toBe(0);
  });

  it('the ledger projects the newest version again when a big order changed under its batch', async () => {
    const skus = Array.from({ length: 2 * PROJECT_CONDITIONAL_MAX }, (_, i) => `BR-${i}`);
    // The order is cancelled, and that projected, between the payment's record and its projection.
    class Racing extends DynamoRestockStore {
      raced = 0;
      override async projectSale(sale: OrderSale, units: Readonly<Record<string, number>>) {
        if (this.raced++ === 0) {
          const cancelled = await store.recordCancellation(sale.orderId);
          await store.projectSale(cancelled, Object.fromEntries(Object.keys(units).map((k) => [k, 0])));
        }
        return super.projectSale(sale, units);
      }
    }
    const racing = new Racing(dynamo.doc, dynamo.tableName);
    const projected = await salesLedger({ store: racing, policy: async () => DEFAULT_POLICY }).orderPaid(
      paid(
        'L-RACE',
        skus.map((sku) => [sku, 3]),
      ),
    );
    expect(projected).toEqual({ skus: skus.length });
    expect(racing.raced).toBe(2); // the payment's projection, then the cancellation's again
    for (const sku of skus) expect(await store.unitsSold(sku, '2026-11-20', '2026-11-20')).toBe(0);
  });

  it('an older version of an order never overwrites a newer one', async () => {
    const first = await store.recordSale('L-4', '2026-11-20', { LV: 5 });
    const cancelled = await store.recordCancellation('L-4');
    await store.projectSale(cancelled, { LV: 0 });
    await store.projectSale(first, { LV: 5 }); // a slow consumer, late with the older version
    expect(await store.unitsSold('LV', '2026-11-20', '2026-11-20')).toBe(0);
  });
});

describe('purchase orders on DynamoDB', () => {
  const clock = new ManualClock(at);
  const deps = () => ({
    store,
    publisher: new MemoryPublisher(),
    timeline: new DynamoTimelineRepository(dynamo.doc, dynamo.tableName),
    clock,
  });

  it('spreads SKUs over every catalog bucket', () => {
    const buckets = new Set(Array.from({ length: 2000 }, (_, i) => catalogBucket(`SKU-${i}`)));
    expect(buckets.size).toBe(CATALOG_BUCKETS);
  });

  it('one slot claim wins among concurrent claims; a release frees it for the next purchase order', async () => {
    const claims = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        store.claimSlot('PX', 'S1', 1, { poId: `PO-${i}`, quantity: 5, received: 0, claimedBy: `t${i}` }),
      ),
    );
    expect(claims.filter(Boolean)).toHaveLength(1);
    const slot = await store.getSlot('PX', 'S1');
    expect(slot.seq).toBe(1);
    await store.releaseSlot('PX', 'S1', 'PO-not-it');
    expect((await store.getSlot('PX', 'S1')).open).not.toBeNull();
    await store.releaseSlot('PX', 'S1', slot.open!.poId);
    expect(
      await store.claimSlot('PX', 'S1', 1, { poId: 'again', quantity: 1, received: 0, claimedBy: 'x' }),
    ).toBe(false);
    expect(
      await store.claimSlot('PX', 'S1', 2, { poId: 'PO-next', quantity: 1, received: 0, claimedBy: 'x' }),
    ).toBe(true);
  });

  it('a check recognises its own claim after a crash and finishes the same purchase order', async () => {
    const record = await sku('PY');
    await store.recordSale('O-PY', '2026-11-23', { PY: 30 });
    await store.projectSale((await store.getOrderSale('O-PY'))!, { PY: 30 });
    const d = deps();
    const checks = restockCheck(d);
    const ctx = await checks.context();
    const trigger = { kind: 'sweep' as const, id: 'sweep-x', at };
    // The first attempt claimed the slot and died before writing its purchase order.
    const first = await checks.check(record, trigger, ctx);
    const po = (await store.getPurchaseOrder(first.poId!))!;
    await dynamo.doc.send(
      new (await import('@aws-sdk/lib-dynamodb')).DeleteCommand({
        TableName: dynamo.tableName,
        Key: { pk: `PO#${po.poId}`, sk: 'PO' },
      }),
    );
    const retried = await checks.check(record, trigger, ctx);
    expect(retried).toMatchObject({ outcome: 'ordered', poId: po.poId });
    expect((await store.getPurchaseOrder(po.poId))?.quantity).toBe(po.quantity);
    // Another trigger finds the slot taken.
    const other = await checks.check(record, { ...trigger, id: 'sweep-y' }, ctx);
    expect(other.outcome === 'open-po-exists' || other.outcome === 'enough').toBe(true);
    expect(d.publisher.events.filter((e) => e.detailType === 'PurchaseOrderCreated')).toHaveLength(2);
    expect(new Set(d.publisher.events.map((e) => e.detail.metadata.eventId)).size).toBe(1);
  });

  it('a sweep page checks its SKUs ten at a time, each once, with one purchase order per SKU short', async () => {
    // SKUs of one catalog bucket, each sold 30 units yesterday with nothing on hand: all short.
    const ids: string[] = [];
    for (let i = 0; ids.length < 25; i++) if (catalogBucket(`PAGE-${i}`) === 7) ids.push(`PAGE-${i}`);
    for (const id of ids) {
      await sku(id);
      await store.recordSale(`O-${id}`, '2026-11-23', { [id]: 30 });
      await store.projectSale((await store.getOrderSale(`O-${id}`))!, { [id]: 30 });
    }
    let inFlight = 0;
    let most = 0;
    const counting = new Proxy(store, {
      get(target, prop, receiver) {
        if (prop !== 'skuState') {
          // the store keeps private fields: its methods run on the store itself
          const value = Reflect.get(target, prop, receiver);
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (id: string) => {
          most = Math.max(most, ++inFlight);
          try {
            return await target.skuState(id);
          } finally {
            inFlight--;
          }
        };
      },
    });
    const d = { ...deps(), store: counting };
    const sweep = restockSweep(d);
    const context = { sweep: 'sweep-page', date: '2026-11-24', policyVersion: 0, at };
    const page = await sweep.check({ sweep: context, bucket: 7, cursor: null });
    expect(page).toMatchObject({ checked: 25, ordered: 25 });
    expect(most).toBe(SWEEP_CHECK_CONCURRENCY);
    const created = d.publisher.events.filter((e) => e.detailType === 'PurchaseOrderCreated');
    expect(created.map((e) => (e.detail.data as { sku: string }).sku).sort()).toEqual([...ids].sort());
    // The page again (a retried step): the same checks and purchase orders (announced under the
    // same event ids, which consumers deduplicate), no second one.
    const again = await sweep.check({ sweep: context, bucket: 7, cursor: null });
    expect(again).toMatchObject({ checked: 25, ordered: 25 });
    const all = d.publisher.events.filter((e) => e.detailType === 'PurchaseOrderCreated');
    expect(new Set(all.map((e) => (e.detail.data as { poId: string }).poId)).size).toBe(25);
    expect(new Set(all.map((e) => e.detail.metadata.eventId)).size).toBe(25);
  });

  it('receipts count once by id, never beyond the quantity, and close the purchase order', async () => {
    const record = await sku('PZ', 2);
    await store.recordSale('O-PZ', '2026-11-23', { PZ: 60 });
    await store.projectSale((await store.getOrderSale('O-PZ'))!, { PZ: 60 });
    const d = deps();
    const ctx = await restockCheck(d).context();
    const { poId } = await restockCheck(d).check(record, { kind: 'api', id: 'c1', at }, ctx);
    const approval = purchaseOrderApproval({
      ...d,
      callbacks: { succeed: async () => 'sent', fail: async () => 'sent' },
    });
    const po = (await store.getPurchaseOrder(poId!))!;
    expect(po.status).toBe('OPEN');
    await approval.receive(po.poId, { quantity: 10 }, 'key-1');
    await approval.receive(po.poId, { quantity: 10 }, 'key-1');
    expect((await store.getPurchaseOrder(po.poId))?.received).toBe(10);
    expect((await store.getSku('PZ'))?.levels).toMatchObject({ api: { available: 12 } });
    await expect(approval.receive(po.poId, { quantity: po.quantity }, 'key-2')).rejects.toBeInstanceOf(
      ValidationError,
    );
    const closed = await approval.receive(po.poId, { quantity: po.quantity - 10 }, 'key-3');
    expect(closed).toMatchObject({ status: 'RECEIVED', received: po.quantity });
    expect((await store.getSlot('PZ', 'S1')).open).toBeNull();
    await expect(approval.receive(po.poId, { quantity: 1 }, 'key-4')).rejects.toBeInstanceOf(ConflictError);
    expect(d.publisher.events.filter((e) => e.detailType === 'PurchaseOrderReceived')).toHaveLength(3);
  });

  it('counts a supplier’s purchases of the store year, once per purchase order', async () => {
    await store.recordPurchase('S9', '2026', 'PO-A', cny(300));
    await store.recordPurchase('S9', '2026', 'PO-A', cny(300));
    await store.recordPurchase('S9', '2026', 'PO-B', cny(200));
    await store.recordPurchase('S9', '2025', 'PO-C', cny(999));
    expect(await store.purchasedInYear('S9', '2026', 'CNY')).toEqual(cny(500));
  });
});

describe('the restock policy on DynamoDB', () => {
  it('keeps every version readable and refuses a save on a stale version', async () => {
    expect(await store.getPolicy()).toBeNull();
    const v1 = await store.savePolicy({ ...RESTOCK_POLICY_DEFAULTS, coverageDays: 20 }, 0, at);
    expect(v1).toMatchObject({ saved: true, record: { version: 1, coverageDays: 20 } });
    expect(await store.savePolicy(RESTOCK_POLICY_DEFAULTS, 0, at)).toEqual({ saved: false });
    await store.savePolicy({ ...RESTOCK_POLICY_DEFAULTS, coverageDays: 30 }, 1, at);
    expect((await store.getPolicyVersion(1))?.coverageDays).toBe(20);
    expect((await store.getPolicyVersion(2))?.coverageDays).toBe(30);
    expect((await store.getPolicy())?.version).toBe(2);
  });
});
