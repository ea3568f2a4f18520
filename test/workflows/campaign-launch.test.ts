import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignBudget } from '#adapters/dynamodb/campaign-budget';
import {
  catalogSkusInCategories,
  DynamoCampaignStore,
  DynamoCatalogPrices,
} from '#adapters/dynamodb/campaign-store';
import { campaignAdmin } from '#domain/campaigns/admin';
import { campaignRun } from '#domain/campaigns/run';
import { campaignStepHandler } from '#domain/campaigns/steps';
import type { SkuPricingPort } from '#domain/campaigns/store';
import type { VariantCounts, VariantCountsQuery, VariantCountsSource } from '#domain/shared/variant-counts';
import { MemoryPublisher, MemoryTimeline } from '#test/support/memory-ports';
import { synthesizedWorkflow, type WorkflowHarness, workflowHarness } from '#test/support/workflow-harness';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The launch run and the A/B test run exactly as CDK synthesizes them, on the local engine with a
 * virtual clock, the real steps over the real store (dynalite) and an in-memory counts source in
 * place of the storefront metrics: every path of the run — auto rollout and rollback, a hold for a
 * person, approval approved and timed out, abort mid-pilot — and an experiment with a winner.
 */
const STEP = 'arn:aws:lambda:us-east-1:000000000000:function:CampaignStep';
const T0 = Date.parse('2026-11-01T00:00:00.000Z');
const HOUR = 3_600_000;

let dynamo: LocalDynamo;
let launchDefinition: string;
let experimentDefinition: string;

beforeAll(async () => {
  dynamo = await startLocalDynamo('campaign-launch-test');
  launchDefinition = synthesizedWorkflow('Campaigns/LaunchWorkflow', () => STEP).definition;
  experimentDefinition = synthesizedWorkflow('Campaigns/ExperimentWorkflow', () => STEP).definition;
}, 120_000);
afterAll(async () => {
  await dynamo?.stop();
});

class FakeCounts implements VariantCountsSource {
  readonly rows = new Map<string, VariantCounts[]>();
  readonly queries: VariantCountsQuery[] = [];
  async variantCounts(q: VariantCountsQuery) {
    this.queries.push(q);
    return this.rows.get(q.id) ?? [];
  }
}

async function setup(definition: string) {
  const counts = new FakeCounts();
  const locks = new Map<string, boolean>();
  const prices = new Map<string, number>();
  const pricing: SkuPricingPort = {
    setCampaignLock: async (sku, locked) => void locks.set(sku, locked),
    setPrice: async (sku, price) => {
      if (price.amount < 5_000)
        return { applied: false, reason: 'price: must be at least 50.00 CNY, the margin floor' };
      prices.set(sku, price.amount);
      return { applied: true };
    },
  };
  const publisher = new MemoryPublisher();
  const timeline = new MemoryTimeline();
  let h: WorkflowHarness | undefined;
  const clock = { now: () => new Date(h ? h.clock.now() : T0) };
  const store = new DynamoCampaignStore(dynamo.doc, dynamo.tableName);
  const catalog = new DynamoCatalogPrices(dynamo.doc, dynamo.tableName);
  const categories = {
    skusInCategories: (c: readonly string[]) => catalogSkusInCategories(dynamo.doc, dynamo.tableName, c),
  };
  const step = campaignStepHandler(
    campaignRun({ store, counts, pricing, catalog: categories, publisher, timeline, clock }),
  );
  h = await workflowHarness({
    definition,
    start: T0,
    invoke: async (name, payload) => {
      if (name !== STEP) throw new Error(`unexpected function ${name}`);
      return step(payload);
    },
  });
  const harness = h;
  const starter = { start: async (name: string, input: unknown) => void (await harness.start(name, input)) };
  const admin = campaignAdmin({
    store,
    budget: new DynamoCampaignBudget(dynamo.doc, dynamo.tableName),
    counts,
    catalog,
    clock,
    callbacks: {
      succeed: async (taskToken, output) => {
        await harness.engine.sendTaskSuccess({ taskToken, output: JSON.stringify(output) });
        return 'sent';
      },
      fail: async (taskToken, error, cause) => {
        await harness.engine.sendTaskFailure({ taskToken, error, cause });
        return 'sent';
      },
    },
    runs: { launch: starter, experiment: starter },
    perks: {
      perksOf: async () => ({ tier: 'none', discountBps: 0, slaMultiplierBps: 10_000, newUser: false }),
    },
    coupons: { findCoupon: async () => undefined },
  });
  /** Moves the clock to `at`, timer by timer. */
  const advanceTo = async (at: number) => {
    await harness.clock.advanceTo(at);
    await harness.clock.advance(0);
  };
  const executionOf = async (name: string) =>
    harness.describe(`${harness.stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`);
  return { h: harness, admin, store, counts, locks, prices, publisher, timeline, advanceTo, executionOf };
}

