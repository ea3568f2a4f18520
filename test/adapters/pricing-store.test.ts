import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { GetCommand, PutCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoCatalogReader } from '#adapters/dynamodb/catalog-reader';
import { DynamoPricingStore, pricingBucket } from '#adapters/dynamodb/pricing-store';
import { DynamoRestockStore } from '#adapters/dynamodb/restock-store';
import { keys } from '#adapters/dynamodb/schema';
import { DynamoTimelineRepository } from '#adapters/dynamodb/timeline-repository';
import { PRICING_RULES_DEFAULTS } from '#domain/pricing/pricing-rules';
import { pricingAdmin } from '#domain/repricing/admin';
import { pricingFollower } from '#domain/repricing/consumers';
import { type RepricingRunContext, repricingRun } from '#domain/repricing/run';
import type { StoredSkuPricing } from '#domain/repricing/store';
import { ManualClock } from '#domain/shared/clock';
import { ValidationError } from '#domain/shared/errors';
import { MemoryPublisher } from '#test/support/memory-ports';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * Repricing's store on DynamoDB's wire protocol (dynalite), with the use cases whose correctness
 * rests on its conditional writes: a change applied once per run and SKU, an older competitor
 * observation never replacing a newer one, the facts of a run instant fixed by the first attempt,
 * bundles never below their items' floors.
 */
let dynamo: LocalDynamo;
let store: DynamoPricingStore;
let restock: DynamoRestockStore;
const clock = new ManualClock('2026-12-02T01:30:00.000Z');
const publisher = new MemoryPublisher();
const cny = (amount: number) => ({ amount, currency: 'CNY' });
const deps = () => ({
  store,
  catalog: new DynamoCatalogReader(dynamo.doc, dynamo.tableName),
  publisher,
  clock,
  timeline: new DynamoTimelineRepository(dynamo.doc, dynamo.tableName),
});

beforeAll(async () => {
  dynamo = await startLocalDynamo('pricing-store-test');
  store = new DynamoPricingStore(dynamo.doc, dynamo.tableName);
  restock = new DynamoRestockStore(dynamo.doc, dynamo.tableName);
  await restock.saveSupplier(
    { supplierId: 'S1', name: 'S1', tier: 'core', leadTimeDays: 5, currency: 'CNY' },
    null,
    clock.now().toISOString(),
  );
});
afterAll(async () => {
  await dynamo.stop();
});

/** A SKU in restock's catalog (stock, cost) with pricing fields, as `PUT /api/skus` leaves it. */
async function sku(id: string, onHand: number, cost: number, price: number, campaignLocked = false) {
  await restock.saveSku(
    {
      sku: id,
      title: id,
      category: 'c',
      supply: [{ supplierId: 'S1', unitCost: cny(cost), casePack: 1, minOrderQty: 0 }],
    },
    onHand,
    null,
    clock.now().toISOString(),
  );
  const admin = pricingAdmin(deps());
  return admin.saveSkuPricing(id, { listPrice: cny(10_000), price: cny(price), campaignLocked });
}

/** A run's change of `current` to `amount` (a PriceChange as the run makes it, no decision kept). */
const runChange = (current: StoredSkuPricing, amount: number, at: string, runId: string) => ({
  sku: current.sku,
  at,
  source: 'run' as const,
  runId,
  oldPrice: current.price,
  newPrice: cny(amount),
  rules: [],
  guardrail: null,
  rulesVersion: 3,
  decision: null,
  version: current.version + 1,
});

const rules = {
  ...PRICING_RULES_DEFAULTS,
  rules: [
    { type: 'lowStock' as const, enabled: true, below: 50, raiseBps: 1000 },
    { type: 'charmEnding' as const, enabled: true, ending: 9, toleranceBps: 200 },
  ],
  version: 3,
  updatedAt: null,
};

