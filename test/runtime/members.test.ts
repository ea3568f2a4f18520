import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Body } from '#test/support/api-body';
import { assemblyWithDisabled } from '#test/support/assembly-variant';
import { coin, type MembersClient, membersClient, startClockAt } from '#test/support/members-client';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Members and referrals (issue #18) end to end on the local runtime with the virtual clock: the
 * real app driven through signed storeflow and Shopify webhooks (30% of them delivered more than
 * once), the operations API and the clock. The clock starts at 08:30 on 30 December 2026 store
 * time (Shanghai), so the nightly run and the 1 January grant are a day away. The tests share one
 * store and run in order; the clock only moves forward.
 */
let runtime: Runtime;
let dataDir: string;
let m: MembersClient;
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const duplicates = coin(18, 0.3);
// The app without the restock sweep's and the repricing run's clocks: nothing here asserts what
// they start, and over the days this file advances through each ticks every quarter hour.
const app = assemblyWithDisabled(inject('appAssembly'), {
  schedules: ['RestockSweepSchedule', 'RepricingRunSchedule'],
});
const start = () => startRuntime({ assemblyDir: app.dir, dataDir, port: 0, clock: 'virtual' });

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-members-'));
  startClockAt(dataDir, '2026-12-30T00:30:00.000Z');
  runtime = await start();
  m = membersClient(runtime.url, dataDir, duplicates);
  await m.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
  for (const [sku, category] of [
    ['MILK', 'fresh-food'],
    ['GIFT', 'books'],
  ]) {
    await m.ok('PUT', `/api/skus/${sku}`, {
      title: sku,
      category,
      onHand: 100_000,
      supply: [{ supplierId: 'S1', unitCost: cny(100), casePack: 1, minOrderQty: 0 }],
    });
  }
});

afterAll(async () => {
  m?.close();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
  app.remove();
});

/** 12 inviters; the first brings three friends, the others one each (ranked at year end). */
const INVITERS = Array.from({ length: 12 }, (_, i) => 61_00 + i);

