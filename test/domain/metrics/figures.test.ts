import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  attributeOrder,
  bps,
  divideHalfUp,
  foldMarks,
  foldUserDays,
  funnel,
  gmv,
  type PaidOrder,
  period,
  retention,
  type StoredEvent,
  sellThrough,
  type UserDay,
  variantCounts,
} from '#domain/metrics/figures';
import { STOREFRONT_EVENT_TYPES, type StorefrontEventType } from '#domain/metrics/storefront';

const ud = (
  day: string,
  userKey: string,
  steps: Record<string, StorefrontEventType[]>,
  visits: Array<[string, string]> = [],
): UserDay => ({
  day,
  userKey,
  steps: new Map(Object.entries(steps).map(([c, s]) => [c, new Set(s)])),
  visits: visits.map(([at, channel]) => ({ at, channel })),
});
const order = (
  orderId: string,
  customerId: string | null,
  paidAt: string,
  total: number,
  day = paidAt.slice(0, 10),
): PaidOrder => ({
  orderId,
  customerId,
  paidAt,
  day,
  total,
  skus: [],
});

describe('exact ratios and money', () => {
  it('rounds half away from zero on integers, never through a float ratio', () => {
    expect(bps(1, 3)).toBe(3333);
    expect(bps(2, 3)).toBe(6667);
    expect(bps(1, 20_000)).toBe(1); // 0.5 bps rounds up
    expect(bps(0, 0)).toBeNull();
    expect(divideHalfUp(10_001, 2)).toBe(5_001);
    expect(divideHalfUp(-10_001, 2)).toBe(-5_001);
    expect(divideHalfUp(9_007_199_254_740_991, 3)).toBe(3_002_399_751_580_330);
    expect(() => divideHalfUp(1.5, 2)).toThrow(RangeError);
  });

  it('states a period of store days with the instants it covers', () => {
    expect(period('2026-12-01', '2026-12-02', 'Asia/Shanghai')).toEqual({
      from: '2026-12-01',
      to: '2026-12-02',
      timeZone: 'Asia/Shanghai',
      start: '2026-11-30T16:00:00.000Z',
      end: '2026-12-02T16:00:00.000Z',
    });
  });
});

describe('the funnel', () => {
  it('counts users who reached each step and every step before it; drop-off from the step before', () => {
    const days = [
      ud('2026-12-01', 'a', { web: ['visit', 'product_view', 'add_to_cart', 'checkout_started'] }),
      ud('2026-12-01', 'b', { web: ['visit', 'product_view'], app: ['add_to_cart'] }),
      ud('2026-12-02', 'c', { app: ['product_view', 'add_to_cart'] }), // no visit: never past step 0
      ud('2026-12-02', 'a', { app: ['visit'] }),
    ];
    const paid = [
      { customerId: 'a', channel: 'web' },
      { customerId: 'c', channel: 'app' },
    ];
    expect(funnel(days, paid).map((s) => [s.step, s.users, s.dropOffBps])).toEqual([
      ['visit', 2, 0],
      ['product_view', 2, 0],
      ['add_to_cart', 2, 0],
      ['checkout_started', 1, 5000],
      ['paid', 1, 0],
    ]);
    expect(funnel(days, paid, 'web').map((s) => s.users)).toEqual([2, 2, 1, 1, 1]);
    expect(funnel(days, paid, 'app').map((s) => s.users)).toEqual([1, 0, 0, 0, 0]);
    expect(funnel([], []).map((s) => s.dropOffBps)).toEqual([0, null, null, null, null]);
  });

  const userDays = fc.array(
    fc.record({
      day: fc.constantFrom('2026-12-01', '2026-12-02'),
      userKey: fc.constantFrom('u1', 'u2', 'u3', 'u4', 'u5'),
      channel: fc.constantFrom('web', 'app'),
      steps: fc.subarray([...STOREFRONT_EVENT_TYPES]),
    }),
    { maxLength: 30 },
  );

  it('property: a step never counts more users than the step before it, on any channel', () => {
    fc.assert(
      fc.property(
        userDays,
        fc.array(fc.constantFrom('u1', 'u2', 'u9'), { maxLength: 5 }),
        fc.option(fc.constantFrom('web', 'app'), { nil: undefined }),
        (rows, buyers, channel) => {
          const steps = funnel(
            rows.map((r) => ud(r.day, r.userKey, { [r.channel]: r.steps })),
            buyers.map((customerId) => ({ customerId, channel: 'web' })),
            channel,
          );
          for (let i = 1; i < steps.length; i++) {
            expect(steps[i]!.users).toBeLessThanOrEqual(steps[i - 1]!.users);
            expect(steps[i]!.dropOffBps ?? 0).toBeGreaterThanOrEqual(0);
            expect(steps[i]!.dropOffBps ?? 0).toBeLessThanOrEqual(10_000);
          }
        },
      ),
    );
  });
});

