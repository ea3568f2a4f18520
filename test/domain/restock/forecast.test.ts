import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { PromotionUplift } from '#domain/restock/policy';
import { decideRestock, forecastPerDay, promotionUplift, seasonalFactor } from '#domain/restock/rules';
import { addDays } from '#domain/shared/calendar';
import { bps, frac, inputs, mul, policy, promotions, shown, TODAY } from './arbitraries.ts';

const horizon = { from: '2026-11-25', to: '2026-12-19' };
const promo = (
  p: Partial<PromotionUplift> & { from: string; to: string; factorBps: number },
): PromotionUplift => p;

describe('promotionUplift (SPEC §3: the uplift of promotions planned in the horizon)', () => {
  it('1.0 when no promotion is planned', () => {
    expect(promotionUplift([], 'SKU-1', 'toys', horizon)).toEqual({ upliftBps: 10_000, applied: [] });
  });

  it("counts promotions for the SKU or its category, not another SKU's or category's", () => {
    const sku = promo({ sku: 'SKU-1', from: '2026-12-01', to: '2026-12-03', factorBps: 15_000 });
    const category = promo({ category: 'toys', from: '2026-12-01', to: '2026-12-03', factorBps: 12_000 });
    const otherSku = promo({ sku: 'SKU-2', from: '2026-12-01', to: '2026-12-03', factorBps: 30_000 });
    const otherCategory = promo({
      category: 'books',
      from: '2026-12-01',
      to: '2026-12-03',
      factorBps: 30_000,
    });
    expect(promotionUplift([otherSku, otherCategory], 'SKU-1', 'toys', horizon)).toEqual({
      upliftBps: 10_000,
      applied: [],
    });
    expect(promotionUplift([otherSku, category, otherCategory], 'SKU-1', 'toys', horizon)).toEqual({
      upliftBps: 12_000,
      applied: [category],
    });
    expect(promotionUplift([sku, otherSku], 'SKU-1', 'toys', horizon).applied).toEqual([sku]);
  });

  it('counts promotions that overlap the horizon by at least a day, boundaries included', () => {
    const at = (from: string, to: string) =>
      promotionUplift([promo({ sku: 'SKU-1', from, to, factorBps: 20_000 })], 'SKU-1', 'toys', horizon)
        .upliftBps;
    expect(at('2026-11-11', '2026-11-24')).toBe(10_000); // ended the day before
    expect(at('2026-11-11', '2026-11-25')).toBe(20_000); // ends on the first day
    expect(at('2026-12-19', '2026-12-31')).toBe(20_000); // starts on the last day
    expect(at('2026-12-20', '2026-12-31')).toBe(10_000); // starts the day after
    expect(at('2026-11-01', '2027-01-31')).toBe(20_000); // spans it
    expect(at('2026-12-12', '2026-12-12')).toBe(20_000); // one day inside
  });

  it('the largest factor applies: promotions do not compound', () => {
    const list = [
      promo({ sku: 'SKU-1', from: '2026-12-01', to: '2026-12-03', factorBps: 15_000 }),
      promo({ category: 'toys', from: '2026-12-10', to: '2026-12-12', factorBps: 20_000 }),
      promo({ sku: 'SKU-1', from: '2026-12-05', to: '2026-12-06', factorBps: 11_000 }),
    ];
    const u = promotionUplift(list, 'SKU-1', 'toys', horizon);
    expect(u.upliftBps).toBe(20_000); // not 1.5 × 2.0 × 1.1
    expect(u.applied).toEqual(list);
  });

  it('a promotion below 1.0 that applies is the factor used, as the receipt lists it', () => {
    const lower = promo({ sku: 'SKU-1', from: '2026-12-01', to: '2026-12-03', factorBps: 8_000 });
    expect(promotionUplift([lower], 'SKU-1', 'toys', horizon)).toEqual({
      upliftBps: 8_000,
      applied: [lower],
    });
    // the decision's numbers agree with the promotions they list
    const d = decideRestock(inputs({ policy: policy({ promotionUplift: [lower] }) }));
    if (d.outcome === 'no-supplier') throw new Error('no supplier');
    expect(d.numbers.promotions).toEqual([
      { sku: 'SKU-1', from: '2026-12-01', to: '2026-12-03', factor: 0.8 },
    ]);
    expect(d.numbers.promotionUplift).toBe(0.8);
    expect(d.numbers.forecastPerDay).toBe(8); // 300 / 30 × 0.8
  });

  it('property: the max factor of exactly the overlapping promotions for the SKU or its category, 1.0 if none', () => {
    fc.assert(
      fc.property(promotions('SKU-1', 'toys'), fc.nat(60), fc.nat(60), (list, start, length) => {
        const h = { from: addDays(TODAY, start), to: addDays(TODAY, start + length) };
        const { upliftBps, applied } = promotionUplift(list, 'SKU-1', 'toys', h);
        const expected = list.filter(
          (p) =>
            (p.sku === 'SKU-1' || p.category === 'toys') &&
            // [from, to] and [h.from, h.to] share a day
            !(p.to < h.from || h.to < p.from),
        );
        expect(applied).toEqual(expected);
        expect(upliftBps).toBe(expected.length ? Math.max(...expected.map((p) => p.factorBps)) : 10_000);
      }),
    );
  });
});

