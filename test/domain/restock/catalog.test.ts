import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_SUPPLY_OPTIONS, onHandOf, parseSku, parseSupplier } from '#domain/restock/catalog';
import { ValidationError } from '#domain/shared/errors';
import { cny, supplier, suppliersOf } from './arbitraries.ts';

function issuesOf(parse: () => unknown) {
  try {
    parse();
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).issues;
  }
  throw new Error('accepted');
}
const fieldsOf = (parse: () => unknown) => issuesOf(parse).map((i) => i.field);

describe('parseSupplier (PUT /api/suppliers/{supplierId})', () => {
  const body = { name: 'Hangzhou Toys', tier: 'core', leadTimeDays: 10, currency: 'CNY' };

  it('takes the id from the path and the terms from the body', () => {
    expect(parseSupplier('S-1', body)).toEqual({
      supplierId: 'S-1',
      name: 'Hangzhou Toys',
      tier: 'core',
      leadTimeDays: 10,
      currency: 'CNY',
    });
    expect(parseSupplier('S-1', { ...body, leadTimeDays: 0, tier: 'normal' })).toMatchObject({
      leadTimeDays: 0,
      tier: 'normal',
    });
  });

  it('a strategic supplier may set its payment terms', () => {
    expect(parseSupplier('S-1', { ...body, tier: 'strategic', paymentTermsDays: 90 })).toEqual({
      supplierId: 'S-1',
      name: 'Hangzhou Toys',
      tier: 'strategic',
      leadTimeDays: 10,
      currency: 'CNY',
      paymentTermsDays: 90,
    });
    expect(parseSupplier('S-1', { ...body, tier: 'strategic' })).not.toHaveProperty('paymentTermsDays');
  });

  it('accepts what a GET shows (the same id, read-only fields) and keeps none of the read-only fields', () => {
    const got = {
      ...body,
      supplierId: 'S-1',
      purchasedThisYear: cny(1_000),
      rebateBps: 0,
      paymentTermsDays: undefined,
      version: 3,
      createdAt: '2026-11-01T00:00:00.000Z',
      updatedAt: '2026-11-02T00:00:00.000Z',
    };
    expect(parseSupplier('S-1', got)).toEqual(parseSupplier('S-1', body));
  });

  it.each<[string, unknown, unknown, string]>([
    ['a body id that is not the path id', 'S-1', { ...body, supplierId: 'S-2' }, 'supplierId'],
    ['an empty path id', '', body, 'supplierId'],
    ['a path id with a control character', 'S\u0000', body, 'supplierId'],
    ['payment terms on a core supplier', 'S-1', { ...body, paymentTermsDays: 45 }, 'paymentTermsDays'],
    [
      'payment terms on a normal supplier',
      'S-1',
      { ...body, tier: 'normal', paymentTermsDays: 45 },
      'paymentTermsDays',
    ],
    ['an unknown tier', 'S-1', { ...body, tier: 'gold' }, 'tier'],
    ['a negative lead time', 'S-1', { ...body, leadTimeDays: -1 }, 'leadTimeDays'],
    ['a fractional lead time', 'S-1', { ...body, leadTimeDays: 1.5 }, 'leadTimeDays'],
    ['a lead time over a year', 'S-1', { ...body, leadTimeDays: 366 }, 'leadTimeDays'],
    ['a currency that does not exist', 'S-1', { ...body, currency: 'XYZ' }, 'currency'],
    ['a lower-case currency', 'S-1', { ...body, currency: 'cny' }, 'currency'],
    ['no name', 'S-1', { tier: 'core', leadTimeDays: 10, currency: 'CNY' }, 'name'],
    ['an empty name', 'S-1', { ...body, name: '' }, 'name'],
    [
      'negative strategic terms',
      'S-1',
      { ...body, tier: 'strategic', paymentTermsDays: -1 },
      'paymentTermsDays',
    ],
  ])('refuses %s, naming the field', (_name, id, b, field) => {
    expect(fieldsOf(() => parseSupplier(id, b))).toContain(field);
  });

  it('says why terms are refused on a non-strategic supplier', () => {
    expect(issuesOf(() => parseSupplier('S-1', { ...body, paymentTermsDays: 45 }))).toEqual([
      {
        field: 'paymentTermsDays',
        reason:
          'is set by the tier for core suppliers (core 60, normal 30); only strategic suppliers configure it',
      },
    ]);
    expect(issuesOf(() => parseSupplier('S-1', { ...body, supplierId: 'S-2' }))).toEqual([
      { field: 'supplierId', reason: 'must match the supplier id in the path ("S-1")' },
    ]);
  });

  it('refuses an unknown field, naming it', () => {
    const issues = issuesOf(() => parseSupplier('S-1', { ...body, discount: 5 }));
    expect(issues).toHaveLength(1);
    expect(issues[0]?.reason).toContain('"discount"');
  });
});