describe('competitor observations on DynamoDB', () => {
  it('keeps the latest per SKU and competitor; an older one arriving late never replaces it', async () => {
    const follow = pricingFollower(deps());
    const observed = (competitor: string, amount: number, observedAt: string) => ({
      sku: 'OBS',
      competitor,
      price: cny(amount),
      url: null,
      observedAt,
    });
    expect(
      await follow.competitorPriceObserved(observed('jd', 9000, '2026-12-02T01:00:00Z'), 'e1'),
    ).toMatchObject({
      outcome: 'latest',
    });
    expect(
      await follow.competitorPriceObserved(observed('jd', 8000, '2026-12-01T23:00:00Z'), 'e2'),
    ).toMatchObject({
      outcome: 'older',
    });
    // The same instant again (a redelivery): the first recorded stays.
    expect(
      await follow.competitorPriceObserved(observed('jd', 7000, '2026-12-02T01:00:00Z'), 'e3'),
    ).toMatchObject({
      outcome: 'older',
    });
    await follow.competitorPriceObserved(observed('tmall', 9500, '2026-12-02T00:00:00+08:00'), 'e4');
    const latest = (await store.latestObservations(['OBS'])).get('OBS')!;
    expect(latest.map((o) => [o.competitor, o.price.amount, o.observedAt])).toEqual([
      ['jd', 9000, '2026-12-02T01:00:00.000Z'],
      ['tmall', 9500, '2026-12-01T16:00:00.000Z'],
    ]);
    // The history keeps every one, with the instant it was recorded.
    const recorded = await store.observationsRecorded(
      'OBS',
      '2026-12-01T00:00:00.000Z',
      clock.now().toISOString(),
    );
    expect(recorded.map((o) => o.price.amount).sort()).toEqual([7000, 8000, 9000, 9500]);
    expect(new Set(recorded.map((o) => o.recordedAt))).toEqual(new Set([clock.now().toISOString()]));
  });
});

describe('a run’s changes on DynamoDB', () => {
  const ctx = (hour: string, runId: string): RepricingRunContext => ({ runId, at: hour, rules });

  it('applies each SKU’s change once per run, whatever the retries', async () => {
    await sku('RUN-A', 5, 5000, 10_000);
    await sku('RUN-B', 500, 5000, 10_000);
    await sku('RUN-L', 5, 5000, 10_000, true);
    const run = repricingRun(deps());
    const buckets = await store.nonEmptyBuckets();
    const page = async (c: RepricingRunContext) => {
      let changed = 0;
      for (const bucket of buckets) {
        for (let cursor: string | null = null; ; ) {
          const r = await run.page({ run: c, bucket, cursor });
          changed += r.changed;
          cursor = r.cursor;
          if (!cursor) break;
        }
      }
      return changed;
    };
    publisher.events.length = 0;
    const ten = ctx('2026-12-02T02:00:00.000Z', 'reprice-2026-12-02T10');
    expect(await page(ten)).toBe(2);
    // RUN-A: low stock +10% → 110.00 → 109.00; RUN-B: 100.00 → 99.00; RUN-L: locked.
    expect((await store.getPricing('RUN-A'))?.price).toEqual(cny(10_900));
    expect((await store.getPricing('RUN-B'))?.price).toEqual(cny(9_900));
    expect((await store.getPricing('RUN-L'))?.price).toEqual(cny(10_000));
    // The same run again (a retried step): nothing moves, the same events again (same ids).
    const firstIds = publisher.events.map((e) => e.detail.metadata.eventId).sort();
    expect(publisher.events.map((e) => (e.detail.data as { inBundles?: boolean }).inBundles)).toEqual([
      false,
      false,
    ]);
    expect(await page(ten)).toBe(2);
    expect((await store.getPricing('RUN-A'))?.price).toEqual(cny(10_900));
    expect(
      publisher.events
        .slice(2)
        .map((e) => e.detail.metadata.eventId)
        .sort(),
    ).toEqual(firstIds);
    // The run wrote each change's timeline line itself, once whatever the retries, and marked its
    // events so the recorder's rule skips them (decision 33).
    expect(publisher.events.every((e) => e.detail.metadata.timeline === 'recorded')).toBe(true);
    const lines = await new DynamoTimelineRepository(dynamo.doc, dynamo.tableName).list(
      { type: 'sku', id: 'RUN-A' },
      { limit: 50, cursor: null },
    );
    const priceLines = lines.items.filter((e) => e.kind === 'price-change');
    const runA = publisher.events.find((e) => (e.detail.data as { sku: string }).sku === 'RUN-A');
    expect(priceLines.map((e) => [e.name, e.ref, e.at])).toEqual([
      ['PriceChanged', runA?.detail.metadata.eventId, '2026-12-02T02:00:00.000Z'],
    ]);
    expect(priceLines[0]?.detail).toMatchObject({
      source: 'storeflow.pricing',
      correlationId: 'reprice-2026-12-02T10',
      data: { oldPrice: cny(10_000), newPrice: cny(10_900) },
    });
    const history = await store.listPriceChanges('RUN-A', null, 10);
    expect(
      history.items.map((c) => [c.source, c.runId, c.oldPrice?.amount ?? null, c.newPrice.amount]),
    ).toEqual([
      ['run', 'reprice-2026-12-02T10', 10_000, 10_900],
      ['api', null, null, 10_000],
    ]);
    // An earlier run arriving after a later one changed the SKU changes nothing.
    expect(await page(ctx('2026-12-02T01:00:00.000Z', 'reprice-2026-12-02T09'))).toBe(0);
    expect((await store.getPricing('RUN-A'))?.price).toEqual(cny(10_900));
  });

  it('refuses a change from a stale version, and from a run at or before the last one', async () => {
    const current = (await store.getPricing('RUN-B'))!;
    const change = {
      ...current.lastChange!,
      at: '2026-12-02T03:00:00.000Z',
      runId: 'reprice-2026-12-02T11',
      newPrice: cny(9_500),
      version: current.version + 1,
    };
    expect(await store.applyRunChange(change, current.version - 1)).toBe('stale');
    expect(await store.applyRunChange({ ...change, at: current.lastRun!.at }, current.version)).toBe('done');
    expect(await store.applyRunChange(change, current.version)).toBe('applied');
    expect(await store.applyRunChange(change, current.version + 1)).toBe('done');
    expect((await store.getPricing('RUN-B'))?.price).toEqual(cny(9_500));
  });

  it('fixes the stock and cost a run instant used: the first attempt’s', async () => {
    const at = '2026-12-02T05:00:00.000Z';
    expect(await store.claimFacts('RUN-A', { onHand: 5, cost: cny(5000), at })).toEqual({
      onHand: 5,
      cost: cny(5000),
      at,
    });
    expect(await store.claimFacts('RUN-A', { onHand: 3, cost: cny(5000), at })).toMatchObject({ onHand: 5 });
    expect((await store.getPricing('RUN-A'))?.factsSeen).toMatchObject({ onHand: 5, at });
    // The points a replay reads: the run's own at 10:00 and later.
    const history = await store.history('RUN-A', '2026-12-02T02:00:00.000Z', at, 0);
    expect(history.facts.map((f) => [f.at, f.onHand])).toEqual([['2026-12-02T02:00:00.000Z', 5]]);
  });
});

