import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { bucketOf, pilotGroup } from '#domain/campaigns/assignment';
import { batchesOf, generateTraffic } from '#domain/metrics/traffic';
import { addDays, localDate, zonedInstant } from '#domain/shared/calendar';
import type { Body } from '#test/support/api-body';
import { APP_CLOCKS, assemblyWithDisabled, ORDER_REACTIONS } from '#test/support/assembly-variant';
import { restockClient } from '#test/support/restock-client';
import { runtimeProcesses, until } from '#test/support/runtime-process';
import { sendTraffic } from '../../local/cli/traffic.ts';

/**
 * Issue #17: the runtime killed with SIGKILL during a campaign's pilot, while checkouts reserve its
 * budget, and restarted on the same data directory: the launch run completes once (one evaluation,
 * one decision, one CampaignRolledOut, one CampaignEnded), and the budget counter holds each
 * order's reservation once although every checkout is retried after the restart.
 */
const processes = runtimeProcesses('storeflow-campaign-crash-');
// The app without its clocks (restock sweep, repricing run, members nightly and annual): the launch
// run waits on its own workflow's timers, and nothing here asserts what those clocks start; over
// the ~74 virtual hours advanced they are hundreds of Lambda invocations (each clock's tick every
// quarter hour, an hourly repricing run of the priced SKU, a daily sweep) in both runtimes. Nor
// the other features' reactions to the pilot's orders (restock, the SLA, repricing, the members).
const app = assemblyWithDisabled(inject('appAssembly'), { schedules: APP_CLOCKS, rules: ORDER_REACTIONS });
afterAll(() => app.remove());
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
const ID = 'LIFT30';
const CHECKOUTS = 60;
const SAVE = 3_000; // 199 − 30: one unit at 250.00
const BUDGET = 90_000; // 30 checkouts' worth: half of them are refused

