import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoMetricsStore, dynamoVariantCountsSource } from '#adapters/dynamodb/metrics-store';
import { ingestStorefrontEvents } from '#domain/metrics/ingest';
import { ManualClock } from '#domain/shared/clock';
import type { VariantCountsSource } from '#domain/shared/variant-counts';
import { type LocalDynamo, startLocalDynamo } from '../support/dynalite.ts';

/**
 * The metrics store on DynamoDB's wire protocol (dynalite): one atomic UpdateItem per user-day that
 * answers which ids it held before (exactly-once), steps per channel as string sets, campaign marks,
 * orders by store day, the first payment as a conditional minimum, the rate window — and the
 * VariantCountsSource campaigns read, over it.
 */
let dynamo: LocalDynamo;
let store: DynamoMetricsStore;
const TZ = 'Asia/Shanghai';
const clock = new ManualClock('2026-12-02T04:00:00.000Z');
beforeAll(async () => {
  dynamo = await startLocalDynamo('metrics-store-test');
  store = new DynamoMetricsStore(dynamo.doc, dynamo.tableName);
});
afterAll(async () => {
  await dynamo.stop();
});

const ev = (id: string, user: string, type: string, at: string, extra: Record<string, unknown> = {}) => ({
  eventId: id,
  type,
  at,
  userId: user,
  sessionId: `s-${user}`,
  channel: 'search',
  ...extra,
});

describe('DynamoMetricsStore', () => {
  it('deduplicates by event id in one atomic write per minute and shard, whatever the retries', async () => {
    const ingest = ingestStorefrontEvents({ store, clock, timeZone: TZ });
    const batch = [
      ev('a1', '100', 'visit', '2026-12-01T02:00:00Z'),
      ev('a2', '100', 'product_view', '2026-12-01T02:01:00Z', {
        sku: 'SKU-1',
        channel: 'wechat:mini-program',
      }),
      ev('a3', '200', 'visit', '2026-12-01T17:00:00Z'), // 01:00 on 2 December in Shanghai
    ];
    expect((await ingest(batch)).results.map((r) => r.status)).toEqual(['accepted', 'accepted', 'accepted']);
    const retries = await Promise.all([ingest(batch), ingest(batch)]);
    for (const r of retries)
      expect(r.results.map((x) => x.status)).toEqual(['duplicate', 'duplicate', 'duplicate']);
    const [day] = await store.userDaysOf([{ day: '2026-12-01', userKey: '100' }]);
    expect(day).toMatchObject({
      day: '2026-12-01',
      userKey: '100',
      visits: [{ at: '2026-12-01T02:00:00.000Z', channel: 'search' }],
    });
    expect(Object.fromEntries([...day!.steps].map(([c, s]) => [c, [...s].sort()]))).toEqual({
      search: ['visit'],
      'wechat:mini-program': ['product_view'],
    });
    expect((await store.userDays(['2026-12-02'])).map((u) => u.userKey)).toEqual(['200']);
    // each retry kept its batch again (named by content: the same item); readers count each id once
    const events = await store.events(['2026-12-01', '2026-12-02']);
    expect(events.map((e) => e.eventId).sort()).toEqual(['a1', 'a2', 'a3']);
  });

  it('counts an event kept in two segments once when it folds them (a repeat in another batch)', async () => {
    const ingest = ingestStorefrontEvents({ store, clock, timeZone: TZ });
    const c = { campaignId: 'winter', variant: 'pilot' };
    const first = [
      ev('d1', '400', 'visit', '2026-11-25T02:00:00Z', c),
      ev('d2', '400', 'add_to_cart', '2026-11-25T02:05:00Z', { ...c, sku: 'SKU-1' }),
    ];
    expect((await ingest(first)).accepted).toBe(2);
    // d1 again beside a new event: another batch, so another segment holding d1 a second time
    const again = await ingest([first[0]!, ev('d3', '401', 'visit', '2026-11-25T03:00:00Z', c)]);
    expect(again.results.map((r) => r.status)).toEqual(['duplicate', 'accepted']);
    const kept = (await store.events(['2026-11-25'])).map((e) => e.eventId).sort();
    expect(kept).toEqual(['d1', 'd1', 'd2', 'd3']);
    const days = await store.userDays(['2026-11-25']);
    expect(days.map((d) => [d.userKey, d.visits.length]).sort()).toEqual([
      ['400', 1],
      ['401', 1],
    ]);
    expect((await store.userDaysOf([{ day: '2026-11-25', userKey: '400' }]))[0]?.visits).toHaveLength(1);
    const marks = await store.marks('campaign', 'winter', ['2026-11-25']);
    expect(marks.map((m) => `${m.userKey} ${m.type}`).sort()).toEqual([
      '400 add_to_cart',
      '400 visit',
      '401 visit',
    ]);
  });

  it('keeps orders by store day, refunds by id, and each customer’s first payment as a minimum', async () => {
    const o = (orderId: string, paidAt: string, day: string) => ({
      orderId,
      customerId: '100',
      paidAt,
      day,
      total: 19_900,
      skus: ['SKU-1'],
    });
    await store.recordOrderPaid(o('9001', '2026-11-30T02:00:00.000Z', '2026-11-30'));
    await store.recordOrderPaid(o('9000', '2026-11-29T02:00:00.000Z', '2026-11-29'));
    await store.recordOrderPaid(o('9001', '2026-11-30T02:00:00.000Z', '2026-11-30')); // again
    await store.recordOrderPaid({ ...o('9002', '2026-12-01T02:00:00.000Z', '2026-12-01'), customerId: null });
    expect((await store.ordersPaid('2026-11-30', '2026-12-01')).map((x) => x.orderId)).toEqual([
      '9001',
      '9002',
    ]);
    expect((await store.firstPaid(['100', 'nobody'])).get('100')).toBe('2026-11-29T02:00:00.000Z');
    await store.recordRefund({
      refundId: 'r1',
      orderId: '9000',
      amount: 500,
      refundedAt: '2026-12-01T03:00:00.000Z',
      day: '2026-12-01',
    });
    expect(await store.refundsIssued('2026-12-01', '2026-12-01')).toEqual([
      {
        refundId: 'r1',
        orderId: '9000',
        amount: 500,
        refundedAt: '2026-12-01T03:00:00.000Z',
        day: '2026-12-01',
      },
    ]);
    expect([...(await store.ordersById(['9000', 'x'])).keys()]).toEqual(['9000']);
  });

  it('puts channels (created, then replaced) and limits a key per second', async () => {
    const channel = {
      channelId: 'ads',
      name: 'Ads',
      currency: 'CNY',
      spend: [{ day: '2026-12-01', amount: 1000 }],
      updatedAt: 'x',
    };
    expect(await store.putChannel(channel)).toEqual({ created: true });
    expect(await store.putChannel({ ...channel, name: 'Paid ads' })).toEqual({ created: false });
    expect((await store.channels()).map((c) => c.name)).toEqual(['Paid ads']);
    const now = new Date('2026-12-02T04:00:00.400Z');
    expect(await store.take('k1', 600, 1000, now)).toEqual({ ok: true });
    expect(await store.take('k1', 400, 1000, now)).toEqual({ ok: true });
    expect(await store.take('k1', 1, 1000, now)).toEqual({ ok: false, retryAfterSeconds: 1 });
    expect(await store.take('k2', 500, 1000, now)).toEqual({ ok: true });
    expect(await store.take('k1', 500, 1000, new Date('2026-12-02T04:00:01.000Z'))).toEqual({ ok: true });
  });
});

