import { ValidationError } from '../shared/errors.ts';
import { CurrencySchema, PositiveMoneySchema } from '../shared/money.ts';
import { idSchema, parseId } from '../shared/schemas.ts';
import { parseOrThrow } from '../shared/validation.ts';
import * as z from '../shared/zod.ts';
import { SUPPLIER_TIERS, type SupplierTerms, type SupplyOption } from './rules.ts';

/**
 * Suppliers and SKUs as the operations API sets them (SPEC §3, issue #11). A SKU's stock on hand
 * is the sum of its locations' levels: `PUT /api/skus` sets one `api` level; the platform's
 * inventory updates set their location's level and take over from the `api` one; a receipt adds to
 * the location it names, else the SKU's only location, else a `storeflow` location.
 */

export interface Supplier extends SupplierTerms {
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

const text = (max: number) =>
  z
    .string('must be a string')
    .check(z.minLength(1, 'must not be empty'), z.maxLength(max, `must be at most ${max} characters`));
const days = z
  .int('must be a whole number of days')
  .check(z.nonnegative('must not be negative'), z.maximum(365, 'must be at most 365 days'));

const SupplierBodySchema = z.strictObject({
  supplierId: z.optional(z.unknown()),
  name: text(200),
  tier: z.enum(SUPPLIER_TIERS, 'must be strategic, core or normal'),
  leadTimeDays: days,
  currency: CurrencySchema,
  paymentTermsDays: z.optional(days),
  // Read-only fields a GET shows, accepted so a GET body can be edited and PUT back.
  purchasedThisYear: z.optional(z.unknown()),
  rebateBps: z.optional(z.unknown()),
  version: z.optional(z.unknown()),
  createdAt: z.optional(z.unknown()),
  updatedAt: z.optional(z.unknown()),
});

/** `PUT /api/suppliers/{supplierId}`: the supplier's terms; 400 naming each failing field. */
export function parseSupplier(supplierId: unknown, body: unknown): SupplierTerms {
  const id = parseId(supplierId, 'supplierId');
  const parsed = parseOrThrow(SupplierBodySchema, body);
  if (parsed.supplierId !== undefined && parsed.supplierId !== id) {
    throw ValidationError.field('supplierId', `must match the supplier id in the path ("${id}")`);
  }
  if (parsed.paymentTermsDays !== undefined && parsed.tier !== 'strategic') {
    throw ValidationError.field(
      'paymentTermsDays',
      `is set by the tier for ${parsed.tier} suppliers (core 60, normal 30); only strategic suppliers configure it`,
    );
  }
  return {
    supplierId: id,
    name: parsed.name,
    tier: parsed.tier,
    leadTimeDays: parsed.leadTimeDays,
    currency: parsed.currency,
    ...(parsed.paymentTermsDays !== undefined ? { paymentTermsDays: parsed.paymentTermsDays } : {}),
  };
}

/** Where a SKU's stock is: location id → units available and the instant the level was read. */
export type StockLevels = Readonly<Record<string, { readonly available: number; readonly at: string }>>;

export interface SkuSpec {
  readonly sku: string;
  readonly title: string;
  readonly category: string;
  readonly supply: readonly SupplyOption[];
}

export interface Sku extends SkuSpec {
  readonly levels: StockLevels;
  readonly version: number;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export const onHandOf = (levels: StockLevels): number =>
  Object.values(levels).reduce((sum, l) => sum + l.available, 0);

/** At most this many suppliers per SKU. */
export const MAX_SUPPLY_OPTIONS = 20;
/** Stock levels are whole units within ±10⁹. */
const units = z
  .int('must be a whole number of units')
  .check(
    z.minimum(-1_000_000_000, 'must be at least -1000000000'),
    z.maximum(1_000_000_000, 'must be at most 1000000000'),
  );

const SupplySchema = z.strictObject({
  supplierId: idSchema(),
  unitCost: PositiveMoneySchema,
  casePack: z
    .int('must be a whole number of units')
    .check(z.minimum(1, 'must be at least 1'), z.maximum(1_000_000, 'must be at most 1000000')),
  minOrderQty: z
    .int('must be a whole number of units')
    .check(z.nonnegative('must not be negative'), z.maximum(1_000_000_000, 'must be at most 1000000000')),
  leadTimeDays: z.optional(days),
});

const SkuBodySchema = z.strictObject({
  sku: z.optional(z.unknown()),
  title: text(500),
  category: idSchema(),
  onHand: z.optional(units),
  supply: z
    .array(SupplySchema)
    .check(z.maxLength(MAX_SUPPLY_OPTIONS, `must have at most ${MAX_SUPPLY_OPTIONS} suppliers`)),
});

/**
 * `PUT /api/skus/{sku}`: the SKU, its stock on hand (optional on an update: the levels stay) and
 * who supplies it at what cost. Suppliers must exist, in the unit cost's currency, once each.
 */
export function parseSku(
  sku: unknown,
  body: unknown,
  suppliers: ReadonlyMap<string, SupplierTerms>,
): { spec: SkuSpec; onHand: number | undefined } {
  const id = parseId(sku, 'sku');
  const parsed = parseOrThrow(SkuBodySchema, body);
  const issues: Array<{ field: string; reason: string }> = [];
  if (parsed.sku !== undefined && parsed.sku !== id) {
    issues.push({ field: 'sku', reason: `must match the SKU in the path ("${id}")` });
  }
  const seen = new Set<string>();
  parsed.supply.forEach((option, i) => {
    const supplier = suppliers.get(option.supplierId);
    if (seen.has(option.supplierId)) {
      issues.push({ field: `supply.${i}.supplierId`, reason: `names ${option.supplierId} a second time` });
    }
    seen.add(option.supplierId);
    if (!supplier) {
      issues.push({
        field: `supply.${i}.supplierId`,
        reason: `no supplier ${option.supplierId}; create it with PUT /api/suppliers/{supplierId} first`,
      });
    } else if (supplier.currency !== option.unitCost.currency) {
      issues.push({
        field: `supply.${i}.unitCost.currency`,
        reason: `must be ${supplier.currency}, the currency of supplier ${option.supplierId}`,
      });
    }
  });
  if (issues.length) throw new ValidationError(issues);
  return {
    spec: {
      sku: id,
      title: parsed.title,
      category: parsed.category,
      supply: parsed.supply.map((o) => ({
        supplierId: o.supplierId,
        unitCost: o.unitCost,
        casePack: o.casePack,
        minOrderQty: o.minOrderQty,
        ...(o.leadTimeDays !== undefined ? { leadTimeDays: o.leadTimeDays } : {}),
      })),
    },
    onHand: parsed.onHand,
  };
}
