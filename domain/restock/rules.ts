import { addDays, localDate, localMonth } from '../shared/calendar.ts';
import type { Money } from '../shared/money.ts';
import type { FactorBps, PromotionUplift, VersionedPolicy } from './policy.ts';

/**
 * The restock rules (SPEC §3, docs/rules/restock.md) as pure functions. Demand is exact: a factor
 * is basis points, and every comparison is made on integers (BigInt), so the same inputs always
 * give the same purchase order, whatever the platform's floats would have done. The decision keeps
 * every input and number it used (the receipt).
 */

/** The version of these rules, recorded in every decision. */
export const RESTOCK_RULES_VERSION = 'restock/1';
/** The sales window of the forecast. */
export const SALES_WINDOW_DAYS = 30;

export const SUPPLIER_TIERS = ['strategic', 'core', 'normal'] as const;
export type SupplierTier = (typeof SUPPLIER_TIERS)[number];

export interface SupplierTerms {
  readonly supplierId: string;
  readonly name: string;
  readonly tier: SupplierTier;
  readonly leadTimeDays: number;
  readonly currency: string;
  /** Strategic suppliers may set their own terms. */
  readonly paymentTermsDays?: number | undefined;
}

export interface SupplyOption {
  readonly supplierId: string;
  readonly unitCost: Money;
  readonly casePack: number;
  readonly minOrderQty: number;
  /** Overrides the supplier's lead time for this SKU. */
  readonly leadTimeDays?: number | undefined;
}

// --- exact arithmetic ---------------------------------------------------------------------------

const ONE = 10_000n;
/** Units per day as the fraction sales30d × seasonal × uplift / (30 × 10⁸). */
interface Demand {
  readonly num: bigint;
  readonly den: bigint;
}

function demandPerDay(sales30d: number, seasonalBps: FactorBps, upliftBps: FactorBps): Demand {
  return {
    num: BigInt(sales30d) * BigInt(seasonalBps) * BigInt(upliftBps),
    den: BigInt(SALES_WINDOW_DAYS) * ONE * ONE,
  };
}

/** ⌈a / b⌉ for b > 0. */
function ceilDiv(a: bigint, b: bigint): bigint {
  return a >= 0n ? (a + b - 1n) / b : -(-a / b);
}

/** A fraction as a number rounded half-up to `places` decimals (for the receipt only). */
function display(num: bigint, den: bigint, places = 3): number {
  const scale = 10n ** BigInt(places);
  const negative = num < 0n;
  const abs = negative ? -num : num;
  const rounded = (abs * scale * 2n + den) / (den * 2n);
  return Number(negative ? -rounded : rounded) / Number(scale);
}

// --- the rules ----------------------------------------------------------------------------------

/** Forecast per day = 30-day average × the category's seasonal factor × promotion uplift. */
export function forecastPerDay(sales30d: number, seasonalBps: FactorBps, upliftBps: FactorBps): number {
  const d = demandPerDay(sales30d, seasonalBps, upliftBps);
  return display(d.num, d.den, 4);
}

/** The seasonal factor of a category in a month (1.0 when the policy sets none). */
export function seasonalFactor(policy: VersionedPolicy, category: string, month: number): FactorBps {
  return policy.seasonalFactors[category]?.[String(month)] ?? Number(ONE);
}

/**
 * The uplift of the promotions planned inside the horizon [from, to] (store dates) for the SKU or
 * its category: the largest factor of those that overlap it (promotions do not compound), 1.0 when
 * none does. A factor below 1.0 that applies is used as is, as the receipt lists it.
 */
export function promotionUplift(
  promotions: readonly PromotionUplift[],
  sku: string,
  category: string,
  horizon: { readonly from: string; readonly to: string },
): { readonly upliftBps: FactorBps; readonly applied: PromotionUplift[] } {
  const applied = promotions.filter(
    (p) =>
      (p.sku === sku || (p.sku === undefined && p.category === category)) &&
      p.from <= horizon.to &&
      p.to >= horizon.from,
  );
  const upliftBps = applied.reduce((max, p) => Math.max(max, p.factorBps), 0);
  return { upliftBps: applied.length ? upliftBps : Number(ONE), applied };
}

/** Round a quantity up to the supplier's case pack, and to at least its minimum order. */
export function roundToSupplier(need: number, casePack: number, minOrderQty: number): number {
  const wanted = Math.max(need, minOrderQty, 1);
  return Math.ceil(wanted / casePack) * casePack;
}

const TIER_RANK: Record<SupplierTier, number> = { strategic: 0, core: 1, normal: 2 };

/** Supplier ids in code-unit order: the same on every runtime, whatever its locale. */
const byId = (a: SupplyOption, b: SupplyOption) =>
  a.supplierId < b.supplierId ? -1 : a.supplierId > b.supplierId ? 1 : 0;

