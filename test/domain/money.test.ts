import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  add,
  changeByBasisPoints,
  fromDecimalString,
  MoneyError,
  MoneySchema,
  minorUnitDigits,
  subtract,
  toDecimalString,
} from '#domain/shared/money';

describe('money', () => {
  it('parses decimal strings into integer minor units without floats', () => {
    expect(fromDecimalString('199.00', 'CNY')).toEqual({ amount: 19900, currency: 'CNY' });
    expect(fromDecimalString('0.1', 'CNY').amount).toBe(10);
    expect(fromDecimalString('19.99', 'CNY').amount).toBe(1999);
    expect(fromDecimalString('1000', 'JPY').amount).toBe(1000);
    expect(fromDecimalString('1.234', 'KWD').amount).toBe(1234);
    expect(fromDecimalString('-12.50', 'CNY').amount).toBe(-1250);
    // 0.1 + 0.2 style float traps do not exist here
    expect(fromDecimalString('4.35', 'CNY').amount).toBe(435);
  });

  it('refuses more decimals than the currency has and anything that is not a decimal', () => {
    expect(() => fromDecimalString('1.005', 'CNY')).toThrow(MoneyError);
    expect(() => fromDecimalString('1.5', 'JPY')).toThrow(/more than 0 decimals/);
    expect(() => fromDecimalString('1e3', 'CNY')).toThrow(/not a decimal/);
    expect(() => fromDecimalString('', 'CNY')).toThrow(MoneyError);
  });

  it('knows minor-unit digits per currency', () => {
    expect(minorUnitDigits('CNY')).toBe(2);
    expect(minorUnitDigits('JPY')).toBe(0);
    expect(minorUnitDigits('KWD')).toBe(3);
  });

  it('round-trips every amount through its decimal string', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e12, max: 1e12 }),
        fc.constantFrom('CNY', 'JPY', 'KWD', 'USD'),
        (amount, currency) => {
          expect(fromDecimalString(toDecimalString({ amount, currency }), currency)).toEqual({
            amount,
            currency,
          });
        },
      ),
    );
  });

  it('never becomes a float: add, subtract and percentage changes stay integers', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -1e10, max: 1e10 }),
        fc.integer({ min: -1e10, max: 1e10 }),
        fc.integer({ min: -10_000, max: 10_000 }),
        (a, b, bp) => {
          const x = { amount: a, currency: 'CNY' };
          const y = { amount: b, currency: 'CNY' };
          expect(Number.isInteger(add(x, y).amount)).toBe(true);
          expect(subtract(add(x, y), y)).toEqual(x);
          expect(Number.isInteger(changeByBasisPoints(x, bp).amount)).toBe(true);
        },
      ),
    );
  });

  it('rounds a percentage change half-up to the fen', () => {
    expect(changeByBasisPoints({ amount: 105, currency: 'CNY' }, 1000).amount).toBe(116); // 115.5 → 116
    expect(changeByBasisPoints({ amount: 10000, currency: 'CNY' }, -500).amount).toBe(9500);
    expect(changeByBasisPoints({ amount: 15, currency: 'CNY' }, -5000).amount).toBe(8); // 7.5 → 8
    expect(changeByBasisPoints({ amount: -15, currency: 'CNY' }, -5000).amount).toBe(-8);
  });

  it('refuses to mix currencies', () => {
    expect(() => add({ amount: 1, currency: 'CNY' }, { amount: 1, currency: 'USD' })).toThrow(
      /currency mismatch/,
    );
  });

  it('validates money at the boundary, naming the field', () => {
    const bad = MoneySchema.safeParse({ amount: 1.5, currency: 'cny' });
    expect(bad.success).toBe(false);
    expect(bad.error?.issues.map((i) => i.path.join('.'))).toEqual(['amount', 'currency']);
    expect(MoneySchema.safeParse({ amount: 100, currency: 'XYZ' }).success).toBe(false);
    expect(MoneySchema.safeParse({ amount: 100, currency: 'CNY' }).success).toBe(true);
  });
});
