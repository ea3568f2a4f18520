import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { CurrencySchema, type Money, toDecimalString } from '../shared/money.ts';
import { toFieldIssues } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { raiseBy } from './arithmetic.ts';
import { MAX_MARGIN_BPS, type PricingRules } from './pricing-rules.ts';

/**
 * A SKU's pricing fields (SPEC §6, issue #13), set with `PUT /api/skus/{sku}` beside the restock
 * fields. All money is in the SKU's pricing currency (the currency of its price and list price).
 *
 * The SKU's **cost** is not one of these fields: it is the highest unit cost among the SKU's
 * suppliers in the price's currency (`marginCost` in domain/shared/catalog.ts, decision 30),
 * computed by the application and passed in as `cost: Money | null` — features do not import each
 * other. A cost in another currency than the
 * price counts as unknown.
 */

export interface SkuPricing {
  /** The reference price: the ceiling is list × (1 + max markup). null: never raised. */
  readonly listPrice: Money | null;
  /** The current selling price. null: the SKU is not repriced. */
  readonly price: Money | null;
  /** null: the rules' `defaultMinMarginBps`. */
  readonly minMarginBps: number | null;
  /** null: the rules' `defaultMaxMarkupBps`. */
  readonly maxMarkupBps: number | null;
  /** In a live campaign: the runs leave the price alone. */
  readonly campaignLocked: boolean;
}

/** A SKU that never set a pricing field. */
export const NO_SKU_PRICING: SkuPricing = {
  listPrice: null,
  price: null,
  minMarginBps: null,
  maxMarkupBps: null,
  campaignLocked: false,
};

/** The fields a `PUT` names; a field left out keeps its value, `null` clears it. */
export type SkuPricingPatch = { readonly [K in keyof SkuPricing]?: SkuPricing[K] };

export const SKU_PRICING_FIELDS = [
  'listPrice',
  'price',
  'minMarginBps',
  'maxMarkupBps',
  'campaignLocked',
] as const satisfies ReadonlyArray<keyof SkuPricing>;

/** The largest price: 10¹⁰ minor units (100 000 000.00 CNY), so totals stay exact integers. */
export const MAX_PRICE_AMOUNT = 10_000_000_000;

/** A price: more than zero, at most {@link MAX_PRICE_AMOUNT} minor units. */
export const PriceSchema = z.object({
  amount: z
    .int('must be an integer number of minor units')
    .check(
      z.positive('must be greater than zero'),
      z.maximum(MAX_PRICE_AMOUNT, `must be at most ${MAX_PRICE_AMOUNT} minor units`),
    ),
  currency: CurrencySchema,
});

const marginBps = z
  .int('must be whole basis points (100 = 1%)')
  .check(
    z.nonnegative('must not be negative'),
    z.maximum(MAX_MARGIN_BPS, `must be at most ${MAX_MARGIN_BPS} (${MAX_MARGIN_BPS / 100}%)`),
  );

const SkuPricingSchema = z.object({
  listPrice: z.optional(z.nullable(PriceSchema)),
  price: z.optional(z.nullable(PriceSchema)),
  minMarginBps: z.optional(z.nullable(marginBps)),
  maxMarkupBps: z.optional(z.nullable(marginBps)),
  campaignLocked: z.optional(z.boolean('must be true or false')),
});

/**
 * The pricing fields of a `PUT /api/skus/{sku}` body (the other fields are the restock parser's and
 * are ignored here): types and bounds, and one currency for price and list price. 400 naming each.
 */
export function parseSkuPricing(body: unknown): SkuPricingPatch {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw ValidationError.field('(body)', 'must be a JSON object');
  }
  const own = Object.fromEntries(
    SKU_PRICING_FIELDS.filter((f) => Object.hasOwn(body, f)).map((f) => [
      f,
      (body as Record<string, unknown>)[f],
    ]),
  );
  const result = SkuPricingSchema.safeParse(own);
  if (!result.success) throw new ValidationError(toFieldIssues(result.error));
  const patch: Record<string, unknown> = {};
  for (const f of SKU_PRICING_FIELDS) {
    const value = result.data[f];
    if (value !== undefined) patch[f] = value;
  }
  return patch as SkuPricingPatch;
}

