import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assemblyWithDisabled } from '#test/support/assembly-variant';
import { type RestockClient, restockClient } from '#test/support/restock-client';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Restock triggers (issue #11) end to end on the local runtime with the virtual clock: the real
 * app's assembly, driven only through signed Shopify webhooks, the operations API and the clock.
 * The tests share one catalog and run in order; the clock only moves forward.
 */
let runtime: Runtime;
let dataDir: string;
let sf: RestockClient;
let app: ReturnType<typeof assemblyWithDisabled>;
const DAY = 86_400_000;
let t0 = 0;
let firstSweepDate = '';

const money = (amount: number) => ({ amount, currency: 'CNY' });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-restock-'));
  // The app without the repricing run's and the members' clocks: nothing here asserts what they
  // start, and over the days this file advances through each ticks every quarter hour.
  app = assemblyWithDisabled(inject('appAssembly'), {
    schedules: ['RepricingRunSchedule', 'MembersNightlySchedule', 'MembersAnnualSchedule'],
  });
  runtime = await startRuntime({ assemblyDir: app.dir, dataDir, port: 0, clock: 'virtual' });
  sf = restockClient(runtime.url, dataDir);
  // Half past midnight in Shanghai: tonight's 02:00 sweep is ahead (any sweep of an earlier night
  // ran over an empty catalog).
  t0 = await sf.advanceToLocal('00:30');
  firstSweepDate = sf.storeDate(t0);
});

afterAll(async () => {
  sf?.close();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
  app?.remove();
});

const supply = (supplierId: string, unitCost: number, casePack: number, minOrderQty: number) => ({
  supplierId,
  unitCost: money(unitCost),
  casePack,
  minOrderQty,
});

