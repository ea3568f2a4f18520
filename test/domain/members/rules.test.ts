import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type Coupon, couponCode, redeemDecision, statusAt } from '#domain/members/coupons';
import { periodKey, previousYear, rank } from '#domain/members/leaderboard';
import { emptyMember } from '#domain/members/members';
import { perksOf } from '#domain/members/perks';
import { DEFAULT_MEMBER_POLICY, MEMBER_POLICY_DEFAULTS, parseMemberPolicy } from '#domain/members/policy';
import {
  REFERRAL_CODE_PATTERN,
  referralAtRegistration,
  referralCodeFor,
  referralOnPaidOrder,
  refundCancelsReferral,
  weekOf,
} from '#domain/members/referrals';
import {
  type LedgerOrder,
  monthsBefore,
  nextTierNeeds,
  tierFor,
  tierRank,
  windowTotals,
} from '#domain/members/tiers';
import { ValidationError } from '#domain/shared/errors';

const policy = DEFAULT_MEMBER_POLICY;
const TZ = 'Asia/Shanghai';
const spendArb = fc.integer({ min: 0, max: 5_000_000 });
const ordersArb = fc.integer({ min: 0, max: 40 });

describe('tiers', () => {
  it('are monotone in spend and in orders', () => {
    fc.assert(
      fc.property(spendArb, spendArb, ordersArb, ordersArb, (s1, s2, o1, o2) => {
        const [lo, hi] = s1 <= s2 ? [s1, s2] : [s2, s1];
        const [fewer, more] = o1 <= o2 ? [o1, o2] : [o2, o1];
        expect(tierRank(tierFor(policy, hi, fewer))).toBeGreaterThanOrEqual(
          tierRank(tierFor(policy, lo, fewer)),
        );
        expect(tierRank(tierFor(policy, lo, more))).toBeGreaterThanOrEqual(
          tierRank(tierFor(policy, lo, fewer)),
        );
      }),
    );
  });

  it('a threshold reached exactly is enough; one fen or one order short is not', () => {
    for (const t of policy.tiers) {
      expect(tierFor(policy, t.minSpend.amount, t.minOrders)).toBe(t.name);
      expect(tierRank(tierFor(policy, t.minSpend.amount - 1, t.minOrders))).toBeLessThan(tierRank(t.name));
      expect(tierRank(tierFor(policy, t.minSpend.amount, t.minOrders - 1))).toBeLessThan(tierRank(t.name));
    }
    expect(tierFor(policy, 0, 0)).toBe('none');
  });

  it('the tier reached is one whose thresholds hold, and the next tier says what is missing', () => {
    fc.assert(
      fc.property(spendArb, ordersArb, (spend, orders) => {
        const tier = tierFor(policy, spend, orders);
        const terms = policy.tiers.find((t) => t.name === tier);
        if (terms) {
          expect(spend).toBeGreaterThanOrEqual(terms.minSpend.amount);
          expect(orders).toBeGreaterThanOrEqual(terms.minOrders);
        }
        const next = nextTierNeeds(policy, tier, spend, orders);
        if (tier === 'diamond') expect(next).toBeNull();
        else {
          expect(next).not.toBeNull();
          // Spending and ordering what it says reaches that tier.
          expect(tierFor(policy, spend + next!.spend.amount, orders + next!.orders)).not.toBe(tier);
          expect(
            tierRank(tierFor(policy, spend + next!.spend.amount, orders + next!.orders)),
          ).toBeGreaterThanOrEqual(tierRank(next!.name));
        }
      }),
    );
  });

  const order = (id: string, paidAt: string, paid: number, refunded = 0): LedgerOrder => ({
    orderId: id,
    paidAt,
    paid,
    refunded,
  });

  it('spend is net of refunds (what was paid, after discounts, less refunds); a fully refunded order does not count', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 100_000 }), fc.integer({ min: 0, max: 150_000 })), {
          maxLength: 20,
        }),
        (pairs) => {
          const at = new Date('2026-12-02T00:00:00Z');
          const orders = pairs.map(([paid, refunded], i) =>
            order(`o${i}`, '2026-11-01T00:00:00.000Z', paid, refunded),
          );
          const totals = windowTotals(orders, at, 12);
          expect(totals.spend).toBe(pairs.reduce((s, [p, r]) => s + Math.max(0, p - r), 0));
          expect(totals.orders).toBe(pairs.filter(([p, r]) => p - r > 0).length);
          // A refund never raises spend.
          const more = orders.map((o) => ({ ...o, refunded: o.refunded + 1 }));
          expect(windowTotals(more, at, 12).spend).toBeLessThanOrEqual(totals.spend);
        },
      ),
    );
  });

  it('the 12-month window: an order paid exactly 12 months ago has left it; one a second later has not', () => {
    const at = new Date('2026-12-02T03:00:00.000Z');
    const edge = monthsBefore(at, 12).toISOString();
    expect(edge).toBe('2025-12-02T03:00:00.000Z');
    const later = new Date(Date.parse(edge) + 1000).toISOString();
    const totals = windowTotals([order('a', edge, 1000), order('b', later, 500)], at, 12);
    expect(totals).toMatchObject({ spend: 500, orders: 1, from: edge });
    // Day clamped at a month's end: 31 March minus one month is 28 February.
    expect(monthsBefore(new Date('2026-03-31T10:00:00Z'), 1).toISOString()).toBe('2026-02-28T10:00:00.000Z');
  });
});

