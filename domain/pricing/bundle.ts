import { type FieldIssue, ValidationError } from '../shared/errors.ts';
import { type Money, MoneyError } from '../shared/money.ts';
import { idSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { sumOf } from './arithmetic.ts';
import { PriceSchema } from './sku-pricing.ts';

/**
 * Bundles (SPEC §6: shampoo + conditioner = 99, "save 30"): the bundle price is the sum of its items'
 * prices × quantities minus the saving, recomputed whenever an item's price changes, and never below
 * the sum of the items' margin floors × quantities.
 */

export const MAX_BUNDLE_ITEMS = 50;
export const MAX_BUNDLE_QTY = 1_000;

export interface BundleItem {
  readonly sku: string;
  readonly qty: number;
}

export interface BundleSpec {
  readonly bundleId: string;
  readonly items: readonly BundleItem[];
  readonly saving: Money;
}

const BundleBodySchema = z.strictObject({
  bundleId: z.optional(z.unknown()),
  items: z
    .array(
      z.strictObject({
        sku: idSchema(),
        qty: z
          .int('must be a whole number of units')
          .check(
            z.minimum(1, 'must be at least 1'),
            z.maximum(MAX_BUNDLE_QTY, `must be at most ${MAX_BUNDLE_QTY}`),
          ),
      }),
      'must be a list of { sku, qty }',
    )
    .check(
      z.minLength(1, 'must have at least one item'),
      z.maxLength(MAX_BUNDLE_ITEMS, `must have at most ${MAX_BUNDLE_ITEMS} items`),
    ),
  saving: PriceSchema,
  // Read-only fields a GET shows, accepted so a GET body can be edited and PUT back.
  price: z.optional(z.unknown()),
  floor: z.optional(z.unknown()),
  boundBy: z.optional(z.unknown()),
  version: z.optional(z.unknown()),
  createdAt: z.optional(z.unknown()),
  updatedAt: z.optional(z.unknown()),
});

/**
 * `PUT /api/bundles/{bundleId}`: its items (1–50, each SKU once, 1–1000 units) and its saving (more
 * than zero). 400 naming each failing field. Whether the SKUs exist and are priced in the saving's
 * currency is the caller's check (it holds the catalog): {@link checkBundleItems}.
 */
export function parseBundle(bundleId: unknown, body: unknown): BundleSpec {
  const id = parseId(bundleId, 'bundleId');
  const parsed = parseOrThrow(BundleBodySchema, body);
  const issues: FieldIssue[] = [];
  if (parsed.bundleId !== undefined && parsed.bundleId !== id) {
    issues.push({ field: 'bundleId', reason: `must match the bundle id in the path ("${id}")` });
  }
  const seen = new Map<string, number>();
  parsed.items.forEach((item, i) => {
    const first = seen.get(item.sku);
    if (first !== undefined)
      issues.push({ field: `items.${i}.sku`, reason: `${item.sku} is already item ${first}` });
    else seen.set(item.sku, i);
  });
  if (issues.length) throw new ValidationError(issues);
  return {
    bundleId: id,
    items: parsed.items.map((i) => ({ sku: i.sku, qty: i.qty })),
    saving: parsed.saving,
  };
}

/**
 * The catalog checks of a bundle: every item a SKU with a price, in the saving's currency; the
 * saving less than the items' total (a bundle is never free). `prices`: SKU → its price (null: not
 * priced); an absent SKU does not exist.
 */
export function checkBundleItems(spec: BundleSpec, prices: ReadonlyMap<string, Money | null>): void {
  const issues: FieldIssue[] = [];
  spec.items.forEach((item, i) => {
    if (!prices.has(item.sku)) issues.push({ field: `items.${i}.sku`, reason: `no SKU ${item.sku}` });
    else {
      const price = prices.get(item.sku);
      if (!price) issues.push({ field: `items.${i}.sku`, reason: `${item.sku} has no price; set one first` });
      else if (price.currency !== spec.saving.currency) {
        issues.push({
          field: `items.${i}.sku`,
          reason: `${item.sku} is priced in ${price.currency}, not ${spec.saving.currency} (the saving's currency)`,
        });
      }
    }
  });
  if (!issues.length) {
    const total = sumOf(spec.items.map((i) => ({ amount: (prices.get(i.sku) as Money).amount, qty: i.qty })));
    if (spec.saving.amount >= total) {
      issues.push({
        field: 'saving.amount',
        reason: `must be less than the items' total ${total} (minor units)`,
      });
    }
  }
  if (issues.length) throw new ValidationError(issues);
}

export interface PricedBundleItem extends BundleItem {
  readonly price: Money;
  /** The SKU's margin floor (cost × (1 + min margin)); null when its cost is unknown. */
  readonly floor: Money | null;
}

export interface BundlePrice {
  /** max(Σ price × qty − saving, Σ floor × qty, 0). */
  readonly price: Money;
  /** Σ price × qty. */
  readonly itemsTotal: Money;
  readonly saving: Money;
  /** Σ floor × qty over the items whose floor is known. */
  readonly floor: Money;
  /** `floor`: the saving would have taken it below the items' floors; `zero`: below nothing. */
  readonly boundBy: 'floor' | 'zero' | null;
  /** Items whose floor is unknown (no cost): they count 0 toward the bundle's floor. */
  readonly floorUnknown: readonly string[];
}

/** The bundle's price now from its items' current prices and floors. */
export function priceBundle(items: readonly PricedBundleItem[], saving: Money): BundlePrice {
  const currency = saving.currency;
  for (const item of items) {
    if (item.price.currency !== currency || (item.floor && item.floor.currency !== currency)) {
      throw new MoneyError(`bundle item ${item.sku} is not priced in ${currency}`);
    }
  }
  const itemsTotal = sumOf(items.map((i) => ({ amount: i.price.amount, qty: i.qty })));
  const floor = sumOf(
    items.filter((i) => i.floor).map((i) => ({ amount: (i.floor as Money).amount, qty: i.qty })),
  );
  const raw = itemsTotal - saving.amount;
  const price = Math.max(raw, floor, 0);
  return {
    price: { amount: price, currency },
    itemsTotal: { amount: itemsTotal, currency },
    saving,
    floor: { amount: floor, currency },
    boundBy: price === raw ? null : price === floor && floor > 0 ? 'floor' : 'zero',
    floorUnknown: items.filter((i) => !i.floor).map((i) => i.sku),
  };
}
