import { describe, expect, it } from 'vitest';
import { couponList, customerView, leaderRows, nextTier } from '../../console/src/data/members.ts';
import { CUSTOMERS, LEADERBOARD } from '../support/console-fixtures.ts';

describe('a customer on the console', () => {
  it('reads tier, window, next tier, coupons, referrals and history (newest first)', () => {
    const c = customerView('c-1001', CUSTOMERS.gold);
    expect(c.tier).toBe('gold');
    expect(c.since).toBe('2026-09-14T03:00:00.000Z');
    expect(c.spend).toEqual({ amount: 620_000, currency: 'CNY' });
    expect(c.orders).toBe(7);
    expect(c.benefits).toEqual(['3.00% off', 'free shipping', 'SLA compensation ×1.50']);
    expect(c.window).toEqual({
      from: '2025-12-01T00:00:00.000Z',
      to: '2026-11-30T16:00:00.000Z',
      months: 12,
    });
    expect(c.next).toEqual({
      tier: 'diamond',
      spendNeeded: { amount: 380_000, currency: 'CNY' },
      ordersNeeded: 3,
      progressPercent: 62,
    });
    expect(c.coupons.map((k) => [k.code, k.status, k.orderId])).toEqual([
      ['REF-0A1B2C3D4E5F', 'open', null],
      ['SLA-112233445566', 'redeemed', '1042'],
    ]);
    expect(c.referralCode).toBe('ALICE7Q');
    expect(c.invitedBy).toEqual({ customerId: 'c-0999', status: 'rewarded', reason: null });
    expect(c.referrals).toEqual([
      { scope: 'month', period: '2026-11', rewarded: 2 },
      { scope: 'year', period: '2026', rewarded: 5 },
    ]);
    expect(c.history.map((h) => [h.from, h.to])).toEqual([
      ['silver', 'gold'],
      ['none', 'silver'],
    ]);
    expect(c.history[0]!.reason).toContain('order 1040 paid');
    expect(c.history[0]!.detail).toMatchObject({
      direction: 'up',
      cause: { type: 'OrderPaid', orderId: '1040' },
    });
  });

  it('survives a customer with nothing but an id', () => {
    const c = customerView('c-9', {});
    expect(c).toEqual({
      id: 'c-9',
      tier: 'none',
      since: null,
      spend: null,
      orders: null,
      window: null,
      next: null,
      coupons: [],
      referralCode: null,
      invitedBy: null,
      referrals: [],
      history: [],
      benefits: [],
      newUser: false,
    });
    expect(customerView('c-2002', CUSTOMERS.fresh).tier).toBe('none');
  });

  it('next tier: progress toward the spend threshold, capped at 100, none without numbers', () => {
    expect(
      nextTier(
        { name: 'gold', spend: { amount: 0, currency: 'CNY' }, orders: 1 },
        { amount: 5000, currency: 'CNY' },
      ),
    ).toMatchObject({ progressPercent: 100, ordersNeeded: 1 });
    expect(nextTier({ name: 'gold' }, null)).toMatchObject({ spendNeeded: null, progressPercent: null });
    expect(nextTier(null, null)).toBeNull();
  });

  it('coupons from the ledger list or its open/used split', () => {
    expect(couponList([{ code: 'A', status: 'expired' }]).map((k) => k.status)).toEqual(['expired']);
    expect(couponList({ items: [{ code: 'B' }] }).map((k) => [k.code, k.status])).toEqual([['B', 'open']]);
    expect(couponList(undefined)).toEqual([]);
  });
});

describe('the referral leaderboard', () => {
  it('rows in rank order (ties already broken by the API: who got there first)', () => {
    expect(leaderRows(LEADERBOARD.month).map((r) => [r.rank, r.customerId, r.rewarded])).toEqual([
      [1, 'c-0999', 6],
      [2, 'c-1001', 2],
      [3, 'c-1500', 2],
    ]);
    expect(leaderRows({ items: [{ customerId: 'x', rewarded: 1 }] })[0]!.rank).toBe(1);
    expect(leaderRows({})).toEqual([]);
  });
});
