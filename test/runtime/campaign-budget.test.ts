import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bucketOf, pilotGroup } from '#domain/campaigns/assignment';
import { addDays, localDate, zonedInstant } from '#domain/shared/calendar';
import type { Body } from '#test/support/api-body';
import { type RestockClient, restockClient } from '#test/support/restock-client';
import { spawnRuntime } from '#test/support/runtime-process';

/**
 * Issue #17 (decision 34): a checkout's campaign saving reserved from the budget is given back when
 * its Shopify order is cancelled, and pro rata when it is refunded, once per cause whatever the
 * redeliveries, through the bus (`OrderCancelled`, `RefundIssued` → Campaigns/Events).
 */
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const ID = 'BUDGET1';
const SAVE = 3_000; // 199 − 30 on one unit at 250.00
let sf: RestockClient;
let stop: () => Promise<number | null>;
let data: string;

const buyers = Array.from({ length: 200 }, (_, i) => `BUY-${i}`)
  .filter((u) => pilotGroup({ hashPercent: 50 }, 50, bucketOf(ID, u)) === 'pilot')
  .slice(0, 3);

beforeAll(async () => {
  // one runtime for the file (the tests go on from each other's state)
  data = mkdtempSync(join(tmpdir(), 'storeflow-campaign-budget-'));
  const rt = await spawnRuntime([
    '--assembly',
    inject('appAssembly'),
    '--data',
    data,
    '--clock',
    'virtual',
    '--quiet',
  ]);
  stop = rt.stop;
  sf = restockClient(rt.url, data);
  const day = addDays(localDate(new Date(await sf.now()), TZ), 1);
  const start = zonedInstant(day, '00:00', TZ).getTime();
  await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
  await sf.ok('PUT', '/api/skus/BUDGET-SKU', {
    title: 'Lamp',
    category: 'furniture',
    onHand: 1_000,
    supply: [{ supplierId: 'S1', unitCost: { amount: 5_000, currency: 'CNY' }, casePack: 1, minOrderQty: 0 }],
    listPrice: { amount: 30_000, currency: 'CNY' },
    price: { amount: 25_000, currency: 'CNY' },
  });
  const created = await sf.api('PUT', `/api/campaigns/${ID}`, {
    name: ID,
    start: new Date(start).toISOString(),
    end: new Date(start + 96 * HOUR).toISOString(),
    skus: ['BUDGET-SKU'],
    budget: { amount: 100_000, currency: 'CNY' },
    pilot: { segment: { hashPercent: 50 }, controlPercent: 50, durationHours: 48, minSamplePerGroup: 300 },
  });
  expect(created.status).toBe(201);
  await sf.advance(Math.max(0, (start + HOUR - (await sf.now())) / 1000));
  await sf.settle();
  expect((await sf.ok('GET', `/api/campaigns/${ID}`)).status).toBe('PILOT');
}, 240_000);

afterAll(async () => {
  sf?.close();
  await stop?.();
  rmSync(data, { recursive: true, force: true });
});

const granted = async () => ((await sf.ok('GET', `/api/campaigns/${ID}`)).budgetGranted as Body).amount;

/** A checkout of one unit by a pilot user, reserving its saving under a Shopify order id. */
async function checkout(user: string, orderId: number) {
  const r = await sf.ok('POST', '/api/quote', {
    userId: user,
    orderId: String(orderId),
    items: [{ sku: 'BUDGET-SKU', qty: 1 }],
  });
  expect(r.reservation).toMatchObject({ granted: true, amount: SAVE });
  return (r.total as Body).amount as number;
}

const at = async () => new Date(await sf.now()).toISOString();

describe('campaign budget given back by cancellations and refunds', () => {
  it('a cancelled order gives its whole saving back, once across redeliveries', async () => {
    expect(buyers).toHaveLength(3);
    await checkout(buyers[0]!, 910_001);
    await checkout(buyers[1]!, 910_002);
    expect(await granted()).toBe(2 * SAVE);

    const cancel = {
      id: 910_001,
      currency: 'CNY',
      total_price: '220.00',
      created_at: await at(),
      updated_at: await at(),
      cancelled_at: await at(),
      cancel_reason: 'customer',
      line_items: [{ sku: 'BUDGET-SKU', quantity: 1, price: '250.00' }],
    };
    expect((await sf.shopify('orders/cancelled', cancel, 'cancel-910001')).status).toBe(200);
    // a platform retry (same delivery) and a replay under a new delivery id: nothing twice
    expect((await sf.shopify('orders/cancelled', cancel, 'cancel-910001')).status).toBe(200);
    expect((await sf.shopify('orders/cancelled', cancel, 'cancel-910001-again')).status).toBe(200);
    await sf.settle();
    expect(await granted()).toBe(SAVE);
  });

  it('refunds give the saving back pro rata, never more than it, each refund once', async () => {
    const total = await checkout(buyers[2]!, 910_003);
    expect(await granted()).toBe(2 * SAVE);
    const half = Math.round(total / 2);
    const now = await at();
    const refund = (id: number, amount: string) => ({
      id,
      order_id: 910_003,
      created_at: now,
      transactions: [{ amount, currency: 'CNY', kind: 'refund', status: 'success' }],
      refund_line_items: [],
    });
    const yuan = (fen: number) => (fen / 100).toFixed(2);
    // half of what the order came to: ⌊saving × refunded / total⌋ of the saving back, once
    expect((await sf.shopify('refunds/create', refund(990_101, yuan(half)), 'refund-990101')).status).toBe(
      200,
    );
    expect((await sf.shopify('refunds/create', refund(990_101, yuan(half)), 'refund-990101-b')).status).toBe(
      200,
    );
    await sf.settle();
    expect(await granted()).toBe(2 * SAVE - Math.floor((SAVE * half) / total));
    // more than the rest refunded: the whole saving back, and nothing beyond it
    expect((await sf.shopify('refunds/create', refund(990_102, yuan(total)), 'refund-990102')).status).toBe(
      200,
    );
    await sf.settle();
    expect(await granted()).toBe(SAVE);
  });
});
