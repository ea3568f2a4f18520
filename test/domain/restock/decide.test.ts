import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VersionedPolicy } from '#domain/restock/policy';
import {
  decideRestock,
  RESTOCK_RULES_VERSION,
  type RestockDecision,
  type RestockInputs,
  type SupplierTerms,
} from '#domain/restock/rules';
import { addDays, localDate, localMonth } from '#domain/shared/calendar';
import type { Money } from '#domain/shared/money';
import {
  bps,
  cny,
  decimal,
  frac,
  inputs,
  mul,
  option,
  policy,
  reference,
  referenceQuantity,
  restockInputs,
  roundHalfUp,
  shown,
  subF,
  supplier,
  suppliersOf,
} from './arbitraries.ts';

type Order = Extract<RestockDecision, { outcome: 'order' }>;
type Enough = Extract<RestockDecision, { outcome: 'enough' }>;

function ordered(decision: RestockDecision): Order {
  if (decision.outcome !== 'order') throw new Error(`expected an order, got ${decision.outcome}`);
  return decision;
}
function enough(decision: RestockDecision): Enough {
  if (decision.outcome !== 'enough') throw new Error(`expected enough stock, got ${decision.outcome}`);
  return decision;
}
const numbersOf = (decision: RestockDecision) => {
  if (decision.outcome === 'no-supplier') throw new Error('no supplier');
  return decision.numbers;
};

/**
 * The chosen option and supplier of generated inputs: every supplier there is in CNY, so the
 * best tier, then the lowest unit cost, then the smallest id.
 */
function chosen(i: RestockInputs) {
  const rank = { strategic: 0, core: 1, normal: 2 } as const;
  const [best] = i.supply
    .map((o) => ({ option: o, supplier: i.suppliers.get(o.supplierId) as SupplierTerms }))
    .sort(
      (a, b) =>
        rank[a.supplier.tier] - rank[b.supplier.tier] ||
        a.option.unitCost.amount - b.option.unitCost.amount ||
        (a.option.supplierId < b.option.supplierId ? -1 : 1),
    );
  return best!;
}

/** SPEC §3's terms: core 60, normal 30, strategic as configured; 30 days become 45 and a 2% rebate above the volume. */
function expectedTerms(s: SupplierTerms, purchased: Money, p: VersionedPolicy) {
  const volume =
    purchased.currency === p.volumeThreshold.currency && purchased.amount > p.volumeThreshold.amount;
  const base =
    s.tier === 'core' ? 60 : s.tier === 'normal' ? 30 : (s.paymentTermsDays ?? p.strategicTermsDays);
  return {
    days: volume && base === 30 ? p.volumeTermsDays : base,
    rebateBps: volume ? p.volumeRebateBps : 0,
  };
}

/** The exact reference for generated inputs. */
function expected(i: RestockInputs) {
  const { option: o, supplier: s } = chosen(i);
  const today = localDate(i.at, i.policy.timeZone);
  const month = localMonth(i.at, i.policy.timeZone);
  const leadTimeDays = o.leadTimeDays ?? s.leadTimeDays;
  const horizonEnd = addDays(today, leadTimeDays + i.policy.coverageDays);
  const applying = i.policy.promotionUplift.filter(
    (p) =>
      (p.sku === i.sku || (p.sku === undefined && p.category === i.category)) &&
      !(p.to < today || p.from > horizonEnd),
  );
  const uplift = applying.length ? Math.max(...applying.map((p) => p.factorBps)) : 10_000;
  const seasonal = i.policy.seasonalFactors[i.category]?.[String(month)] ?? 10_000;
  const safetyDays = i.topTen ? i.policy.safetyDaysTopTen : i.policy.safetyDaysDefault;
  const r = reference({
    sales30d: i.sales30d,
    seasonal: bps(seasonal),
    uplift: bps(uplift),
    safetyDays,
    leadTimeDays,
    coverageDays: i.policy.coverageDays,
    position: i.onHand + i.inbound,
  });
  return { o, s, today, month, leadTimeDays, uplift, seasonal, safetyDays, applying, ...r };
}

