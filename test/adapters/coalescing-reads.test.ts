import {
  BatchGetCommand,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoCampaignBudget } from '#adapters/dynamodb/campaign-budget';
import { DynamoCampaignStore, DynamoCatalogPrices } from '#adapters/dynamodb/campaign-store';
import { coalescingReads } from '#adapters/dynamodb/coalescing-reads';
import { DynamoCustomerPerks } from '#adapters/dynamodb/member-perks';
import { keys } from '#adapters/dynamodb/schema';
import { campaignAdmin } from '#domain/campaigns/admin';
import { ManualClock } from '#domain/shared/clock';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The campaigns API's document client (decision 38): key reads in flight together go out as one
 * BatchGetItem, each caller answered as its own GetItem or BatchGetItem would have been.
 */
let dynamo: LocalDynamo;
/** What reached DynamoDB: each command's name and input, in order. */
let sent: Array<{ name: string; input: Record<string, unknown> }>;
let reads: DynamoDBDocumentClient;

const key = (pk: string, sk = 'A') => ({ pk, sk });

beforeAll(async () => {
  dynamo = await startLocalDynamo('coalescing-reads-test');
  const counting = new Proxy(dynamo.doc, {
    get: (target, property) =>
      property === 'send'
        ? (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
            sent.push({ name: command.constructor.name, input: command.input });
            return target.send(command as never);
          }
        : Reflect.get(target, property, target),
  });
  reads = coalescingReads(counting);
  for (let i = 0; i < 150; i++) {
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { ...key(`K#${i}`), n: i, word: `w${i}`, nested: { a: i } },
      }),
    );
  }
});
beforeEach(() => {
  sent = [];
});
afterAll(async () => {
  await dynamo?.stop();
});

const get = (pk: string, extra: Record<string, unknown> = {}) =>
  new GetCommand({ TableName: dynamo.tableName, Key: key(pk), ...extra });
const batch = (pks: string[], extra: Record<string, unknown> = {}) =>
  new BatchGetCommand({
    RequestItems: { [dynamo.tableName]: { Keys: pks.map((pk) => key(pk)), ...extra } },
  });
const sorted = (items: Record<string, unknown>[] | undefined) =>
  [...(items ?? [])].sort((a, b) => String(a.pk).localeCompare(String(b.pk)));