const body = (extra: Record<string, unknown> = {}, pilot: Record<string, unknown> = {}) => ({
  name: 'Double 11 warm-up',
  start: new Date(T0 + HOUR).toISOString(),
  end: new Date(T0 + 240 * HOUR).toISOString(),
  skus: ['SKU-1', 'SKU-2'],
  budget: { amount: 1_000_000, currency: 'CNY' },
  pilot: { durationHours: 48, minSamplePerGroup: 1000, ...pilot },
  ...extra,
});
const rows = (pilot: [number, number], control: [number, number]): VariantCounts[] => [
  { variant: 'pilot', users: pilot[0], clicks: pilot[0], conversions: pilot[1] },
  { variant: 'control', users: control[0], clicks: control[0], conversions: control[1] },
];
const types = (p: MemoryPublisher) => p.events.map((e) => e.detailType);

describe('the campaign launch run', () => {
  it('auto: waits for the start, locks the SKUs, evaluates +30% and rolls out, then ends at the end', async () => {
    const s = await setup(launchDefinition);
    const created = await s.admin.put('C-AUTO', body());
    expect(created).toMatchObject({
      created: true,
      campaign: { status: 'SCHEDULED', pilotEnd: new Date(T0 + 49 * HOUR).toISOString() },
    });
    await s.advanceTo(T0 + 2 * HOUR);
    expect((await s.admin.get('C-AUTO')).status).toBe('PILOT');
    expect([...s.locks]).toEqual([
      ['SKU-1', true],
      ['SKU-2', true],
    ]);
    s.counts.rows.set('C-AUTO', rows([2000, 260], [2000, 200]));
    expect((await s.admin.get('C-AUTO')).live).toMatchObject({ pilot: { users: 2000, conversions: 260 } });
    await s.advanceTo(T0 + 50 * HOUR);
    const out = await s.admin.get('C-AUTO');
    expect(out.status).toBe('ROLLED_OUT');
    expect(out.evaluation).toMatchObject({
      decision: 'rollout',
      liftBps: 3000,
      pilot: { users: 2000, conversions: 260 },
    });
    expect(s.counts.queries.at(-1)).toEqual({
      kind: 'campaign',
      id: 'C-AUTO',
      from: new Date(T0 + HOUR).toISOString(),
      to: new Date(T0 + 49 * HOUR).toISOString(),
    });
    expect((await s.admin.assignment('C-AUTO', { userId: 'anyone' })).group).toBe('everyone');
    await s.advanceTo(T0 + 241 * HOUR);
    const ended = await s.admin.get('C-AUTO');
    expect(ended.status).toBe('ENDED');
    expect(ended.history.map((x) => x.status)).toEqual([
      'SCHEDULED',
      'PILOT',
      'EVALUATING',
      'ROLLED_OUT',
      'ENDED',
    ]);
    expect([...s.locks.values()]).toEqual([false, false]);
    expect(types(s.publisher)).toEqual([
      'CampaignScheduled',
      'CampaignPilotStarted',
      'CampaignEvaluated',
      'CampaignRolledOut',
      'CampaignEnded',
    ]);
    expect((await s.executionOf('C-AUTO')).status).toBe('SUCCEEDED');
    expect([...s.timeline.entries.values()].some((e) => e.key.type === 'campaign' && e.kind === 'run')).toBe(
      true,
    );
  });

  it('auto: +5% rolls back with its numbers; the locks are released at once', async () => {
    const s = await setup(launchDefinition);
    await s.admin.put('C-FIVE', body());
    s.counts.rows.set('C-FIVE', rows([2000, 210], [2000, 200]));
    await s.advanceTo(T0 + 50 * HOUR);
    const c = await s.admin.get('C-FIVE');
    expect(c.status).toBe('ROLLED_BACK');
    expect(c.decision).toMatchObject({ action: 'rollback', by: 'storeflow' });
    expect(c.decision!.reason).toContain('+5.00% below the required +20.00%');
    expect([...s.locks.values()]).toEqual([false, false]);
    expect(types(s.publisher).slice(-2)).toEqual(['CampaignRolledBack', 'CampaignEnded']);
    expect((await s.executionOf('C-FIVE')).status).toBe('SUCCEEDED');
  });

  it('a sample-ratio mismatch is held for a person, who approves it', async () => {
    const s = await setup(launchDefinition);
    await s.admin.put('C-SRM', body());
    s.counts.rows.set('C-SRM', rows([3000, 900], [2000, 200]));
    await s.advanceTo(T0 + 50 * HOUR);
    const held = await s.admin.get('C-SRM');
    expect(held.status).toBe('AWAITING_DECISION');
    expect(held.evaluation).toMatchObject({ decision: 'hold', sampleRatioOk: false });
    const approved = await s.admin.approve('C-SRM', {
      by: 'ops-lead',
      reason: 'the control lost a tracking pixel',
    });
    expect(approved.status).toBe('ROLLED_OUT');
    await s.h.clock.advance(0);
    expect(types(s.publisher)).toContain('CampaignRolledOut');
    expect((await s.admin.get('C-SRM')).decision).toMatchObject({ action: 'rollout', by: 'ops-lead' });
  });

  it('approval mode: nobody decides within the timeout → rolled back', async () => {
    const s = await setup(launchDefinition);
    await s.admin.put('C-WAIT', body({}, { decision: 'approval', approvalTimeoutHours: 24 }));
    s.counts.rows.set('C-WAIT', rows([2000, 260], [2000, 200]));
    await s.advanceTo(T0 + 50 * HOUR);
    expect((await s.admin.get('C-WAIT')).status).toBe('AWAITING_DECISION');
    await s.advanceTo(T0 + 74 * HOUR);
    const c = await s.admin.get('C-WAIT');
    expect(c.status).toBe('ROLLED_BACK');
    expect(c.decision!.reason).toMatch(/^nobody decided within 24 h/);
    await expect(s.admin.approve('C-WAIT', { by: 'late' })).rejects.toThrow(/ROLLED_BACK/);
  });

  it('abort mid-pilot ends the run cleanly: ABORTED, locks released, CampaignEnded', async () => {
    const s = await setup(launchDefinition);
    await s.admin.put('C-ABORT', body({ skus: ['SKU-A1', 'SKU-A2'] }));
    await s.advanceTo(T0 + 10 * HOUR);
    expect((await s.admin.get('C-ABORT')).status).toBe('PILOT');
    const aborted = await s.admin.abort('C-ABORT', { by: 'ops', reason: 'wrong tiers' });
    expect(aborted.status).toBe('ABORTED');
    await s.h.clock.advance(0);
    expect((await s.executionOf('C-ABORT')).status).toBe('SUCCEEDED');
    expect([...s.locks.values()]).toEqual([false, false]);
    expect(s.publisher.events.at(-1)).toMatchObject({
      detailType: 'CampaignEnded',
      detail: { data: { outcome: 'aborted', reason: 'wrong tiers' } },
    });
    await expect(s.admin.abort('C-ABORT', { by: 'ops' })).resolves.toMatchObject({ status: 'ABORTED' });
  });

  it('a repeated PUT is a no-op; other terms are 409', async () => {
    const s = await setup(launchDefinition);
    await s.admin.put('C-SAME', body());
    expect((await s.admin.put('C-SAME', body())).created).toBe(false);
    await expect(s.admin.put('C-SAME', body({ name: 'other' }))).rejects.toThrow(/other terms/);
  });
});