describe('VariantCountsSource over the DynamoDB store', () => {
  let source: VariantCountsSource;
  beforeAll(async () => {
    source = dynamoVariantCountsSource(dynamo.doc, dynamo.tableName, TZ);
    const c = (variant: string) => ({ campaignId: 'spring', variant });
    const ingest = ingestStorefrontEvents({ store, clock, timeZone: TZ });
    await ingest([
      ev('c1', '301', 'visit', '2026-11-20T01:00:00Z', c('pilot')),
      ev('c2', '301', 'product_view', '2026-11-20T01:01:00Z', { ...c('pilot'), sku: 'SKU-1' }),
      ev('c3', '302', 'visit', '2026-11-20T02:00:00Z', c('pilot')),
      ev('c4', '303', 'visit', '2026-11-21T16:30:00Z', c('control')), // 22 Nov 00:30 store time
      ev('c5', '304', 'visit', '2026-11-20T03:00:00Z', { experimentId: 'hero', variant: 'B' }),
      ev('c6', '305', 'visit', '2026-11-19T15:00:00Z', c('control')), // before the window
    ]);
    // a repeat (at-least-once) changes nothing
    await ingest([ev('c3', '302', 'visit', '2026-11-20T02:00:00Z', c('pilot'))]);
    for (const [orderId, customerId, paidAt] of [
      ['7001', '301', '2026-11-20T05:00:00.000Z'],
      ['7002', '302', '2026-11-20T01:30:00.000Z'], // before 302's first event
    ] as const) {
      await store.recordOrderPaid({ orderId, customerId, paidAt, day: '2026-11-20', total: 100, skus: [] });
    }
    await store.recordOrderPaid({
      orderId: '7003',
      customerId: '303',
      paidAt: '2026-11-22T00:00:00.000Z',
      day: '2026-11-22',
      total: 100,
      skus: [],
    });
  });

  it('answers per variant: users, clickers, converters after their first event and before `to`', async () => {
    expect(
      await source.variantCounts({
        kind: 'campaign',
        id: 'spring',
        from: '2026-11-19T16:00:00.000Z',
        to: '2026-11-23T00:00:00.000Z',
      }),
    ).toEqual([
      { variant: 'control', users: 1, clicks: 0, conversions: 1 },
      { variant: 'pilot', users: 2, clicks: 1, conversions: 1 },
    ]);
    expect(
      await source.variantCounts({
        kind: 'campaign',
        id: 'spring',
        from: '2026-11-19T16:00:00.000Z',
        to: '2026-11-22T00:00:00.000Z',
      }),
    ).toEqual([
      { variant: 'control', users: 1, clicks: 0, conversions: 0 },
      { variant: 'pilot', users: 2, clicks: 1, conversions: 1 },
    ]);
    expect(
      await source.variantCounts({
        kind: 'experiment',
        id: 'hero',
        from: '2026-11-20T00:00:00Z',
        to: '2026-11-21T00:00:00Z',
      }),
    ).toEqual([{ variant: 'B', users: 1, clicks: 0, conversions: 0 }]);
    expect(
      await source.variantCounts({
        kind: 'campaign',
        id: 'nothing',
        from: '2026-11-20T00:00:00Z',
        to: '2026-11-21T00:00:00Z',
      }),
    ).toEqual([]);
    await expect(
      source.variantCounts({ kind: 'campaign', id: 'spring', from: 'soon', to: '2026-11-21T00:00:00Z' }),
    ).rejects.toThrow(/from/);
  });
});