/** The body without the pricing fields: what the restock SKU parser (a strict object) is given. */
export function withoutSkuPricingFields(body: unknown): unknown {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return body;
  const fields: ReadonlySet<string> = new Set(SKU_PRICING_FIELDS);
  return Object.fromEntries(Object.entries(body).filter(([k]) => !fields.has(k)));
}

/** The SKU's pricing after a `PUT`: the named fields replace, `null` clears, the others stay. */
export function applySkuPricing(current: SkuPricing, patch: SkuPricingPatch): SkuPricing {
  return {
    listPrice: patch.listPrice !== undefined ? patch.listPrice : current.listPrice,
    price: patch.price !== undefined ? patch.price : current.price,
    minMarginBps: patch.minMarginBps !== undefined ? patch.minMarginBps : current.minMarginBps,
    maxMarkupBps: patch.maxMarkupBps !== undefined ? patch.maxMarkupBps : current.maxMarkupBps,
    campaignLocked: patch.campaignLocked ?? current.campaignLocked,
  };
}

/** The SKU's pricing currency: its price's, else its list price's; null when it has neither. */
export function pricingCurrency(pricing: SkuPricing): string | null {
  return pricing.price?.currency ?? pricing.listPrice?.currency ?? null;
}

/** Floor = cost × (1 + min margin), rounded up to the minor unit (never below); null without a cost. */
export function marginFloor(cost: Money | null, minMarginBps: number): Money | null {
  return cost ? { amount: raiseBy(cost.amount, minMarginBps, 'ceil'), currency: cost.currency } : null;
}

/** Ceiling = list × (1 + max markup), rounded down to the minor unit (never above); null without a list. */
export function markupCeiling(listPrice: Money | null, maxMarkupBps: number): Money | null {
  return listPrice
    ? { amount: raiseBy(listPrice.amount, maxMarkupBps, 'floor'), currency: listPrice.currency }
    : null;
}

const show = (m: Money) => `${toDecimalString(m)} ${m.currency}`;

/**
 * The checks that need the whole SKU (after {@link applySkuPricing}): price and list price in one
 * currency, the cost's currency too; a price set by hand inside its guardrails (at least the margin
 * floor, at most the markup ceiling) — unless the SKU is campaign-locked, where the campaign's price
 * is the store's to choose. 400 naming the field.
 */
export function checkSkuPricing(
  pricing: SkuPricing,
  context: {
    readonly cost: Money | null;
    readonly rules: Pick<PricingRules, 'defaultMinMarginBps' | 'defaultMaxMarkupBps'>;
  },
  patch: SkuPricingPatch = pricing,
): void {
  const issues: FieldIssue[] = [];
  const currency = pricingCurrency(pricing);
  if (pricing.price && pricing.listPrice && pricing.price.currency !== pricing.listPrice.currency) {
    issues.push({
      field: 'listPrice.currency',
      reason: `must be ${pricing.price.currency}, the currency of the SKU's price`,
    });
  }
  const cost = context.cost;
  if (cost && currency && cost.currency !== currency) {
    issues.push({
      field: `${pricing.price ? 'price' : 'listPrice'}.currency`,
      reason: `must be ${cost.currency}, the currency of the SKU's cost (its supplier's unit cost)`,
    });
  }
  if (!issues.length && pricing.price && !pricing.campaignLocked && patch.price !== undefined) {
    const floor = marginFloor(cost, pricing.minMarginBps ?? context.rules.defaultMinMarginBps);
    const ceiling = markupCeiling(
      pricing.listPrice,
      pricing.maxMarkupBps ?? context.rules.defaultMaxMarkupBps,
    );
    if (floor && pricing.price.amount < floor.amount) {
      issues.push({
        field: 'price',
        reason: `must be at least ${show(floor)}, the margin floor (cost ${show(cost as Money)} × (1 + min margin)); set campaignLocked for a campaign price`,
      });
    } else if (ceiling && pricing.price.amount > ceiling.amount) {
      issues.push({
        field: 'price',
        reason: `must be at most ${show(ceiling)}, the markup ceiling (list price ${show(pricing.listPrice as Money)} × (1 + max markup)); set campaignLocked for a campaign price`,
      });
    }
  }
  if (issues.length) throw new ValidationError(issues);
}
