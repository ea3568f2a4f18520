import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { counterEntry, countOnce, SETTLED_TTL_MS, settle } from '#adapters/dynamodb/budget-counter';
import { DynamoBudgetReleases } from '#adapters/dynamodb/budget-releases';
import { DynamoCampaignBudget } from '#adapters/dynamodb/campaign-budget';
import { DynamoCampaignStore, LIVE_INDEX_MAX_BYTES } from '#adapters/dynamodb/campaign-store';
import { keys } from '#adapters/dynamodb/schema';
import { budgetRelease, budgetReleases } from '#domain/campaigns/budget';
import { type Campaign, parseCampaign, pilotEndOf } from '#domain/campaigns/campaign';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The campaign store on DynamoDB's wire protocol (dynalite): the budget never over-redeemed under
 * concurrent reservations (one conditional write on the counter), a reservation per order, status
 * transitions that happen once, the first identity link kept.
 */
let dynamo: LocalDynamo;
let store: DynamoCampaignStore;
let budget: DynamoCampaignBudget;
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
  budget = new DynamoCampaignBudget(dynamo.doc, dynamo.tableName);
});
afterAll(async () => {
  await dynamo?.stop();
});

describe('campaign budget', () => {
  it('never grants beyond the budget under 120 concurrent checkouts', async () => {
    expect(await store.createCampaign(campaign('BUDGET-1', 100_000))).toBe(true);
    // 120 orders of 3 000 (3.6× the budget of 100 000) at once: exactly 33 fit.
    const results = await Promise.all(
      Array.from({ length: 120 }, (_, i) =>
        budget.reserve('BUDGET-1', `order-${i}`, 3_000, 100_000, AT, 20_000),
      ),
    );
    const granted = results.filter((r) => r.granted);
    expect(granted).toHaveLength(33);
    expect(await budget.granted('BUDGET-1')).toBe(99_000);
    expect(results.filter((r) => !r.granted).every((r) => r.reason.includes('less than 3000 left'))).toBe(
      true,
    );
  });

  it('a retried checkout gets the first answer and counts once', async () => {
    await store.createCampaign(campaign('BUDGET-2', 10_000));
    const first = await budget.reserve('BUDGET-2', 'order-1', 3_000, 10_000, AT, 20_000);
    const again = await Promise.all(
      [1, 2, 3].map(() => budget.reserve('BUDGET-2', 'order-1', 3_000, 10_000, AT, 20_000)),
    );
    expect(first.granted).toBe(true);
    expect(again.every((r) => r.granted && r.amount === 3_000)).toBe(true);
    expect(await budget.granted('BUDGET-2')).toBe(3_000);
  });
});