describe('a run’s guards on DynamoDB', () => {
  const at = '2026-12-02T06:00:00.000Z';
  const changeOf = (current: StoredSkuPricing, amount: number) =>
    runChange(current, amount, at, 'reprice-2026-12-02T14');

  it('keeps new facts in the change’s write, and refuses it when another attempt kept facts first', async () => {
    const before = (await store.getPricing('RUN-B'))!;
    // Another attempt of the 14:00 run kept its facts (an unchanged decision) first.
    await store.claimFacts('RUN-B', { onHand: 7, cost: cny(5000), at });
    const facts = { onHand: 9, cost: cny(5000), at };
    expect(await store.applyRunChange(changeOf(before, 9_800), before.version, { keepFacts: facts })).toBe(
      'stale',
    );
    // Decided again on the facts kept: the write holds.
    expect(await store.applyRunChange(changeOf(before, 9_800), before.version, { factsKept: true })).toBe(
      'applied',
    );
    expect((await store.getPricing('RUN-B'))?.factsSeen).toEqual({ onHand: 7, cost: cny(5000), at });

    const a = (await store.getPricing('RUN-A'))!;
    expect(a.factsSeen?.at).not.toBe(at);
    expect(await store.applyRunChange(changeOf(a, 10_100), a.version, { keepFacts: facts })).toBe('applied');
    expect(await store.getPricing('RUN-A')).toMatchObject({ price: cny(10_100), factsSeen: facts });
  });

  it('refuses a change decided as in no bundle once the SKU joined one', async () => {
    await sku('JOINS', 500, 3000, 5000);
    const read = (await store.getPricing('JOINS'))!;
    expect(read.bundles).toEqual([]);
    await store.markBundleMembers('LATE-BUNDLE', ['JOINS']);
    const change = changeOf(read, 4_900);
    expect(await store.applyRunChange(change, read.version, { inNoBundle: true })).toBe('stale');
    const again = (await store.getPricing('JOINS'))!;
    expect(again.bundles).toEqual(['LATE-BUNDLE']);
    expect(await store.applyRunChange(change, again.version, {})).toBe('applied');
  });
});