describe('the A/B test run', () => {
  it('concludes at the end: a significant cheaper price is applied through the guardrails', async () => {
    const s = await setup(experimentDefinition);
    await s.admin.putExperiment('X-PRICE', {
      sku: 'SKU-1',
      field: 'price',
      variants: [
        { id: 'control', weight: 50, value: { amount: 9_900, currency: 'CNY' } },
        { id: 'cheaper', weight: 50, value: { amount: 8_900, currency: 'CNY' } },
      ],
      metric: 'conversion',
      minSamplePerVariant: 1000,
      alpha: 0.05,
      end: new Date(T0 + 72 * HOUR).toISOString(),
    });
    s.counts.rows.set('X-PRICE', [
      { variant: 'control', users: 2000, clicks: 900, conversions: 200 },
      { variant: 'cheaper', users: 2010, clicks: 950, conversions: 280 },
    ]);
    expect((await s.admin.getExperiment('X-PRICE')).results).toMatchObject({ winner: 'cheaper' });
    await s.advanceTo(T0 + 73 * HOUR);
    const e = await s.admin.getExperiment('X-PRICE');
    expect(e).toMatchObject({
      status: 'CONCLUDED',
      conclusion: { winner: 'cheaper', applied: { field: 'price' } },
    });
    expect(s.prices.get('SKU-1')).toBe(8_900);
    expect(types(s.publisher)).toEqual(['ExperimentConcluded']);
  });

  it('without a significant difference: no winner, the control kept', async () => {
    const s = await setup(experimentDefinition);
    await s.admin.putExperiment('X-TITLE', {
      sku: 'SKU-2',
      field: 'title',
      variants: [
        { id: 'control', weight: 1, value: 'Oak sofa' },
        { id: 'b', weight: 1, value: 'Solid oak sofa, 3 seats' },
      ],
      metric: 'ctr',
      minSamplePerVariant: 500,
      end: new Date(T0 + 24 * HOUR).toISOString(),
    });
    s.counts.rows.set('X-TITLE', [
      { variant: 'control', users: 1000, clicks: 300, conversions: 10 },
      { variant: 'b', users: 1010, clicks: 310, conversions: 11 },
    ]);
    await s.advanceTo(T0 + 25 * HOUR);
    const e = await s.admin.getExperiment('X-TITLE');
    expect(e).toMatchObject({
      status: 'CONCLUDED',
      conclusion: { winner: null, kept: 'control', applied: null },
    });
    expect(e.conclusion!.reason).toMatch(/^no winner/);
  });
});