describe('attribution: the buyer’s last visit at or before the payment, that day or the day before', () => {
  it('picks the latest earlier visit and falls back to direct', () => {
    const visits = new Map([
      ['c1|2026-12-01', [{ at: '2026-12-01T10:00:00.000Z', channel: 'ads' }]],
      [
        'c1|2026-12-02',
        [
          { at: '2026-12-02T01:00:00.000Z', channel: 'email' },
          { at: '2026-12-02T09:00:00.000Z', channel: 'social' },
        ],
      ],
    ]);
    const of = (u: string, d: string) => visits.get(`${u}|${d}`) ?? [];
    expect(
      attributeOrder({ customerId: 'c1', paidAt: '2026-12-02T08:00:00.000Z', day: '2026-12-02' }, of),
    ).toBe('email');
    expect(
      attributeOrder({ customerId: 'c1', paidAt: '2026-12-02T00:30:00.000Z', day: '2026-12-02' }, of),
    ).toBe('ads');
    expect(
      attributeOrder({ customerId: 'c1', paidAt: '2026-12-01T09:00:00.000Z', day: '2026-12-01' }, of),
    ).toBe('direct');
    expect(
      attributeOrder({ customerId: null, paidAt: '2026-12-02T08:00:00.000Z', day: '2026-12-02' }, of),
    ).toBe('direct');
  });
});