describe('a page’s writes in one transaction on DynamoDB', () => {
  /** The store on a client that counts the commands it sends. */
  function counted(options: { transactions?: boolean } = {}) {
    const sent: string[] = [];
    const db = new Proxy(dynamo.doc, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return (command: object) => {
          sent.push(command.constructor.name);
          return target.send(command as never);
        };
      },
    });
    return { store: new DynamoPricingStore(db, dynamo.tableName, options), sent };
  }
  const at = '2026-12-02T07:00:00.000Z';
  const change = (current: StoredSkuPricing, amount: number) =>
    runChange(current, amount, at, 'reprice-2026-12-02T15');

  it('gives each write its single call’s outcome, the refused ones settled alone and the rest sent again', async () => {
    for (const id of ['TX-1', 'TX-2', 'TX-3', 'TX-4', 'TX-5']) await sku(id, 500, 3000, 5000);
    const [one, two, three] = await Promise.all(['TX-1', 'TX-2', 'TX-3'].map((id) => store.getPricing(id)));
    // TX-3 already changed by this run (a retried step); TX-5's facts kept by another attempt.
    expect(await store.applyRunChange(change(three!, 4_800), three!.version)).toBe('applied');
    const other = { onHand: 1, cost: cny(3000), at };
    await store.claimFacts('TX-5', other);
    const facts = { onHand: 2, cost: cny(3000), at };
    const { store: tx, sent } = counted();
    const outcomes = await tx.applyRunWrites([
      { kind: 'change', change: change(one!, 4_900), expectedVersion: one!.version, guard: {} },
      { kind: 'change', change: change(two!, 4_900), expectedVersion: two!.version - 1, guard: {} },
      { kind: 'change', change: change(three!, 4_700), expectedVersion: three!.version, guard: {} },
      { kind: 'facts', sku: 'TX-4', facts },
      { kind: 'facts', sku: 'TX-5', facts },
    ]);
    expect(outcomes).toEqual(['applied', 'stale', 'done', { kept: facts }, { kept: other }]);
    // One transaction cancelled by three conditions, their three reads, the other two sent again.
    expect(sent.filter((c) => c === 'TransactWriteCommand')).toHaveLength(2);
    expect(sent.filter((c) => c === 'UpdateCommand')).toHaveLength(0);
    expect((await store.getPricing('TX-1'))?.price).toEqual(cny(4_900));
    expect((await store.getPricing('TX-2'))?.price).toEqual(cny(5_000));
    expect((await store.getPricing('TX-3'))?.price).toEqual(cny(4_800));
    expect((await store.getPricing('TX-4'))?.factsSeen).toEqual(facts);
    expect((await store.getPricing('TX-5'))?.factsSeen).toEqual(other);
  });

  it('sends each write as a single call when told to (repricingWrites=single), with the same outcomes', async () => {
    for (const id of ['TXS-1', 'TXS-2', 'TXS-3']) await sku(id, 500, 3000, 5000);
    const [one, two] = await Promise.all(['TXS-1', 'TXS-2'].map((id) => store.getPricing(id)));
    const facts = { onHand: 3, cost: cny(3000), at };
    const { store: single, sent } = counted({ transactions: false });
    expect(
      await single.applyRunWrites([
        { kind: 'change', change: change(one!, 4_900), expectedVersion: one!.version, guard: {} },
        { kind: 'change', change: change(two!, 4_900), expectedVersion: two!.version - 1, guard: {} },
        { kind: 'facts', sku: 'TXS-3', facts },
      ]),
    ).toEqual(['applied', 'stale', { kept: facts }]);
    expect(sent.filter((c) => c !== 'GetCommand')).toEqual([
      'UpdateCommand',
      'UpdateCommand',
      'UpdateCommand',
    ]);
  });

  it('sends again, after a backoff, a transaction cancelled by conflicts alone; gives up after five', async () => {
    for (const id of ['TXC-1', 'TXC-2']) await sku(id, 500, 3000, 5000);
    const facts = { onHand: 4, cost: cny(3000), at };
    const writes = ['TXC-1', 'TXC-2'].map((id) => ({ kind: 'facts' as const, sku: id, facts }));
    let conflicts = 0;
    const slept: number[] = [];
    const conflicting = new Proxy(dynamo.doc, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return (command: object) => {
          if (command instanceof TransactWriteCommand && conflicts > 0) {
            conflicts--;
            throw new TransactionCanceledException({
              message:
                'Transaction cancelled, please refer cancellation reasons for specific reasons [None, TransactionConflict]',
              $metadata: {},
              CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }],
            });
          }
          return target.send(command as never);
        };
      },
    });
    const tx = new DynamoPricingStore(conflicting, dynamo.tableName, {
      sleep: async (ms) => void slept.push(ms),
    });
    conflicts = 2;
    expect(await tx.applyRunWrites(writes)).toEqual([{ kept: facts }, { kept: facts }]);
    expect(slept).toHaveLength(2);
    expect((await store.getPricing('TXC-2'))?.factsSeen).toEqual(facts);
    conflicts = 5;
    const later = { ...facts, at: '2026-12-02T09:00:00.000Z' };
    await expect(tx.applyRunWrites(writes.map((w) => ({ ...w, facts: later })))).rejects.toThrow(
      /kept conflicting/,
    );
    expect((await store.getPricing('TXC-1'))?.factsSeen).toEqual(facts);
  });

  it('sends 100 writes a transaction, and one write alone as a single call', async () => {
    const ids = Array.from({ length: 150 }, (_, i) => `TXN-${String(i).padStart(3, '0')}`);
    for (const id of ids) await sku(id, 500, 3000, 5000);
    const facts = { onHand: 500, cost: cny(3000), at };
    const { store: tx, sent } = counted();
    const outcomes = await tx.applyRunWrites(ids.map((id) => ({ kind: 'facts' as const, sku: id, facts })));
    expect(outcomes).toEqual(ids.map(() => ({ kept: facts })));
    expect(sent).toEqual(['TransactWriteCommand', 'TransactWriteCommand']);
    sent.length = 0;
    const later = { ...facts, at: '2026-12-02T08:00:00.000Z' };
    expect(await tx.applyRunWrites([{ kind: 'facts', sku: ids[0]!, facts: later }])).toEqual([
      { kept: later },
    ]);
    expect(sent).toEqual(['UpdateCommand']);
  });
});

