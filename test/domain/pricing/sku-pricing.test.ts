import { describe, expect, it } from 'vitest';
import { PRICING_RULES_DEFAULTS } from '#domain/pricing/pricing-rules';
import {
  applySkuPricing,
  checkSkuPricing,
  MAX_PRICE_AMOUNT,
  marginFloor,
  markupCeiling,
  NO_SKU_PRICING,
  parseSkuPricing,
  pricingCurrency,
  type SkuPricing,
  withoutSkuPricingFields,
} from '#domain/pricing/sku-pricing';
import { ValidationError } from '#domain/shared/errors';
import type { Money } from '#domain/shared/money';
import { cny } from './arbitraries.ts';

function issuesOf(fn: () => unknown) {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('accepted');
}

/** A restock SKU body with pricing fields. */
const body = (pricing: Record<string, unknown>) => ({
  title: 'Chair',
  category: 'furniture',
  supply: [],
  ...pricing,
});

describe('parseSkuPricing', () => {
  it('reads only the pricing fields; those left out are absent from the patch', () => {
    expect(parseSkuPricing(body({}))).toEqual({});
    expect(
      parseSkuPricing(
        body({
          listPrice: cny(12_900),
          price: cny(9_900),
          minMarginBps: 1_500,
          maxMarkupBps: 0,
          campaignLocked: true,
        }),
      ),
    ).toEqual({
      listPrice: cny(12_900),
      price: cny(9_900),
      minMarginBps: 1_500,
      maxMarkupBps: 0,
      campaignLocked: true,
    });
    expect(parseSkuPricing(body({ price: null, minMarginBps: null }))).toEqual({
      price: null,
      minMarginBps: null,
    });
  });

  it.each([
    [{ price: { amount: 0, currency: 'CNY' } }, 'price.amount', /greater than zero/],
    [{ price: { amount: 9.9, currency: 'CNY' } }, 'price.amount', /integer/],
    [
      { listPrice: { amount: MAX_PRICE_AMOUNT + 1, currency: 'CNY' } },
      'listPrice.amount',
      /at most 10000000000/,
    ],
    [{ listPrice: { amount: 100, currency: 'XXY' } }, 'listPrice.currency', /ISO-4217/],
    [{ price: '99.00' }, 'price', /object/],
    [{ minMarginBps: -1 }, 'minMarginBps', /not be negative/],
    [{ maxMarkupBps: 100_001 }, 'maxMarkupBps', /at most 100000/],
    [{ maxMarkupBps: 1.5 }, 'maxMarkupBps', /whole basis points/],
    [{ campaignLocked: 'yes' }, 'campaignLocked', /true or false/],
  ])('%j → %s', (pricing, field, reason) => {
    const issue = issuesOf(() => parseSkuPricing(body(pricing))).find((i) => i.field === field);
    expect(issue?.reason).toMatch(reason);
  });

  it('refuses a body that is not an object', () => {
    expect(issuesOf(() => parseSkuPricing('x'))).toEqual([
      { field: '(body)', reason: 'must be a JSON object' },
    ]);
  });

  it('withoutSkuPricingFields leaves the restock fields for the restock parser', () => {
    expect(withoutSkuPricingFields(body({ price: cny(1), campaignLocked: false }))).toEqual(body({}));
    expect(withoutSkuPricingFields('x')).toBe('x');
  });
});

describe('applySkuPricing', () => {
  const current: SkuPricing = {
    listPrice: cny(12_900),
    price: cny(9_900),
    minMarginBps: 1_500,
    maxMarkupBps: null,
    campaignLocked: true,
  };
  it('a field named replaces, null clears, the others stay', () => {
    expect(applySkuPricing(current, {})).toEqual(current);
    expect(
      applySkuPricing(current, { price: cny(8_900), minMarginBps: null, campaignLocked: false }),
    ).toEqual({
      ...current,
      price: cny(8_900),
      minMarginBps: null,
      campaignLocked: false,
    });
    expect(applySkuPricing(NO_SKU_PRICING, { listPrice: cny(100) })).toEqual({
      ...NO_SKU_PRICING,
      listPrice: cny(100),
    });
  });
  it('the pricing currency is the price’s, else the list price’s', () => {
    expect(pricingCurrency(current)).toBe('CNY');
    expect(pricingCurrency({ ...NO_SKU_PRICING, listPrice: { amount: 1, currency: 'USD' } })).toBe('USD');
    expect(pricingCurrency(NO_SKU_PRICING)).toBeNull();
  });
});

describe('floor and ceiling', () => {
  it('floor = cost × (1 + margin) rounded up; ceiling = list × (1 + markup) rounded down', () => {
    expect(marginFloor(cny(6_000), 1_000)).toEqual(cny(6_600));
    expect(marginFloor(cny(3_333), 1_000)).toEqual(cny(3_667));
    expect(marginFloor(null, 1_000)).toBeNull();
    expect(markupCeiling(cny(3_333), 2_000)).toEqual(cny(3_999));
    expect(markupCeiling(cny(10_000), 0)).toEqual(cny(10_000));
    expect(markupCeiling(null, 0)).toBeNull();
  });
});

describe('checkSkuPricing', () => {
  const rules = PRICING_RULES_DEFAULTS;
  const pricing = (p: Partial<SkuPricing>): SkuPricing => ({ ...NO_SKU_PRICING, ...p });
  const check = (p: Partial<SkuPricing>, cost: Money | null = cny(6_000), patch?: Partial<SkuPricing>) =>
    issuesOf(() => checkSkuPricing(pricing(p), { cost, rules }, patch));

  it('accepts a price inside its guardrails, or any price of a campaign-locked SKU', () => {
    expect(() =>
      checkSkuPricing(pricing({ price: cny(6_600), listPrice: cny(10_000) }), { cost: cny(6_000), rules }),
    ).not.toThrow();
    expect(() =>
      checkSkuPricing(pricing({ price: cny(1), campaignLocked: true }), { cost: cny(6_000), rules }),
    ).not.toThrow();
    expect(() => checkSkuPricing(pricing({ price: cny(1) }), { cost: null, rules })).not.toThrow();
  });

  it('refuses a price below the margin floor or above the markup ceiling, saying which', () => {
    expect(check({ price: cny(6_599) })).toEqual([
      {
        field: 'price',
        reason:
          'must be at least 66.00 CNY, the margin floor (cost 60.00 CNY × (1 + min margin)); set campaignLocked for a campaign price',
      },
    ]);
    expect(check({ price: cny(12_001), listPrice: cny(10_000) })[0]?.reason).toMatch(
      /^must be at most 120.00 CNY, the markup ceiling \(list price 100.00 CNY/,
    );
    expect(check({ price: cny(7_000), minMarginBps: 2_000 })[0]?.reason).toMatch(/at least 72.00 CNY/);
  });

  it('checks the price against the guardrails only when the PUT sets it', () => {
    const stored = pricing({ price: cny(12_500), listPrice: cny(10_000) });
    expect(() =>
      checkSkuPricing(stored, { cost: cny(6_000), rules }, { listPrice: cny(10_000) }),
    ).not.toThrow();
  });

  it('refuses mixed currencies', () => {
    expect(check({ price: cny(9_000), listPrice: { amount: 100, currency: 'USD' } })).toEqual([
      { field: 'listPrice.currency', reason: "must be CNY, the currency of the SKU's price" },
    ]);
    expect(check({ price: { amount: 9_000, currency: 'USD' } })).toEqual([
      {
        field: 'price.currency',
        reason: "must be CNY, the currency of the SKU's cost (its supplier's unit cost)",
      },
    ]);
  });
});