describe('coalescingReads', () => {
  it('sends GetItems and BatchGetItems in flight together as one BatchGetItem, each answered as alone', async () => {
    const [a, missing, b, many, projected] = await Promise.all([
      reads.send(get('K#1')),
      reads.send(get('K#nope')),
      reads.send(get('K#2', { ProjectionExpression: 'pk, sk, word' })),
      reads.send(batch(['K#3', 'K#4', 'K#nope2'])),
      reads.send(batch(['K#5', 'K#6'], { ProjectionExpression: 'pk, n' })),
    ]);
    expect(sent.map((s) => s.name)).toEqual(['BatchGetCommand']);
    const alone = {
      a: await dynamo.doc.send(get('K#1')),
      missing: await dynamo.doc.send(get('K#nope')),
      b: await dynamo.doc.send(get('K#2', { ProjectionExpression: 'pk, sk, word' })),
      many: await dynamo.doc.send(batch(['K#3', 'K#4', 'K#nope2'])),
      projected: await dynamo.doc.send(batch(['K#5', 'K#6'], { ProjectionExpression: 'pk, n' })),
    };
    expect(a.Item).toEqual(alone.a.Item);
    expect(a.Item).toEqual({ pk: 'K#1', sk: 'A', n: 1, word: 'w1', nested: { a: 1 } });
    expect(missing.Item).toBeUndefined();
    expect('Item' in missing).toBe(false);
    expect(b.Item).toEqual({ pk: 'K#2', sk: 'A', word: 'w2' });
    expect(b.Item).toEqual(alone.b.Item);
    const table = dynamo.tableName;
    expect(sorted(many.Responses?.[table])).toEqual(sorted(alone.many.Responses?.[table]));
    expect(sorted(projected.Responses?.[table])).toEqual([
      { pk: 'K#5', n: 5 },
      { pk: 'K#6', n: 6 },
    ]);
    expect(sorted(projected.Responses?.[table])).toEqual(sorted(alone.projected.Responses?.[table]));
    expect(many.UnprocessedKeys ?? {}).toEqual({});
  });

  it('sends a read alone as it was sent', async () => {
    const out = await reads.send(get('K#7', { ConsistentRead: true }));
    expect(out.Item?.n).toBe(7);
    expect(sent).toEqual([{ name: 'GetCommand', input: expect.objectContaining({ ConsistentRead: true }) }]);
  });

  it('is strongly consistent when any read in the batch asked to be, and merges projections', async () => {
    await Promise.all([
      reads.send(get('K#8', { ConsistentRead: true, ProjectionExpression: 'pk, sk, n' })),
      reads.send(batch(['K#9'], { ProjectionExpression: 'word' })),
    ]);
    expect(sent).toHaveLength(1);
    const input = sent[0]!.input as { RequestItems: Record<string, Record<string, unknown>> };
    const request = input.RequestItems[dynamo.tableName]!;
    expect(request.ConsistentRead).toBe(true);
    expect(String(request.ProjectionExpression).split(', ').sort()).toEqual(['n', 'pk', 'sk', 'word']);
  });

  it('reads the same key once when several ask for it', async () => {
    const [x, y, z] = await Promise.all([
      reads.send(get('K#10')),
      reads.send(get('K#10')),
      reads.send(batch(['K#10', 'K#11'])),
    ]);
    expect(sent).toHaveLength(1);
    const input = sent[0]!.input as { RequestItems: Record<string, { Keys: unknown[] }> };
    expect(input.RequestItems[dynamo.tableName]!.Keys).toHaveLength(2);
    expect(x.Item?.n).toBe(10);
    expect(y.Item?.n).toBe(10);
    expect(sorted(z.Responses?.[dynamo.tableName]).map((i) => i.n)).toEqual([10, 11]);
  });

  it('splits past 100 keys and answers every one', async () => {
    const pks = Array.from({ length: 150 }, (_, i) => `K#${i}`);
    const [first, second, one] = await Promise.all([
      reads.send(batch(pks.slice(0, 80))),
      reads.send(batch(pks.slice(80))),
      reads.send(get('K#149')),
    ]);
    expect(sent.map((s) => s.name)).toEqual(['BatchGetCommand', 'BatchGetCommand']);
    const table = dynamo.tableName;
    expect((first.Responses?.[table] ?? []).map((i) => i.n).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 80 }, (_, i) => i),
    );
    expect(second.Responses?.[table]).toHaveLength(70);
    expect(one.Item?.n).toBe(149);
  });

  it('passes writes, queries and reads it cannot merge straight through, and a read after a write sees it', async () => {
    const named = get('K#12', { ProjectionExpression: '#w', ExpressionAttributeNames: { '#w': 'word' } });
    const nested = get('K#13', { ProjectionExpression: 'nested.a' });
    const [w, n, q] = await Promise.all([
      reads.send(named),
      reads.send(nested),
      reads.send(
        new QueryCommand({
          TableName: dynamo.tableName,
          KeyConditionExpression: 'pk = :p',
          ExpressionAttributeValues: { ':p': 'K#14' },
        }),
      ),
    ]);
    expect(sent.map((s) => s.name).sort()).toEqual(['GetCommand', 'GetCommand', 'QueryCommand']);
    expect(w.Item).toEqual({ word: 'w12' });
    expect(n.Item).toEqual({ nested: { a: 13 } });
    expect(q.Items?.[0]?.n).toBe(14);

    await reads.send(new PutCommand({ TableName: dynamo.tableName, Item: { ...key('W#1'), v: 1 } }));
    const [after, other] = await Promise.all([reads.send(get('W#1')), reads.send(get('K#1'))]);
    expect(after.Item?.v).toBe(1);
    expect(other.Item?.n).toBe(1);
  });

  it('merges projections through aliases, reserved words included, each answered as alone', async () => {
    const aliased = get('K#15', {
      ProjectionExpression: '#i, #w',
      ExpressionAttributeNames: { '#i': 'items', '#w': 'word' },
    });
    const [a, b, c] = await Promise.all([
      reads.send(aliased),
      reads.send(batch(['K#16'], { ProjectionExpression: 'word' })),
      reads.send(get('K#17', { ProjectionExpression: '#n', ExpressionAttributeNames: { '#n': 'n' } })),
    ]);
    expect(sent.map((x) => x.name)).toEqual(['BatchGetCommand']);
    const request = (sent[0]!.input as { RequestItems: Record<string, Record<string, unknown>> })
      .RequestItems[dynamo.tableName]!;
    // `word` was named plainly by one read: plain; `items` (reserved) and `n` only through aliases.
    expect(request.ExpressionAttributeNames).toEqual({ '#c0': 'items', '#c1': 'n' });
    expect(String(request.ProjectionExpression).split(', ').sort()).toEqual([
      '#c0',
      '#c1',
      'pk',
      'sk',
      'word',
    ]);
    expect(a).toEqual({ $metadata: { coalesced: 3 }, Item: { word: 'w15' } });
    expect(b.Responses?.[dynamo.tableName]).toEqual([{ word: 'w16' }]);
    expect(c.Item).toEqual((await dynamo.doc.send(get('K#17', { ProjectionExpression: 'n' }))).Item);
    // names the projection does not use, as DynamoDB refuses them, are not merged
    sent = [];
    const unused = get('K#18', { ProjectionExpression: 'n', ExpressionAttributeNames: { '#x': 'word' } });
    const results = await Promise.allSettled([reads.send(unused), reads.send(get('K#19'))]);
    expect(sent.map((x) => x.name).sort()).toEqual(['GetCommand', 'GetCommand']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
  });

  it('fails every read of a batch that failed', async () => {
    const missingTable = (pk: string) => new GetCommand({ TableName: 'no-such-table', Key: key(pk) });
    const results = await Promise.allSettled([
      reads.send(missingTable('K#1')),
      reads.send(missingTable('K#2')),
      reads.send(get('K#3')),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected', 'fulfilled']);
    expect((results[0] as PromiseRejectedResult).reason.name).toBe('ResourceNotFoundException');
  });

  it("makes a quote's first round of the adapters' reads one call", async () => {
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: {
          ...keys.skuPricing('Q-1'),
          price: { amount: 100, currency: 'CNY' },
          bundles: new Set(['B1']),
        },
      }),
    );
    await dynamo.doc.send(
      new PutCommand({
        TableName: dynamo.tableName,
        Item: { ...keys.sku('Q-1'), sku: 'Q-1', category: 'c' },
      }),
    );
    const catalog = new DynamoCatalogPrices(reads, dynamo.tableName);
    const perks = new DynamoCustomerPerks(reads, dynamo.tableName, new ManualClock('2026-11-01T00:00:00Z'));
    const [prices, customer, coupon] = await Promise.all([
      catalog.prices(['Q-1', 'Q-2']),
      perks.perksOf('U-1'),
      perks.findCoupon('NO-SUCH-CODE'),
    ]);
    expect(sent.map((s) => s.name)).toEqual(['BatchGetCommand']);
    expect(prices.get('Q-1')).toEqual({
      price: { amount: 100, currency: 'CNY' },
      category: 'c',
      bundles: ['B1'],
    });
    expect(prices.get('Q-2')).toBeUndefined();
    expect(customer).toEqual(
      await new DynamoCustomerPerks(
        dynamo.doc,
        dynamo.tableName,
        new ManualClock('2026-11-01T00:00:00Z'),
      ).perksOf('U-1'),
    );
    expect(coupon).toBeUndefined();
  });

  it("reads ahead the quote's second round: 1 call a quote once it knows the keys, the same quote as without", async () => {
    const put = (Item: Record<string, unknown>) =>
      dynamo.doc.send(new PutCommand({ TableName: dynamo.tableName, Item }));
    const cny = (amount: number) => ({ amount, currency: 'CNY' });
    const live = async (campaignId: string, skus: string[], granted: number) => {
      await put({
        ...keys.liveCampaign(campaignId),
        entity: 'LiveCampaign',
        campaignId,
        status: 'ROLLED_OUT',
        name: campaignId,
        tiers: [{ spend: cny(19_900), save: cny(3_000) }],
        skus,
        categories: null,
        budget: cny(1_000_000),
        pilot: { segment: { hashPercent: 5 }, controlPercent: 5 },
      });
      await put({ ...keys.campaignBudget(campaignId), granted, counted: { 'r:o-1': 0 } });
      // The live index the quote reads with its prices (decision 48), as a status change leaves it.
      await new DynamoCampaignStore(dynamo.doc, dynamo.tableName).rebuildLiveIndex();
    };
    const pricing = (sku: string, amount: number, bundles: string[]) =>
      put({
        ...keys.skuPricing(sku),
        price: cny(amount),
        ...(bundles.length ? { bundles: new Set(bundles) } : {}),
      });
    for (const [sku, amount] of [
      ['RA-1', 12_000],
      ['RA-2', 9_000],
    ] as const) {
      await pricing(sku, amount, ['RB-1']);
      await put({ ...keys.sku(sku), sku, category: 'c' });
    }
    const bundle = (bundleId: string, skus: string[], saving: number) =>
      put({
        ...keys.bundle(bundleId),
        bundleId,
        items: skus.map((sku) => ({ sku, qty: 1 })),
        saving: cny(saving),
      });
    await bundle('RB-1', ['RA-1', 'RA-2'], 1_000);
    await live('RA-C1', ['RA-1', 'RA-2'], 999_000); // 1,000 fen of budget left
    const admin = (client: DynamoDBDocumentClient) =>
      campaignAdmin({
        store: new DynamoCampaignStore(client, dynamo.tableName),
        catalog: new DynamoCatalogPrices(client, dynamo.tableName),
        budget: new DynamoCampaignBudget(client, dynamo.tableName),
        counts: { variantCounts: async () => [] },
        callbacks: { succeed: async () => 'sent', fail: async () => 'sent' },
        runs: { launch: { start: async () => {} }, experiment: { start: async () => {} } },
        perks: {
          perksOf: async () => ({ tier: 'none', discountBps: 0, slaMultiplierBps: 10_000, newUser: false }),
        },
        coupons: { findCoupon: async () => undefined },
        clock: new ManualClock('2026-11-01T00:00:00Z'),
      });
    const api = admin(reads);
    const cart = {
      userId: 'U-RA',
      items: [
        { sku: 'RA-1', qty: 1 },
        { sku: 'RA-2', qty: 1 },
      ],
    };
    /** The quote, its calls, and the same quote by an admin that never read ahead. */
    const quote = async () => {
      sent = [];
      const q = await api.quote(cart);
      const calls = sent.map((x) => x.name);
      return { q, calls, alone: await admin(dynamo.doc).quote(cart) };
    };

    const first = await quote();
    // The prices, the live index and the identity link in one batch; the bundle and budget after.
    expect(first.calls).toEqual(['BatchGetCommand', 'BatchGetCommand']);
    expect(first.q).toEqual(first.alone);
    expect(first.q.lines.map((l) => [l.kind, l.amount.amount])).toEqual([
      ['item', 12_000],
      ['item', 9_000],
      ['bundle', -1_000],
      ['campaign', 0], // 199−30 is due, but the 1,000 fen of budget left cannot grant it
    ]);
    const second = await quote();
    expect(second.calls).toEqual(['BatchGetCommand']);
    expect(second.q).toEqual(first.q);

    // The answers change under it: a value read ahead is a fresh read, a key read ahead that the
    // answers no longer name is dropped, and what they name anew is read after.
    await put({ ...keys.campaignBudget('RA-C1'), granted: 0, counted: {} });
    await pricing('RA-1', 12_000, ['RB-2']);
    await pricing('RA-2', 9_000, ['RB-2']);
    await bundle('RB-2', ['RA-1', 'RA-2'], 500); // RB-1 is still there, but no SKU names it
    await live('RA-C2', ['RA-1'], 0);
    const changed = await quote();
    expect(changed.calls).toEqual(['BatchGetCommand', 'BatchGetCommand']);
    expect(changed.q).toEqual(changed.alone);
    expect(changed.q.lines.map((l) => [l.kind, l.amount.amount])).toEqual([
      ['item', 12_000],
      ['item', 9_000],
      ['bundle', -500],
      ['campaign', -3_000],
      ['campaign', 0], // RA-C2: 120.00 of its SKUs, below its 199.00 tier
    ]);
    const again = await quote();
    expect(again.calls).toEqual(['BatchGetCommand']);
    expect(again.q).toEqual(changed.q);
  });
});