describe('decideRestock: a worked example (default policy, core supplier, 10 days lead time)', () => {
  // 300 units in 30 days → 10/day; safety 3 days → 30; reorder point 10 × 10 + 30 = 130;
  // target 10 × (10 + 14) + 30 = 270; position 100 + 20 = 120 → gap 150 → 7 cases of 24 = 168.
  const example = inputs({
    onHand: 100,
    inbound: 20,
    supply: [option('S1', { casePack: 24, minOrderQty: 100 })],
  });

  it('orders the gap rounded up to the case pack, with every number on the receipt', () => {
    const d = ordered(decideRestock(example));
    expect(d.supplier.supplierId).toBe('S1');
    expect(d.quantity).toBe(168);
    expect(d.total).toEqual(cny(168_000));
    expect(d.paymentTermsDays).toBe(60);
    expect(d.paymentDueDate).toBe('2027-01-24'); // 2026-11-25 (store date) + 60 days
    expect(d.rebateBps).toBe(0);
    expect(d.rebate).toEqual(cny(0));
    expect(d.purchasedThisYear).toEqual(cny(0));
    expect(d.approvalRequired).toBe(false);
    expect(d.numbers).toEqual({
      sales30d: 300,
      windowDays: 30,
      seasonalFactor: 1,
      month: 11,
      promotionUplift: 1,
      promotions: [],
      forecastPerDay: 10,
      topTen: false,
      safetyDays: 3,
      safetyStock: 30,
      leadTimeDays: 10,
      leadTimeFrom: 'supplier',
      reorderPoint: 130,
      onHand: 100,
      inbound: 20,
      position: 120,
      coverageDays: 14,
      target: 270,
      gap: 150,
      casePack: 24,
      minOrderQty: 100,
      quantity: 168,
    });
    expect(RESTOCK_RULES_VERSION).toBe('restock/1');
  });

  it('orders nothing when on hand + inbound reaches the reorder point, and orders one unit below it', () => {
    const at = enough(decideRestock({ ...example, onHand: 110, inbound: 20 }));
    expect(at.numbers).toMatchObject({ position: 130, reorderPoint: 130, quantity: 0 });
    expect(enough(decideRestock({ ...example, onHand: 130, inbound: 0 })).numbers.position).toBe(130);
    expect(enough(decideRestock({ ...example, onHand: 0, inbound: 500 })).numbers.position).toBe(500);
    // 129: gap 141 → 6 cases of 24 = 144
    expect(ordered(decideRestock({ ...example, onHand: 109, inbound: 20 })).quantity).toBe(144);
  });

  it('a top-ten SKU keeps 7 days of safety stock', () => {
    const d = ordered(decideRestock({ ...example, topTen: true }));
    expect(d.numbers).toMatchObject({ topTen: true, safetyDays: 7, safetyStock: 70, reorderPoint: 170 });
    // target 10 × 24 + 70 = 310 − 120 = 190 → 8 cases = 192
    expect(d.quantity).toBe(192);
    expect(enough(decideRestock({ ...example, topTen: false, onHand: 140 })).numbers.reorderPoint).toBe(130);
    expect(ordered(decideRestock({ ...example, topTen: true, onHand: 140 })).numbers.reorderPoint).toBe(170);
  });

  it("the SKU's lead time overrides the supplier's, also when it is 0", () => {
    const two = numbersOf(decideRestock({ ...example, supply: [option('S1', { leadTimeDays: 2 })] }));
    expect(two).toMatchObject({ leadTimeDays: 2, leadTimeFrom: 'sku', reorderPoint: 50, target: 190 });
    const zero = numbersOf(decideRestock({ ...example, supply: [option('S1', { leadTimeDays: 0 })] }));
    expect(zero).toMatchObject({ leadTimeDays: 0, leadTimeFrom: 'sku', reorderPoint: 30 });
    expect(numbersOf(decideRestock(example))).toMatchObject({ leadTimeDays: 10, leadTimeFrom: 'supplier' });
  });

  it('orders from the best-tier supplier, not the cheapest', () => {
    const d = ordered(
      decideRestock({
        ...example,
        supply: [option('CHEAP', { unitCost: cny(1) }), option('STRAT', { unitCost: cny(9_999) })],
        suppliers: suppliersOf(supplier('CHEAP', 'normal'), supplier('STRAT', 'strategic')),
      }),
    );
    expect(d.supplier.supplierId).toBe('STRAT');
    expect(d.total).toEqual(cny(d.quantity * 9_999));
  });

  it('no supplier: none set, or none of them known', () => {
    expect(decideRestock(inputs({ supply: [] }))).toEqual({
      outcome: 'no-supplier',
      reason: 'the SKU has no supplier',
    });
    const unknown = decideRestock(inputs({ supply: [option('GONE'), option('LOST')] }));
    expect(unknown).toEqual({
      outcome: 'no-supplier',
      reason: "none of the SKU's suppliers (GONE, LOST) is known",
    });
  });

  it('no sales: nothing to order unless the stock is negative', () => {
    expect(enough(decideRestock(inputs({ sales30d: 0 }))).numbers).toMatchObject({
      forecastPerDay: 0,
      reorderPoint: 0,
      gap: 0,
    });
    // oversold by 3: the gap is 3, rounded up to the MOQ
    const d = ordered(
      decideRestock(inputs({ sales30d: 0, onHand: -3, supply: [option('S1', { minOrderQty: 5 })] })),
    );
    expect(d.numbers.gap).toBe(3);
    expect(d.quantity).toBe(5);
  });

  it('refuses a total beyond exact integers instead of rounding it', () => {
    const huge = inputs({
      sales30d: 0,
      onHand: -1,
      supply: [option('S1', { minOrderQty: 1_000_000_000, unitCost: cny(100_000_000) })],
    });
    expect(() => decideRestock(huge)).toThrow(RangeError);
  });
});