describe('parseSku (PUT /api/skus/{sku})', () => {
  const suppliers = suppliersOf(
    supplier('CN-1', 'core'),
    supplier('CN-2', 'normal'),
    supplier('US-1', 'strategic', { currency: 'USD' }),
  );
  const line = (supplierId: string, overrides: Record<string, unknown> = {}) => ({
    supplierId,
    unitCost: cny(1_250),
    casePack: 12,
    minOrderQty: 48,
    ...overrides,
  });
  const body = { title: 'Robot kit', category: 'toys', onHand: 40, supply: [line('CN-1'), line('CN-2')] };

  it('returns the SKU and its stock on hand; a lead time only where one is set', () => {
    const parsed = parseSku(
      'SKU-1',
      {
        ...body,
        supply: [
          line('CN-1', { leadTimeDays: 3 }),
          line('US-1', { unitCost: { amount: 99, currency: 'USD' } }),
        ],
      },
      suppliers,
    );
    expect(parsed).toEqual({
      spec: {
        sku: 'SKU-1',
        title: 'Robot kit',
        category: 'toys',
        supply: [
          { supplierId: 'CN-1', unitCost: cny(1_250), casePack: 12, minOrderQty: 48, leadTimeDays: 3 },
          { supplierId: 'US-1', unitCost: { amount: 99, currency: 'USD' }, casePack: 12, minOrderQty: 48 },
        ],
      },
      onHand: 40,
    });
    expect(parsed.spec.supply[1]).not.toHaveProperty('leadTimeDays');
  });

  it('on hand is optional (an update keeps the levels), may be negative (oversold), and a SKU may have no supplier', () => {
    const { onHand: _, ...withoutStock } = body;
    expect(parseSku('SKU-1', withoutStock, suppliers).onHand).toBeUndefined();
    expect(parseSku('SKU-1', { ...body, onHand: -3 }, suppliers).onHand).toBe(-3);
    expect(parseSku('SKU-1', { ...body, supply: [] }, suppliers).spec.supply).toEqual([]);
    expect(parseSku('SKU-1', { ...body, sku: 'SKU-1' }, suppliers).spec.sku).toBe('SKU-1');
    expect(
      parseSku('SKU-1', { ...body, supply: [line('CN-1', { minOrderQty: 0, casePack: 1 })] }, suppliers).spec
        .supply,
    ).toEqual([{ supplierId: 'CN-1', unitCost: cny(1_250), casePack: 1, minOrderQty: 0 }]);
  });

  const parse =
    (b: unknown, sku = 'SKU-1') =>
    () =>
      parseSku(sku, b, suppliers);

  it('refuses a supplier that does not exist', () => {
    expect(issuesOf(parse({ ...body, supply: [line('CN-1'), line('NOPE')] }))).toEqual([
      {
        field: 'supply.1.supplierId',
        reason: 'no supplier NOPE; create it with PUT /api/suppliers/{supplierId} first',
      },
    ]);
  });

  it("refuses a unit cost in another currency than the supplier's", () => {
    expect(issuesOf(parse({ ...body, supply: [line('US-1')] }))).toEqual([
      { field: 'supply.0.unitCost.currency', reason: 'must be USD, the currency of supplier US-1' },
    ]);
  });

  it('refuses the same supplier twice', () => {
    expect(
      issuesOf(parse({ ...body, supply: [line('CN-1'), line('CN-2'), line('CN-1', { casePack: 6 })] })),
    ).toEqual([{ field: 'supply.2.supplierId', reason: 'names CN-1 a second time' }]);
  });

  it('refuses a body SKU that is not the path SKU', () => {
    expect(issuesOf(parse({ ...body, sku: 'SKU-2' }))).toEqual([
      { field: 'sku', reason: 'must match the SKU in the path ("SKU-1")' },
    ]);
  });

  it('names every failing field at once', () => {
    const fields = fieldsOf(
      parse({ ...body, sku: 'OTHER', supply: [line('NOPE'), line('US-1'), line('CN-1'), line('CN-1')] }),
    );
    expect(fields).toEqual([
      'sku',
      'supply.0.supplierId',
      'supply.1.unitCost.currency',
      'supply.3.supplierId',
    ]);
  });

  it.each<[string, unknown, string]>([
    ['a case pack of 0', { ...body, supply: [line('CN-1', { casePack: 0 })] }, 'supply.0.casePack'],
    ['a fractional case pack', { ...body, supply: [line('CN-1', { casePack: 1.5 })] }, 'supply.0.casePack'],
    ['a negative MOQ', { ...body, supply: [line('CN-1', { minOrderQty: -1 })] }, 'supply.0.minOrderQty'],
    [
      'a unit cost of 0',
      { ...body, supply: [line('CN-1', { unitCost: cny(0) })] },
      'supply.0.unitCost.amount',
    ],
    [
      'a fractional unit cost',
      { ...body, supply: [line('CN-1', { unitCost: cny(1.5) })] },
      'supply.0.unitCost.amount',
    ],
    [
      'a negative lead time',
      { ...body, supply: [line('CN-1', { leadTimeDays: -2 })] },
      'supply.0.leadTimeDays',
    ],
    ['an unknown field in a supply line', { ...body, supply: [line('CN-1', { discount: 3 })] }, 'supply.0'],
    ['fractional stock', { ...body, onHand: 2.5 }, 'onHand'],
    ['stock beyond 10⁹', { ...body, onHand: 1_000_000_001 }, 'onHand'],
    ['no category', { title: 'Robot kit', supply: [] }, 'category'],
    ['no title', { category: 'toys', supply: [] }, 'title'],
    ['no supply list', { title: 'Robot kit', category: 'toys' }, 'supply'],
    [
      `more than ${MAX_SUPPLY_OPTIONS} suppliers`,
      { ...body, supply: Array.from({ length: MAX_SUPPLY_OPTIONS + 1 }, (_, i) => line(`CN-${i}`)) },
      'supply',
    ],
  ])('refuses %s, naming the field', (_name, b, field) => {
    expect(fieldsOf(parse(b))).toContain(field);
  });

  it('refuses a bad path SKU', () => {
    expect(fieldsOf(parse(body, ''))).toEqual(['sku']);
    expect(fieldsOf(parse(body, 'x'.repeat(257)))).toEqual(['sku']);
  });

  it('property: accepted iff every supplier exists, once, in its currency; each refusal names its line', () => {
    const supplyLine = fc.record({
      supplierId: fc.constantFrom('CN-1', 'CN-2', 'US-1', 'NOPE'),
      currency: fc.constantFrom('CNY', 'USD'),
    });
    fc.assert(
      fc.property(fc.array(supplyLine, { maxLength: 6 }), (lines) => {
        const supply = lines.map((l) =>
          line(l.supplierId, { unitCost: { amount: 100, currency: l.currency } }),
        );
        const expected: string[] = [];
        lines.forEach((l, i) => {
          if (lines.findIndex((x) => x.supplierId === l.supplierId) < i)
            expected.push(`supply.${i}.supplierId`);
          const s = suppliers.get(l.supplierId);
          if (!s) expected.push(`supply.${i}.supplierId`);
          else if (s.currency !== l.currency) expected.push(`supply.${i}.unitCost.currency`);
        });
        if (expected.length === 0) {
          expect(parseSku('SKU-1', { ...body, supply }, suppliers).spec.supply).toEqual(supply);
        } else {
          expect(fieldsOf(parse({ ...body, supply }))).toEqual(expected);
        }
      }),
    );
  });
});

describe('onHandOf', () => {
  it('sums the levels of every location', () => {
    const at = '2026-11-24T00:00:00.000Z';
    expect(onHandOf({})).toBe(0);
    expect(
      onHandOf({
        api: { available: 10, at },
        'shopify:1': { available: -2, at },
        storeflow: { available: 5, at },
      }),
    ).toBe(13);
  });
});
