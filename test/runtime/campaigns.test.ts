import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { bucketOf, pilotGroup } from '#domain/campaigns/assignment';
import type { StorefrontEvent } from '#domain/metrics/storefront';
import { batchesOf, type GeneratedOrder, generateTraffic, type Traffic } from '#domain/metrics/traffic';
import { addDays, localDate, zonedInstant } from '#domain/shared/calendar';
import type { Body } from '#test/support/api-body';
import { APP_CLOCKS, assemblyWithDisabled, ORDER_REACTIONS } from '#test/support/assembly-variant';
import { sendTraffic } from '../../local/cli/traffic.ts';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Campaign launches (issue #17) end to end on the local runtime with the virtual clock, driven by
 * generated storefront traffic (the metrics feature's generator, its events endpoint and signed
 * Shopify orders): the pilots are evaluated from what the storefront reported, through the metrics
 * feature's counts. One pilot window for every campaign; each campaign gets its own traffic (or a
 * copy of another's events under its id, the same users and orders).
 */
const TZ = 'Asia/Shanghai';
const HOUR = 3_600_000;
let runtime: Runtime;
let dataDir: string;
let app: ReturnType<typeof assemblyWithDisabled>;
let secrets: { adminToken: string; secrets: Record<string, string> };
let day: string;
let pilotStart: number;

const call = async (method: string, path: string, body?: unknown) => {
  const res = await fetch(`${runtime.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${secrets.adminToken}`, 'content-type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as Body };
};
const ok = async (method: string, path: string, body?: unknown) => {
  const r = await call(method, path, body);
  if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(r.body)}`);
  return r.body;
};
const now = async () =>
  Date.parse(((await (await fetch(`${runtime.url}/_local/clock`)).json()) as { now: string }).now);
const advanceTo = async (ms: number) => {
  const res = await fetch(`${runtime.url}/_local/clock/advance`, {
    method: 'POST',
    body: JSON.stringify({ seconds: Math.max(0, (ms - (await now())) / 1000) }),
  });
  if (res.status !== 200) throw new Error(`advance: ${res.status} ${await res.text()}`);
  await runtime.settle();
};

/** 50 % pilot, 50 % control: the campaigns' split (the same hash as the generator's). */
const assign = (id: string) => (userKey: string) => {
  const g = pilotGroup({ hashPercent: 50 }, 50, bucketOf(id, userKey));
  return g === 'none' ? undefined : g;
};
const traffic = (
  id: string,
  seed: number,
  pilotLiftBps: number,
  users = 1400,
  conversionBps = 2_000,
): Traffic =>
  generateTraffic({
    users,
    days: 1,
    startDay: day,
    timeZone: TZ,
    seed,
    conversionBps,
    refundBps: 0,
    anonymousBps: 500,
    campaign: { id, assign: assign(id), pilotLiftBps },
  });
/** The same users' events under another campaign or experiment id (new event ids). */
const copyAs = (
  events: readonly StorefrontEvent[],
  as: { campaignId: string } | { experimentId: string; variants: Record<string, string> },
): StorefrontEvent[] =>
  events.map((e) => {
    const {
      campaignId: _c,
      variant,
      ...rest
    } = e as StorefrontEvent & { campaignId?: string; variant?: string };
    const id = 'campaignId' in as ? as.campaignId : as.experimentId;
    return {
      ...rest,
      eventId: `${e.eventId}-${id}`,
      ...('campaignId' in as
        ? { campaignId: as.campaignId, variant }
        : { experimentId: as.experimentId, variant: as.variants[variant ?? ''] ?? variant }),
    } as StorefrontEvent;
  });

async function send(events: StorefrontEvent[], orders: readonly GeneratedOrder[] = []) {
  const result = await sendTraffic({
    url: runtime.url,
    writeKey: secrets.secrets.StorefrontWriteKey!,
    shopifySecret: secrets.secrets.ShopifyWebhookSecret!,
    // Small batches, two at a time: each well inside the endpoint function's timeout on a busy machine.
    batches: batchesOf(events, { size: 100, duplicateBps: 0, lateBps: 0, seed: 1 }),
    concurrency: 2,
    orders,
    refunds: [],
  });
  expect(result.failures).toEqual([]);
  expect(result.rejected).toBe(0);
}

const campaign = (
  name: string,
  pilot: Record<string, unknown> = {},
  extra: Record<string, unknown> = {},
) => ({
  name,
  start: new Date(pilotStart).toISOString(),
  end: new Date(pilotStart + 10 * 24 * HOUR).toISOString(),
  skus: [`${name}-SKU`],
  pilot: {
    segment: { hashPercent: 50 },
    controlPercent: 50,
    durationHours: 48,
    minSamplePerGroup: 300,
    ...pilot,
  },
  ...extra,
});

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-campaigns-'));
  // The app without its clocks (restock sweep, repricing run, members nightly and annual): the
  // campaigns and experiments run on their own workflows' waits, and nothing here asserts what
  // those clocks start. With them on, the ~170 virtual hours this file advances through cost ~580
  // Lambda invocations a day (each clock's quarter-hourly tick, an hourly repricing run of the
  // priced SKUs, a daily sweep): about a fifth of its CPU. The prices its quotes and experiments assert
  // are the ones set here; repricing.test.ts asserts the runs (and that they skip locked SKUs).
  // Nor the other features' reactions to the ~1,000 orders sent here (restock, the SLA, repricing,
  // the members' ledger): with them, each order was four more invocations, and the SLA's promises
  // breached and were compensated during the pilot's advance (~6,000 invocations, two thirds of
  // the file's time). The metrics feature, which counts the orders for the pilots, stays.
  app = assemblyWithDisabled(inject('appAssembly'), { schedules: APP_CLOCKS, rules: ORDER_REACTIONS });
  runtime = await startRuntime({ assemblyDir: app.dir, dataDir, port: 0, clock: 'virtual' });
  secrets = JSON.parse(readFileSync(join(dataDir, 'secrets.json'), 'utf8'));
  day = addDays(localDate(new Date(await now()), TZ), 1);
  pilotStart = zonedInstant(day, '00:00', TZ).getTime();
  await ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
  // The campaigns' SKUs, in the catalog and priced (the lock shows on them).
  for (const sku of ['LIFT30-SKU', 'LIFT5-SKU', 'ABORT-SKU']) {
    await ok('PUT', `/api/skus/${sku}`, {
      title: sku,
      category: 'furniture',
      onHand: 100,
      supply: [
        { supplierId: 'S1', unitCost: { amount: 5_000, currency: 'CNY' }, casePack: 1, minOrderQty: 0 },
      ],
      listPrice: { amount: 10_000, currency: 'CNY' },
      price: { amount: 9_950, currency: 'CNY' },
    });
  }
}, 120_000);

afterAll(async () => {
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
  app?.remove();
}, 300_000);

describe('campaign launches on the local runtime', () => {
  it('pilots evaluated from generated storefront traffic: roll out, roll back, inconclusive, hold; approval; abort', async () => {
    const names = ['LIFT30', 'LIFT5', 'SMALL', 'SRM', 'APPROVE', 'TIMEOUT', 'ABORT'];
    for (const name of names) {
      const body =
        name === 'SMALL'
          ? campaign(name, { minSamplePerGroup: 100_000 })
          : name === 'APPROVE' || name === 'TIMEOUT'
            ? campaign(name, { decision: 'approval', approvalTimeoutHours: 24 })
            : campaign(name);
      const created = await call('PUT', `/api/campaigns/${name}`, body);
      expect(created.status, name).toBe(201);
      expect(created.body.status).toBe('SCHEDULED');
    }
    expect((await call('PUT', '/api/campaigns/LIFT30', campaign('LIFT30'))).status).toBe(200);
    expect(
      (await call('PUT', '/api/campaigns/BAD', { ...campaign('BAD'), end: campaign('BAD').start })).body,
    ).toMatchObject({
      error: 'ValidationError',
      issues: [{ field: 'end' }],
    });

    // The pilot's day: the storefront's traffic of that day, sent the morning after.
    await advanceTo(pilotStart + 25 * HOUR);
    expect((await ok('GET', '/api/campaigns/LIFT30')).status).toBe('PILOT');
    const t30 = traffic('LIFT30', 31, 3_000);
    const t5 = traffic('LIFT5', 32, 500);
    // SRM: a third of the control's users never reported (a broken tag on the control's page).
    const srm = copyAs(t30.events, { campaignId: 'SRM' }).filter(
      (e) => !(e as { variant?: string }).variant?.startsWith('control') || Number(e.userId ?? 0) % 3 !== 0,
    );
    const small = copyAs(t30.events.slice(0, 400), { campaignId: 'SMALL' });
    await send([...t30.events, ...t5.events, ...srm, ...small], [...t30.orders, ...t5.orders]);
    await runtime.settle();

    const live = await ok('GET', '/api/campaigns/LIFT30');
    expect(live.live.pilot.users).toBeGreaterThan(500);
    expect(live.live.control.users).toBeGreaterThan(500);
    expect((await ok('GET', '/api/skus/LIFT30-SKU')).campaignLocked).toBe(true);

    // Abort mid-pilot: ended cleanly, its SKU unlocked.
    const aborted = await ok('POST', '/api/campaigns/ABORT/abort', { by: 'ops', reason: 'wrong tiers' });
    expect(aborted.status).toBe('ABORTED');
    await runtime.settle();
    expect((await ok('GET', '/api/skus/ABORT-SKU')).campaignLocked).toBe(false);

    // The pilot ends: every campaign is evaluated.
    await advanceTo(pilotStart + 48 * HOUR + 60_000);
    const get = (id: string) => ok('GET', `/api/campaigns/${id}`);

    const lift30 = await get('LIFT30');
    expect(lift30.status, lift30.evaluation?.reason).toBe('ROLLED_OUT');
    expect(lift30.evaluation).toMatchObject({ decision: 'rollout', sampleRatioOk: true });
    expect(lift30.evaluation.pValue).toBeLessThan(0.05);
    expect(lift30.evaluation.liftBps).toBeGreaterThanOrEqual(2_000);
    expect((await ok('GET', '/api/campaigns/LIFT30/assignment?userId=anyone')).group).toBe('everyone');

    const lift5 = await get('LIFT5');
    expect(lift5.status, lift5.evaluation?.reason).toBe('ROLLED_BACK');
    expect(lift5.evaluation.decision).toBe('rollback');
    expect(lift5.decision.reason).toMatch(/conversion \d+\.\d\d% \(\d+\/\d+\) vs control/);
    expect((await ok('GET', '/api/skus/LIFT5-SKU')).campaignLocked).toBe(false);

    const small1 = await get('SMALL');
    expect(small1.status).toBe('ROLLED_BACK');
    expect(small1.evaluation).toMatchObject({ decision: 'rollback', inconclusive: true });
    expect(small1.evaluation.reason).toMatch(/^inconclusive: .*below the minimum sample of 100000/);

    const held = await get('SRM');
    expect(held.status).toBe('AWAITING_DECISION');
    expect(held.evaluation).toMatchObject({ decision: 'hold', sampleRatioOk: false });

    expect((await get('APPROVE')).status).toBe('AWAITING_DECISION');
    const approved = await ok('POST', '/api/campaigns/APPROVE/approve', { by: 'ops-lead' });
    expect(approved.status).toBe('ROLLED_OUT');

    // Nobody answers TIMEOUT (or SRM) within 24 h: rolled back.
    await advanceTo(pilotStart + 73 * HOUR);
    const timedOut = await get('TIMEOUT');
    expect(timedOut.status).toBe('ROLLED_BACK');
    expect(timedOut.decision.reason).toMatch(/^nobody decided within 24 h/);
    expect((await get('SRM')).status).toBe('ROLLED_BACK');

    const timeline = await ok('GET', '/api/campaigns/LIFT30/timeline?limit=100');
    const events = (timeline.items as Body[]).filter((i) => i.kind === 'event').map((i) => i.name);
    expect(events).toEqual([
      'CampaignScheduled',
      'CampaignPilotStarted',
      'CampaignEvaluated',
      'CampaignRolledOut',
    ]);
    const sku = await ok('GET', '/api/skus/LIFT30-SKU/timeline?limit=100');
    expect((sku.items as Body[]).map((i) => i.name)).toContain('CampaignPilotStarted');

    // A quote while LIFT30 is live for everyone.
    // U-1 has never paid: the members' perks make them a new user (−5 % after the campaign).
    const q = await ok('POST', '/api/quote', { userId: 'U-1', items: [{ sku: 'LIFT30-SKU', qty: 2 }] });
    expect(q.total).toEqual({ amount: 16_055, currency: 'CNY' });
    expect(q.lines.map((l: Body) => [l.kind, l.amount.amount])).toContainEqual(['campaign', -3_000]);
    expect(q.lines.map((l: Body) => [l.kind, l.amount.amount])).toContainEqual(['personal', -845]);
    expect(
      (
        await call('POST', '/api/quote', {
          userId: 'U-1',
          items: [{ sku: 'LIFT30-SKU', qty: 1 }],
          coupons: ['NOPE'],
        })
      ).body,
    ).toMatchObject({
      issues: [{ field: 'coupons.0' }],
    });
  }, 600_000);

  it('A/B tests: a clear winner is applied at the end; without one the control is kept', async () => {
    const start = await now();
    const end = start + 96 * HOUR;
    const exp = (sku: string, field: string, variants: unknown[], metric = 'conversion') => ({
      sku,
      field,
      variants,
      metric,
      minSamplePerVariant: 300,
      end: new Date(end).toISOString(),
    });
    await ok('PUT', '/api/skus/AB-SKU', {
      title: 'Oak table',
      category: 'furniture',
      onHand: 100,
      supply: [
        { supplierId: 'S1', unitCost: { amount: 5_000, currency: 'CNY' }, casePack: 1, minOrderQty: 0 },
      ],
      listPrice: { amount: 10_000, currency: 'CNY' },
      price: { amount: 9_900, currency: 'CNY' },
    });
    const price = (id: string, amount: number) => ({ id, weight: 1, value: { amount, currency: 'CNY' } });
    expect(
      (
        await call(
          'PUT',
          '/api/experiments/AB-WIN',
          exp('AB-SKU', 'price', [price('control', 9_900), price('cheaper', 8_900)]),
        )
      ).status,
    ).toBe(201);
    await ok(
      'PUT',
      '/api/experiments/AB-NONE',
      exp('AB-SKU', 'title', [
        { id: 'control', weight: 1, value: 'Oak table' },
        { id: 'b', weight: 1, value: 'Solid oak table' },
      ]),
    );
    // The next day's traffic, reported after it.
    day = localDate(new Date(start + 24 * HOUR), TZ);
    await advanceTo(zonedInstant(addDays(day, 1), '01:00', TZ).getTime());
    // 10 %: the generator caps a session's chance to pay at 1, which would eat a lift at 20 %.
    const win = traffic('AB-WIN', 41, 6_000, 1400, 1_000);
    const none = traffic('AB-NONE', 42, 0);
    await send(
      [
        ...copyAs(win.events, { experimentId: 'AB-WIN', variants: { pilot: 'cheaper', control: 'control' } }),
        ...copyAs(none.events, { experimentId: 'AB-NONE', variants: { pilot: 'b', control: 'control' } }),
      ],
      [...win.orders, ...none.orders],
    );
    await runtime.settle();
    const running = await ok('GET', '/api/experiments/AB-WIN');
    expect(running.status).toBe('RUNNING');
    expect(running.results.variants.map((v: Body) => v.id)).toEqual(['control', 'cheaper']);

    await advanceTo(end + 60_000);
    const won = await ok('GET', '/api/experiments/AB-WIN');
    expect(won.status).toBe('CONCLUDED');
    expect(won.conclusion, won.results?.reason).toMatchObject({
      winner: 'cheaper',
      applied: { field: 'price' },
    });
    expect((await ok('GET', '/api/skus/AB-SKU')).price).toEqual({ amount: 8_900, currency: 'CNY' });
    const kept = await ok('GET', '/api/experiments/AB-NONE');
    expect(kept.conclusion).toMatchObject({ winner: null, kept: 'control' });
    const tl = await ok('GET', '/api/experiments/AB-WIN/timeline?limit=50');
    expect((tl.items as Body[]).map((i) => i.name)).toContain('ExperimentConcluded');
  }, 600_000);
});