describe('restock on the local runtime', () => {
  it('learns 30-day sales from signed orders/paid webhooks, net of refunds and cancellations', async () => {
    await sf.ok('PUT', '/api/suppliers/S-CORE', {
      name: 'Core Co',
      tier: 'core',
      leadTimeDays: 5,
      currency: 'CNY',
    });
    await sf.ok('PUT', '/api/suppliers/S-STRAT', {
      name: 'Strategic Co',
      tier: 'strategic',
      leadTimeDays: 10,
      currency: 'CNY',
      paymentTermsDays: 90,
    });
    await sf.ok('PUT', '/api/suppliers/S-NORMAL', {
      name: 'Normal Co',
      tier: 'normal',
      leadTimeDays: 3,
      currency: 'CNY',
    });
    for (let i = 0; i < 10; i++) {
      await sf.ok('PUT', `/api/skus/FILL-${i}`, {
        title: `Best seller ${i}`,
        category: 'fillers',
        onHand: 10_000,
        supply: [supply('S-CORE', 1_000, 1, 0)],
      });
    }
    await sf.ok('PUT', '/api/skus/A', {
      title: 'Armchair',
      category: 'furniture',
      onHand: 3,
      supply: [supply('S-CORE', 10_000, 4, 8)],
    });
    await sf.ok('PUT', '/api/skus/B', {
      title: 'Bed',
      category: 'furniture',
      onHand: 0,
      supply: [supply('S-NORMAL', 90_000, 6, 0), supply('S-STRAT', 100_000, 6, 0)],
    });
    await sf.ok('PUT', '/api/skus/C', {
      title: 'Chair',
      category: 'furniture',
      onHand: 5,
      supply: [supply('S-CORE', 5_000, 1, 0)],
    });

    // The ten fillers sell 100 units each: the top ten, ahead of A (30) and B (60).
    await sf.orderPaid(
      700_001,
      t0 - 3 * DAY,
      Object.fromEntries(Array.from({ length: 10 }, (_, i) => [`FILL-${i}`, 100])),
    );
    for (const [id, daysAgo] of [
      [700_010, 2],
      [700_011, 5],
      [700_012, 10],
    ] as const) {
      await sf.orderPaid(id, t0 - daysAgo * DAY, { A: 10 });
    }
    await sf.orderPaid(700_020, t0 - 1 * DAY, { B: 30 });
    await sf.orderPaid(700_021, t0 - 7 * DAY, { B: 30 });
    // Taken back: an order of A refunded in full, an order of B cancelled.
    await sf.orderPaid(700_013, t0 - 4 * DAY, { A: 10 });
    const refund = await sf.shopify('refunds/create', {
      id: 990_001,
      order_id: 700_013,
      created_at: new Date(t0 - 3 * DAY).toISOString(),
      transactions: [{ amount: '10.00', currency: 'CNY', kind: 'refund', status: 'success' }],
      refund_line_items: [{ quantity: 10, line_item: { sku: 'A' } }],
    });
    expect(refund.status).toBe(200);
    await sf.orderPaid(700_022, t0 - 2 * DAY, { B: 6 });
    const cancelled = await sf.shopify('orders/cancelled', {
      id: 700_022,
      currency: 'CNY',
      total_price: '6.00',
      created_at: new Date(t0 - 2 * DAY).toISOString(),
      updated_at: new Date(t0 - DAY).toISOString(),
      cancelled_at: new Date(t0 - DAY).toISOString(),
      cancel_reason: 'customer',
      line_items: [{ sku: 'B', quantity: 6, price: '1.00' }],
    });
    expect(cancelled.status).toBe(200);
    // A replay of a paid order under a new delivery id counts nothing twice.
    await sf.orderPaid(700_010, t0 - 2 * DAY, { A: 10 });
    await sf.settle();

    const a = await sf.ok('GET', '/api/skus/A');
    expect(a).toMatchObject({ sku: 'A', onHand: 3, sales30d: 30, inbound: 0, topTen: false });
    expect((await sf.ok('GET', '/api/skus/B')).sales30d).toBe(60);
    expect((await sf.ok('GET', '/api/skus/C')).sales30d).toBe(0);
    expect((await sf.ok('GET', '/api/skus/FILL-3')).sales30d).toBe(100);
  });

  it('the 02:00 Asia/Shanghai sweep creates the expected purchase orders, with their numbers', async () => {
    expect(await sf.purchaseOrders()).toEqual([]);
    const at = await sf.advanceToLocal('02:00');
    await sf.settle();
    expect(sf.storeDate(at)).toBe(firstSweepDate);
    const sweeps = await sf.runs(/RestockSweep/);
    expect(sweeps.find((r) => r.name === `sweep-${firstSweepDate}`)?.status).toBe('SUCCEEDED');

    const pos = await sf.purchaseOrders();
    expect(pos.map((p) => p.sku).sort()).toEqual(['A', 'B']);
    const a = pos.find((p) => p.sku === 'A');
    expect(a).toMatchObject({
      supplierId: 'S-CORE',
      quantity: 20,
      unitCost: money(10_000),
      total: money(200_000),
      status: 'OPEN',
      paymentTermsDays: 60,
      rebateBps: 0,
    });
    // forecast 30/30 = 1/day; not top ten → 3 safety days; reorder point 1 × 5 + 3 = 8 > 3 on hand;
    // target 1 × (5 + 14 + 3) = 22; gap 19 → case pack 4 → 20 (≥ MOQ 8).
    expect(a.decision).toMatchObject({
      rule: 'restock/1',
      policyVersion: 0,
      storeDate: firstSweepDate,
      timeZone: 'Asia/Shanghai',
      trigger: { kind: 'sweep', id: `sweep-${firstSweepDate}` },
      supplier: { supplierId: 'S-CORE', tier: 'core' },
      numbers: {
        sales30d: 30,
        windowDays: 30,
        seasonalFactor: 1,
        promotionUplift: 1,
        forecastPerDay: 1,
        topTen: false,
        safetyDays: 3,
        safetyStock: 3,
        leadTimeDays: 5,
        reorderPoint: 8,
        onHand: 3,
        inbound: 0,
        coverageDays: 14,
        target: 22,
        gap: 19,
        casePack: 4,
        minOrderQty: 8,
        quantity: 20,
      },
    });
    // B: strategic first (whatever the cost); 2/day, lead 10: reorder point 26, target 54 → 54 ×
    // 1 000.00 CNY = 54 000 CNY, above the 50 000 CNY threshold: waiting for approval.
    const b = pos.find((p) => p.sku === 'B');
    expect(b).toMatchObject({
      supplierId: 'S-STRAT',
      quantity: 54,
      total: money(5_400_000),
      status: 'AWAITING_APPROVAL',
      paymentTermsDays: 90,
    });
    expect(b.decision.supplier.chosenOver).toEqual(['S-NORMAL']);
    expect(b.decision.numbers).toMatchObject({
      forecastPerDay: 2,
      reorderPoint: 26,
      target: 54,
      quantity: 54,
    });
    expect((await sf.runs(/RestockApproval/)).map((r) => [r.name, r.status])).toEqual([[b.poId, 'RUNNING']]);

    // The top ten are the fillers: 7 safety days; none needs stock.
    const filler = await sf.ok('GET', '/api/skus/FILL-0');
    expect(filler).toMatchObject({ topTen: true, needsRestock: false });
    expect((await sf.ok('GET', '/api/skus/C')).lastCheck).toMatchObject({ outcome: 'enough' });
    expect(
      (await sf.ok('GET', '/api/skus?needsRestock=true')).items.map((s: { sku: string }) => s.sku).sort(),
    ).toEqual(['A', 'B']);

    const timeline = await sf.timeline('skus', 'A');
    expect(timeline.map((l) => `${l.kind} ${l.name}`)).toEqual(
      expect.arrayContaining(['state RestockCheck', 'purchase-order PurchaseOrderCreated']),
    );
    expect(timeline.find((l) => l.name === 'RestockCheck')?.detail).toMatchObject({
      run: `sweep-${firstSweepDate}`,
      outcome: 'ordered',
      poId: a.poId,
    });
  });

  it('an expensive purchase order approved by a person: APPROVED, the run ends, the supplier’s year counts it', async () => {
    const [b] = await sf.purchaseOrders('sku=B');
    const approved = await sf.ok('POST', `/api/purchase-orders/${b.poId}/approve`, {
      by: 'ops-lead',
      reason: 'peak season',
    });
    expect(approved).toMatchObject({
      status: 'APPROVED',
      approval: { decision: 'APPROVED', by: 'ops-lead', reason: 'peak season' },
    });
    await sf.settle();
    expect((await sf.runs(/RestockApproval/)).find((r) => r.name === b.poId)?.status).toBe('SUCCEEDED');
    expect((await sf.ok('GET', '/api/suppliers/S-STRAT')).purchasedThisYear).toEqual(money(5_400_000));
    // Approving again is a no-op; rejecting an approved order is a conflict.
    expect((await sf.api('POST', `/api/purchase-orders/${b.poId}/approve`, { by: 'ops-lead' })).status).toBe(
      200,
    );
    const late = await sf.api('POST', `/api/purchase-orders/${b.poId}/reject`, {
      by: 'cfo',
      reason: 'too late',
    });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/APPROVED/);
    const lines = await sf.timeline('skus', 'B');
    // (On the virtual clock these happened at one instant: their order on the timeline is not causal.)
    expect(
      lines
        .filter((l) => l.kind === 'purchase-order')
        .map((l) => l.name)
        .sort(),
    ).toEqual(['PurchaseOrderApprovalRequested', 'PurchaseOrderApproved', 'PurchaseOrderCreated']);
  });

  it('another is rejected, and a third expires after 48 h with its alert', async () => {
    for (const sku of ['D', 'E']) {
      await sf.ok('PUT', `/api/skus/${sku}`, {
        title: sku,
        category: 'furniture',
        onHand: 0,
        supply: [supply('S-STRAT', 100_000, 1, 60)],
      });
    }
    await sf.orderPaid(700_040, (await sf.now()) - DAY, { D: 30, E: 30 });
    await sf.settle();
    const d = await sf.ok('POST', '/api/skus/D/check');
    const e = await sf.ok('POST', '/api/skus/E/check');
    expect([d.outcome, e.outcome]).toEqual(['ordered', 'ordered']);
    await sf.settle();
    const rejected = await sf.ok('POST', `/api/purchase-orders/${d.poId}/reject`, {
      by: 'cfo',
      reason: 'budget',
    });
    expect(rejected).toMatchObject({ status: 'REJECTED', approval: { decision: 'REJECTED', by: 'cfo' } });
    await sf.settle();
    // The slot is free again: a new check may order D anew.
    expect((await sf.ok('GET', '/api/skus/D')).inbound).toBe(0);

    await sf.advance(48 * 3600);
    const expired = await sf.ok('GET', `/api/purchase-orders/${e.poId}`);
    expect(expired).toMatchObject({ status: 'EXPIRED', approval: { decision: 'EXPIRED', by: 'storeflow' } });
    const alert = (await sf.timeline('skus', 'E')).find((l) => l.name === 'PurchaseOrderExpired');
    expect(alert?.kind).toBe('purchase-order');
    expect(alert?.detail.data).toMatchObject({ poId: e.poId, total: money(6_000_000) });
    expect((await sf.runs(/RestockApproval/)).find((r) => r.name === e.poId)?.status).toBe('SUCCEEDED');
  });

  it('a stock drop below the safety stock checks the SKU at once: one purchase order', async () => {
    await sf.ok('PUT', '/api/skus/F', {
      title: 'Fan',
      category: 'furniture',
      onHand: 50,
      supply: [supply('S-CORE', 2_000, 1, 0)],
    });
    const now = await sf.now();
    await sf.orderPaid(700_030, now - DAY, { F: 30 });
    const product = await sf.shopify('products/update', {
      id: 500_001,
      title: 'Fan',
      updated_at: new Date(now).toISOString(),
      variants: [{ id: 500_002, sku: 'F', price: '20.00', inventory_item_id: 500_003 }],
    });
    expect(product.status).toBe(200);
    await sf.settle();
    expect(await sf.purchaseOrders('sku=F')).toEqual([]);
    // 50 on hand → 2: below the safety stock of 3 (1/day × 3 days).
    for (const [available, minutes] of [
      [2, 1],
      [1, 2],
    ] as const) {
      const level = await sf.shopify('inventory_levels/update', {
        inventory_item_id: 500_003,
        location_id: 77,
        available,
        updated_at: new Date(now + minutes * 60_000).toISOString(),
      });
      expect(level.status).toBe(200);
      await sf.settle();
    }
    const pos = await sf.purchaseOrders('sku=F');
    expect(pos).toHaveLength(1);
    expect(pos[0].decision.trigger.kind).toBe('stock');
    expect(pos[0].decision.numbers).toMatchObject({ onHand: 2, safetyStock: 3 });
    expect((await sf.ok('GET', '/api/skus/F')).onHand).toBe(1);
  });

  it('20 concurrent triggers for one SKU create one purchase order', async () => {
    await sf.ok('PUT', '/api/skus/G', {
      title: 'Glass',
      category: 'kitchen',
      onHand: 0,
      supply: [supply('S-CORE', 100, 10, 10)],
    });
    await sf.orderPaid(700_050, (await sf.now()) - DAY, { G: 15 });
    await sf.settle();
    const results = await Promise.all(Array.from({ length: 20 }, () => sf.ok('POST', '/api/skus/G/check')));
    // One claims the slot; the others find it claimed, or already count its units as inbound.
    expect(results.filter((r) => r.outcome === 'ordered')).toHaveLength(1);
    expect(results.filter((r) => r.outcome === 'open-po-exists' || r.outcome === 'enough')).toHaveLength(19);
    await sf.settle();
    expect(await sf.purchaseOrders('sku=G')).toHaveLength(1);
  });

  it('a receipt closes a purchase order, and the next sweep sees the stock', async () => {
    const [a] = await sf.purchaseOrders('sku=A');
    const part = await sf.ok(
      'POST',
      `/api/purchase-orders/${a.poId}/receive`,
      { quantity: 12 },
      { 'idempotency-key': 'rcv-1' },
    );
    expect(part).toMatchObject({ status: 'OPEN', received: 12 });
    // The same receipt again (a retried request) counts once.
    expect(
      (
        await sf.ok(
          'POST',
          `/api/purchase-orders/${a.poId}/receive`,
          { quantity: 12 },
          { 'idempotency-key': 'rcv-1' },
        )
      ).received,
    ).toBe(12);
    expect((await sf.ok('GET', '/api/skus/A')).onHand).toBe(15);
    expect((await sf.ok('GET', '/api/skus/A')).inbound).toBe(8);
    const tooMany = await sf.api('POST', `/api/purchase-orders/${a.poId}/receive`, { quantity: 9 });
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.issues[0].field).toBe('quantity');
    const rest = await sf.ok(
      'POST',
      `/api/purchase-orders/${a.poId}/receive`,
      { quantity: 8 },
      { 'idempotency-key': 'rcv-2' },
    );
    expect(rest).toMatchObject({ status: 'RECEIVED', received: 20 });
    expect(await sf.ok('GET', '/api/skus/A')).toMatchObject({ onHand: 23, inbound: 0 });
    await sf.settle();

    await sf.advanceToLocal('02:00');
    await sf.settle();
    const next = await sf.ok('GET', '/api/skus/A');
    expect(next.lastCheck).toMatchObject({ outcome: 'enough', position: 23 });
    expect(next.lastCheck.trigger).not.toBe(`sweep:sweep-${firstSweepDate}`);
    expect(await sf.purchaseOrders('sku=A')).toHaveLength(1);
  });

  it('a policy change after a purchase order was created does not alter its decision', async () => {
    const [a] = await sf.purchaseOrders('sku=A');
    const policy = await sf.ok('PUT', '/api/restock-policy', { coverageDays: 30, safetyDaysDefault: 5 });
    expect(policy).toMatchObject({ version: 1, coverageDays: 30, safetyDaysDefault: 5, safetyDaysTopTen: 7 });
    const again = await sf.ok('GET', `/api/purchase-orders/${a.poId}`);
    expect(again.decision).toEqual(a.decision);
    expect(again.decision).toMatchObject({ policyVersion: 0, numbers: { coverageDays: 14, safetyDays: 3 } });
    expect((await sf.ok('GET', '/api/restock-policy')).version).toBe(1);
  });
});