describe('decideRestock: exact arithmetic (no float drift)', () => {
  // 7 units in 30 days × 1.1 (November) = 0.25666…/day. Floats get 7 / 30 × 1.1 × 300 = 77.00000000000001.
  const drift = (days: { lead: number; coverage: number; topTen: boolean }, onHand: number) =>
    inputs({
      sales30d: 7,
      onHand,
      topTen: days.topTen,
      suppliers: suppliersOf(supplier('S1', 'core', { leadTimeDays: days.lead })),
      policy: policy({ seasonalFactors: { toys: { '11': 11_000 } }, coverageDays: days.coverage }),
    });

  it('the trap is real: floats overshoot 77', () => {
    expect((7 / 30) * 1.1 * 300).toBeGreaterThan(77);
    expect(Math.ceil((7 / 30) * 1.1 * 300)).toBe(78);
  });

  it('a position exactly at the reorder point (7 × 1.1 × 300 / 30 = 77) orders nothing', () => {
    // lead 293 + safety 7 = 300 days
    const at = enough(decideRestock(drift({ lead: 293, coverage: 14, topTen: true }, 77)));
    expect(at.numbers.reorderPoint).toBe(77);
    expect(at.numbers.seasonalFactor).toBe(1.1);
    const below = ordered(decideRestock(drift({ lead: 293, coverage: 14, topTen: true }, 76)));
    expect(below.numbers.reorderPoint).toBe(77);
  });

  it('a target of exactly 77 orders 77, not 78', () => {
    // lead 279 + coverage 14 + safety 7 = 300 days
    const d = ordered(decideRestock(drift({ lead: 279, coverage: 14, topTen: true }, 0)));
    expect(d.numbers.target).toBe(77);
    expect(d.numbers.gap).toBe(77);
    expect(d.quantity).toBe(77);
  });

  it('the receipt rounds half-up for display only: forecast 4 decimals, stock 3', () => {
    const n = numbersOf(decideRestock(drift({ lead: 10, coverage: 14, topTen: false }, 0)));
    const forecast = mul(frac(7, 30), decimal('1.1')); // 0.256666…
    expect(n.forecastPerDay).toBe(0.2567);
    expect(n.safetyStock).toBe(shown(mul(forecast, frac(3)), 3)); // 0.77
    expect(n.reorderPoint).toBe(3.337); // 3.3366…
    expect(n.target).toBe(6.93); // 0.25666… × 27 = 6.93
    expect(n.gap).toBe(7);
  });

  it('property: decisions equal an exact rational reference of SPEC §3', () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const e = expected(i);
        const d = decideRestock(i);
        const n = numbersOf(d);
        expect(d.outcome).toBe(e.needsRestock ? 'order' : 'enough');
        expect(n).toMatchObject({
          sales30d: i.sales30d,
          windowDays: 30,
          month: e.month,
          seasonalFactor: e.seasonal / 10_000,
          promotionUplift: e.uplift / 10_000,
          forecastPerDay: shown(e.forecast, 4),
          topTen: i.topTen,
          safetyDays: e.safetyDays,
          safetyStock: shown(e.safetyStock, 3),
          leadTimeDays: e.leadTimeDays,
          reorderPoint: shown(e.reorderPoint, 3),
          onHand: i.onHand,
          inbound: i.inbound,
          position: i.onHand + i.inbound,
          coverageDays: i.policy.coverageDays,
          target: shown(e.target, 3),
          gap: Number(e.gap),
          casePack: e.o.casePack,
          minOrderQty: e.o.minOrderQty,
          quantity: e.needsRestock ? referenceQuantity(Number(e.gap), e.o.casePack, e.o.minOrderQty) : 0,
        });
        expect(n.promotions).toHaveLength(e.applying.length);
      }),
      { numRuns: 500 },
    );
  });
});

