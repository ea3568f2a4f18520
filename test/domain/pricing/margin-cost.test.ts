import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { marginFloor } from '#domain/pricing/sku-pricing';
import { marginCost } from '#domain/shared/catalog';

/**
 * The cost a margin floor is measured against (docs/rules/repricing.md, decision 30): the highest
 * unit cost any of the SKU's suppliers charges in the price's currency, not the supplier restock
 * would order from next, so the margin holds whichever supplier the next purchase comes from.
 */
const facts = (...unitCosts: Array<[number, string]>) => ({
  sku: 'A',
  onHand: 0,
  unitCosts: unitCosts.map(([amount, currency]) => ({ amount, currency })),
});

describe('the margin floor’s cost', () => {
  it('is the highest supplier cost in the price’s currency, whatever supplier restock would choose', () => {
    // Restock would order from the strategic supplier at 40.00 (§3: tier first); the floor holds at 50.00.
    const cost = marginCost(facts([4000, 'CNY'], [5000, 'CNY'], [9900, 'USD']), 'CNY');
    expect(cost).toEqual({ amount: 5000, currency: 'CNY' });
    expect(marginFloor(cost, 1000)).toEqual({ amount: 5500, currency: 'CNY' });
  });

  it('is unknown without a supplier priced in that currency', () => {
    expect(marginCost(facts([4000, 'USD']), 'CNY')).toBeNull();
    expect(marginCost(undefined, 'CNY')).toBeNull();
  });

  it('is never below any supplier’s cost in the currency (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 1, max: 10 ** 9 }), fc.constantFrom('CNY', 'USD')), {
          maxLength: 6,
        }),
        (costs) => {
          const cost = marginCost(facts(...costs), 'CNY');
          const cny = costs.filter(([, c]) => c === 'CNY').map(([a]) => a);
          if (cny.length === 0) return cost === null;
          return cost?.amount === Math.max(...cny) && cost.currency === 'CNY';
        },
      ),
    );
  });
});
