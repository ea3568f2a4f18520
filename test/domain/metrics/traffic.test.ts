import { describe, expect, it } from 'vitest';
import { ingestStorefrontEvents } from '#domain/metrics/ingest';
import { metricsOrderEvents } from '#domain/metrics/orders';
import { metricsQueries, variantCountsSource } from '#domain/metrics/queries';
import { generateTraffic, hashAssignment } from '#domain/metrics/traffic';
import { ManualClock } from '#domain/shared/clock';
import { MemoryMetricsStore } from '#test/support/memory-metrics';
import { expectedMetrics } from '#test/support/metrics-expected';

const TZ = 'Asia/Shanghai';

describe('generated traffic', () => {
  it('is repeatable with a seed and realistic: returning and new users, several channels, refunds', () => {
    const options = {
      users: 1_500,
      days: 3,
      startDay: '2026-12-01',
      timeZone: TZ,
      seed: 7,
      refundBps: 2_000,
    };
    const a = generateTraffic(options);
    expect(generateTraffic(options)).toEqual(a);
    expect(generateTraffic({ ...options, seed: 8 }).events).not.toEqual(a.events);
    expect(new Set(a.events.map((e) => e.eventId)).size).toBe(a.events.length);
    expect(new Set(a.events.map((e) => e.channel))).toEqual(new Set(['search', 'social', 'ads', 'email']));
    const daysPerUser = new Map<string, Set<string>>();
    for (const e of a.events) {
      const u = e.userId ?? e.anonymousId!;
      daysPerUser.set(u, (daysPerUser.get(u) ?? new Set()).add(e.at.slice(0, 10)));
    }
    expect([...daysPerUser.values()].some((d) => d.size > 1)).toBe(true); // returning
    expect(a.events.some((e) => e.anonymousId)).toBe(true);
    expect(a.orders.length).toBeGreaterThan(5);
    expect(a.refunds.length).toBeGreaterThan(0);
    for (const o of a.orders) expect(o.total).toBe(o.lines.reduce((n, l) => n + l.quantity * l.unitPrice, 0));
  });

  it('gives the pilot the conversion lift asked for (campaign events carry campaignId and variant)', () => {
    const base = {
      users: 20_000,
      days: 1,
      startDay: '2026-12-01',
      timeZone: TZ,
      seed: 3,
      conversionBps: 500,
    };
    const t = generateTraffic({
      ...base,
      campaign: { id: 'spring', pilotLiftBps: 5_000, assign: hashAssignment('spring', 5_000, 5_000) },
    });
    const rate = (v: string) => {
      const users = new Set(t.events.filter((e) => e.variant === v && e.userId).map((e) => e.userId));
      const buyers = new Set(t.orders.filter((o) => o.variant === v).map((o) => o.customerId));
      return buyers.size / users.size;
    };
    expect(
      t.events.every((e) => e.campaignId === 'spring' && (e.variant === 'pilot' || e.variant === 'control')),
    ).toBe(true);
    expect(rate('pilot') / rate('control')).toBeGreaterThan(1.3);
    expect(rate('pilot') / rate('control')).toBeLessThan(1.7);
  });

  it('through ingestion (duplicates included) the queries equal an independent computation', async () => {
    const t = generateTraffic({
      users: 600,
      days: 3,
      startDay: '2026-12-01',
      timeZone: TZ,
      seed: 11,
      campaign: { id: 'c1' },
    });
    const store = new MemoryMetricsStore();
    const clock = new ManualClock('2026-12-04T01:00:00.000Z');
    const ingest = ingestStorefrontEvents({ store, clock, timeZone: TZ });
    for (let i = 0; i < t.events.length; i += 500) {
      const batch = t.events.slice(i, i + 500);
      await ingest([...batch, ...batch.filter((_, j) => j % 5 === 0)]); // 20% again
    }
    const orders = metricsOrderEvents({ writer: store, timeZone: TZ });
    for (const o of t.orders) {
      await orders.orderPaid({
        orderId: o.orderId,
        orderName: null,
        shopDomain: null,
        customerId: o.customerId,
        total: { amount: o.total, currency: 'CNY' },
        subtotal: { amount: o.total, currency: 'CNY' },
        lines: o.lines.map((l) => ({
          sku: l.sku,
          productId: null,
          variantId: null,
          title: l.sku,
          quantity: l.quantity,
          unitPrice: { amount: l.unitPrice, currency: 'CNY' },
        })),
        shippingRegion: null,
        placedAt: o.paidAt,
        paidAt: o.paidAt,
      });
    }
    for (const r of t.refunds) {
      await orders.refundIssued({
        orderId: r.orderId,
        refundId: r.refundId,
        amount: { amount: r.amount, currency: 'CNY' },
        lines: [],
        refundedAt: r.refundedAt,
      });
    }
    const q = metricsQueries({ reader: store, writer: store, clock, timeZone: TZ, currency: 'CNY' });
    const expected = expectedMetrics(t, TZ);
    const range = { from: '2026-12-01', to: '2026-12-03' };
    expect((await q.funnel(range)).steps).toEqual(expected.funnel(range.from, range.to));
    expect((await q.funnel({ ...range, channel: 'ads' })).steps).toEqual(
      expected.funnel(range.from, range.to, 'ads'),
    );
    for (const by of ['day', 'channel'] as const) {
      const actual = await q.gmv({ ...range, by });
      const want = expected.gmv(range.from, range.to, by);
      expect(
        actual.rows.map(({ key, traffic, orders, conversionBps, aov, gmv, repurchaseBps }) => ({
          key,
          traffic,
          orders,
          conversionBps,
          aov,
          gmv,
          repurchaseBps,
        })),
      ).toEqual(want.rows);
      expect(actual.total).toMatchObject(want.total);
    }
    const counts = await variantCountsSource({ reader: store, timeZone: TZ }).variantCounts({
      kind: 'campaign',
      id: 'c1',
      from: '2026-11-30T16:00:00.000Z',
      to: '2026-12-03T16:00:00.000Z',
    });
    const users = (v: string) =>
      new Set(t.events.filter((e) => e.variant === v).map((e) => e.userId ?? `anon:${e.anonymousId}`)).size;
    expect(counts.map((c) => [c.variant, c.users])).toEqual([
      ['control', users('control')],
      ['pilot', users('pilot')],
    ]);
  });
});
