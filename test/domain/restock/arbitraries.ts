import fc from 'fast-check';
import { DEFAULT_POLICY, type PromotionUplift, type VersionedPolicy } from '#domain/restock/policy';
import {
  type RestockInputs,
  SUPPLIER_TIERS,
  type SupplierTerms,
  type SupplierTier,
  type SupplyOption,
} from '#domain/restock/rules';
import { addDays } from '#domain/shared/calendar';
import type { Money } from '#domain/shared/money';

/** 02:00 on 2026-11-25 in Asia/Shanghai (the nightly sweep). */
export const AT = new Date('2026-11-24T18:00:00.000Z');
export const TODAY = '2026-11-25';

export const cny = (amount: number): Money => ({ amount, currency: 'CNY' });

export const policy = (overrides: Partial<VersionedPolicy> = {}): VersionedPolicy => ({
  ...DEFAULT_POLICY,
  ...overrides,
});

export const supplier = (
  supplierId: string,
  tier: SupplierTier = 'core',
  overrides: Partial<SupplierTerms> = {},
): SupplierTerms => ({
  supplierId,
  name: `Supplier ${supplierId}`,
  tier,
  leadTimeDays: 10,
  currency: 'CNY',
  ...overrides,
});

export const option = (supplierId: string, overrides: Partial<SupplyOption> = {}): SupplyOption => ({
  supplierId,
  unitCost: cny(1_000),
  casePack: 1,
  minOrderQty: 0,
  ...overrides,
});

export const suppliersOf = (...list: SupplierTerms[]): Map<string, SupplierTerms> =>
  new Map(list.map((s) => [s.supplierId, s]));

/** One core supplier (lead time 10 days) and a SKU with 300 units sold in 30 days, nothing in stock. */
export const inputs = (overrides: Partial<RestockInputs> = {}): RestockInputs => ({
  sku: 'SKU-1',
  category: 'toys',
  onHand: 0,
  inbound: 0,
  sales30d: 300,
  topTen: false,
  supply: [option('S1')],
  suppliers: suppliersOf(supplier('S1')),
  purchasedThisYear: () => cny(0),
  policy: policy(),
  at: AT,
  ...overrides,
});

// --- an exact rational reference, independent of the domain's arithmetic ---------------------

/** A non-normalised fraction n/d with d > 0. */
export interface Fraction {
  readonly n: bigint;
  readonly d: bigint;
}
export const frac = (n: bigint | number, d: bigint | number = 1n): Fraction => ({
  n: BigInt(n),
  d: BigInt(d),
});
export const mul = (a: Fraction, b: Fraction): Fraction => frac(a.n * b.n, a.d * b.d);
export const addF = (a: Fraction, b: Fraction): Fraction => frac(a.n * b.d + b.n * a.d, a.d * b.d);
export const subF = (a: Fraction, b: Fraction): Fraction => frac(a.n * b.d - b.n * a.d, a.d * b.d);
/** a < b */
export const lt = (a: Fraction, b: Fraction): boolean => a.n * b.d < b.n * a.d;
/** ⌈a⌉ */
export const ceilF = (a: Fraction): bigint => {
  const q = a.n / a.d; // truncates toward zero
  return a.n % a.d === 0n || a.n < 0n ? q : q + 1n;
};
/** ⌊a + ½⌋: half-up (for non-negative a). */
export const roundHalfUp = (a: Fraction): bigint => {
  const twice = frac(2n * a.n + a.d, 2n * a.d);
  return twice.n / twice.d;
};
/** A decimal string such as "1.1" as an exact fraction (11/10). */
export const decimal = (s: string): Fraction => {
  const [whole = '0', fraction = ''] = s.split('.');
  return frac(BigInt(whole + fraction), 10n ** BigInt(fraction.length));
};
/** Basis points of 1 as a fraction: 11 000 → 11/10. */
export const bps = (value: number): Fraction => frac(value, 10_000);
/** A fraction as the receipt shows it: half-up to `places` decimals. */
export const shown = (a: Fraction, places: number): number =>
  Number(roundHalfUp(mul(a, frac(10n ** BigInt(places))))) / 10 ** places;

/** The rule of SPEC §3 computed on exact fractions: forecast, safety stock, reorder point, gap. */
export function reference(args: {
  sales30d: number;
  seasonal: Fraction;
  uplift: Fraction;
  safetyDays: number;
  leadTimeDays: number;
  coverageDays: number;
  position: number;
}) {
  const forecast = mul(mul(frac(args.sales30d, 30), args.seasonal), args.uplift);
  const safetyStock = mul(forecast, frac(args.safetyDays));
  const reorderPoint = addF(mul(forecast, frac(args.leadTimeDays)), safetyStock);
  const target = addF(mul(forecast, frac(args.leadTimeDays + args.coverageDays)), safetyStock);
  const position = frac(args.position);
  return {
    forecast,
    safetyStock,
    reorderPoint,
    target,
    needsRestock: lt(position, reorderPoint),
    gap: ceilF(subF(target, position)),
  };
}

/** The smallest multiple of the case pack that is at least the need, the MOQ and 1. */
export function referenceQuantity(need: number, casePack: number, minOrderQty: number): number {
  const at = Math.max(need, minOrderQty, 1);
  const short = at % casePack;
  return short === 0 ? at : at + casePack - short;
}