describe('decideRestock: properties of SPEC §3', () => {
  it('property: no purchase order when on hand + inbound ≥ reorder point, one when below', () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const e = expected(i);
        const d = decideRestock(i);
        const position = frac(i.onHand + i.inbound);
        const atOrAbove = !(position.n * e.reorderPoint.d < e.reorderPoint.n * position.d);
        expect(d.outcome).toBe(atOrAbove ? 'enough' : 'order');
        if (d.outcome === 'enough') expect(d.numbers.quantity).toBe(0);
      }),
      { numRuns: 300 },
    );
  });

  it('property: an order covers the gap, is a multiple of the case pack, ≥ MOQ, and is minimal', () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const d = decideRestock(i);
        if (d.outcome !== 'order') return;
        const { casePack, minOrderQty } = d.option;
        const e = expected(i);
        expect(d.quantity % casePack).toBe(0);
        expect(d.quantity).toBeGreaterThanOrEqual(minOrderQty);
        expect(d.quantity).toBeGreaterThanOrEqual(d.numbers.gap);
        expect(d.numbers.gap).toBeGreaterThan(0);
        // on hand + inbound + the order reaches the target (exactly, not just as displayed)
        const after = frac(i.onHand + i.inbound + d.quantity);
        expect(subF(after, e.target).n >= 0n).toBe(true);
        const less = d.quantity - casePack;
        expect(less < d.numbers.gap || less < minOrderQty || less < 1).toBe(true);
      }),
      { numRuns: 300 },
    );
  });

  /** Non-decreasing in every demand input: reorder point, safety stock, whether and how much to order. */
  function expectNoLess(lo: RestockDecision, hi: RestockDecision) {
    const a = numbersOf(lo);
    const b = numbersOf(hi);
    expect(b.forecastPerDay).toBeGreaterThanOrEqual(a.forecastPerDay);
    expect(b.safetyStock).toBeGreaterThanOrEqual(a.safetyStock);
    expect(b.reorderPoint).toBeGreaterThanOrEqual(a.reorderPoint);
    expect(b.target).toBeGreaterThanOrEqual(a.target);
    if (lo.outcome === 'order') expect(hi.outcome).toBe('order');
    expect(b.quantity).toBeGreaterThanOrEqual(a.quantity);
  }

  it('property: never less with more sales in 30 days', () => {
    fc.assert(
      fc.property(restockInputs, fc.nat(100_000), (i, more) => {
        expectNoLess(decideRestock(i), decideRestock({ ...i, sales30d: i.sales30d + more }));
      }),
      { numRuns: 300 },
    );
  });

  it("property: never less with a bigger seasonal factor for the category's month", () => {
    fc.assert(
      fc.property(restockInputs, fc.nat(40_000), fc.nat(40_000), (i, f1, f2) => {
        const month = String(localMonth(i.at, i.policy.timeZone));
        const withFactor = (f: number): RestockInputs => ({
          ...i,
          policy: { ...i.policy, seasonalFactors: { ...i.policy.seasonalFactors, toys: { [month]: f } } },
        });
        expectNoLess(
          decideRestock(withFactor(Math.min(f1, f2))),
          decideRestock(withFactor(Math.max(f1, f2))),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('property: never less with a bigger promotion uplift in the horizon', () => {
    fc.assert(
      fc.property(restockInputs, fc.nat(40_000), fc.nat(40_000), (i, f1, f2) => {
        const today = localDate(i.at, i.policy.timeZone);
        const withUplift = (f: number): RestockInputs => ({
          ...i,
          policy: {
            ...i.policy,
            promotionUplift: [{ sku: i.sku, from: today, to: addDays(today, 1), factorBps: f }],
          },
        });
        const lo = decideRestock(withUplift(Math.min(f1, f2)));
        const hi = decideRestock(withUplift(Math.max(f1, f2)));
        expectNoLess(lo, hi);
        expect(numbersOf(hi).promotionUplift).toBe(Math.max(f1, f2) / 10_000);
      }),
      { numRuns: 300 },
    );
  });

  it('property: never more with more stock on hand or inbound', () => {
    fc.assert(
      fc.property(restockInputs, fc.nat(10_000), fc.nat(10_000), (i, moreOnHand, moreInbound) => {
        const more = decideRestock({ ...i, onHand: i.onHand + moreOnHand, inbound: i.inbound + moreInbound });
        expect(numbersOf(more).quantity).toBeLessThanOrEqual(numbersOf(decideRestock(i)).quantity);
      }),
      { numRuns: 200 },
    );
  });

  it("property: safety days are the policy's top-ten days for a top-ten SKU, else its default", () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const n = numbersOf(decideRestock(i));
        expect(n.safetyDays).toBe(i.topTen ? i.policy.safetyDaysTopTen : i.policy.safetyDaysDefault);
        expect(n.topTen).toBe(i.topTen);
      }),
      { numRuns: 200 },
    );
  });

  it("property: the lead time is the SKU option's when set, else the supplier's", () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const { option: o, supplier: s } = chosen(i);
        const n = numbersOf(decideRestock(i));
        expect(n.leadTimeDays).toBe(o.leadTimeDays ?? s.leadTimeDays);
        expect(n.leadTimeFrom).toBe(o.leadTimeDays === undefined ? 'supplier' : 'sku');
      }),
      { numRuns: 200 },
    );
  });

  it('property: total, rebate, terms, due date and approval of every order', () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const d = decideRestock(i);
        if (d.outcome !== 'order') return;
        const { o, s, today } = expected(i);
        const purchased = i.purchasedThisYear(s.supplierId);
        const terms = expectedTerms(s, purchased, i.policy);
        expect(d.supplier).toBe(s);
        expect(d.option).toBe(o);
        expect(d.total).toEqual({ amount: d.quantity * o.unitCost.amount, currency: o.unitCost.currency });
        expect(d.paymentTermsDays).toBe(terms.days);
        expect(d.rebateBps).toBe(terms.rebateBps);
        expect(d.rebate).toEqual({
          amount: Number(roundHalfUp(mul(frac(d.total.amount), frac(terms.rebateBps, 10_000)))),
          currency: o.unitCost.currency,
        });
        expect(d.paymentDueDate).toBe(addDays(today, terms.days));
        expect(d.purchasedThisYear).toEqual(purchased);
        const threshold = i.policy.approvalThreshold;
        expect(d.approvalRequired).toBe(
          d.total.currency !== threshold.currency || d.total.amount > threshold.amount,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('property: the same inputs give the same decision, whatever the order of the supply options', () => {
    fc.assert(
      fc.property(restockInputs, (i) => {
        const d = decideRestock(i);
        expect(decideRestock({ ...i })).toEqual(d);
        expect(decideRestock({ ...i, supply: [...i.supply].reverse() })).toEqual(d);
      }),
      { numRuns: 200 },
    );
  });
});

