import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { roundToSupplier } from '#domain/restock/rules';
import { referenceQuantity } from './arbitraries.ts';

describe('roundToSupplier (SPEC §3: rounded up to the case pack and at least the minimum order)', () => {
  it.each([
    ['95 in cases of 12 → 8 cases', 95, 12, 0, 96],
    ['already a whole number of cases', 96, 12, 0, 96],
    ['the MOQ is above the need: the MOQ rounded up to cases', 10, 12, 50, 60],
    ['the MOQ is itself a multiple of the case pack', 10, 12, 48, 48],
    ['the need is above the MOQ', 120, 12, 100, 120],
    ['a need of 0 still orders one case', 0, 6, 0, 6],
    ['a negative need still orders one case', -5, 10, 0, 10],
    ['single units, no MOQ', 1, 1, 0, 1],
    ['single units, MOQ 30', 25, 1, 30, 30],
  ])('%s', (_name, need, casePack, moq, expected) => {
    expect(roundToSupplier(need, casePack, moq)).toBe(expected);
  });

  const args = fc.record({
    need: fc.integer({ min: -1_000, max: 10_000_000 }),
    casePack: fc.integer({ min: 1, max: 10_000 }),
    minOrderQty: fc.integer({ min: 0, max: 10_000_000 }),
  });

  it('property: a multiple of the case pack, ≥ MOQ, ≥ need, ≥ 1, and the smallest such', () => {
    fc.assert(
      fc.property(args, ({ need, casePack, minOrderQty }) => {
        const q = roundToSupplier(need, casePack, minOrderQty);
        expect(Number.isSafeInteger(q)).toBe(true);
        expect(q % casePack).toBe(0);
        expect(q).toBeGreaterThanOrEqual(minOrderQty);
        expect(q).toBeGreaterThanOrEqual(need);
        expect(q).toBeGreaterThanOrEqual(1);
        // minimal: one case fewer would be short of the need, the MOQ or a single unit
        const less = q - casePack;
        expect(less < need || less < minOrderQty || less < 1).toBe(true);
        expect(q).toBe(referenceQuantity(need, casePack, minOrderQty));
      }),
    );
  });

  it('property: never orders less for a bigger need or a bigger MOQ', () => {
    fc.assert(
      fc.property(args, fc.nat(10_000), fc.nat(10_000), ({ need, casePack, minOrderQty }, more, moreMoq) => {
        const q = roundToSupplier(need, casePack, minOrderQty);
        expect(roundToSupplier(need + more, casePack, minOrderQty)).toBeGreaterThanOrEqual(q);
        expect(roundToSupplier(need, casePack, minOrderQty + moreMoq)).toBeGreaterThanOrEqual(q);
      }),
    );
  });
});