describe('the margin floor’s cost on DynamoDB', () => {
  it('is the highest of the SKU’s supplier costs, not the one restock would order from', async () => {
    const at = clock.now().toISOString();
    await restock.saveSupplier(
      { supplierId: 'S2', name: 'S2', tier: 'strategic', leadTimeDays: 5, currency: 'CNY' },
      null,
      at,
    );
    await restock.saveSku(
      {
        sku: 'TWO',
        title: 'TWO',
        category: 'c',
        supply: [
          { supplierId: 'S1', unitCost: cny(5000), casePack: 1, minOrderQty: 0 },
          { supplierId: 'S2', unitCost: cny(4000), casePack: 1, minOrderQty: 0 },
        ],
      },
      500,
      null,
      at,
    );
    const admin = pricingAdmin(deps());
    await admin.saveSkuPricing('TWO', { listPrice: cny(10_000), price: cny(6_000) });
    // Toward a competitor at 40.00: the floor is 50.00 + 10% = 55.00 (the strategic 40.00 would give 44.00).
    await store.recordObservation(
      'TWO',
      { competitor: 'jd', price: cny(4000), observedAt: at, recordedAt: at, url: null },
      'two-jd',
    );
    const answer = await admin.dryRun(
      { rules: { ...rules, rules: [{ type: 'competitor', towardBps: 10000 }] }, skus: ['TWO'] },
      {},
    );
    expect(answer.items[0]).toMatchObject({
      inputs: { cost: cny(5000) },
      new: cny(5500),
      boundBy: 'floor',
    });
  });
});

describe('a new SKU’s pricing on DynamoDB', () => {
  it('adds its bucket before the SKU item: a crash between the two leaves no SKU no run visits', async () => {
    const sent: string[] = [];
    let crash = true;
    // The table as the adapter sees it: the SKU item's write fails (the process dies there) once.
    const db = new Proxy(dynamo.doc, {
      get(target, name, receiver) {
        if (name !== 'send') return Reflect.get(target, name, receiver);
        return async (command: { input: { Key?: { pk: string; sk: string } } }) => {
          const key = command.input.Key;
          sent.push(`${command.constructor.name} ${key ? `${key.pk}/${key.sk}` : ''}`.trim());
          if (crash && key?.sk === 'PRICING' && key.pk === 'SKU#CRASHY') {
            crash = false;
            throw new Error('the process died here');
          }
          return target.send(command as never);
        };
      },
    });
    const crashing = new DynamoPricingStore(db, dynamo.tableName);
    const fields = {
      listPrice: cny(10_000),
      price: cny(9_000),
      minMarginBps: null,
      maxMarkupBps: null,
      campaignLocked: false,
    };
    const at = clock.now().toISOString();
    await expect(crashing.savePricing('CRASHY', fields, null, at, null)).rejects.toThrow(/died/);
    expect(sent).toEqual(['UpdateCommand PRICING#BUCKETS/CURRENT', 'UpdateCommand SKU#CRASHY/PRICING']);
    expect(await store.nonEmptyBuckets()).toContain(pricingBucket('CRASHY'));
    // The same PUT again completes it, and the run's bucket lists it.
    expect(await crashing.savePricing('CRASHY', fields, null, at, null)).toMatchObject({ saved: true });
    const page = await store.listBucket(pricingBucket('CRASHY'), null, 100);
    expect(page.items.map((i) => i.sku)).toContain('CRASHY');
  });
});