describe('seasonalFactor (SPEC §3: the category’s factor for the month, default 1.0)', () => {
  const p = policy({ seasonalFactors: { toys: { '11': 15_000, '12': 18_000 }, books: { '11': 9_000 } } });

  it('by category and month; 1.0 for a month or category without one', () => {
    expect(seasonalFactor(p, 'toys', 11)).toBe(15_000);
    expect(seasonalFactor(p, 'toys', 12)).toBe(18_000);
    expect(seasonalFactor(p, 'books', 11)).toBe(9_000);
    expect(seasonalFactor(p, 'toys', 1)).toBe(10_000);
    expect(seasonalFactor(p, 'garden', 11)).toBe(10_000);
    expect(seasonalFactor(policy(), 'toys', 11)).toBe(10_000);
  });

  it('a decision uses the month of the store, not of UTC: 2026-11-30T17:00Z is December in Shanghai', () => {
    const at = new Date('2026-11-30T17:00:00Z');
    const shanghai = decideRestock(inputs({ at, policy: p }));
    if (shanghai.outcome === 'no-supplier') throw new Error('no supplier');
    expect(shanghai.numbers).toMatchObject({ month: 12, seasonalFactor: 1.8, forecastPerDay: 18 });
    const utc = decideRestock(inputs({ at, policy: { ...p, timeZone: 'UTC' } }));
    if (utc.outcome === 'no-supplier') throw new Error('no supplier');
    expect(utc.numbers).toMatchObject({ month: 11, seasonalFactor: 1.5, forecastPerDay: 15 });
    // one hour earlier it is still November in Shanghai too (23:00 → 00:00 at 16:00Z)
    const before = decideRestock(inputs({ at: new Date('2026-11-30T15:59:59Z'), policy: p }));
    if (before.outcome === 'no-supplier') throw new Error('no supplier');
    expect(before.numbers.month).toBe(11);
  });

  it('property: the factor set for a category and month is the one returned, exactly', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.nat(1_000_000),
        fc.integer({ min: 1, max: 12 }),
        (m, f, other) => {
          const q = policy({ seasonalFactors: { toys: { [String(m)]: f } } });
          expect(seasonalFactor(q, 'toys', m)).toBe(f);
          expect(seasonalFactor(q, 'toys', other)).toBe(other === m ? f : 10_000);
          expect(seasonalFactor(q, 'books', m)).toBe(10_000);
        },
      ),
    );
  });
});

describe('forecastPerDay (SPEC §3: 30-day average × seasonal × uplift)', () => {
  it.each([
    [300, 10_000, 10_000, 10],
    [300, 15_000, 10_000, 15],
    [300, 15_000, 20_000, 30],
    [7, 11_000, 10_000, 0.2567], // 0.25666…
    [1, 10_000, 10_000, 0.0333],
    [2, 10_000, 10_000, 0.0667], // 0.0666… half-up
    [0, 40_000, 40_000, 0],
  ])('%i units × %i bps × %i bps → %d/day', (sales, seasonal, uplift, perDay) => {
    expect(forecastPerDay(sales, seasonal, uplift)).toBe(perDay);
  });

  it('property: the exact product rounded half-up to 4 decimals', () => {
    fc.assert(
      fc.property(fc.nat(1_000_000), fc.nat(100_000), fc.nat(100_000), (sales, s, u) => {
        expect(forecastPerDay(sales, s, u)).toBe(shown(mul(mul(frac(sales, 30), bps(s)), bps(u)), 4));
      }),
    );
  });
});
