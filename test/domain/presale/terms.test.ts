import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  balanceDue,
  balanceWindowClosesAt,
  balanceWindowOpensAt,
  balanceWindowPhase,
  checkBalancePayment,
  PresaleTermsSchema,
  secondsUntilBalanceCloses,
  shipBy,
  termsOf,
} from '#domain/presale/terms';
import { sofa, validPresale } from './arbitraries.ts';

const cny = (amount: number) => ({ amount, currency: 'CNY' });

describe('balanceDue (SPEC §2: max(0, list price − deposit value))', () => {
  it.each([
    ['pay 500 get 1000 off a 3000 sofa', 300_000, 100_000, 200_000],
    ['deposit value equal to the list price', 100_000, 100_000, 0],
    ['deposit value above the list price: nothing to pay, no cash back', 80_000, 100_000, 0],
    ['one fen left', 100_001, 100_000, 1],
  ])('%s', (_name, listPrice, depositValue, due) => {
    expect(balanceDue({ listPrice: cny(listPrice), depositValue: cny(depositValue) })).toEqual(cny(due));
  });

  it('property: for any valid presale the balance is a non-negative integer in the list price currency', () => {
    fc.assert(
      fc.property(validPresale, (presale) => {
        const due = balanceDue(termsOf(presale));
        expect(Number.isSafeInteger(due.amount)).toBe(true);
        expect(due.amount).toBeGreaterThanOrEqual(0);
        expect(due.currency).toBe(presale.listPrice.currency);
        expect(due.amount).toBe(Math.max(0, presale.listPrice.amount - presale.depositValue.amount));
        // deposit ≤ deposit value and deposit ≤ list price: the customer never pays more in total
        expect(presale.deposit.amount + due.amount).toBeLessThanOrEqual(presale.listPrice.amount);
      }),
    );
  });
});

describe('termsOf (the snapshot taken at the deposit)', () => {
  it('copies every term but the quota and shares no object with the presale', () => {
    const presale = sofa();
    const terms = termsOf(presale);
    const { quota: _quota, ...expected } = presale;
    expect(terms).toEqual(expected);
    expect(terms.listPrice).not.toBe(presale.listPrice);
    expect(terms.balanceWindow).not.toBe(presale.balanceWindow);
    expect(PresaleTermsSchema.parse(terms)).toEqual(terms);
  });

  it('is unaffected by a later edit of the presale', () => {
    const terms = termsOf(sofa());
    const edited = sofa({ listPrice: cny(250_000), forfeitPolicy: 'refund' });
    expect(termsOf(edited).listPrice).toEqual(cny(250_000));
    expect(terms.listPrice).toEqual(cny(300_000));
    expect(balanceDue(terms)).toEqual(cny(200_000));
    expect(terms.forfeitPolicy).toBe('keep');
  });
});

describe('balance window', () => {
  const terms = termsOf(sofa());

  it.each([
    ['2026-10-31T23:59:59.999Z', 'NOT_OPEN'],
    ['2026-11-01T00:00:00.000Z', 'OPEN'],
    ['2026-11-03T23:59:59.999Z', 'OPEN'],
    ['2026-11-04T00:00:00.000Z', 'CLOSED'],
    ['2026-11-04T08:00:00+08:00', 'CLOSED'],
  ])('at %s it is %s (half-open [start, end))', (at, phase) => {
    expect(balanceWindowPhase(terms, at)).toBe(phase);
  });

  it('opens, closes, and times the callback out at its end', () => {
    expect(balanceWindowOpensAt(terms)).toBe('2026-11-01T00:00:00.000Z');
    expect(balanceWindowClosesAt(terms)).toBe('2026-11-04T00:00:00.000Z');
    expect(secondsUntilBalanceCloses(terms, '2026-11-01T00:00:00Z')).toBe(72 * 3600);
    expect(secondsUntilBalanceCloses(terms, new Date('2026-11-03T23:59:59.500Z'))).toBe(1);
    expect(secondsUntilBalanceCloses(terms, '2026-11-05T00:00:00Z')).toBe(0);
  });
});

