import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { DEFAULT_POLICY } from '#domain/restock/policy';
import {
  chooseSupplier,
  paymentTerms,
  SUPPLIER_TIERS,
  type SupplierTerms,
  type SupplierTier,
  type SupplyOption,
} from '#domain/restock/rules';
import type { Money } from '#domain/shared/money';
import { cny, option, supplier, suppliersOf, tier } from './arbitraries.ts';

const RANK: Record<SupplierTier, number> = { strategic: 0, core: 1, normal: 2 };
const choose = (supply: SupplyOption[], suppliers: SupplierTerms[]) =>
  chooseSupplier(supply, suppliersOf(...suppliers))?.option.supplierId;

describe('chooseSupplier (SPEC §3: strategic first, then core, then normal; ties by unit cost)', () => {
  it('strategic beats core beats normal, whatever the costs', () => {
    const suppliers = [supplier('N', 'normal'), supplier('C', 'core'), supplier('S', 'strategic')];
    const supply = [
      option('N', { unitCost: cny(1) }),
      option('C', { unitCost: cny(100) }),
      option('S', { unitCost: cny(1_000_000) }),
    ];
    expect(choose(supply, suppliers)).toBe('S');
    expect(choose(supply.slice(0, 2), suppliers)).toBe('C');
    expect(choose(supply.slice(0, 1), suppliers)).toBe('N');
  });

  it('within a tier the lowest unit cost wins, then the smallest supplier id', () => {
    const suppliers = [supplier('A', 'core'), supplier('B', 'core'), supplier('C', 'core')];
    expect(
      choose(
        [
          option('A', { unitCost: cny(120) }),
          option('B', { unitCost: cny(99) }),
          option('C', { unitCost: cny(100) }),
        ],
        suppliers,
      ),
    ).toBe('B');
    expect(
      choose(
        [
          option('C', { unitCost: cny(99) }),
          option('B', { unitCost: cny(99) }),
          option('A', { unitCost: cny(100) }),
        ],
        suppliers,
      ),
    ).toBe('B');
  });

  it('skips options whose supplier is unknown; none known → undefined', () => {
    const suppliers = [supplier('KNOWN', 'normal')];
    expect(
      choose(
        [option('GONE', { unitCost: cny(1) }), option('KNOWN', { unitCost: cny(500) })],
        [...suppliers, supplier('OTHER', 'strategic')],
      ),
    ).toBe('KNOWN');
    expect(choose([option('GONE'), option('LOST')], suppliers)).toBeUndefined();
    expect(choose([], suppliers)).toBeUndefined();
  });

  it('costs in different currencies are not compared: the supplier id decides, whatever the order', () => {
    // A and C are both in CNY (C is cheaper); B is in USD. Within CNY C beats A; between the
    // currencies the id decides: B before C. Every order of the options gives B.
    const suppliers = [
      supplier('A', 'core'),
      supplier('B', 'core', { currency: 'USD' }),
      supplier('C', 'core'),
    ];
    const a = option('A', { unitCost: cny(200) });
    const b = option('B', { unitCost: { amount: 50, currency: 'USD' } });
    const c = option('C', { unitCost: cny(100) });
    for (const supply of [
      [a, b, c],
      [a, c, b],
      [b, a, c],
      [b, c, a],
      [c, a, b],
      [c, b, a],
    ]) {
      expect(choose(supply, suppliers)).toBe('B');
    }
    // without B, C wins on cost
    expect(choose([a, c], suppliers)).toBe('C');
  });

  it('the id tie-break does not depend on the locale: canonically equivalent ids still have one order', () => {
    // "é" precomposed (U+00E9) and decomposed (e + U+0301) collate as equal in a locale comparison.
    const composed = 'SUP-\u00e9';
    const decomposed = 'SUP-e\u0301';
    const suppliers = [supplier(composed, 'core'), supplier(decomposed, 'core')];
    const supply = [option(composed), option(decomposed)];
    expect(choose(supply, suppliers)).toBe(choose([...supply].reverse(), suppliers));
    expect(choose(supply, suppliers)).toBe(decomposed); // "e" (U+0065) < "é" (U+00E9)
  });

  /** Up to six options of known and unknown suppliers, in two currencies, with many equal costs. */
  const marketOf = (tiers: fc.Arbitrary<SupplierTier>) =>
    fc
      .uniqueArray(
        fc.record({
          id: fc.constantFrom('s-a', 's-b', 's-c', 's-d', 's-e', 's-f', 'gone-1', 'gone-2'),
          tier: tiers,
          currency: fc.constantFrom('CNY', 'USD'),
          cost: fc.integer({ min: 1, max: 5 }),
        }),
        { selector: (g) => g.id, minLength: 0, maxLength: 6 },
      )
      .map((list) => ({
        supply: list.map((g) => option(g.id, { unitCost: { amount: g.cost, currency: g.currency } })),
        suppliers: list
          .filter((g) => !g.id.startsWith('gone'))
          .map((g) => supplier(g.id, g.tier, { currency: g.currency })),
      }));
  const market = marketOf(tier);
  /** One tier: where the unit costs and the ids decide. */
  const oneTier = marketOf(fc.constant('core'));

  it('property: the best tier wins; within it no same-currency option is cheaper, then the smallest id', () => {
    fc.assert(
      fc.property(fc.oneof(market, oneTier), ({ supply, suppliers }) => {
        const known = new Map(suppliers.map((s) => [s.supplierId, s]));
        const candidates = supply.filter((o) => known.has(o.supplierId));
        const winner = chooseSupplier(supply, known);
        if (candidates.length === 0) {
          expect(winner).toBeUndefined();
          return;
        }
        if (!winner) throw new Error('expected a supplier');
        expect(winner.supplier).toBe(known.get(winner.option.supplierId));
        const bestRank = Math.min(...candidates.map((o) => RANK[known.get(o.supplierId)!.tier]));
        expect(RANK[winner.supplier.tier]).toBe(bestRank);
        const tierOptions = candidates.filter((o) => RANK[known.get(o.supplierId)!.tier] === bestRank);
        const cost = winner.option.unitCost;
        for (const o of tierOptions) {
          if (o.unitCost.currency !== cost.currency) continue;
          expect(o.unitCost.amount).toBeGreaterThanOrEqual(cost.amount);
          if (o.unitCost.amount === cost.amount) expect(o.supplierId >= winner.option.supplierId).toBe(true);
        }
        // every currency's cheapest option of the tier that is not the winner has a larger id
        for (const o of tierOptions) {
          const cheapestOfItsCurrency = !tierOptions.some(
            (x) =>
              x.unitCost.currency === o.unitCost.currency &&
              (x.unitCost.amount < o.unitCost.amount ||
                (x.unitCost.amount === o.unitCost.amount && x.supplierId < o.supplierId)),
          );
          if (cheapestOfItsCurrency) expect(o.supplierId >= winner.option.supplierId).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: in one currency, the winner is the first by (tier, unit cost, id)', () => {
    fc.assert(
      fc.property(market, ({ supply, suppliers }) => {
        const cnySupply = supply.map((o) => ({ ...o, unitCost: cny(o.unitCost.amount) }));
        const known = new Map(suppliers.map((s) => [s.supplierId, { ...s, currency: 'CNY' }]));
        const [first] = cnySupply
          .filter((o) => known.has(o.supplierId))
          .sort(
            (x, y) =>
              RANK[known.get(x.supplierId)!.tier] - RANK[known.get(y.supplierId)!.tier] ||
              x.unitCost.amount - y.unitCost.amount ||
              (x.supplierId < y.supplierId ? -1 : 1),
          );
        expect(chooseSupplier(cnySupply, known)?.option).toBe(first);
      }),
      { numRuns: 300 },
    );
  });

  it('property: the choice does not depend on the order of the options', () => {
    fc.assert(
      fc.property(
        fc
          .oneof(market, oneTier)
          .chain((m) =>
            fc.tuple(fc.constant(m), fc.shuffledSubarray(m.supply, { minLength: m.supply.length })),
          ),
        ([{ supply, suppliers }, shuffled]) => {
          const known = suppliersOf(...suppliers);
          expect(chooseSupplier(shuffled, known)?.option.supplierId).toBe(
            chooseSupplier(supply, known)?.option.supplierId,
          );
        },
      ),
      { numRuns: 1000 },
    );
  });
});

describe('paymentTerms (SPEC §3: core 60, normal 30, strategic as configured; above 5,000,000 CNY 45 days and 2%)', () => {
  const THRESHOLD = DEFAULT_POLICY.volumeThreshold.amount; // 500 000 000 fen = 5 000 000 CNY
  const terms = (s: SupplierTerms, purchased: Money = cny(0)) => paymentTerms(s, purchased, DEFAULT_POLICY);

  it('uses SPEC §3 defaults', () => {
    expect(DEFAULT_POLICY).toMatchObject({
      volumeThreshold: cny(500_000_000),
      volumeTermsDays: 45,
      volumeRebateBps: 200,
      strategicTermsDays: 60,
    });
  });

  it('by tier below the volume threshold: core 60, normal 30, strategic configured else the default', () => {
    expect(terms(supplier('C', 'core'))).toEqual({ paymentTermsDays: 60, rebateBps: 0, volume: false });
    expect(terms(supplier('N', 'normal'))).toEqual({ paymentTermsDays: 30, rebateBps: 0, volume: false });
    expect(terms(supplier('S', 'strategic', { paymentTermsDays: 90 }))).toEqual({
      paymentTermsDays: 90,
      rebateBps: 0,
      volume: false,
    });
    expect(terms(supplier('S', 'strategic', { paymentTermsDays: 0 })).paymentTermsDays).toBe(0);
    expect(terms(supplier('S', 'strategic')).paymentTermsDays).toBe(60);
    expect(
      paymentTerms(supplier('S', 'strategic'), cny(0), { ...DEFAULT_POLICY, strategicTermsDays: 75 }),
    ).toEqual({ paymentTermsDays: 75, rebateBps: 0, volume: false });
  });

  it('strictly above the volume threshold: normal gets 45 days instead of 30; every tier gets the 2% rebate', () => {
    const above = cny(THRESHOLD + 1);
    expect(terms(supplier('N', 'normal'), above)).toEqual({
      paymentTermsDays: 45,
      rebateBps: 200,
      volume: true,
    });
    expect(terms(supplier('C', 'core'), above)).toEqual({
      paymentTermsDays: 60,
      rebateBps: 200,
      volume: true,
    });
    expect(terms(supplier('S', 'strategic', { paymentTermsDays: 90 }), above)).toEqual({
      paymentTermsDays: 90,
      rebateBps: 200,
      volume: true,
    });
  });

  it('exactly at the threshold there are no volume terms', () => {
    expect(terms(supplier('N', 'normal'), cny(THRESHOLD))).toEqual({
      paymentTermsDays: 30,
      rebateBps: 0,
      volume: false,
    });
  });

  it("purchases in another currency than the threshold's never count", () => {
    const usd = { amount: 10 * THRESHOLD, currency: 'USD' };
    expect(terms(supplier('N', 'normal', { currency: 'USD' }), usd)).toEqual({
      paymentTermsDays: 30,
      rebateBps: 0,
      volume: false,
    });
  });

  it("follows the policy's volume threshold, terms and rebate", () => {
    const p = { ...DEFAULT_POLICY, volumeThreshold: cny(1_000), volumeTermsDays: 50, volumeRebateBps: 125 };
    expect(paymentTerms(supplier('N', 'normal'), cny(1_001), p)).toEqual({
      paymentTermsDays: 50,
      rebateBps: 125,
      volume: true,
    });
    expect(paymentTerms(supplier('N', 'normal'), cny(1_000), p).volume).toBe(false);
  });

  it('property: terms by tier, volume iff strictly above the threshold in its currency', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...SUPPLIER_TIERS),
        fc.option(fc.integer({ min: 0, max: 365 }), { nil: undefined }),
        fc.oneof(fc.integer({ min: THRESHOLD - 2, max: THRESHOLD + 2 }), fc.nat(2 * THRESHOLD)),
        fc.constantFrom('CNY', 'USD'),
        (t, configured, amount, currency) => {
          const s = supplier(
            'X',
            t,
            t === 'strategic' && configured !== undefined ? { paymentTermsDays: configured } : {},
          );
          const r = paymentTerms(s, { amount, currency }, DEFAULT_POLICY);
          const volume = currency === 'CNY' && amount > THRESHOLD;
          expect(r.volume).toBe(volume);
          expect(r.rebateBps).toBe(volume ? 200 : 0);
          const base = t === 'core' ? 60 : t === 'normal' ? 30 : (configured ?? 60);
          if (t === 'normal') expect(r.paymentTermsDays).toBe(volume ? 45 : 30);
          if (t === 'core') expect(r.paymentTermsDays).toBe(60);
          // SPEC §3 reads "45-day terms instead of 30": a strategic supplier on 30 days moves to 45 too
          if (t === 'strategic') expect(r.paymentTermsDays).toBe(volume && base === 30 ? 45 : base);
        },
      ),
      { numRuns: 500 },
    );
  });
});
