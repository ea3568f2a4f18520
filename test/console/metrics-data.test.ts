import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dateRange, formatBps, formatMoney, moneyOf } from '../../console/src/data/format.ts';
import {
  channelRows,
  cohortRows,
  decompose,
  dropOffBps,
  formatRoi,
  funnelSeries,
  gmvSeries,
  gmvView,
  periodOf,
  sellThroughView,
} from '../../console/src/data/metrics.ts';
import { METRICS } from '../support/console-fixtures.ts';

describe('the funnel as chart series', () => {
  it('keeps the contract’s step order, the API’s drop-offs and each step’s share of the first', () => {
    const s = funnelSeries(METRICS.funnel.steps);
    expect(s.labels).toEqual(['Visit', 'Product view', 'Add to cart', 'Checkout', 'Paid']);
    expect(s.users).toEqual([1000, 640, 240, 120, 84]);
    expect(s.dropOffPercent).toEqual([null, 36, 62.5, 50, 30]);
    expect(s.ofFirstPercent).toEqual([100, 64, 24, 12, 8.4]);
    expect(s.worst).toEqual({ label: 'Add to cart', percent: 62.5 });
  });

  it('orders steps given out of order and computes missing drop-offs (half up)', () => {
    const s = funnelSeries([
      { step: 'paid', users: 1 },
      { step: 'visit', users: 3 },
      { step: 'add_to_cart', users: 2 },
    ]);
    expect(s.labels).toEqual(['Visit', 'Add to cart', 'Paid']);
    expect(s.dropOffPercent).toEqual([null, 33.33, 50]);
    expect(dropOffBps(0, 0)).toBeNull();
    expect(funnelSeries([]).worst).toBeNull();
  });

  it('shows no drop-off after a step nobody reached', () => {
    const s = funnelSeries([
      { step: 'visit', users: 0, dropOffBps: 0 },
      { step: 'product_view', users: 0, dropOffBps: null },
    ]);
    expect(s.dropOffPercent).toEqual([null, null]);
    expect(s.ofFirstPercent).toEqual([0, 0]);
  });
});

describe('GMV = traffic × conversion × AOV', () => {
  it('reads bare fen with the answer’s currency, days in calendar order', () => {
    const view = gmvView(METRICS.gmvByDay);
    expect(view.by).toBe('day');
    expect(view.currency).toBe('CNY');
    expect(view.rows.map((r) => r.key)).toEqual(['2026-11-01', '2026-11-02', '2026-11-03']);
    expect(view.rows[0]!.gmv).toEqual({ amount: 307_200, currency: 'CNY' });
    const s = gmvSeries(view);
    expect(s.traffic).toEqual([400, 350, 250]);
    expect(s.conversionPercent).toEqual([3, 4, 2]);
    expect(s.aov).toEqual([256, 199, 399]);
    expect(s.gmv).toEqual([3072, 2786, 1995]);
    expect(s.repurchasePercent).toEqual([16.67, 0, null]);
  });

  it('sorts channels by GMV, largest first', () => {
    expect(gmvView(METRICS.gmvByChannel).rows.map((r) => r.key)).toEqual(['douyin', 'wechat', 'direct']);
  });

  it('recomputes the total’s product and says it holds up to rounding', () => {
    const d = decompose(gmvView(METRICS.gmvByDay).total!)!;
    expect(d.product).toEqual({ amount: 785_292, currency: 'CNY' });
    expect(d.residual).toBe(8);
    expect(d.holds).toBe(true);
    const exact = decompose(gmvView(METRICS.gmvByDay).rows[0]!)!;
    expect(exact.residual).toBe(0);
  });

  it('flags a product off by more than rounding, and has none without orders', () => {
    const off = decompose({
      key: 't',
      traffic: 100,
      orders: 10,
      conversionBps: 1000,
      aov: { amount: 10_000, currency: 'CNY' },
      gmv: { amount: 120_000, currency: 'CNY' },
      repurchaseBps: null,
    })!;
    expect(off.holds).toBe(false);
    expect(
      decompose({
        key: 'e',
        traffic: 5,
        orders: 0,
        conversionBps: 0,
        aov: null,
        gmv: { amount: 0, currency: 'CNY' },
        repurchaseBps: null,
      }),
    ).toBeNull();
  });

  it('holds for any figures rounded as the API rounds them (half up to a bp and a fen)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 200_000 }),
        fc.integer({ min: 1, max: 200_000 }),
        fc.integer({ min: 1, max: 500_000_00 }),
        (traffic, ordersRaw, perOrder) => {
          const orders = Math.min(ordersRaw, traffic);
          const gmv = orders * perOrder + (ordersRaw % 97);
          const figures = {
            key: 'p',
            traffic,
            orders,
            conversionBps: Math.round((orders * 10_000) / traffic),
            aov: { amount: Math.round(gmv / orders), currency: 'CNY' },
            gmv: { amount: gmv, currency: 'CNY' },
            repurchaseBps: null,
          };
          expect(decompose(figures)!.holds).toBe(true);
        },
      ),
    );
  });

  it('survives an answer without rows, total or currency', () => {
    const view = gmvView({});
    expect(view.rows).toEqual([]);
    expect(view.total).toBeNull();
    expect(gmvSeries(view).labels).toEqual([]);
  });
});

