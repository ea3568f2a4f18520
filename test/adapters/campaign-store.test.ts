import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCampaignStore } from '#adapters/dynamodb/campaign-store';
import { type Campaign, parseCampaign, pilotEndOf } from '#domain/campaigns/campaign';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The campaign store on DynamoDB's wire protocol (dynalite): the budget never over-redeemed under
 * concurrent reservations (one conditional write on the counter), a reservation per order, status
 * transitions that happen once, the first identity link kept.
 */
let dynamo: LocalDynamo;
let store: DynamoCampaignStore;
const AT = '2026-11-01T00:00:00.000Z';

function campaign(id: string, budget: number | null): Campaign {
  const { terms } = parseCampaign(id, {
    name: id,
    start: '2026-11-01T00:00:00Z',
    end: '2026-11-12T00:00:00Z',
    ...(budget ? { budget: { amount: budget, currency: 'CNY' } } : {}),
  });
  return {
    ...terms,
    campaignId: id,
    status: 'SCHEDULED',
    pilotStart: terms.start,
    pilotEnd: pilotEndOf(terms),
    lockedSkus: [],
    evaluation: null,
    decision: null,
    history: [{ status: 'SCHEDULED', at: AT, by: 'api', reason: 'created' }],
    runId: id,
    version: 1,
    createdAt: AT,
    updatedAt: AT,
  };
}

beforeAll(async () => {
  dynamo = await startLocalDynamo('campaign-store-test');
  store = new DynamoCampaignStore(dynamo.doc, dynamo.tableName);
});
afterAll(async () => {
  await dynamo?.stop();
});

describe('campaign budget', () => {
  it('never grants beyond the budget under 120 concurrent checkouts', async () => {
    expect(await store.createCampaign(campaign('BUDGET-1', 100_000))).toBe(true);
    // 120 orders of 3 000 (3.6× the budget of 100 000) at once: exactly 33 fit.
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) => store.reserve('BUDGET-1', `order-${i}`, 3_000, 100_000, AT)),
    );
    const granted = results.filter((r) => r.granted);
    expect(granted).toHaveLength(33);
    expect(await store.granted('BUDGET-1')).toBe(99_000);
    expect(results.filter((r) => !r.granted).every((r) => r.reason.includes('less than 3000 left'))).toBe(
      true,
    );
  });

  it('a retried checkout gets the first answer and counts once', async () => {
    await store.createCampaign(campaign('BUDGET-2', 10_000));
    const first = await store.reserve('BUDGET-2', 'order-1', 3_000, 10_000, AT);
    const again = await Promise.all(
      [1, 2, 3].map(() => store.reserve('BUDGET-2', 'order-1', 3_000, 10_000, AT)),
    );
    expect(first.granted).toBe(true);
    expect(again.every((r) => r.granted && r.amount === 3_000)).toBe(true);
    expect(await store.granted('BUDGET-2')).toBe(3_000);
  });
});

describe('campaign transitions and identities', () => {
  it('moves a status once, with its history; a stale move reports where the campaign is', async () => {
    await store.createCampaign(campaign('MOVE-1', null));
    expect(await store.createCampaign(campaign('MOVE-1', null))).toBe(false);
    const change = { status: 'PILOT' as const, at: AT, by: 'storeflow', reason: 'the pilot started' };
    const [a, b] = await Promise.all([
      store.transition('MOVE-1', ['SCHEDULED'], 'PILOT', { lockedSkus: ['A'] }, change),
      store.transition('MOVE-1', ['SCHEDULED'], 'PILOT', { lockedSkus: ['A'] }, change),
    ]);
    expect([a.moved, b.moved].sort()).toEqual([false, true]);
    const c = await store.getCampaign('MOVE-1');
    expect(c).toMatchObject({ status: 'PILOT', lockedSkus: ['A'], version: 2 });
    expect(c!.history.map((h) => h.status)).toEqual(['SCHEDULED', 'PILOT']);
    await store.syncLive(c!);
    expect((await store.liveCampaigns()).map((x) => x.campaignId)).toContain('MOVE-1');
    const ended = await store.transition(
      'MOVE-1',
      ['PILOT'],
      'ABORTED',
      {},
      { ...change, status: 'ABORTED' },
    );
    await store.syncLive(ended.campaign!);
    expect((await store.liveCampaigns()).map((x) => x.campaignId)).not.toContain('MOVE-1');
  });

  it('keeps the first anonymous id a user was linked to', async () => {
    expect(await store.linkedSubject('U-1')).toBeNull();
    expect(await store.link('U-1', 'anon-1', AT)).toBe('anon-1');
    expect(await store.link('U-1', 'anon-2', AT)).toBe('anon-1');
    expect(await store.linkedSubject('U-1')).toBe('anon-1');
  });
});
