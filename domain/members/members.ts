import type { CustomerPerks } from '../shared/customer-perks.ts';
import { ConflictError, NotFoundError } from '../shared/errors.ts';
import { parseId } from '../shared/schemas.ts';
import { couponLedger } from './coupon-ledger.ts';
import { type MemberDeps, memberLedger } from './ledger.ts';
import { memberOrders } from './member-orders.ts';
import { memberSchedule } from './member-schedule.ts';
import { perksOf } from './perks.ts';
import { parseMemberPolicy, tierTerms } from './policy.ts';
import { referralProgram } from './referral-program.ts';
import { nextTierNeeds, windowTotals } from './tiers.ts';

export {
  bucketOf,
  emptyMember,
  MEMBER_BUCKETS,
  MEMBERS_ORIGIN,
  type MemberDeps,
  NIGHTLY_PAGE_SIZE,
  ORDER_WAIT_SECONDS,
  OrderNotYetKnownError,
  TIER_HISTORY_LIMIT,
} from './ledger.ts';

/**
 * Members and referrals (SPEC §7, issue #18): the member ledger's use cases, one object over its
 * parts — the shared core (ledger.ts), referrals (referral-program.ts), the coupon ledger
 * (coupon-ledger.ts), paid orders and refunds (member-orders.ts), the scheduled runs
 * (member-schedule.ts) — and the customer's view here.
 */
export function members(deps: MemberDeps) {
  const ledger = memberLedger(deps);
  const { now, policy } = ledger;
  const referrals = referralProgram(ledger);
  const coupons = couponLedger(ledger);
  const { invitedBy } = referrals;

  return {
    policy,

    async putPolicy(body: unknown) {
      const parsed = parseMemberPolicy(body);
      const current = await deps.store.getPolicy();
      const saved = await deps.store.savePolicy(parsed, current?.version ?? null, now().toISOString());
      if (!saved) throw new ConflictError('the member policy changed while it was being saved; try again');
      return { created: !current, policy: saved };
    },

    /** `GET /api/customers/{id}`: tier, window, next tier, coupons, referral, and the tier receipts. */
    async customer(rawId: unknown) {
      const customerId = parseId(rawId, 'customerId');
      const m = await deps.store.getMember(customerId);
      if (!m)
        throw new NotFoundError(
          `customer ${customerId} is not known (no registration, order or referral code)`,
        );
      const p = await policy();
      const at = now();
      const totals = windowTotals(m.orders, at, p.windowMonths);
      const currency = p.tiers[0]!.minSpend.currency;
      const terms = tierTerms(p, m.tier);
      const inv = m.invitation;
      const referrals = await invitedBy(customerId, p);
      return {
        customerId,
        registeredAt: m.registeredAt,
        email: m.email,
        phone: m.phone,
        tier: m.tier,
        tierSince: m.tierSince,
        benefits: {
          discountBps: terms?.discountBps ?? 0,
          freeShipping: terms?.freeShipping ?? false,
          dedicatedSupport: terms?.dedicatedSupport ?? false,
          slaMultiplierBps: terms?.slaMultiplierBps ?? 10_000,
        },
        window: {
          months: p.windowMonths,
          from: totals.from,
          to: totals.to,
          spend: { amount: totals.spend, currency },
          orders: totals.orders,
        },
        nextTier: nextTierNeeds(p, m.tier, totals.spend, totals.orders),
        newUser: m.firstPaidOrder === null,
        firstOrderPerks: m.firstPaidOrder === null ? p.newUser : null,
        firstPaidOrder: m.firstPaidOrder,
        referralCode: m.referralCode,
        invitedBy: inv
          ? {
              customerId: inv.inviterId,
              code: inv.code,
              status: inv.status,
              reason: inv.reason,
              orderId: inv.orderId,
              decidedAt: inv.decidedAt,
            }
          : null,
        referrals,
        coupons: await coupons.couponsOf(customerId),
        tierHistory: m.tierHistory,
        policyVersion: p.version,
        evaluatedAt: m.evaluatedAt,
      };
    },

    // --- the seams (domain/shared/customer-perks.ts) --------------------------------------------------
    async perksOf(customerId: string): Promise<CustomerPerks> {
      const [m, p] = await Promise.all([deps.store.getMember(customerId), policy()]);
      return perksOf(m, p);
    },
    ...referrals.api,
    ...coupons.api,
    ...memberOrders(ledger, referrals, coupons),
    ...memberSchedule(ledger),
  };
}
export type Members = ReturnType<typeof members>;
