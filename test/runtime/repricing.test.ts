import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { assemblyWithDisabled } from '#test/support/assembly-variant';
import { oneBucket, type RepricingClient, repricingClient } from '#test/support/repricing-client';
import { type Runtime, startRuntime } from '../../local/runtime/runtime.ts';

/**
 * Scheduled repricing (issue #13) end to end on the local runtime with the virtual clock: the real
 * app's assembly, driven only through the operations API, signed storeflow and Shopify webhooks and
 * the clock. The tests share one catalog and run in order; the clock only moves forward.
 */
let runtime: Runtime;
let dataDir: string;
let sf: RepricingClient;
let app: ReturnType<typeof assemblyWithDisabled>;
const HOUR = 3_600_000;
/** Few SKUs, in one bucket: a run is one child execution (a week of runs stays short). */
const [LOW, NEAR, CHARM, LOCKED, LATE] = oneBucket(['LOW', 'NEAR', 'CHARM', 'LOCKED', 'LATE']);

const RULES = {
  timeZone: 'Asia/Shanghai',
  schedule: 'hourly',
  rules: [
    { type: 'lowStock', below: 50, raiseBps: 1000, enabled: true },
    { type: 'competitor', towardBps: 5000, enabled: true },
    { type: 'charmEnding', ending: 9, toleranceBps: 200, enabled: true },
  ],
  maxChangePerRunBps: 1500,
  defaultMinMarginBps: 1000,
  defaultMaxMarkupBps: 2000,
};

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'storeflow-repricing-'));
  // The app without the restock sweep's and the members' clocks: this file advances through a week
  // of hourly runs, and those clocks' ticks (every quarter hour, a sweep over the catalog each night)
  // were two thirds of its Lambda invocations; nothing here asserts what they start.
  app = assemblyWithDisabled(inject('appAssembly'), {
    schedules: ['RestockSweepSchedule', 'MembersNightlySchedule', 'MembersAnnualSchedule'],
  });
  runtime = await startRuntime({ assemblyDir: app.dir, dataDir, port: 0, clock: 'virtual' });
  sf = repricingClient(runtime.url, dataDir);
  // Half past nine in Shanghai: the 10:00 run is ahead.
  await sf.advanceToLocal('09:30');
});

afterAll(async () => {
  sf?.close();
  await runtime?.close();
  rmSync(dataDir, { recursive: true, force: true });
  app?.remove();
});

