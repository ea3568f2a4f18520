import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { checkBundleItems, MAX_BUNDLE_ITEMS, parseBundle, priceBundle } from '#domain/pricing/bundle';
import { ValidationError } from '#domain/shared/errors';
import { MoneyError } from '#domain/shared/money';
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

const shampooAndConditioner = {
  items: [
    { sku: 'SHAMPOO', qty: 1 },
    { sku: 'CONDITIONER', qty: 1 },
  ],
  saving: cny(3_000),
};

describe('parseBundle', () => {
  it('reads the items and the saving', () => {
    expect(parseBundle('B-1', shampooAndConditioner)).toEqual({ bundleId: 'B-1', ...shampooAndConditioner });
    expect(parseBundle('B-1', { ...shampooAndConditioner, bundleId: 'B-1', price: cny(1) }).bundleId).toBe(
      'B-1',
    );
  });

  it.each([
    [{ ...shampooAndConditioner, items: [] }, 'items', /at least one item/],
    [
      {
        ...shampooAndConditioner,
        items: Array.from({ length: MAX_BUNDLE_ITEMS + 1 }, (_, i) => ({ sku: `S${i}`, qty: 1 })),
      },
      'items',
      /at most 50/,
    ],
    [{ ...shampooAndConditioner, items: [{ sku: 'A', qty: 0 }] }, 'items.0.qty', /at least 1/],
    [{ ...shampooAndConditioner, items: [{ sku: 'A', qty: 1_001 }] }, 'items.0.qty', /at most 1000/],
    [{ ...shampooAndConditioner, items: [{ sku: 'A', qty: 1.5 }] }, 'items.0.qty', /whole number/],
    [{ ...shampooAndConditioner, items: [{ sku: '', qty: 1 }] }, 'items.0.sku', /empty/],
    [
      {
        ...shampooAndConditioner,
        items: [
          { sku: 'A', qty: 1 },
          { sku: 'A', qty: 2 },
        ],
      },
      'items.1.sku',
      /A is already item 0/,
    ],
    [{ ...shampooAndConditioner, saving: cny(0) }, 'saving.amount', /greater than zero/],
    [{ ...shampooAndConditioner, saving: cny(-5) }, 'saving.amount', /greater than zero/],
    [{ ...shampooAndConditioner, saving: undefined }, 'saving', /object/],
    [{ ...shampooAndConditioner, bundleId: 'B-2' }, 'bundleId', /must match/],
    [{ ...shampooAndConditioner, extra: 1 }, '(body)', /extra/],
  ])('%j → %s', (body, field, reason) => {
    const issue = issuesOf(() => parseBundle('B-1', body)).find((i) => i.field === field);
    expect(issue?.reason).toMatch(reason);
  });

  it('refuses a bad bundle id', () => {
    expect(issuesOf(() => parseBundle('x'.repeat(257), shampooAndConditioner))[0]?.field).toBe('bundleId');
  });
});

describe('checkBundleItems', () => {
  const spec = parseBundle('B-1', shampooAndConditioner);
  it('every item a priced SKU in the saving’s currency; a saving below the items’ total', () => {
    expect(() =>
      checkBundleItems(
        spec,
        new Map([
          ['SHAMPOO', cny(6_900)],
          ['CONDITIONER', cny(5_900)],
        ]),
      ),
    ).not.toThrow();
    expect(
      issuesOf(() =>
        checkBundleItems(
          spec,
          new Map([
            ['SHAMPOO', null],
            ['OTHER', cny(1)],
          ]),
        ),
      ),
    ).toEqual([
      { field: 'items.0.sku', reason: 'SHAMPOO has no price; set one first' },
      { field: 'items.1.sku', reason: 'no SKU CONDITIONER' },
    ]);
    expect(
      issuesOf(() =>
        checkBundleItems(
          spec,
          new Map([
            ['SHAMPOO', cny(1_000)],
            ['CONDITIONER', { amount: 1, currency: 'USD' }],
          ]),
        ),
      )[0],
    ).toEqual({
      field: 'items.1.sku',
      reason: "CONDITIONER is priced in USD, not CNY (the saving's currency)",
    });
    expect(
      issuesOf(() =>
        checkBundleItems(
          spec,
          new Map([
            ['SHAMPOO', cny(1_500)],
            ['CONDITIONER', cny(1_500)],
          ]),
        ),
      ),
    ).toEqual([{ field: 'saving.amount', reason: "must be less than the items' total 3000 (minor units)" }]);
  });
});

describe('priceBundle (docs/rules/repricing.md, bundles)', () => {
  it('SPEC: shampoo 69.00 + conditioner 60.00 = 129.00, save 30 → 99.00', () => {
    const b = priceBundle(
      [
        { sku: 'SHAMPOO', qty: 1, price: cny(6_900), floor: cny(4_400) },
        { sku: 'CONDITIONER', qty: 1, price: cny(6_000), floor: cny(3_300) },
      ],
      cny(3_000),
    );
    expect(b).toEqual({
      price: cny(9_900),
      itemsTotal: cny(12_900),
      saving: cny(3_000),
      floor: cny(7_700),
      boundBy: null,
      floorUnknown: [],
    });
  });

  it('never below the items’ floors × quantities', () => {
    const b = priceBundle(
      [
        { sku: 'A', qty: 2, price: cny(5_000), floor: cny(4_500) },
        { sku: 'B', qty: 1, price: cny(2_000), floor: null },
      ],
      cny(5_000),
    );
    expect(b).toMatchObject({
      price: cny(9_000),
      itemsTotal: cny(12_000),
      floor: cny(9_000),
      boundBy: 'floor',
    });
    expect(b.floorUnknown).toEqual(['B']);
  });

  it('never below zero', () => {
    expect(priceBundle([{ sku: 'A', qty: 1, price: cny(100), floor: null }], cny(500))).toMatchObject({
      price: cny(0),
      boundBy: 'zero',
    });
  });

  it('refuses mixed currencies', () => {
    expect(() =>
      priceBundle([{ sku: 'A', qty: 1, price: { amount: 1, currency: 'USD' }, floor: null }], cny(1)),
    ).toThrow(MoneyError);
  });

  it('property: price = max(Σ price × qty − saving, Σ floor × qty, 0), an integer', () => {
    const item = fc.record({
      sku: fc.string(),
      qty: fc.integer({ min: 1, max: 1_000 }),
      price: fc.integer({ min: 1, max: 10_000_000_000 }).map(cny),
      floor: fc.option(fc.integer({ min: 1, max: 10_000_000_000 }).map(cny), { nil: null }),
    });
    fc.assert(
      fc.property(
        fc.array(item, { minLength: 1, maxLength: 50 }),
        fc.integer({ min: 1, max: 10_000_000_000 }),
        (items, saving) => {
          const b = priceBundle(items, cny(saving));
          const total = items.reduce((s, i) => s + BigInt(i.price.amount) * BigInt(i.qty), 0n);
          const floor = items.reduce((s, i) => s + BigInt(i.floor?.amount ?? 0) * BigInt(i.qty), 0n);
          const expected = [total - BigInt(saving), floor, 0n].reduce((a, b) => (a > b ? a : b));
          expect(BigInt(b.price.amount)).toBe(expected);
          expect(Number.isSafeInteger(b.price.amount)).toBe(true);
          expect(b.price.amount).toBeGreaterThanOrEqual(b.floor.amount);
        },
      ),
      { numRuns: 300 },
    );
  });
});