// --- generators ---------------------------------------------------------------------------------

/** An instant in 2026–2027. */
export const instant = fc
  .integer({ min: Date.parse('2026-01-01T00:00:00Z'), max: Date.parse('2027-12-31T23:59:59Z') })
  .map((ms) => new Date(ms));

export const tier = fc.constantFrom<SupplierTier>(...SUPPLIER_TIERS);

/** A supply option and its supplier, in CNY (or another currency when `currencies` says so). */
export const supplyPair = (id: string, currencies: readonly string[] = ['CNY']) =>
  fc
    .record({
      tier,
      supplierLead: fc.integer({ min: 0, max: 120 }),
      skuLead: fc.option(fc.integer({ min: 0, max: 120 }), { nil: undefined }),
      currency: fc.constantFrom(...currencies),
      cost: fc.integer({ min: 1, max: 1_000_000 }),
      casePack: fc.integer({ min: 1, max: 500 }),
      minOrderQty: fc.integer({ min: 0, max: 5_000 }),
      strategicTerms: fc.option(fc.integer({ min: 0, max: 365 }), { nil: undefined }),
    })
    .map((g) => ({
      supplier: supplier(id, g.tier, {
        leadTimeDays: g.supplierLead,
        currency: g.currency,
        ...(g.tier === 'strategic' && g.strategicTerms !== undefined
          ? { paymentTermsDays: g.strategicTerms }
          : {}),
      }),
      option: option(id, {
        unitCost: { amount: g.cost, currency: g.currency },
        casePack: g.casePack,
        minOrderQty: g.minOrderQty,
        ...(g.skuLead !== undefined ? { leadTimeDays: g.skuLead } : {}),
      }),
    }));

const month = fc.integer({ min: 1, max: 12 });
const factorBps = fc.integer({ min: 0, max: 40_000 });

/** Promotions around the decision's date, for the SKU, its category or something else. */
export const promotions = (sku: string, category: string) =>
  fc.array(
    fc
      .record({
        target: fc.constantFrom<Partial<PromotionUplift>>(
          { sku },
          { category },
          { sku: 'OTHER-SKU' },
          { category: 'other-category' },
        ),
        start: fc.integer({ min: -30, max: 150 }),
        length: fc.integer({ min: 0, max: 30 }),
        factorBps,
      })
      .map(
        (g): PromotionUplift => ({
          ...g.target,
          from: addDays(TODAY, g.start),
          to: addDays(TODAY, g.start + g.length),
          factorBps: g.factorBps,
        }),
      ),
    { maxLength: 4 },
  );

/** A policy with any safety days, coverage, seasonal factors and promotions. */
export const policyArb = (sku: string, category: string) =>
  fc
    .record({
      safetyDaysTopTen: fc.integer({ min: 0, max: 30 }),
      safetyDaysDefault: fc.integer({ min: 0, max: 30 }),
      coverageDays: fc.integer({ min: 0, max: 60 }),
      approvalThreshold: fc.integer({ min: 0, max: 10_000_000 }),
      seasonal: fc.array(fc.tuple(fc.constantFrom(category, 'other-category'), month, factorBps), {
        maxLength: 6,
      }),
      promotions: promotions(sku, category),
      timeZone: fc.constantFrom('Asia/Shanghai', 'America/New_York', 'UTC'),
      version: fc.integer({ min: 0, max: 100 }),
    })
    .map((g) => {
      const seasonalFactors: Record<string, Record<string, number>> = {};
      for (const [c, m, f] of g.seasonal) seasonalFactors[c] = { ...seasonalFactors[c], [String(m)]: f };
      return policy({
        safetyDaysTopTen: g.safetyDaysTopTen,
        safetyDaysDefault: g.safetyDaysDefault,
        coverageDays: g.coverageDays,
        approvalThreshold: cny(g.approvalThreshold),
        seasonalFactors,
        promotionUplift: g.promotions,
        timeZone: g.timeZone,
        version: g.version,
      });
    });

/** Inputs of a decision: one to three supply options of CNY suppliers, any stock, sales and policy. */
export const restockInputs = fc
  .record({
    pairs: fc.tuple(supplyPair('S1'), fc.option(supplyPair('S2')), fc.option(supplyPair('S3'))),
    onHand: fc.integer({ min: -100, max: 50_000 }),
    inbound: fc.integer({ min: 0, max: 50_000 }),
    sales30d: fc.integer({ min: 0, max: 100_000 }),
    topTen: fc.boolean(),
    policy: policyArb('SKU-1', 'toys'),
    at: instant,
    purchased: fc.integer({ min: 0, max: 1_000_000_000 }),
  })
  .map((g): RestockInputs => {
    const pairs = g.pairs.filter((p) => p !== null);
    return {
      sku: 'SKU-1',
      category: 'toys',
      onHand: g.onHand,
      inbound: g.inbound,
      sales30d: g.sales30d,
      topTen: g.topTen,
      supply: pairs.map((p) => p.option),
      suppliers: suppliersOf(...pairs.map((p) => p.supplier)),
      purchasedThisYear: (id) => ({
        amount: g.purchased,
        currency: pairs.find((p) => p.supplier.supplierId === id)?.supplier.currency ?? 'CNY',
      }),
      policy: g.policy,
      at: g.at,
    };
  });