describe('repricing on the local runtime', () => {
  it('takes versioned rules, SKU pricing fields and competitor prices; a stale one arriving late does not win', async () => {
    const rules = await sf.ok('PUT', '/api/pricing-rules', RULES);
    expect(rules).toMatchObject({ version: 1, maxChangePerRunBps: 1500 });
    expect(await sf.ok('GET', '/api/pricing-rules')).toMatchObject({ version: 1, timeZone: 'Asia/Shanghai' });
    await sf.ok('PUT', '/api/suppliers/S1', { name: 'One', tier: 'core', leadTimeDays: 5, currency: 'CNY' });
    // Cost 50.00, list 100.00, price 100.00: floor 55.00, ceiling 120.00, at most ±15.00 a run.
    const low = await sf.sku(LOW, { onHand: 10, cost: 5000, listPrice: 10000, price: 10000 });
    expect(low).toMatchObject({ onHand: 10, price: { amount: 10000 }, listPrice: { amount: 10000 } });
    await sf.sku(NEAR, { onHand: 500, cost: 5000, listPrice: 10000, price: 10000 });
    await sf.sku(CHARM, { onHand: 500, cost: 5000, listPrice: 10000, price: 10000 });
    await sf.sku(LOCKED, { onHand: 10, cost: 5000, listPrice: 10000, price: 10000, campaignLocked: true });
    await sf.sku(LATE, { onHand: 500, cost: 5000, listPrice: 10000, price: 10000 });

    expect((await sf.observe(NEAR, 'jd', 9000)).status).toBe(200);
    expect((await sf.observe(LOCKED, 'jd', 9000)).status).toBe(200);
    // LATE: a fresh 120.00 is observed, then an older 80.00 arrives after it: the fresh one stays.
    const now = await sf.now();
    expect((await sf.observe(LATE, 'jd', 12000, now - 10 * 60_000)).status).toBe(200);
    await sf.settle();
    expect((await sf.observe(LATE, 'jd', 8000, now - 2 * HOUR)).status).toBe(200);
    await sf.settle();

    // Bad input: 400 naming the field, nothing stored.
    const bad = await sf.api('PUT', '/api/skus/BAD', {
      title: 'x',
      category: 'pricing',
      onHand: 1,
      supply: [
        { supplierId: 'S1', unitCost: { amount: 5000, currency: 'CNY' }, casePack: 1, minOrderQty: 0 },
      ],
      price: { amount: 5100, currency: 'CNY' },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.issues[0]).toMatchObject({
      field: 'price',
      reason: expect.stringMatching(/margin floor/),
    });
    expect((await sf.api('GET', '/api/skus/BAD')).status).toBe(404);
    const badRules = await sf.api('PUT', '/api/pricing-rules', { ...RULES, maxChangePerRunBps: -1 });
    expect(badRules.status).toBe(400);
    expect(badRules.body.issues[0].field).toBe('maxChangePerRunBps');
    expect((await sf.api('GET', '/api/skus/NOPE/prices')).status).toBe(404);
  });

  let dry: Record<
    string,
    { new: { amount: number }; outcome: string; trail: Array<{ rule: string; applied: boolean }> }
  >;

  it('a dry run reports the changes with their rule trail and guardrails, and applies nothing', async () => {
    const answer = await sf.ok('POST', '/api/repricing/dry-run', {});
    expect(answer).toMatchObject({ applied: false, rulesVersion: 1, summary: { decided: 5, locked: 1 } });
    dry = Object.fromEntries(answer.items.map((d: { sku: string }) => [d.sku, d]));
    const moved = (sku: string) => dry[sku]!.trail.filter((s) => s.applied).map((s) => s.rule);
    // LOW: on hand 10 < 50 → +10% = 110.00, then the nearest price ending in 9 within 2%: 109.00.
    expect(dry[LOW]).toMatchObject({ outcome: 'changed', new: { amount: 10900 } });
    expect(moved(LOW)).toEqual(['lowStock', 'charmEnding']);
    // NEAR: half way to jd's 90.00 → 95.00 (no price ending in 9 within 2%).
    expect(dry[NEAR]).toMatchObject({ outcome: 'changed', new: { amount: 9500 } });
    expect(moved(NEAR)).toEqual(['competitor']);
    // CHARM: 100.00 → 99.00.
    expect(dry[CHARM]).toMatchObject({ outcome: 'changed', new: { amount: 9900 } });
    expect(moved(CHARM)).toEqual(['charmEnding']);
    // LATE: toward jd's fresh 120.00 (not the late 80.00): 110.00 → 109.00.
    expect(dry[LATE]).toMatchObject({ outcome: 'changed', new: { amount: 10900 } });
    expect(
      (
        answer.items.find((d: { sku: string }) => d.sku === LATE).inputs.competitors as Array<{
          price: unknown;
        }>
      ).map((c) => c.price),
    ).toEqual([{ amount: 12000, currency: 'CNY' }]);
    expect(dry[LOCKED]).toMatchObject({ outcome: 'locked', new: { amount: 10000 } });
    // Rules to try: competitor only.
    const tried = await sf.ok('POST', '/api/repricing/dry-run', {
      rules: { ...RULES, rules: [{ type: 'competitor', towardBps: 10000 }] },
      skus: [NEAR, LOW],
    });
    expect(tried.rulesVersion).toBeNull();
    expect(tried.items.map((d: { sku: string; new: { amount: number } }) => [d.sku, d.new.amount])).toEqual([
      [NEAR, 9000],
      [LOW, 10000],
    ]);
    // Nothing applied: prices and histories as set.
    for (const sku of [LOW, NEAR, CHARM, LATE, LOCKED]) {
      expect(await sf.price(sku), sku).toBe(10000);
      expect((await sf.prices(sku)).map((p) => p.source)).toEqual(['api']);
    }
    const invalid = await sf.api('POST', '/api/repricing/dry-run', { skus: [LOW, LOW] });
    expect(invalid.status).toBe(400);
    expect(invalid.body.issues[0].field).toBe('skus.1');
  });

  it('the 10:00 run reprices each SKU once, as the dry run said, and leaves the locked one alone', async () => {
    const at = await sf.advanceToLocal('10:00');
    await sf.settle();
    const runId = `reprice-${sf.storeDate(at)}T10`;
    expect((await sf.runs(/RepricingRun/)).find((r) => r.name === runId)?.status).toBe('SUCCEEDED');
    for (const sku of [LOW, NEAR, CHARM, LATE]) {
      expect(await sf.price(sku), sku).toBe(dry[sku]!.new.amount);
      const [change, set] = await sf.prices(sku);
      expect(change, sku).toMatchObject({
        source: 'run',
        runId,
        at: new Date(at).toISOString(),
        old: { amount: 10000, currency: 'CNY' },
        new: { amount: dry[sku]!.new.amount, currency: 'CNY' },
        rulesVersion: 1,
      });
      expect(
        change.trail.filter((s: { applied: boolean }) => s.applied).map((s: { rule: string }) => s.rule),
      ).toEqual(dry[sku]!.trail.filter((s) => s.applied).map((s) => s.rule));
      expect(set.source).toBe('api');
      const lines = (await sf.timeline('skus', sku)).filter((l) => l.kind === 'price-change');
      expect(
        lines.map((l) => [l.name, l.detail.data.runId]),
        sku,
      ).toEqual([
        ['PriceChanged', null],
        ['PriceChanged', runId],
      ]);
    }
    expect(await sf.price(LOCKED)).toBe(10000);
    expect((await sf.prices(LOCKED)).map((p) => p.source)).toEqual(['api']);
  });

  it('a what-if over 7 days of recorded history gives, run by run, the prices the live runs set', async () => {
    // From the 11:00 run on, a week of hourly runs with things happening every day: competitor
    // prices move, stock drops and recovers, orders are paid, and once an operator sets a price.
    const from = await sf.advanceToLocal('11:00');
    const DAY = 24 * HOUR;
    let order = 910_000;
    for (let day = 0; day < 7; day++) {
      await sf.advance(20 * 60); // hh:20, between runs
      await sf.observe(NEAR, 'jd', 9000 + ((day * 700) % 2500));
      await sf.observe(NEAR, 'tmall', 9800 - day * 150);
      await sf.observe(LATE, 'jd', 11000 + day * 200, (await sf.now()) - (day % 2) * 3 * HOUR);
      await sf.sku(LOW, { onHand: day % 2 === 0 ? 100 : 8, cost: 5000 });
      await sf.orderPaid(++order, await sf.now(), { [LOW]: 1 + day, [NEAR]: 2, [CHARM]: 1 });
      if (day === 3) await sf.sku(CHARM, { onHand: 500, cost: 5000, price: 11500 });
      await sf.settle();
      await sf.advance((from + (day + 1) * DAY - (await sf.now())) / 1000);
    }
    await sf.settle();
    const to = from + 7 * DAY;
    expect(await sf.now()).toBe(to);

    const skus = [LOW, NEAR, CHARM, LATE, LOCKED];
    const report = await sf.ok('POST', '/api/repricing/what-if', {
      from: new Date(from).toISOString(),
      to: new Date(to).toISOString(),
      skus,
    });
    expect(report).toMatchObject({ applied: false, rulesVersion: 1, timeZone: 'Asia/Shanghai' });
    expect(report.runs).toHaveLength(168);
    expect(report.runs[0]).toBe(new Date(from).toISOString());
    let liveChanges = 0;
    for (const sku of skus) {
      const history = (await sf.prices(sku)).reverse(); // oldest first
      // The live price after each run: the last change at or before the run's instant.
      const live = (report.runs as string[]).map((at) => {
        const last = history.filter((c) => c.at <= at).at(-1);
        return last ? last.new.amount : null;
      });
      const replay = report.skus.find((s: { sku: string }) => s.sku === sku);
      expect(replay.prices, sku).toEqual(live);
      const runs = history.filter((c) => c.source === 'run' && c.at >= report.runs[0]);
      expect(replay.changes, sku).toBe(runs.length);
      liveChanges += runs.length;
    }
    // The week moved prices (the comparison is not of flat lines), and the locked SKU never.
    expect(liveChanges).toBeGreaterThan(10);
    const locked = report.skus.find((s: { sku: string }) => s.sku === LOCKED);
    expect(locked.guardrailsBound.campaignLock).toBe(168);
    expect(new Set(locked.prices)).toEqual(new Set([10000]));
    // The revenue at the recorded units: LOW sold 1 + 2 + … + 7 units in the week, an estimate.
    const low = report.skus.find((s: { sku: string }) => s.sku === LOW);
    expect(low.revenueEstimate).toMatchObject({ estimate: true, units: 28 });
    expect(low.revenueEstimate.simulated).toEqual(low.revenueEstimate.recorded);

    // The same what-if as a job (Prefer: respond-async): 202 with its location, progress, then the
    // same result a part at a time.
    const accepted = await sf.api(
      'POST',
      '/api/repricing/what-if',
      { from: new Date(from).toISOString(), to: new Date(to).toISOString(), skus },
      { prefer: 'respond-async' },
    );
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({ status: 'running', progress: { skus: 5, replayed: 0 } });
    await sf.settle();
    const jobPath = accepted.body.location as string;
    expect(jobPath).toBe(`/api/repricing/what-if/${accepted.body.jobId}`);
    const job = await sf.ok('GET', jobPath);
    expect(job).toMatchObject({ status: 'succeeded', progress: { skus: 5, replayed: 5 }, rulesVersion: 1 });
    expect(job.runs).toEqual(report.runs);
    const jobSkus = [...job.skus];
    for (let cursor = job.nextCursor; cursor; ) {
      const next = await sf.ok('GET', `${jobPath}?cursor=${cursor}`);
      jobSkus.push(...next.skus);
      cursor = next.nextCursor;
    }
    expect(jobSkus).toEqual(report.skus);
    expect((await sf.api('GET', '/api/repricing/what-if/no-such-job')).status).toBe(404);
    expect((await sf.api('GET', `${jobPath}?cursor=99`)).body.issues[0].field).toBe('cursor');

    // Bounds: a period over 31 days, or one in the future, is a 400 naming the field.
    const long = await sf.api('POST', '/api/repricing/what-if', {
      from: new Date(to - 32 * DAY).toISOString(),
      to: new Date(to).toISOString(),
    });
    expect(long.status).toBe(400);
    expect(long.body.issues[0].field).toBe('to');
  }, 300_000);
});
