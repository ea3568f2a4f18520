import type { Money } from './money.ts';

/**
 * The seams between members and coupons (issue #18) and the checkout quote (issue #17) and SLA
 * compensation (issue #5). Members own the coupon ledger and the tiers; the quote and the SLA
 * multiplier read them through these ports, so neither feature imports the other.
 */
export interface CouponView {
  readonly code: string;
  /** The customer it belongs to (a coupon is never transferable). */
  readonly customerId: string;
  /** What it takes off, integer minor units. */
  readonly amount: Money;
  /** The least spend (before coupons) it applies to; 0 when any order qualifies. */
  readonly minSpend: Money;
  readonly status: 'open' | 'redeemed' | 'cancelled' | 'expired';
  /** sla-compensation | referral | annual-free-order | first-order | … */
  readonly source: string;
  readonly expiresAt: string | null;
}

export interface CouponLookup {
  findCoupon(code: string): Promise<CouponView | undefined>;
}

export interface CustomerPerks {
  /** The customer's member tier now (`none` without one) and what it gives in a quote. */
  readonly tier: string;
  readonly discountBps: number;
  /** SLA compensation multiplier, 10 000 = ×1.0. */
  readonly slaMultiplierBps: number;
  /** No paid order yet: first-order perks apply. */
  readonly newUser: boolean;
}

export interface CustomerPerksSource {
  perksOf(customerId: string): Promise<CustomerPerks>;
}