/**
 * The supplier to order from: strategic first, then core, then normal; within a tier the lowest
 * unit cost (compared within one currency), then the supplier id. Costs in different currencies
 * are not compared: each currency's cheapest option of the tier is a finalist, and the smallest
 * supplier id among the finalists wins — whatever the order of the options. Options whose supplier
 * is unknown are skipped.
 */
export function chooseSupplier(
  supply: readonly SupplyOption[],
  suppliers: ReadonlyMap<string, SupplierTerms>,
): { readonly option: SupplyOption; readonly supplier: SupplierTerms } | undefined {
  const candidates = supply
    .map((option) => ({ option, supplier: suppliers.get(option.supplierId) }))
    .filter((c): c is { option: SupplyOption; supplier: SupplierTerms } => c.supplier !== undefined);
  const best = Math.min(...candidates.map((c) => TIER_RANK[c.supplier.tier]));
  const tier = candidates.filter((c) => TIER_RANK[c.supplier.tier] === best);
  // (One comparator mixing "cost within a currency" and "id across currencies" is not a total
  // order: with three options the sort's result depended on their order.)
  const finalists = tier.filter(
    (c) =>
      !tier.some(
        (o) =>
          o.option.unitCost.currency === c.option.unitCost.currency &&
          (o.option.unitCost.amount < c.option.unitCost.amount ||
            (o.option.unitCost.amount === c.option.unitCost.amount && byId(o.option, c.option) < 0)),
      ),
  );
  return finalists.sort((a, b) => byId(a.option, b.option))[0];
}

/**
 * Payment terms and rebate: core 60 days, normal 30, strategic as configured (else the policy's
 * default); a supplier whose purchases this year exceed the volume threshold gets the volume terms
 * instead of 30 days and the volume rebate on the purchase order (SPEC §3: above 5,000,000 CNY,
 * 45 days and 2%). Purchases in another currency than the threshold's do not count toward it.
 */
export function paymentTerms(
  supplier: SupplierTerms,
  purchasedThisYear: Money,
  policy: Pick<
    VersionedPolicy,
    'volumeThreshold' | 'volumeTermsDays' | 'volumeRebateBps' | 'strategicTermsDays'
  >,
): { readonly paymentTermsDays: number; readonly rebateBps: number; readonly volume: boolean } {
  const base =
    supplier.tier === 'core'
      ? 60
      : supplier.tier === 'normal'
        ? 30
        : (supplier.paymentTermsDays ?? policy.strategicTermsDays);
  const volume =
    purchasedThisYear.currency === policy.volumeThreshold.currency &&
    purchasedThisYear.amount > policy.volumeThreshold.amount;
  return {
    paymentTermsDays: volume && base === 30 ? policy.volumeTermsDays : base,
    rebateBps: volume ? policy.volumeRebateBps : 0,
    volume,
  };
}

export interface RestockInputs {
  readonly sku: string;
  readonly category: string;
  readonly onHand: number;
  /** Units on open purchase orders not yet received. */
  readonly inbound: number;
  /** Units sold in the last 30 days (net of refunds and cancellations). */
  readonly sales30d: number;
  /** Among the 10 SKUs with the most units sold in 30 days (the last ranking). */
  readonly topTen: boolean;
  readonly supply: readonly SupplyOption[];
  readonly suppliers: ReadonlyMap<string, SupplierTerms>;
  /** What each supplier was bought for this (store) year. */
  readonly purchasedThisYear: (supplierId: string) => Money;
  readonly policy: VersionedPolicy;
  /** When the decision is made. */
  readonly at: Date;
}

/** Every number a decision used, as the API shows it (the receipt). */
export interface RestockNumbers {
  readonly sales30d: number;
  readonly windowDays: number;
  readonly seasonalFactor: number;
  readonly month: number;
  readonly promotionUplift: number;
  readonly promotions: Array<{ sku?: string; category?: string; from: string; to: string; factor: number }>;
  readonly forecastPerDay: number;
  readonly topTen: boolean;
  readonly safetyDays: number;
  readonly safetyStock: number;
  readonly leadTimeDays: number;
  readonly leadTimeFrom: 'sku' | 'supplier';
  readonly reorderPoint: number;
  readonly onHand: number;
  readonly inbound: number;
  readonly position: number;
  readonly coverageDays: number;
  /** Demand over lead time + coverage, plus safety stock. */
  readonly target: number;
  /** ⌈target − (on hand + inbound)⌉. */
  readonly gap: number;
  readonly casePack: number;
  readonly minOrderQty: number;
  readonly quantity: number;
}

export type RestockDecision =
  | {
      readonly outcome: 'order';
      readonly supplier: SupplierTerms;
      readonly option: SupplyOption;
      readonly quantity: number;
      readonly total: Money;
      readonly paymentTermsDays: number;
      readonly paymentDueDate: string;
      readonly rebateBps: number;
      /** The supplier's purchases this year are above the volume threshold (volume terms apply). */
      readonly volumeTerms: boolean;
      readonly rebate: Money;
      readonly purchasedThisYear: Money;
      readonly approvalRequired: boolean;
      readonly numbers: RestockNumbers;
    }
  | { readonly outcome: 'enough'; readonly supplier: SupplierTerms; readonly numbers: RestockNumbers }
  | { readonly outcome: 'no-supplier'; readonly reason: string };