describe('campaign budget after a crash, cancellations and refunds', () => {
  const cny = (amount: number) => ({ amount, currency: 'CNY' });
  const cancelled = (orderId: string) => ({
    orderId,
    reason: 'customer',
    cancelledAt: AT,
    skus: [],
  });
  const refunded = (orderId: string, refundId: string, amount: number) => ({
    orderId,
    refundId,
    amount: cny(amount),
    lines: [],
    refundedAt: AT,
  });

  it('a reservation stopped between the counter and its record is counted once when retried', async () => {
    await store.createCampaign(campaign('CRASH-R', 10_000));
    // The state a kill -9 leaves: the PENDING record, the counter already taken with the marker.
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: {
          ...keys.campaignReservation('CRASH-R', 'cr-1'),
          entity: 'BudgetReservation',
          campaignId: 'CRASH-R',
          orderId: 'cr-1',
          amount: 3_000,
          granted: false,
          reason: 'pending',
          at: AT,
          orderTotal: 20_000,
          state: 'PENDING',
        },
      }),
    );
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: dynamo.tableName,
        Key: keys.campaignBudget('CRASH-R'),
        UpdateExpression: 'SET counted.#e = :zero ADD granted :a',
        ExpressionAttributeNames: { '#e': 'r:cr-1' },
        ExpressionAttributeValues: { ':a': 3_000, ':zero': 0 },
      }),
    );
    const retried = await budget.reserve('CRASH-R', 'cr-1', 3_000, 10_000, AT, 20_000);
    expect(retried).toMatchObject({ granted: true, amount: 3_000 });
    expect(await budget.granted('CRASH-R')).toBe(3_000);
    expect(await budget.reserve('CRASH-R', 'cr-1', 3_000, 10_000, AT, 20_000)).toMatchObject({
      granted: true,
    });
    expect(await budget.granted('CRASH-R')).toBe(3_000);
  });

  it("drops the counter's settled entries only after a grace period", async () => {
    await store.createCampaign(campaign('GC-1', 10_000));
    const now = Date.now();
    const counted = async () =>
      Object.keys(
        ((
          await dynamo.doc.send(
            new GetCommand({ TableName: dynamo.tableName, Key: keys.campaignBudget('GC-1') }),
          )
        ).Item?.counted as Record<string, number>) ?? {},
      ).sort();
    expect(
      await countOnce(dynamo.doc, dynamo.tableName, 'GC-1', counterEntry.reserve('g-1'), 100, 10_000),
    ).toBe(true);
    expect(
      await countOnce(dynamo.doc, dynamo.tableName, 'GC-1', counterEntry.reserve('g-1'), 100, 10_000),
    ).toBe(true);
    expect(await budget.granted('GC-1')).toBe(100);
    await settle(dynamo.doc, dynamo.tableName, 'GC-1', counterEntry.reserve('g-1'), now);
    await countOnce(dynamo.doc, dynamo.tableName, 'GC-1', counterEntry.reserve('g-2'), 100, 10_000);
    // g-2 unsettled (in flight): kept however old; g-1 settled: kept within the grace period.
    await settle(dynamo.doc, dynamo.tableName, 'GC-1', counterEntry.reserve('g-3'), now + 1_000);
    expect(await counted()).toEqual(['r:g-1', 'r:g-2', 'r:g-3']);
    await settle(
      dynamo.doc,
      dynamo.tableName,
      'GC-1',
      counterEntry.reserve('g-4'),
      now + SETTLED_TTL_MS + 2_000,
    );
    expect(await counted()).toEqual(['r:g-2', 'r:g-4']);
  });

  it('a cancellation gives the reservation back once, however often it is delivered', async () => {
    await store.createCampaign(campaign('REL-1', 10_000));
    await budget.reserve('REL-1', 'a-1', 3_000, 10_000, AT, 20_000);
    await budget.reserve('REL-1', 'a-2', 3_000, 10_000, AT, 20_000);
    await budget.reserve('REL-1', 'a-3', 3_000, 10_000, AT, 20_000);
    expect(await budget.granted('REL-1')).toBe(9_000);
    // Full: a fourth order is refused, until a cancellation gives budget back.
    expect((await budget.reserve('REL-1', 'a-4', 3_000, 10_000, AT, 20_000)).granted).toBe(false);
    const releases = budgetReleases({ store: new DynamoBudgetReleases(dynamo.doc, dynamo.tableName) });
    const outcomes = await Promise.all(
      Array.from({ length: 6 }, () => releases.orderCancelled(cancelled('a-1'))),
    );
    // Each delivery either applied it or found it applied (one that meets it half-way finishes it);
    // the counter takes it back once.
    const seen = outcomes.flatMap((o) => o.campaigns.map((c) => c.outcome));
    expect(seen).toContain('released');
    expect(seen.every((o) => o === 'released' || o === 'duplicate')).toBe(true);
    expect(await budget.granted('REL-1')).toBe(6_000);
    // The receipt is on the reservation (a retried checkout for the order reads it).
    const receipt = await budget.reserve('REL-1', 'a-1', 3_000, 10_000, AT, 20_000);
    expect(receipt).toMatchObject({ granted: true, released: 3_000 });
    expect(receipt.releases).toEqual([
      expect.objectContaining({ cause: 'cancelled', release: 3_000, rule: 'campaign-budget-release/1' }),
    ]);
    expect((await budget.reserve('REL-1', 'a-5', 3_000, 10_000, AT, 20_000)).granted).toBe(true);
    // An order that was refused, or that never reserved, gives nothing back.
    expect((await releases.orderCancelled(cancelled('a-4'))).campaigns).toEqual([
      { campaignId: 'REL-1', outcome: 'nothing', release: 0 },
    ]);
    expect((await releases.orderCancelled(cancelled('nobody'))).campaigns).toEqual([]);
    expect(await budget.granted('REL-1')).toBe(9_000);
  });

  it('partial refunds give back their share, a redelivered refund nothing, a later cancellation the rest', async () => {
    await store.createCampaign(campaign('REL-2', 10_000));
    await budget.reserve('REL-2', 'b-1', 3_000, 10_000, AT, 20_000);
    const releases = budgetReleases({ store: new DynamoBudgetReleases(dynamo.doc, dynamo.tableName) });
    expect((await releases.refundIssued(refunded('b-1', 'r-1', 5_000))).campaigns[0]).toMatchObject({
      outcome: 'released',
      release: 750,
    });
    expect((await releases.refundIssued(refunded('b-1', 'r-1', 5_000))).campaigns[0]).toMatchObject({
      outcome: 'duplicate',
    });
    expect(await budget.granted('REL-2')).toBe(2_250);
    await releases.refundIssued(refunded('b-1', 'r-2', 5_000));
    expect(await budget.granted('REL-2')).toBe(1_500);
    await releases.orderCancelled(cancelled('b-1'));
    await releases.orderCancelled(cancelled('b-1'));
    await releases.refundIssued(refunded('b-1', 'r-3', 10_000));
    expect(await budget.granted('REL-2')).toBe(0);
  });

  it('a release stopped part-way is finished by the next delivery without counting twice', async () => {
    await store.createCampaign(campaign('REL-3', 10_000));
    const r = await budget.reserve('REL-3', 'c-1', 3_000, 10_000, AT, 20_000);
    // Killed after the pending line and the counter's write, before the reservation recorded it.
    const line = budgetRelease(r, { kind: 'cancelled', causeId: 'cancelled', at: AT })!;
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: dynamo.tableName,
        Key: keys.campaignReservation('REL-3', 'c-1'),
        UpdateExpression: 'SET pending = :l',
        ExpressionAttributeValues: { ':l': line },
      }),
    );
    await dynamo.doc.send(
      new UpdateCommand({
        TableName: dynamo.tableName,
        Key: keys.campaignBudget('REL-3'),
        UpdateExpression: 'SET counted.#e = :zero ADD granted :neg, released :r',
        ExpressionAttributeNames: { '#e': 'x:c-1:cancelled' },
        ExpressionAttributeValues: { ':neg': -3_000, ':r': 3_000, ':zero': 0 },
      }),
    );
    expect(await budget.granted('REL-3')).toBe(0);
    const releases = budgetReleases({ store: new DynamoBudgetReleases(dynamo.doc, dynamo.tableName) });
    expect((await releases.orderCancelled(cancelled('c-1'))).campaigns[0]).toMatchObject({
      outcome: 'released',
      release: 3_000,
    });
    expect(await budget.granted('REL-3')).toBe(0);
    expect((await releases.orderCancelled(cancelled('c-1'))).campaigns[0]?.outcome).toBe('duplicate');
    expect(await budget.granted('REL-3')).toBe(0);
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
    // What the quote reads: the terms and status only, not the history or the locks.
    const terms = (await store.liveTerms()).find((x) => x.campaignId === 'MOVE-1');
    expect(terms).toEqual({
      campaignId: 'MOVE-1',
      status: 'PILOT',
      name: c!.name,
      tiers: c!.tiers,
      skus: c!.skus,
      categories: c!.categories,
      budget: c!.budget,
      pilot: c!.pilot,
    });
    const ended = await store.transition(
      'MOVE-1',
      ['PILOT'],
      'ABORTED',
      {},
      { ...change, status: 'ABORTED' },
    );
    await store.syncLive(ended.campaign!);
    expect((await store.liveCampaigns()).map((x) => x.campaignId)).not.toContain('MOVE-1');
    expect((await store.liveTerms()).map((x) => x.campaignId)).not.toContain('MOVE-1');
  });

  it('keeps the first anonymous id a user was linked to', async () => {
    expect(await store.linkedSubject('U-1')).toBeNull();
    expect(await store.link('U-1', 'anon-1', AT)).toBe('anon-1');
    expect(await store.link('U-1', 'anon-2', AT)).toBe('anon-1');
    expect(await store.linkedSubject('U-1')).toBe('anon-1');
  });
});