describe('the member policy', () => {
  it('defaults to SPEC §7 (20 CNY referral, 9.90 zone, 7 days, top 10, 12 months)', () => {
    const parsed = parseMemberPolicy({});
    expect(parsed).toEqual(MEMBER_POLICY_DEFAULTS);
    expect(parsed.referral.reward).toEqual({ amount: 2000, currency: 'CNY' });
    expect(parsed.newUser.freeShippingZoneMax).toEqual({ amount: 990, currency: 'CNY' });
  });

  it('refuses tiers out of order or asking less than the tier below, naming the field', () => {
    const tiers = MEMBER_POLICY_DEFAULTS.tiers.map((t) => ({ ...t }));
    const issues = (body: unknown) => {
      try {
        parseMemberPolicy(body);
      } catch (e) {
        expect(e).toBeInstanceOf(ValidationError);
        return (e as ValidationError).issues.map((i) => i.field);
      }
      throw new Error('accepted');
    };
    expect(issues({ tiers: [tiers[1], tiers[0], tiers[2]] })).toEqual(['tiers.0.name']);
    expect(issues({ tiers: [tiers[0], { ...tiers[1], minOrders: 1 }, tiers[2]] })).toEqual([
      'tiers.1.minOrders',
    ]);
    expect(
      issues({ tiers: [tiers[0], tiers[1], { ...tiers[2], minSpend: { amount: 1, currency: 'CNY' } }] }),
    ).toEqual(['tiers.2.minSpend']);
    expect(issues({ windowMonths: 0 })).toEqual(['windowMonths']);
    expect(issues({ tiers: [{ ...tiers[0], slaMultiplierBps: 9_000 }, tiers[1], tiers[2]] })).toEqual([
      'tiers.0.slaMultiplierBps',
    ]);
    expect(issues({ referral: { reward: { amount: 2000, currency: 'USD' } } })).toEqual([
      'referral.reward.currency',
    ]);
  });
});

describe('first-order perks', () => {
  it('a customer without a paid order is a new user; the first paid order ends it', () => {
    expect(perksOf(null, policy)).toEqual({
      tier: 'none',
      discountBps: 0,
      slaMultiplierBps: 10_000,
      newUser: true,
    });
    const m = emptyMember('c1');
    expect(perksOf(m, policy).newUser).toBe(true);
    const paid = {
      ...m,
      tier: 'gold' as const,
      firstPaidOrder: { orderId: 'o1', paidAt: '2026-12-01T00:00:00Z' },
    };
    expect(perksOf(paid, policy)).toEqual({
      tier: 'gold',
      discountBps: 500,
      slaMultiplierBps: 15_000,
      newUser: false,
    });
  });
});

describe('referral rules', () => {
  const inviter = { customerId: 'A', email: 'Ann@Example.com', phone: '+86 138-0000-0001' };
  it('refuses self-referral by the same customer, email (any case) or phone (digits), with the reason', () => {
    const refuse = (invitee: { customerId: string; email: string | null; phone: string | null }) =>
      referralAtRegistration({ invitee, inviter, inviteeHasPaidOrder: false });
    expect(refuse({ customerId: 'A', email: null, phone: null })).toEqual({
      status: 'refused',
      reason: 'self-referral: the inviter is the same customer',
    });
    expect(refuse({ customerId: 'B', email: 'ann@example.COM ', phone: null }).reason).toMatch(/same email/);
    expect(refuse({ customerId: 'B', email: null, phone: '8613800000001' }).reason).toMatch(/same phone/);
    expect(refuse({ customerId: 'B', email: 'b@example.com', phone: '+86 139' })).toEqual({
      status: 'pending',
      reason: null,
    });
    expect(
      referralAtRegistration({
        invitee: { customerId: 'B', email: null, phone: null },
        inviter: null,
        inviteeHasPaidOrder: false,
      }).reason,
    ).toBe('unknown referral code');
    expect(
      referralAtRegistration({
        invitee: { customerId: 'B', email: null, phone: null },
        inviter,
        inviteeHasPaidOrder: true,
      }).status,
    ).toBe('refused');
  });

  it('only the first paid order of a pending referral rewards; an earlier paid order refuses it', () => {
    expect(referralOnPaidOrder({ status: 'pending', firstPaidOrderId: null, orderId: 'o1' })).toEqual({
      decide: true,
      status: 'rewarded',
      reason: null,
    });
    expect(referralOnPaidOrder({ status: 'pending', firstPaidOrderId: 'o0', orderId: 'o1' })).toMatchObject({
      decide: true,
      status: 'refused',
    });
    for (const status of ['refused', 'held', 'rewarded', 'cancelled'] as const) {
      expect(referralOnPaidOrder({ status, firstPaidOrderId: null, orderId: 'o1' })).toEqual({
        decide: false,
      });
    }
  });

  it('a refund cancels the referral only inside the no-reason-return window', () => {
    const paid = '2026-12-01T00:00:00.000Z';
    expect(refundCancelsReferral(paid, '2026-12-08T00:00:00.000Z', 7)).toBe(true);
    expect(refundCancelsReferral(paid, '2026-12-08T00:00:01.000Z', 7)).toBe(false);
  });

  it('weeks start on Monday in store time; codes are stable and well formed', () => {
    // 2026-12-06 is a Sunday; 16:30 UTC is already Monday 00:30 in Shanghai.
    expect(weekOf(new Date('2026-12-06T10:00:00Z'), TZ)).toBe('2026-11-30');
    expect(weekOf(new Date('2026-12-06T16:30:00Z'), TZ)).toBe('2026-12-07');
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40 }), (id) => {
        expect(referralCodeFor(id)).toBe(referralCodeFor(id));
        expect(referralCodeFor(id)).toMatch(REFERRAL_CODE_PATTERN);
      }),
    );
  });
});