describe('channels, sell-through, retention, the period', () => {
  it('channel ROI is GMV / spend (the API’s, else computed), none without spend', () => {
    const rows = channelRows(METRICS.channels);
    expect(rows.map((r) => [r.channel, r.name, r.roiBps])).toEqual([
      ['direct', 'direct', null],
      ['douyin', 'Douyin', 35_000],
      ['wechat', 'WeChat', 15_000],
    ]);
    expect(rows[1]!.spend).toEqual({ amount: 120_000, currency: 'CNY' });
    expect(
      channelRows({ rows: [{ channelId: 'x', gmv: 300, spend: 200 }], currency: 'CNY' })[0]!.roiBps,
    ).toBe(15_000);
    expect(formatRoi(35_000)).toBe('3.50×');
    expect(formatRoi(null)).toBe('—');
    expect(channelRows(null)).toEqual([]);
  });

  it('sell-through and retention cohorts by offset', () => {
    expect(sellThroughView(METRICS.sellThrough)).toEqual({
      skus: 40,
      skusWithSales: 26,
      sellThroughBps: 6500,
    });
    const cohorts = cohortRows(METRICS.retention);
    expect(cohorts[0]).toEqual({ cohort: '2026-09', customers: 120, returningPercent: [25, 12.5] });
    expect(cohorts[2]).toEqual({ cohort: '2026-11', customers: 0, returningPercent: [] });
    const gap = cohortRows({
      cohorts: [{ cohort: 'x', customers: 1, months: [{ offset: 2, retainedBps: 100 }] }],
    });
    expect(gap[0]?.returningPercent).toEqual([null, 1]);
  });

  it('the period an answer says it covers', () => {
    expect(periodOf(METRICS.funnel)).toEqual({
      from: '2026-11-01',
      to: '2026-11-03',
      timeZone: 'Asia/Shanghai',
    });
    expect(periodOf({ from: 'a', to: 'b' })).toEqual({ from: 'a', to: 'b', timeZone: null });
  });
});

describe('formatting', () => {
  it('money, basis points, date ranges', () => {
    expect(formatMoney({ amount: 785_300, currency: 'CNY' })).toBe('7853.00 CNY');
    expect(formatMoney({ amount: 1200, currency: 'JPY' })).toBe('1200 JPY');
    expect(moneyOf(5, 'CNY')).toEqual({ amount: 5, currency: 'CNY' });
    expect(moneyOf({ amount: 5, currency: 'USD' }, 'CNY')).toEqual({ amount: 5, currency: 'USD' });
    expect(moneyOf(null, 'CNY')).toBeNull();
    expect(formatBps(310)).toBe('3.10%');
    expect(formatBps(null)).toBe('—');
    const today = new Date('2026-11-30T15:00:00Z');
    expect(dateRange(today, null, null)).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect(dateRange(today, '2026-11-01', '2026-11-03')).toEqual({ from: '2026-11-01', to: '2026-11-03' });
    // out of order or malformed: the default range
    expect(dateRange(today, '2026-11-05', '2026-11-03')).toEqual({ from: '2026-11-24', to: '2026-11-30' });
    expect(dateRange(today, 'yesterday', '2026-11-03')).toEqual({ from: '2026-11-24', to: '2026-11-30' });
  });
});