describe('GMV = traffic × conversion × AOV', () => {
  it('decomposes per day and in total: net of refunds, repurchase beside it', () => {
    const days = [
      ud('2026-12-01', 'a', { web: ['visit'] }),
      ud('2026-12-01', 'b', { web: ['visit'] }),
      ud('2026-12-01', 'x', { web: ['visit'] }),
      ud('2026-12-02', 'a', { app: ['visit'] }),
    ];
    const orders = [
      { ...order('1', 'a', '2026-12-01T02:00:00.000Z', 10_000), channel: 'web' },
      { ...order('2', 'b', '2026-12-01T03:00:00.000Z', 5_001), channel: 'web' },
      { ...order('3', 'a', '2026-12-02T03:00:00.000Z', 20_000), channel: 'app' },
    ];
    const refunds = [
      {
        refundId: 'r1',
        orderId: '1',
        amount: 2_500,
        refundedAt: '2026-12-02T05:00:00.000Z',
        day: '2026-12-02',
        channel: 'web',
      },
    ];
    const firstPaidAt = new Map([
      ['a', '2026-11-20T00:00:00.000Z'],
      ['b', '2026-12-01T03:00:00.000Z'],
    ]);
    const byDay = gmv(
      { days: ['2026-12-01', '2026-12-02'], userDays: days, orders, refunds, firstPaidAt },
      'day',
    );
    expect(
      byDay.rows.map((r) => [r.key, r.traffic, r.orders, r.conversionBps, r.aov, r.gmv, r.repurchaseBps]),
    ).toEqual([
      ['2026-12-01', 3, 2, 6667, 7501, 15_001, 5000],
      ['2026-12-02', 1, 1, 10_000, 17_500, 17_500, 10_000],
    ]);
    expect(byDay.total).toMatchObject({
      key: 'total',
      traffic: 3,
      orders: 3,
      gmv: 32_501,
      paid: 35_001,
      refunded: 2_500,
      aov: 10_834,
      repurchaseBps: 5000,
    });
    const byChannel = gmv(
      { days: ['2026-12-01', '2026-12-02'], userDays: days, orders, refunds, firstPaidAt },
      'channel',
    );
    expect(byChannel.rows.map((r) => [r.key, r.traffic, r.orders, r.gmv])).toEqual([
      ['app', 1, 1, 20_000],
      ['web', 3, 2, 12_501],
    ]);
  });

  it('property: traffic × conversion × AOV equals GMV up to rounding, every row; money stays integer', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5_000 }),
        fc.array(fc.integer({ min: 0, max: 10_000_000 }), { minLength: 1, maxLength: 60 }),
        (traffic, totals) => {
          fc.pre(totals.length <= traffic);
          const userDays = Array.from({ length: traffic }, (_, i) =>
            ud('2026-12-01', `u${i}`, { web: ['visit'] }),
          );
          const orders = totals.map((t, i) => ({
            ...order(String(i), `u${i}`, '2026-12-01T02:00:00.000Z', t),
            channel: 'web',
          }));
          const { total } = gmv(
            { days: ['2026-12-01'], userDays, orders, refunds: [], firstPaidAt: new Map() },
            'day',
          );
          expect(Number.isInteger(total.gmv) && Number.isInteger(total.aov)).toBe(true);
          // exact: traffic × (orders/traffic) × (gmv/orders) = gmv; with rounded bps and AOV:
          const recomposed = (total.traffic * total.conversionBps! * total.aov!) / 10_000;
          // conversion off by ≤ 0.5 bps of traffic, AOV by ≤ 0.5 fen per order
          const bound = (total.traffic * 0.5 * total.aov!) / 10_000 + total.orders * 0.5 + 1;
          expect(Math.abs(recomposed - total.gmv)).toBeLessThanOrEqual(bound);
        },
      ),
    );
  });
});

describe('sell-through and retention', () => {
  it('counts the share of the catalog’s SKUs with sales', () => {
    expect(sellThrough([{ skus: ['A', 'B'] }, { skus: ['B', 'Z'] }], ['A', 'B', 'C', 'D'])).toEqual({
      skus: 5,
      skusWithSales: 3,
      sellThroughBps: 6000,
    });
  });

  it('groups customers by the month of their first paid order and follows them month by month', () => {
    const orders = [
      { customerId: 'a', day: '2026-10-03' },
      { customerId: 'b', day: '2026-10-20' },
      { customerId: 'a', day: '2026-11-02' },
      { customerId: 'c', day: '2026-11-05' },
      { customerId: 'b', day: '2026-12-01' },
      { customerId: 'c', day: '2026-12-09' },
      { customerId: 'old', day: '2026-11-01' },
      { customerId: null, day: '2026-11-01' },
    ];
    const first = new Map([
      ['a', '2026-10'],
      ['b', '2026-10'],
      ['c', '2026-11'],
      ['old', '2026-06'],
    ]);
    expect(retention(orders, first, '2026-10', '2026-12')).toEqual([
      {
        cohort: '2026-10',
        customers: 2,
        months: [
          { month: '2026-11', offset: 1, customers: 1, retainedBps: 5000 },
          { month: '2026-12', offset: 2, customers: 1, retainedBps: 5000 },
        ],
      },
      {
        cohort: '2026-11',
        customers: 1,
        months: [{ month: '2026-12', offset: 1, customers: 1, retainedBps: 10_000 }],
      },
      { cohort: '2026-12', customers: 0, months: [] },
    ]);
  });
});