describe('leaderboard', () => {
  it('ranks by rewarded referrals, ties to who got there first, and cuts at the top N', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(
          fc.record({
            customerId: fc.string({ minLength: 1, maxLength: 6 }),
            rewarded: fc.integer({ min: 0, max: 20 }),
            reachedAt: fc
              .integer({ min: 0, max: 1_000_000 })
              .map((s) => new Date(1_790_000_000_000 + s * 1000).toISOString()),
          }),
          { selector: (e) => e.customerId, maxLength: 30 },
        ),
        fc.integer({ min: 1, max: 15 }),
        (entries, top) => {
          const ranked = rank(entries, top);
          expect(ranked.length).toBeLessThanOrEqual(top);
          ranked.forEach((r, i) => {
            expect(r.rank).toBe(i + 1);
            expect(r.rewarded).toBeGreaterThan(0);
            const next = ranked[i + 1];
            if (next) {
              expect(r.rewarded).toBeGreaterThanOrEqual(next.rewarded);
              if (r.rewarded === next.rewarded) expect(r.reachedAt <= next.reachedAt).toBe(true);
            }
          });
          // Nobody left out ranks above the last one in.
          const last = ranked.at(-1);
          if (last && ranked.length === top) {
            for (const e of entries.filter((x) => !ranked.some((r) => r.customerId === x.customerId))) {
              expect(
                e.rewarded < last.rewarded || (e.rewarded === last.rewarded && e.reachedAt >= last.reachedAt),
              ).toBe(true);
            }
          }
        },
      ),
    );
  });

  it('periods are store-time months and years; 1 January grants the previous year', () => {
    const newYear = new Date('2026-12-31T16:05:00Z'); // 00:05 on 1 January 2027 in Shanghai
    expect(periodKey('month', newYear, TZ)).toBe('2027-01');
    expect(periodKey('year', newYear, TZ)).toBe('2027');
    expect(previousYear(newYear, TZ)).toBe('2026');
  });
});

describe('the coupon ledger', () => {
  const coupon = (over: Partial<Coupon> = {}): Coupon => ({
    code: couponCode('referral', 'B', 'invitee'),
    customerId: 'B',
    amount: { amount: 2000, currency: 'CNY' },
    minSpend: { amount: 0, currency: 'CNY' },
    source: 'referral',
    ref: { type: 'referral', id: 'B' },
    issuedAt: '2026-12-01T00:00:00.000Z',
    expiresAt: null,
    status: 'open',
    redeemedAt: null,
    orderId: null,
    redeemedVia: null,
    cancelledAt: null,
    cancelReason: null,
    ...over,
  });
  const at = new Date('2026-12-02T00:00:00Z');

  it('codes derive from the cause: the same cause, the same code', () => {
    expect(couponCode('sla-compensation', 'k1')).toBe(couponCode('sla-compensation', 'k1'));
    expect(couponCode('sla-compensation', 'k1')).not.toBe(couponCode('sla-compensation', 'k2'));
    expect(couponCode('annual-free-order', '2026', 'A')).toMatch(/^FREE-[0-9A-F]{12}$/);
  });

  it('an open coupon redeems once; the same order again is the same redemption; others are refused with the reason', () => {
    expect(redeemDecision(coupon(), 'o1', at)).toEqual({ ok: true, already: false });
    const used = coupon({ status: 'redeemed', orderId: 'o1' });
    expect(redeemDecision(used, 'o1', at)).toEqual({ ok: true, already: true });
    expect(redeemDecision(used, 'o2', at)).toEqual({
      ok: false,
      reason: expect.stringMatching(/already redeemed on order o1/),
    });
    expect(redeemDecision(coupon({ status: 'cancelled', cancelReason: 'returned' }), 'o1', at)).toMatchObject(
      { ok: false },
    );
    const expired = coupon({ expiresAt: '2026-12-01T12:00:00.000Z' });
    expect(statusAt(expired, at)).toBe('expired');
    expect(redeemDecision(expired, 'o1', at)).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/expired/),
    });
  });
});