describe('members and referrals on the local runtime', () => {
  it('a customer climbs to gold on the order that crosses the threshold and falls back to silver on a refund', async () => {
    expect(await m.ok('GET', '/api/member-policy')).toMatchObject({ version: 0, windowMonths: 12 });
    for (const [i, orderId] of [910_001, 910_002, 910_003, 910_004].entries()) {
      await m.pay(orderId, 5001, '1000.00');
      if (i === 1) {
        await m.settle();
        expect((await m.customer(5001)).tier).toBe('silver');
      }
    }
    await m.settle();
    expect((await m.customer(5001)).tier).toBe('silver');
    await m.pay(910_005, 5001, '1000.00');
    await m.settle();
    const gold = await m.customer(5001);
    expect(gold).toMatchObject({
      tier: 'gold',
      window: { spend: cny(500_000), orders: 5 },
      benefits: { discountBps: 500, freeShipping: true, slaMultiplierBps: 15_000 },
      nextTier: { name: 'diamond', spend: cny(1_500_000), orders: 7 },
      newUser: false,
    });
    expect(gold.tierHistory.at(-1)).toMatchObject({
      from: 'silver',
      to: 'gold',
      cause: { type: 'OrderPaid', orderId: '910005' },
      reason: expect.stringContaining('order 910005 paid'),
    });

    await m.refund(910_005, 990_005, '0.01');
    await m.settle();
    const silver = await m.customer(5001);
    expect(silver).toMatchObject({ tier: 'silver', window: { spend: cny(499_999), orders: 5 } });
    expect(silver.tierHistory.map((c: Body) => `${c.from}→${c.to}`)).toEqual([
      'none→silver',
      'silver→gold',
      'gold→silver',
    ]);
    expect(silver.tierHistory.at(-1)).toMatchObject({
      direction: 'down',
      cause: { type: 'RefundIssued', orderId: '910005', refundId: '990005' },
    });
    const changes = await m.lines(5001, 'MemberTierChanged');
    expect(changes.map((l) => l.detail.data.to)).toEqual(['silver', 'gold', 'silver']);
  });

  it('a referral is rewarded once, inviter and invitee, under 30% duplicate deliveries', {
    timeout: 300_000,
  }, async () => {
    let again = 0;
    let invitee = 62_00;
    let order = 920_000;
    for (const [i, inviter] of INVITERS.entries()) {
      again += await m.register({ customerId: String(inviter), email: `inviter${i}@example.com` });
      const code = await m.code(inviter);
      expect(await m.code(inviter)).toBe(code);
      for (let k = 0; k < (i === 0 ? 3 : 1); k++) {
        const friend = ++invitee;
        again += await m.register({
          customerId: String(friend),
          email: `friend${friend}@example.com`,
          referralCode: code,
          ip: `198.51.100.${friend % 250}`,
        });
        await m.settle();
        again += await m.pay(++order, friend, '59.00');
        // A second paid order rewards nothing more.
        if (i === 0) again += await m.pay(++order, friend, '19.00');
      }
      await m.advance(60);
    }
    await m.settle();
    expect(again).toBeGreaterThan(5);

    const first = await m.coupons(INVITERS[0]!);
    expect(first.open.map((c: Body) => [c.source, c.amount])).toEqual([
      ['referral', cny(2_000)],
      ['referral', cny(2_000)],
      ['referral', cny(2_000)],
    ]);
    for (const inviter of INVITERS.slice(1)) expect((await m.coupons(inviter)).open).toHaveLength(1);
    for (let friend = 62_01; friend <= invitee; friend++) {
      const c = await m.customer(friend);
      expect(c.invitedBy).toMatchObject({ status: 'rewarded', orderId: expect.any(String) });
      expect(c.coupons.open.filter((x: Body) => x.source === 'referral')).toHaveLength(1);
    }
    expect(await m.lines(INVITERS[0]!, 'ReferralRewarded')).toHaveLength(3);
    expect(await m.lines(62_01, 'CouponIssued')).toHaveLength(1);

    const board = await m.ok('GET', '/api/referrals/leaderboard?period=year');
    expect(board).toMatchObject({ period: 'year', key: '2026', top: 10 });
    expect(board.items).toHaveLength(10);
    expect(board.items[0]).toMatchObject({ rank: 1, customerId: String(INVITERS[0]), rewarded: 3 });
    // Ties (one each) go to who got there first.
    expect(board.items.slice(1).map((e: Body) => e.customerId)).toEqual(INVITERS.slice(1, 10).map(String));
  });

  it('self-referral is refused with the reason (same customer, same email)', async () => {
    const own = await m.code(7001);
    await m.register({ customerId: '7001', referralCode: own });
    await m.register({
      customerId: '7002',
      email: 'INVITER0@example.com',
      referralCode: await m.code(INVITERS[0]!),
    });
    await m.settle();
    expect((await m.customer(7001)).invitedBy).toMatchObject({
      status: 'refused',
      reason: 'self-referral: the inviter is the same customer',
    });
    expect((await m.customer(7002)).invitedBy).toMatchObject({
      customerId: String(INVITERS[0]),
      status: 'refused',
      reason: 'self-referral: the inviter has the same email',
    });
    await m.pay(930_001, 7002, '99.00');
    await m.settle();
    expect((await m.coupons(INVITERS[0]!)).open).toHaveLength(3);
    expect((await m.lines(7002, 'ReferralRefused'))[0].detail.data).toMatchObject({ status: 'refused' });
  });

  it('a coupon redeemed by 20 concurrent checkouts: one succeeds; a paid Shopify order redeems its discount code', async () => {
    const code = (await m.coupons(62_01)).open[0].code;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        m.api('POST', `/api/coupons/${code}/redeem`, { orderId: `co-${i}` }),
      ),
    );
    expect(results.filter((r) => r.status === 200)).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(19);
    expect(results.find((r) => r.status === 409)?.body.message).toMatch(/already redeemed on order co-/);
    await m.settle();
    expect(await m.lines(62_01, 'CouponRedeemed')).toHaveLength(1);

    const shopifyCode = (await m.coupons(62_02)).open[0].code;
    await m.pay(940_001, 62_02, '80.00', { discountCodes: [shopifyCode] });
    await m.settle();
    expect((await m.coupons(62_02)).used[0]).toMatchObject({
      code: shopifyCode,
      status: 'redeemed',
      orderId: '940001',
      redeemedVia: 'shopify',
    });
    expect((await m.lines(62_02, 'CouponRedeemed'))[0].detail.data).toMatchObject({
      orderId: '940001',
      via: 'shopify',
    });
  });

  it('an SLA compensation is scaled by the member tier and enters the coupon ledger once', async () => {
    const paidAt = await m.advanceToLocal('11:30');
    await m.pay(950_001, 5001, '30.00', { paidAt, lines: { MILK: 1 } });
    await m.settle();
    await m.advanceToLocal('18:06');
    await m.settle();
    // The 30.00 order took the silver member back over gold's 5,000.00: ×1.5 on the 20.00 coupon.
    expect((await m.customer(5001)).tier).toBe('gold');
    const promise = await m.promise('orders', 950_001, 'same-day-delivery');
    expect(promise).toMatchObject({
      status: 'BREACHED',
      compensation: { type: 'coupon', multiplierBps: 15_000, amount: cny(3_000), requested: cny(3_000) },
    });
    const sla = (await m.coupons(5001)).open.filter(
      (c: Body) => c.source === 'sla-compensation' && c.ref.id === promise.promiseId,
    );
    expect(sla).toEqual([
      expect.objectContaining({ amount: cny(3_000), customerId: '5001', status: 'open' }),
    ]);
  });

  it('a diamond whose big order leaves the 12-month window is downgraded by the nightly run', async () => {
    // Paid a year ago, 15:00 UTC: inside the window now, outside it at tonight's 03:00 run.
    await m.pay(960_000, 8001, '20000.00', { paidAt: Date.parse('2025-12-30T15:00:00.000Z') });
    for (let i = 1; i <= 11; i++) await m.pay(960_000 + i, 8001, '500.00');
    await m.settle();
    expect((await m.customer(8001)).tier).toBe('diamond');
    await m.advanceToLocal('03:20');
    await m.settle();
    const after = await m.customer(8001);
    expect(after).toMatchObject({ tier: 'gold', window: { spend: cny(550_000), orders: 11 } });
    expect(after.tierHistory.at(-1)).toMatchObject({
      from: 'diamond',
      to: 'gold',
      direction: 'down',
      cause: { type: 'nightly', run: 'members-nightly-2026-12-31' },
    });
    const runs = await m.ok('GET', '/api/runs?workflow=MembersNightly');
    expect(runs.items.map((r: Body) => [r.name, r.status])).toContainEqual([
      'members-nightly-2026-12-31',
      'SUCCEEDED',
    ]);
  }, 300_000);

  it('at 00:05 on 1 January the top 10 inviters get the annual free order once, and not again after a restart', async () => {
    await m.advanceToLocal('00:05');
    await m.settle();
    const granted = async () => {
      const out: Record<string, number> = {};
      for (const inviter of INVITERS) {
        out[inviter] = (await m.coupons(inviter)).open.filter(
          (c: Body) => c.source === 'annual-free-order',
        ).length;
      }
      return out;
    };
    const expected = Object.fromEntries(INVITERS.map((id, i) => [id, i < 10 ? 1 : 0]));
    expect(await granted()).toEqual(expected);
    const lines = await m.lines(INVITERS[0]!, 'AnnualFreeOrderGranted');
    expect(lines.map((l) => l.detail.data)).toEqual([
      expect.objectContaining({ year: '2026', rank: 1, rewarded: 3, amount: cny(20_000) }),
    ]);

    // Restarted at 00:05, and the grant delivered again: nothing more.
    m.close();
    await runtime.close();
    runtime = await start();
    m = membersClient(runtime.url, dataDir);
    const lambda = new LambdaClient({
      endpoint: runtime.url,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const annual = runtime.summary.functions.find((f) => f.name.includes('MembersAnnual'))!.name;
    const again = await lambda.send(
      new InvokeCommand({ FunctionName: annual, Payload: new TextEncoder().encode('{}') }),
    );
    expect(JSON.parse(new TextDecoder().decode(again.Payload))).toMatchObject({
      year: '2026',
      winners: 10,
      created: 0,
    });
    await m.settle();
    expect(await granted()).toEqual(expected);
    expect(await m.lines(INVITERS[0]!, 'AnnualFreeOrderGranted')).toHaveLength(1);
  }, 300_000);
});