describe('bundles on DynamoDB', () => {
  it('prices a bundle from its items, never below their floors, and recomputes it when an item’s price changes', async () => {
    await sku('SHAMPOO', 500, 3000, 5900);
    await sku('CONDITIONER', 500, 3000, 4000);
    const admin = pricingAdmin(deps());
    const created = await admin.putBundle('CARE', {
      items: [
        { sku: 'SHAMPOO', qty: 1 },
        { sku: 'CONDITIONER', qty: 1 },
      ],
      saving: cny(3000),
    });
    expect(created.created).toBe(true);
    // 59 + 40 − 30 = 69.00; floors 33.00 + 33.00 = 66.00.
    expect(created.bundle).toMatchObject({ price: cny(6900), receipt: { floor: cny(6600), boundBy: null } });
    // The conditioner drops to 35.00: 59 + 35 − 30 = 64.00 < 66.00, so the floor: 66.00.
    await admin.saveSkuPricing('CONDITIONER', { price: cny(3500) });
    const event = publisher.events.at(-1)!;
    expect(event.detailType).toBe('PriceChanged');
    // In a bundle: the events function's rule takes this change (and no change of a SKU in none).
    expect(event.detail.data).toMatchObject({ sku: 'CONDITIONER', inBundles: true });
    await sku('LONER', 500, 3000, 5000);
    await admin.saveSkuPricing('LONER', { price: cny(4500) });
    expect(publisher.events.at(-1)!.detail.data).toMatchObject({ sku: 'LONER', inBundles: false });
    await pricingFollower(deps()).priceChanged(event.detail.data as never);
    expect(await admin.getBundle('CARE')).toMatchObject({ price: cny(6600), receipt: { boundBy: 'floor' } });
    await expect(
      admin.putBundle('BAD', { items: [{ sku: 'NOPE', qty: 1 }], saving: cny(100) }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(await store.getBundle('BAD')).toBeNull();
  });
});

describe('what-if jobs on DynamoDB', () => {
  it('replays a what-if too large for one answer chunk by chunk, each part kept once, paged like the answer', async () => {
    const ids = Array.from({ length: 25 }, (_, i) => `JOB-${String(i).padStart(2, '0')}`);
    for (const id of ids) await sku(id, 20, 3000, 5000);
    clock.set(new Date(Date.parse(clock.now().toISOString()) + 31 * 86_400_000));
    const started: string[] = [];
    const admin = pricingAdmin({
      ...deps(),
      whatIfJobs: { newId: () => `job-${started.length + 1}`, start: async (id) => void started.push(id) },
    });
    const to = clock.now().toISOString();
    const body = { from: new Date(Date.parse(to) - 31 * 86_400_000).toISOString(), to, skus: ids };
    // Asked to answer asynchronously (Prefer: respond-async): a job.
    const accepted = await admin.whatIf(body, {}, { respondAsync: true });
    expect(accepted.status).toBe(202);
    expect(accepted.body).toMatchObject({
      jobId: 'job-1',
      status: 'running',
      progress: { skus: 25, replayed: 0 },
    });
    expect(started).toEqual(['job-1']);
    // 16,800 SKU-runs a chunk: 22 SKUs, then 3.
    expect(await admin.whatIfChunk('job-1', 0)).toEqual({ next: 1 });
    expect(await admin.whatIfJob('job-1', {})).toMatchObject({
      status: 'running',
      progress: { replayed: 22 },
    });
    // A retried step finds its part kept.
    expect(await admin.whatIfChunk('job-1', 0)).toEqual({ next: 1 });
    expect((await store.getWhatIfJob('job-1'))?.parts).toBe(1);
    expect(await admin.whatIfChunk('job-1', 1)).toEqual({ next: null });
    const first = await admin.whatIfJob('job-1', {});
    expect(first).toMatchObject({
      status: 'succeeded',
      progress: { skus: 25, replayed: 25 },
      nextCursor: '1',
    });
    const second = await admin.whatIfJob('job-1', { cursor: '1' });
    expect(second).toMatchObject({ nextCursor: null });
    const partOf = (page: unknown) => (page as { skus: unknown[] }).skus;
    const skus = [...partOf(first), ...partOf(second)];
    // The same numbers as answering at once.
    const direct = await admin.whatIf(body, {});
    expect(direct.status).toBe(200);
    expect(skus).toEqual(JSON.parse(JSON.stringify(partOf(direct.body))));
    expect((first as { runs: string[] }).runs).toHaveLength(744);

    // A job the workflow gave up on says why.
    const small = await admin.whatIf({ ...body, skus: ids.slice(0, 2) }, {}, { respondAsync: true });
    expect(small).toMatchObject({ status: 202, body: { jobId: 'job-2' } });
    await admin.whatIfFailed('job-2', 'States.Timeout: the step timed out');
    expect(await admin.whatIfJob('job-2', {})).toMatchObject({
      status: 'failed',
      error: 'States.Timeout: the step timed out',
    });
    await expect(admin.whatIfJob('nope', {})).rejects.toThrow(/does not exist/);
    // An answer over the response limit (lowered here) is kept as a finished job: 202, then the
    // same result from its location; no workflow started.
    const bounded = pricingAdmin({
      ...deps(),
      whatIfJobs: {
        newId: () => 'job-big',
        start: async (id) => void started.push(id),
        maxAnswerBytes: 10_000,
      },
    });
    const big = await bounded.whatIf(body, {});
    expect(big).toMatchObject({ status: 202, body: { jobId: 'job-big', status: 'succeeded' } });
    expect(started).not.toContain('job-big');
    const kept = [
      partOf(await bounded.whatIfJob('job-big', {})),
      partOf(await bounded.whatIfJob('job-big', { cursor: '1' })),
    ];
    expect(kept.flat()).toEqual(skus);

    // More SKU-runs than one answer may replay (226 SKUs × 744 runs > 168,000) is a job (here the
    // unknown SKUs' 404 of a job's request), and a 400 naming skus where jobs cannot start.
    const many = { ...body, skus: Array.from({ length: 226 }, (_, i) => `MANY-${i}`) };
    await expect(admin.whatIf(many, {})).rejects.toThrow(/no price for MANY-0/);
    await expect(pricingAdmin(deps()).whatIf(many, {})).rejects.toThrow(/must name at most 225 SKUs/);
  });

  it('hands a what-if that would outlast its invocation to a job, keeping what it replayed', async () => {
    // The 25 JOB-* SKUs of the test above, over the same 31 days: chunks of 22 SKUs, then 3.
    const ids = Array.from({ length: 25 }, (_, i) => `JOB-${String(i).padStart(2, '0')}`);
    const to = clock.now().toISOString();
    const body = { from: new Date(Date.parse(to) - 31 * 86_400_000).toISOString(), to, skus: ids };
    const started: string[] = [];
    let next = 0;
    const admin = pricingAdmin({
      ...deps(),
      whatIfJobs: { newId: () => `job-late-${++next}`, start: async (id) => void started.push(id) },
    });
    const partOf = (page: unknown) => (page as { skus: unknown[] }).skus;
    const direct = await admin.whatIf(body, {});
    expect(direct.status).toBe(200);

    // Time enough throughout (the invocation's clock never moves): answered at once, the same.
    const ample = await admin.whatIf(body, {}, { timeLeftMs: () => 28_000 });
    expect(ample).toMatchObject({ status: 200 });
    expect(partOf(ample.body)).toEqual(partOf(direct.body));

    // The first chunk took 8 s of the 20 s left: 12 s < 5 s kept back + twice 8 s, so the first
    // part is kept and a job replays the rest.
    const left = [20_000, 12_000, 12_000];
    const late = await admin.whatIf(body, {}, { timeLeftMs: () => left.shift() ?? 0 });
    expect(late).toMatchObject({
      status: 202,
      body: { jobId: 'job-late-1', status: 'running', progress: { skus: 25, replayed: 22 } },
    });
    expect(started).toEqual(['job-late-1']);
    expect((await store.getWhatIfJob('job-late-1'))?.parts).toBe(1);
    // The job's steps: the kept chunk is not replayed again, the second is.
    expect(await admin.whatIfChunk('job-late-1', 0)).toEqual({ next: 1 });
    expect(await admin.whatIfChunk('job-late-1', 1)).toEqual({ next: null });
    const first = await admin.whatIfJob('job-late-1', {});
    const second = await admin.whatIfJob('job-late-1', { cursor: '1' });
    expect(first).toMatchObject({ status: 'succeeded', progress: { replayed: 25 }, nextCursor: '1' });
    expect([...partOf(first), ...partOf(second)]).toEqual(JSON.parse(JSON.stringify(partOf(direct.body))));

    // Too little time before anything was replayed: a job from the start.
    const none = await admin.whatIf(body, {}, { timeLeftMs: () => 4_000 });
    expect(none).toMatchObject({ status: 202, body: { jobId: 'job-late-2', progress: { replayed: 0 } } });
    expect((await store.getWhatIfJob('job-late-2'))?.parts).toBe(0);
    // Where no job can start, the answer is given whatever the time.
    expect(await pricingAdmin(deps()).whatIf(body, {}, { timeLeftMs: () => 0 })).toMatchObject({
      status: 200,
    });
  });
});

describe('a change’s decision on DynamoDB (decision 41)', () => {
  // The next hour after the SKU is priced (earlier tests moved the clock on).
  const nextHour = () => new Date((Math.floor(clock.now().getTime() / 3_600_000) + 1) * 3_600_000);
  let at = '';
  const runId = 'reprice-decision-41';

  it('is kept gzipped in one value on the SKU and in its price history, and reads back whole', async () => {
    await sku('DEC-A', 5, 5000, 10_000);
    at = nextHour().toISOString();
    const runCtx: RepricingRunContext = { runId, at, rules };
    const run = repricingRun(deps());
    const bucket = pricingBucket('DEC-A');
    for (let cursor: string | null = null; ; ) {
      const r = await run.page({ run: runCtx, bucket, cursor });
      cursor = r.cursor;
      if (!cursor) break;
    }
    const stored = (await store.getPricing('DEC-A'))!;
    expect(stored.lastRun?.runId).toBe(runCtx.runId);
    const decision = stored.lastChange?.decision;
    // The whole decision: its trail, guardrails, limits and inputs, as the run decided it.
    expect(decision).toMatchObject({
      sku: 'DEC-A',
      changed: true,
      old: cny(10_000),
      new: stored.price,
      rulesVersion: 3,
    });
    expect(decision?.trail.map((s) => s.rule)).toEqual(['lowStock', 'charmEnding']);
    expect(decision?.guardrails.length).toBeGreaterThan(0);
    expect(decision?.inputs).toMatchObject({ onHand: 5, cost: cny(5000) });
    const history = await store.listPriceChanges('DEC-A', null, 10);
    const record = history.items.find((c) => c.runId === runId);
    expect(record).toMatchObject({ at, newPrice: stored.price });
    expect(record?.decision).toEqual(decision);

    // As stored: one binary value (gzipped JSON), a fraction of the decision's JSON.
    const raw = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.tableName, Key: keys.skuPricing('DEC-A') }),
    );
    const onSku = (raw.Item?.lastChange as { decision?: unknown } | undefined)?.decision;
    expect(onSku).toBeInstanceOf(Uint8Array);
    expect((onSku as Uint8Array).length).toBeLessThan(JSON.stringify(decision).length / 2);
    const rawRecord = await dynamo.doc.send(
      new GetCommand({ TableName: dynamo.tableName, Key: keys.priceChange('DEC-A', at, runId) }),
    );
    expect(rawRecord.Item?.decision).toEqual(onSku);
  });

  it('reads a decision kept as a map, as items written before decision 41 hold it', async () => {
    const current = (await store.getPricing('DEC-A'))!;
    const legacy = {
      ...current.lastChange!,
      at: new Date(Date.parse(at) + 3_600_000).toISOString(),
      runId: 'reprice-legacy',
    };
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { ...keys.priceChange('DEC-A', legacy.at, legacy.runId!), entity: 'PriceChange', ...legacy },
      }),
    );
    const history = await store.listPriceChanges('DEC-A', null, 10);
    const read = history.items.find((c) => c.runId === 'reprice-legacy');
    expect(read?.at).toBe(legacy.at);
    expect(read?.decision).toEqual(current.lastChange?.decision);
  });
});
