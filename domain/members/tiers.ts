import type { Money } from '../shared/money.ts';
import { type MemberPolicy, TIER_NAMES, type TierName, type TierOrNone, tierTerms } from './policy.ts';

/**
 * Tier rules (SPEC §7): pure functions of a customer's paid orders, the policy and an instant. A
 * member's tier is the highest whose spend and order thresholds the trailing window reaches (at
 * the threshold is enough); spend is what the customer paid (after discounts and coupons) less
 * what was refunded; an order refunded in full does not count.
 */

export const MEMBER_RULES_VERSION = 'members/1';

/** A paid order as the member ledger keeps it. */
export interface LedgerOrder {
  readonly orderId: string;
  readonly paidAt: string;
  /** What the customer paid: the order total after discounts and coupons (minor units). */
  readonly paid: number;
  /** Refunded so far (minor units). */
  readonly refunded: number;
}

const RANK: Record<TierOrNone, number> = { none: 0, silver: 1, gold: 2, diamond: 3 };
export const tierRank = (tier: TierOrNone): number => RANK[tier];

/** The instant `months` calendar months before `at` (UTC calendar; the day clamped to the month's end). */
export function monthsBefore(at: Date, months: number): Date {
  const y = at.getUTCFullYear();
  const m = at.getUTCMonth() - months;
  const target = new Date(
    Date.UTC(y, m, 1, at.getUTCHours(), at.getUTCMinutes(), at.getUTCSeconds(), at.getUTCMilliseconds()),
  );
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  target.setUTCDate(Math.min(at.getUTCDate(), lastDay));
  return target;
}

/** An order is in the window at `at` when it was paid after `at` minus the window, and not after `at`. */
export function windowOf(at: Date, windowMonths: number): { from: string; to: string } {
  return { from: monthsBefore(at, windowMonths).toISOString(), to: at.toISOString() };
}

export const netOf = (order: LedgerOrder): number => Math.max(0, order.paid - order.refunded);

export interface WindowTotals {
  readonly from: string;
  readonly to: string;
  /** Net spend in the window (minor units). */
  readonly spend: number;
  /** Paid orders in the window with something left after refunds. */
  readonly orders: number;
}

export function windowTotals(orders: readonly LedgerOrder[], at: Date, windowMonths: number): WindowTotals {
  const { from, to } = windowOf(at, windowMonths);
  let spend = 0;
  let count = 0;
  for (const o of orders) {
    if (o.paidAt <= from || o.paidAt > to) continue;
    const net = netOf(o);
    if (net <= 0) continue;
    spend += net;
    count++;
  }
  return { from, to, spend, orders: count };
}

/** The highest tier whose thresholds `spend` and `orders` reach, or `none`. */
export function tierFor(policy: MemberPolicy, spend: number, orders: number): TierOrNone {
  let tier: TierOrNone = 'none';
  for (const terms of policy.tiers) {
    if (spend >= terms.minSpend.amount && orders >= terms.minOrders) tier = terms.name;
  }
  return tier;
}

export interface NextTierNeeds {
  readonly name: TierName;
  /** Spend still needed (0 when spend is already enough). */
  readonly spend: Money;
  /** Orders still needed. */
  readonly orders: number;
}

/** What the next tier above `tier` still needs, or null at the top. */
export function nextTierNeeds(
  policy: MemberPolicy,
  tier: TierOrNone,
  spend: number,
  orders: number,
): NextTierNeeds | null {
  const next = TIER_NAMES[tierRank(tier)];
  const terms = next ? tierTerms(policy, next) : undefined;
  if (!next || !terms) return null;
  return {
    name: next,
    spend: { amount: Math.max(0, terms.minSpend.amount - spend), currency: terms.minSpend.currency },
    orders: Math.max(0, terms.minOrders - orders),
  };
}

/** Why a tier changed, in words for the receipt. */
export function changeReason(
  from: TierOrNone,
  to: TierOrNone,
  cause: TierCause,
  totals: Pick<WindowTotals, 'spend' | 'orders'>,
  currency: string,
): string {
  const direction = tierRank(to) > tierRank(from) ? 'upgraded' : 'downgraded';
  const amount = `${(totals.spend / 100).toFixed(2)} ${currency}`;
  const what = `${amount} over ${totals.orders} order${totals.orders === 1 ? '' : 's'} in the window`;
  switch (cause.type) {
    case 'OrderPaid':
      return `${direction} ${from} → ${to}: order ${cause.orderId} paid; ${what}`;
    case 'RefundIssued':
      return `${direction} ${from} → ${to}: refund ${cause.refundId} on order ${cause.orderId}; ${what}`;
    case 'nightly':
      return `${direction} ${from} → ${to}: orders left the window (nightly run ${cause.run}); ${what}`;
    case 'policy':
      return `${direction} ${from} → ${to}: member policy v${cause.policyVersion}; ${what}`;
  }
}

export type TierCause =
  | { readonly type: 'OrderPaid'; readonly orderId: string }
  | { readonly type: 'RefundIssued'; readonly orderId: string; readonly refundId: string }
  | { readonly type: 'nightly'; readonly run: string }
  | { readonly type: 'policy'; readonly policyVersion: number };