describe('decideRestock: money, terms and approval', () => {
  /** Sells nothing and is oversold by one: the order is exactly max(1, MOQ) units. */
  const buy = (quantity: number, overrides: Partial<RestockInputs> = {}, unitCost = cny(1_000)) =>
    inputs({
      sales30d: 0,
      onHand: -1,
      supply: [option('S1', { minOrderQty: quantity, unitCost })],
      ...overrides,
    });

  it('total = quantity × unit cost; approval only above the threshold (50,000 CNY by default)', () => {
    const at = ordered(decideRestock(buy(5_000)));
    expect(at.total).toEqual(cny(5_000_000));
    expect(at.approvalRequired).toBe(false);
    const above = ordered(decideRestock(buy(5_001)));
    expect(above.total).toEqual(cny(5_001_000));
    expect(above.approvalRequired).toBe(true);
    const fen = ordered(decideRestock(buy(1, {}, cny(5_000_001))));
    expect(fen.approvalRequired).toBe(true);
    expect(ordered(decideRestock(buy(1, {}, cny(5_000_000)))).approvalRequired).toBe(false);
  });

  it('a total in another currency than the threshold always waits for approval', () => {
    const usd = { amount: 1, currency: 'USD' };
    const d = ordered(
      decideRestock(buy(1, { suppliers: suppliersOf(supplier('S1', 'core', { currency: 'USD' })) }, usd)),
    );
    expect(d.total).toEqual(usd);
    expect(d.approvalRequired).toBe(true);
  });

  it('the volume rebate (2%) rounds half-up to the fen and is in the order currency', () => {
    const volume = { purchasedThisYear: () => cny(500_000_001) };
    const rebate = (quantity: number, unitCost: number) =>
      ordered(decideRestock(buy(quantity, volume, cny(unitCost)))).rebate;
    expect(rebate(1, 25)).toEqual(cny(1)); // 0.5 → 1
    expect(rebate(1, 24)).toEqual(cny(0)); // 0.48 → 0
    expect(rebate(1, 75)).toEqual(cny(2)); // 1.5 → 2
    expect(rebate(3, 1_000)).toEqual(cny(60));
    expect(rebate(168, 1_234_567)).toEqual(cny(4_148_145)); // 207 407 256 × 2% = 4 148 145.12
    const none = ordered(decideRestock(buy(3)));
    expect(none.rebateBps).toBe(0);
    expect(none.rebate).toEqual(cny(0));
  });

  it('the payment due date is the store date plus the terms (2026-11-30T17:00Z is 1 December in Shanghai)', () => {
    const at = new Date('2026-11-30T17:00:00Z');
    const due = (tier: SupplierTerms['tier'], purchased = 0) =>
      ordered(
        decideRestock(
          buy(1, {
            at,
            suppliers: suppliersOf(supplier('S1', tier)),
            purchasedThisYear: () => cny(purchased),
          }),
        ),
      );
    expect(due('core').paymentDueDate).toBe('2027-01-30');
    expect(due('normal').paymentDueDate).toBe('2026-12-31');
    expect(due('normal', 500_000_001)).toMatchObject({ paymentTermsDays: 45, paymentDueDate: '2027-01-15' });
    expect(due('strategic')).toMatchObject({ paymentTermsDays: 60, paymentDueDate: '2027-01-30' });
    // the same instant in New York is still 30 November
    const ny = ordered(decideRestock(buy(1, { at, policy: policy({ timeZone: 'America/New_York' }) })));
    expect(ny.paymentDueDate).toBe('2027-01-29');
  });
});