describe('a campaign launch with the runtime killed with SIGKILL during its pilot', () => {
  it('after a restart the run completes once and the budget counts each order once', async () => {
    const data = processes.dataDir();
    const args = ['--assembly', app.dir, '--data', data, '--clock', 'virtual', '--quiet'];
    const first = await processes.spawn(args);
    const secrets = JSON.parse(readFileSync(join(data, 'secrets.json'), 'utf8')) as {
      secrets: Record<string, string>;
    };
    let sf = restockClient(first.url, data);
    const day = addDays(localDate(new Date(await sf.now()), TZ), 1);
    const pilotStart = zonedInstant(day, '00:00', TZ).getTime();
    const pilotEnd = pilotStart + 48 * HOUR;
    const end = pilotEnd + 2 * HOUR;
    const advanceTo = async (client: typeof sf, ms: number) => {
      await client.advance(Math.max(0, (ms - (await client.now())) / 1000));
      await client.settle();
    };
    await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
    await sf.ok('PUT', '/api/skus/LIFT30-SKU', {
      title: 'Lamp',
      category: 'furniture',
      onHand: 1_000,
      supply: [
        { supplierId: 'S1', unitCost: { amount: 5_000, currency: 'CNY' }, casePack: 1, minOrderQty: 0 },
      ],
      listPrice: { amount: 30_000, currency: 'CNY' },
      price: { amount: 25_000, currency: 'CNY' },
    });
    const created = await sf.api('PUT', `/api/campaigns/${ID}`, {
      name: ID,
      start: new Date(pilotStart).toISOString(),
      end: new Date(end).toISOString(),
      skus: ['LIFT30-SKU'],
      budget: { amount: BUDGET, currency: 'CNY' },
      pilot: { segment: { hashPercent: 50 }, controlPercent: 50, durationHours: 48, minSamplePerGroup: 300 },
    });
    expect(created.status).toBe(201);

    // The pilot's day of storefront traffic (+30 % in the pilot), sent the morning after.
    await advanceTo(sf, pilotStart + 25 * HOUR);
    expect((await sf.ok('GET', `/api/campaigns/${ID}`)).status).toBe('PILOT');
    const assign = (userKey: string) => {
      const g = pilotGroup({ hashPercent: 50 }, 50, bucketOf(ID, userKey));
      return g === 'none' ? undefined : g;
    };
    const traffic = generateTraffic({
      users: 1_400,
      days: 1,
      startDay: day,
      timeZone: TZ,
      seed: 31,
      conversionBps: 2_000,
      refundBps: 0,
      anonymousBps: 500,
      campaign: { id: ID, assign, pilotLiftBps: 3_000 },
    });
    const sent = await sendTraffic({
      url: first.url,
      writeKey: secrets.secrets.StorefrontWriteKey!,
      shopifySecret: secrets.secrets.ShopifyWebhookSecret!,
      batches: batchesOf(traffic.events, { size: 250, duplicateBps: 0, lateBps: 0, seed: 1 }),
      concurrency: 4,
      orders: traffic.orders,
      refunds: [],
    });
    expect(sent.failures).toEqual([]);
    await sf.settle();

    // Checkouts of pilot users reserve the budget; the runtime is killed while they are in flight.
    const buyers = Array.from({ length: 400 }, (_, i) => `CK-${i}`)
      .filter((u) => assign(u) === 'pilot')
      .slice(0, CHECKOUTS);
    expect(buyers).toHaveLength(CHECKOUTS);
    const checkout = (client: typeof sf, u: string) =>
      client.api('POST', '/api/quote', {
        userId: u,
        orderId: `order-${u}`,
        items: [{ sku: 'LIFT30-SKU', qty: 1 }],
      });
    const before = new Map<string, Body>();
    const queue = [...buyers];
    const racing = Promise.all(
      Array.from({ length: 4 }, async () => {
        for (let u = queue.shift(); u; u = queue.shift()) {
          const r = await checkout(sf, u).catch(() => null);
          if (r?.status === 200) before.set(u, r.body.reservation);
        }
      }),
    );
    await until('some checkouts answered', async () => (before.size >= 5 ? true : undefined));
    await first.kill9();
    await racing;
    sf.close();
    expect(before.size).toBeGreaterThan(0);
    expect(before.size).toBeLessThan(CHECKOUTS);

    const second = await processes.spawn(args);
    sf = restockClient(second.url, data);
    expect((await sf.ok('GET', `/api/campaigns/${ID}`)).status).toBe('PILOT');
    // Every checkout retried (a shopper pressing "pay" again): the first answers stand.
    const after = new Map<string, Body>();
    for (const u of buyers) {
      const r = await checkout(sf, u);
      expect(r.status, u).toBe(200);
      after.set(u, r.body.reservation);
    }
    for (const [u, r] of before) expect(after.get(u), u).toEqual(r);
    // Granted until the budget ran out; later checkouts got no tier (the quote saw no budget left).
    const granted = [...after.values()].filter((r) => r?.granted);
    expect(granted).toHaveLength(BUDGET / SAVE);
    expect(granted.every((r) => r.amount === SAVE)).toBe(true);
    const view = await sf.ok('GET', `/api/campaigns/${ID}`);
    expect(view.budgetGranted).toEqual({ amount: BUDGET, currency: 'CNY' });

    // The pilot ends and then the campaign: evaluated once, rolled out once, ended once.
    await advanceTo(sf, pilotEnd + 60_000);
    const rolled = await sf.ok('GET', `/api/campaigns/${ID}`);
    expect(rolled.status, rolled.evaluation?.reason).toBe('ROLLED_OUT');
    expect(rolled.evaluation).toMatchObject({ decision: 'rollout', sampleRatioOk: true });
    await advanceTo(sf, end + 60_000);
    const ended = await sf.ok('GET', `/api/campaigns/${ID}`);
    expect(ended.status).toBe('ENDED');
    expect(ended.history.map((h: Body) => h.status)).toEqual([
      'SCHEDULED',
      'PILOT',
      'EVALUATING',
      'ROLLED_OUT',
      'ENDED',
    ]);
    expect(ended.budgetGranted).toEqual({ amount: BUDGET, currency: 'CNY' });
    const timeline = await sf.ok('GET', `/api/campaigns/${ID}/timeline?limit=200`);
    const events = (timeline.items as Body[]).filter((i) => i.kind === 'event').map((i) => i.name);
    expect(events).toEqual([
      'CampaignScheduled',
      'CampaignPilotStarted',
      'CampaignEvaluated',
      'CampaignRolledOut',
      'CampaignEnded',
    ]);
    const runs = (await sf.runs(/CampaignLaunch|LaunchWorkflow/)).filter((r) => r.name === ID);
    expect(runs).toEqual([{ name: ID, status: 'SUCCEEDED' }]);
    sf.close();
    expect(await second.stop()).toBe(0);
  }, 420_000);
});