describe('checkBalancePayment', () => {
  const terms = termsOf(sofa());
  const inWindow = '2026-11-02T10:00:00Z';

  it('accepts exactly the balance due inside the window', () => {
    expect(checkBalancePayment(terms, cny(200_000), inWindow)).toEqual({ ok: true, amount: cny(200_000) });
    expect(checkBalancePayment(terms, cny(200_000))).toEqual({ ok: true, amount: cny(200_000) });
  });

  it.each([
    ['too little', cny(199_900), inWindow, 'WrongAmount', 'balance due is 2000.00 CNY; got 1999.00 CNY'],
    ['too much', cny(300_000), inWindow, 'WrongAmount', 'balance due is 2000.00 CNY; got 3000.00 CNY'],
    [
      'the right number in another currency',
      { amount: 200_000, currency: 'USD' },
      inWindow,
      'WrongCurrency',
      'balance must be paid in CNY (2000.00 CNY due); got 2000.00 USD',
    ],
    [
      'paid before the window opens',
      cny(200_000),
      '2026-10-31T23:00:00Z',
      'BalanceWindowNotOpen',
      'balance paid at 2026-10-31T23:00:00.000Z, before the balance window opens at 2026-11-01T00:00:00.000Z',
    ],
    [
      'paid when the window closes',
      cny(200_000),
      '2026-11-04T00:00:00Z',
      'BalanceWindowClosed',
      'balance paid at 2026-11-04T00:00:00.000Z, after the balance window closed at 2026-11-04T00:00:00.000Z',
    ],
  ])('refuses %s with a clear reason', (_name, amount, paidAt, reason, message) => {
    expect(checkBalancePayment(terms, amount, paidAt)).toEqual({
      ok: false,
      reason,
      message,
      expected: cny(200_000),
      got: amount,
    });
  });

  it('expects a zero payment when the deposit value covers the list price', () => {
    const covered = termsOf(sofa({ depositValue: cny(400_000) }));
    expect(checkBalancePayment(covered, cny(0), inWindow).ok).toBe(true);
    expect(checkBalancePayment(covered, cny(1), inWindow)).toMatchObject({
      ok: false,
      reason: 'WrongAmount',
    });
  });

  it('property: a payment is accepted exactly when it is the balance due in its currency', () => {
    fc.assert(
      fc.property(
        validPresale,
        fc.integer({ min: -10, max: 10 }),
        fc.boolean(),
        (presale, delta, otherCurrency) => {
          const terms = termsOf(presale);
          const due = balanceDue(terms);
          const currency = otherCurrency ? (due.currency === 'EUR' ? 'USD' : 'EUR') : due.currency;
          const result = checkBalancePayment(terms, { amount: due.amount + delta, currency });
          expect(result.ok).toBe(delta === 0 && !otherCurrency);
          if (!result.ok) expect(result.message).toContain(String(result.expected.currency));
        },
      ),
    );
  });
});

describe('shipBy (SPEC §2: within shipWithinDays of the balance payment)', () => {
  it.each([
    ['2026-11-02T10:00:00Z', 30, '2026-12-02T10:00:00.000Z'],
    ['2026-11-02T18:00:00+08:00', 30, '2026-12-02T10:00:00.000Z'],
    ['2028-02-28T12:00:00Z', 1, '2028-02-29T12:00:00.000Z'],
  ])('paid at %s, %i days → %s', (paidAt, days, expected) => {
    expect(shipBy(paidAt, days)).toBe(expected);
    expect(shipBy(new Date(paidAt), days)).toBe(expected);
  });

  it('refuses a number of days that is not a whole non-negative number', () => {
    expect(() => shipBy('2026-11-02T10:00:00Z', 1.5)).toThrow(RangeError);
    expect(() => shipBy('not a date', 1)).toThrow(RangeError);
  });
});