/**
 * The restock decision for one SKU now:
 * - forecast/day = sales30d / 30 × seasonal(category, month) × uplift(promotions in the horizon);
 * - safety stock = forecast × safety days (top ten: 7, else 3);
 * - reorder point = forecast × lead time + safety stock;
 * - restock when on hand + inbound < reorder point, ordering ⌈forecast × (lead time + coverage) +
 *   safety stock − (on hand + inbound)⌉ rounded up to the case pack and at least the minimum order,
 *   from the best supplier ({@link chooseSupplier});
 * - payment terms and rebate ({@link paymentTerms}); approval above the policy's threshold (or
 *   when the total is in another currency than the threshold's).
 */
export function decideRestock(inputs: RestockInputs): RestockDecision {
  const chosen = chooseSupplier(inputs.supply, inputs.suppliers);
  if (!chosen) {
    return {
      outcome: 'no-supplier',
      reason: inputs.supply.length
        ? `none of the SKU's suppliers (${inputs.supply.map((s) => s.supplierId).join(', ')}) is known`
        : 'the SKU has no supplier',
    };
  }
  const { option, supplier } = chosen;
  const { policy, at } = inputs;
  const today = localDate(at, policy.timeZone);
  const month = localMonth(at, policy.timeZone);
  const leadTimeDays = option.leadTimeDays ?? supplier.leadTimeDays;
  const safetyDays = inputs.topTen ? policy.safetyDaysTopTen : policy.safetyDaysDefault;
  const seasonalBps = seasonalFactor(policy, inputs.category, month);
  const uplift = promotionUplift(policy.promotionUplift, inputs.sku, inputs.category, {
    from: today,
    to: addDays(today, leadTimeDays + policy.coverageDays),
  });
  const d = demandPerDay(inputs.sales30d, seasonalBps, uplift.upliftBps);
  const position = BigInt(inputs.onHand + inputs.inbound);
  const over = (days: number) => d.num * BigInt(days);
  const reorderPointNum = over(leadTimeDays + safetyDays);
  const targetNum = over(leadTimeDays + policy.coverageDays + safetyDays);
  const gap = ceilDiv(targetNum - position * d.den, d.den);
  const needsRestock = position * d.den < reorderPointNum;
  const quantity = needsRestock ? roundToSupplier(Number(gap), option.casePack, option.minOrderQty) : 0;
  const numbers: RestockNumbers = {
    sales30d: inputs.sales30d,
    windowDays: SALES_WINDOW_DAYS,
    seasonalFactor: seasonalBps / 10_000,
    month,
    promotionUplift: uplift.upliftBps / 10_000,
    promotions: uplift.applied.map((p) => ({
      ...(p.sku !== undefined ? { sku: p.sku } : { category: p.category as string }),
      from: p.from,
      to: p.to,
      factor: p.factorBps / 10_000,
    })),
    forecastPerDay: display(d.num, d.den, 4),
    topTen: inputs.topTen,
    safetyDays,
    safetyStock: display(over(safetyDays), d.den),
    leadTimeDays,
    leadTimeFrom: option.leadTimeDays !== undefined ? 'sku' : 'supplier',
    reorderPoint: display(reorderPointNum, d.den),
    onHand: inputs.onHand,
    inbound: inputs.inbound,
    position: inputs.onHand + inputs.inbound,
    coverageDays: policy.coverageDays,
    target: display(targetNum, d.den),
    gap: Number(gap),
    casePack: option.casePack,
    minOrderQty: option.minOrderQty,
    quantity,
  };
  if (!needsRestock) return { outcome: 'enough', supplier, numbers };
  const purchasedThisYear = inputs.purchasedThisYear(supplier.supplierId);
  const terms = paymentTerms(supplier, purchasedThisYear, policy);
  const totalAmount = quantity * option.unitCost.amount;
  if (!Number.isSafeInteger(totalAmount)) {
    throw new RangeError(
      `purchase order total for ${inputs.sku} overflows: ${quantity} × ${option.unitCost.amount}`,
    );
  }
  const rebateAmount = Number((BigInt(totalAmount) * BigInt(terms.rebateBps) * 2n + ONE) / (ONE * 2n));
  const currency = option.unitCost.currency;
  const approvalRequired =
    currency !== policy.approvalThreshold.currency || totalAmount > policy.approvalThreshold.amount;
  return {
    outcome: 'order',
    supplier,
    option,
    quantity,
    total: { amount: totalAmount, currency },
    paymentTermsDays: terms.paymentTermsDays,
    paymentDueDate: addDays(today, terms.paymentTermsDays),
    rebateBps: terms.rebateBps,
    volumeTerms: terms.volume,
    rebate: { amount: rebateAmount, currency },
    purchasedThisYear,
    approvalRequired,
    numbers,
  };
}
