import type { CouponView, CustomerPerks } from '../shared/customer-perks.ts';
import { type Coupon, statusAt } from './coupons.ts';
import type { StoredMemberPolicy } from './policy.ts';
import { tierTerms } from './policy.ts';
import type { MemberRecord } from './store.ts';

/**
 * What the checkout quote and SLA compensation read of a customer and a coupon (the ports in
 * domain/shared/customer-perks.ts), from the member record and the ledger: pure.
 */
export function perksOf(member: MemberRecord | null, policy: StoredMemberPolicy): CustomerPerks {
  const terms = member ? tierTerms(policy, member.tier) : undefined;
  return {
    tier: member?.tier ?? 'none',
    discountBps: terms?.discountBps ?? 0,
    slaMultiplierBps: terms?.slaMultiplierBps ?? 10_000,
    newUser: !member?.firstPaidOrder,
  };
}

export function couponViewOf(coupon: Coupon, at: Date): CouponView {
  return {
    code: coupon.code,
    customerId: coupon.customerId,
    amount: coupon.amount,
    minSpend: coupon.minSpend,
    status: statusAt(coupon, at),
    source: coupon.source,
    expiresAt: coupon.expiresAt,
  };
}
