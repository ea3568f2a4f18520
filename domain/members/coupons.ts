import { createHash } from 'node:crypto';
import type { CouponView } from '../shared/customer-perks.ts';
import type { Money } from '../shared/money.ts';

/**
 * The coupon ledger's rules (issue #18): one ledger for every coupon storeflow issues (SLA
 * compensation, referral rewards, the annual free order). A coupon's code derives from what
 * caused it, so the same cause can only ever make the same coupon (a conditional put makes it once).
 */

export type CouponSource = 'sla-compensation' | 'referral' | 'annual-free-order';
export type CouponStatus = CouponView['status'];

export interface Coupon {
  readonly code: string;
  readonly customerId: string;
  readonly amount: Money;
  readonly minSpend: Money;
  readonly source: CouponSource;
  /** What caused it: the promise, the referral (invitee), the year. */
  readonly ref: { readonly type: string; readonly id: string };
  readonly issuedAt: string;
  readonly expiresAt: string | null;
  readonly status: 'open' | 'redeemed' | 'cancelled';
  readonly redeemedAt: string | null;
  readonly orderId: string | null;
  readonly redeemedVia: 'api' | 'shopify' | null;
  readonly cancelledAt: string | null;
  readonly cancelReason: string | null;
}

const hash = (...parts: string[]) =>
  createHash('sha256').update(parts.join('\u001f')).digest('hex').slice(0, 12).toUpperCase();

const PREFIX: Record<CouponSource, string> = {
  'sla-compensation': 'SLA',
  referral: 'REF',
  'annual-free-order': 'FREE',
};

/** `SLA-1A2B3C4D5E6F`: the code of the coupon a cause makes (stable across retries). */
export const couponCode = (source: CouponSource, ...cause: string[]) =>
  `${PREFIX[source]}-${hash(source, ...cause)}`;

export const COUPON_CODE_PATTERN = /^(SLA|REF|FREE)-[0-9A-F]{12}$/;

/** A coupon's status at `at`: an open coupon past its expiry is expired. */
export function statusAt(coupon: Pick<Coupon, 'status' | 'expiresAt'>, at: Date): CouponStatus {
  if (coupon.status === 'open' && coupon.expiresAt !== null && coupon.expiresAt <= at.toISOString()) {
    return 'expired';
  }
  return coupon.status;
}

export type RedeemDecision =
  | { readonly ok: true; readonly already: boolean }
  | { readonly ok: false; readonly reason: string };

/** May `orderId` redeem this coupon at `at`? Redeeming again for the same order is the same redemption. */
export function redeemDecision(coupon: Coupon, orderId: string, at: Date): RedeemDecision {
  const status = statusAt(coupon, at);
  if (status === 'redeemed') {
    return coupon.orderId === orderId
      ? { ok: true, already: true }
      : { ok: false, reason: `coupon ${coupon.code} was already redeemed on order ${coupon.orderId}` };
  }
  if (status === 'cancelled') {
    return {
      ok: false,
      reason: `coupon ${coupon.code} was cancelled (${coupon.cancelReason ?? 'no reason'})`,
    };
  }
  if (status === 'expired')
    return { ok: false, reason: `coupon ${coupon.code} expired at ${coupon.expiresAt}` };
  return { ok: true, already: false };
}

export function couponView(coupon: Coupon, at: Date): CouponView & Coupon {
  return { ...coupon, status: statusAt(coupon, at) } as CouponView & Coupon;
}