describe('variant counts (the seam campaigns read)', () => {
  it('counts users, clickers and converters per variant inside [from, to)', () => {
    const marks = [
      { variant: 'pilot', userKey: '1', at: '2026-12-01T01:00:00.000Z', type: 'visit' as const },
      { variant: 'pilot', userKey: '1', at: '2026-12-01T01:01:00.000Z', type: 'product_view' as const },
      { variant: 'pilot', userKey: '2', at: '2026-12-01T02:00:00.000Z', type: 'visit' as const },
      { variant: 'control', userKey: '3', at: '2026-12-01T03:00:00.000Z', type: 'visit' as const },
      { variant: 'control', userKey: '4', at: '2026-11-30T23:59:59.999Z', type: 'visit' as const }, // before from
      { variant: 'control', userKey: '5', at: '2026-12-02T00:00:00.000Z', type: 'visit' as const }, // at to: excluded
    ];
    const orders = [
      { customerId: '1', paidAt: '2026-12-01T01:30:00.000Z' }, // after first mark: converts
      { customerId: '2', paidAt: '2026-12-01T01:59:00.000Z' }, // before first mark: not
      { customerId: '3', paidAt: '2026-12-02T00:00:00.000Z' }, // at `to`: not
      { customerId: null, paidAt: '2026-12-01T05:00:00.000Z' },
    ];
    expect(variantCounts(marks, orders, '2026-12-01T00:00:00.000Z', '2026-12-02T00:00:00.000Z')).toEqual([
      { variant: 'control', users: 1, clicks: 0, conversions: 0 },
      { variant: 'pilot', users: 2, clicks: 1, conversions: 1 },
    ]);
  });
});

describe('folding stored events: each eventId once, in one pass', () => {
  const stored = fc
    .record({
      eventId: fc.constantFrom('e1', 'e2', 'e3', 'e4', 'e5', 'e6'),
      userKey: fc.constantFrom('u1', 'u2', 'anon:a'),
      day: fc.constantFrom('2026-12-01', '2026-12-02'),
      type: fc.constantFrom(...STOREFRONT_EVENT_TYPES),
      channel: fc.constantFrom('search', 'ads'),
      at: fc.constantFrom('2026-12-01T01:00:00.000Z', '2026-12-01T02:00:00.000Z'),
      variant: fc.constantFrom('pilot', 'control'),
    })
    .map((e): StoredEvent => ({ ...e, campaignId: 'spring' }));
  const firstOfEach = (events: readonly StoredEvent[]) =>
    events.filter((e, i) => events.findIndex((x) => x.eventId === e.eventId) === i);
  const shape = (days: ReturnType<typeof foldUserDays>) =>
    days
      .map((d) => ({
        key: `${d.day} ${d.userKey}`,
        steps: [...d.steps].map(([c, s]) => `${c}:${[...s].sort().join(',')}`).sort(),
        visits: d.visits.map((v) => `${v.at}|${v.channel}`).sort(),
      }))
      .sort((a, b) => a.key.localeCompare(b.key));

  it('a repeat (the same eventId kept in another segment) changes nothing; a generator is enough', () => {
    fc.assert(
      fc.property(fc.array(stored, { maxLength: 30 }), (events) => {
        // once through: the store hands the fold a generator over its segments
        const once = function* () {
          yield* events;
        };
        expect(shape(foldUserDays(once()))).toEqual(shape(foldUserDays(firstOfEach(events))));
        expect(foldMarks(once(), 'campaign', 'spring')).toEqual(
          foldMarks(firstOfEach(events), 'campaign', 'spring'),
        );
        // the first of an eventId is the one counted, whatever its repeats say
        const visitors = new Set(
          firstOfEach(events)
            .filter((e) => e.type === 'visit')
            .map((e) => e.userKey),
        );
        const folded = foldUserDays(once()).filter((d) => d.visits.length > 0);
        expect(new Set(folded.map((d) => d.userKey))).toEqual(visitors);
      }),
    );
  });
});