describe('the live index the quote reads (decision 48)', () => {
  const index = async () =>
    (await dynamo.doc.send(new GetCommand({ TableName: dynamo.tableName, Key: keys.liveIndex() }))).Item;
  const live = (c: Campaign): Campaign => ({ ...c, status: 'PILOT' });
  const ids = (terms: readonly { campaignId: string }[]) => terms.map((t) => t.campaignId).sort();

  it('holds what the live partition holds after concurrent changes, and the quote reads it', async () => {
    const many = Array.from({ length: 10 }, (_, i) =>
      live(campaign(`IDX-${String(i).padStart(2, '0')}`, 5_000)),
    );
    await Promise.all(many.map((c) => store.syncLive(c)));
    // Half end while the other half change again, all at once: rebuilds race and retry.
    await Promise.all(
      many.map((c, i) =>
        store.syncLive(i % 2 === 0 ? { ...c, status: 'ROLLED_BACK' } : { ...c, status: 'ROLLED_OUT' }),
      ),
    );
    const partition = ids(await store.liveCampaigns()).filter((id) => id.startsWith('IDX-'));
    expect(partition).toEqual(many.filter((_, i) => i % 2 === 1).map((c) => c.campaignId));
    const item = await index();
    expect(ids(item!.liveSet as { campaignId: string }[]).filter((id) => id.startsWith('IDX-'))).toEqual(
      partition,
    );
    expect(item!.overflow).toBeUndefined();
    const terms = (await store.liveTerms()).filter((t) => t.campaignId.startsWith('IDX-'));
    expect(ids(terms)).toEqual(partition);
    expect(terms.every((t) => t.status === 'ROLLED_OUT')).toBe(true);
    // Only the terms, as from the partition: not the history, the run or the locks.
    expect(Object.keys(terms[0]!).sort()).toEqual(
      ['budget', 'campaignId', 'categories', 'name', 'pilot', 'skus', 'status', 'tiers'].sort(),
    );
    for (const c of many) await store.syncLive({ ...c, status: 'ENDED' });
    expect(ids(await store.liveTerms()).filter((id) => id.startsWith('IDX-'))).toEqual([]);
  });

  it('answers from the live partition when there is no index yet (a table from before it)', async () => {
    await store.syncLive(live(campaign('IDX-OLD', null)));
    await dynamo.doc.send(new DeleteCommand({ TableName: dynamo.tableName, Key: keys.liveIndex() }));
    expect(await index()).toBeUndefined();
    expect(ids(await store.liveTerms())).toContain('IDX-OLD');
    // The next change writes the index again.
    await store.syncLive({ ...live(campaign('IDX-OLD', null)), status: 'ENDED' });
    expect(await index()).toBeDefined();
    expect(ids(await store.liveTerms())).not.toContain('IDX-OLD');
  });

  it('says it overflowed past its size, and the quote then queries the partition', async () => {
    const skus = Array.from({ length: 9_000 }, (_, i) => `SKU-${String(i).padStart(25, '0')}`);
    expect(Buffer.byteLength(JSON.stringify(skus))).toBeGreaterThan(LIVE_INDEX_MAX_BYTES);
    const big = { ...live(campaign('IDX-BIG', null)), skus };
    await store.syncLive(big);
    const item = await index();
    expect(item).toMatchObject({ overflow: true });
    expect(item!.liveSet).toBeUndefined();
    const found = (await store.liveTerms()).find((t) => t.campaignId === 'IDX-BIG');
    expect(found?.skus).toHaveLength(9_000);
    await store.syncLive({ ...big, status: 'ENDED' });
    expect((await index())!.overflow).toBeUndefined();
    expect(ids(await store.liveTerms())).not.toContain('IDX-BIG');
  });
});
